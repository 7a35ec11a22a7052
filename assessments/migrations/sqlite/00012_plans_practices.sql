-- Issue 18 (from gaps to a plan and to the region's practice). plan_items
-- are an assessment's improvement plan, one row per targeted indicator.
-- practices are write-ups of what a service does at level 4 or 5 of an
-- indicator, reviewed and then published. practice_search is their
-- full-text index: search_text holds the words of title and summary as the
-- store normalised them (lower case, one space between words), so that
-- SQLite and PostgreSQL index exactly the same words; triggers keep it in
-- step with every write. FTS4 rather than FTS5: the SQLite driver builds
-- FTS3/4 in by default, while FTS5 would need a build tag on every build,
-- test and image.

-- +goose Up
CREATE TABLE plan_items (
    id            integer PRIMARY KEY AUTOINCREMENT,
    assessment_id integer NOT NULL,
    position      integer NOT NULL,
    indicator_id  text NOT NULL,
    target_level  integer NOT NULL,
    actions       text NOT NULL DEFAULT '',
    owner         text NOT NULL DEFAULT '',
    due           text NOT NULL,
    updated_by_id integer NOT NULL,
    updated_at    datetime NOT NULL
);
CREATE UNIQUE INDEX ux_plan_item ON plan_items (assessment_id, indicator_id);

CREATE TABLE practices (
    id                integer PRIMARY KEY AUTOINCREMENT,
    assessment_id     integer NOT NULL,
    organisation_id   integer NOT NULL,
    service_id        integer NOT NULL,
    country           text NOT NULL,
    category          text NOT NULL,
    framework_id      text NOT NULL,
    framework_version text NOT NULL,
    dimension_id      text NOT NULL,
    indicator_id      text NOT NULL,
    level             integer NOT NULL,
    title             text NOT NULL,
    summary           text NOT NULL,
    contact           text NOT NULL DEFAULT '',
    links             text NOT NULL DEFAULT '[]',
    language          text NOT NULL,
    status            text NOT NULL,
    review_comment    text NOT NULL DEFAULT '',
    author_id         integer NOT NULL,
    search_text       text NOT NULL DEFAULT '',
    created_at        datetime,
    updated_at        datetime,
    published_at      datetime
);
CREATE UNIQUE INDEX ux_practice_assessment_indicator ON practices (assessment_id, indicator_id);
CREATE INDEX ix_practice_public ON practices (status, indicator_id);

CREATE VIRTUAL TABLE practice_search USING fts4(body, tokenize=simple);
-- +goose StatementBegin
CREATE TRIGGER practices_search_insert AFTER INSERT ON practices BEGIN
    INSERT INTO practice_search (docid, body) VALUES (new.id, new.search_text);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER practices_search_update AFTER UPDATE OF search_text ON practices BEGIN
    DELETE FROM practice_search WHERE docid = old.id;
    INSERT INTO practice_search (docid, body) VALUES (new.id, new.search_text);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER practices_search_delete AFTER DELETE ON practices BEGIN
    DELETE FROM practice_search WHERE docid = old.id;
END;
-- +goose StatementEnd

-- score_histograms count approved assessments by score per edition,
-- period, country, service category and indicator (or dimension, or ""
-- for the number of services), for the reviewer drill-down's spreads.
-- The store fills it for assessments approved before this migration.
CREATE TABLE score_histograms (
    framework_id      text,
    framework_version text,
    period            integer,
    indicator_id      text,
    country           text,
    category          text,
    tenths            integer,
    n                 integer NOT NULL,
    PRIMARY KEY (framework_id, framework_version, period, indicator_id, country, category, tenths)
);

-- +goose Down
DROP TABLE score_histograms;
DROP TRIGGER practices_search_delete;
DROP TRIGGER practices_search_update;
DROP TRIGGER practices_search_insert;
DROP TABLE practice_search;
DROP TABLE practices;
DROP TABLE plan_items;
