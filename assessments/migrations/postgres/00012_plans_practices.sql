-- Issue 18 (from gaps to a plan and to the region's practice). plan_items
-- are an assessment's improvement plan, one row per targeted indicator.
-- practices are write-ups of what a service does at level 4 or 5 of an
-- indicator, reviewed and then published. search_text holds the words of
-- title and summary as the store normalised them (lower case, one space
-- between words); the search column makes each word a lexeme as it is,
-- without PostgreSQL's parser or dictionaries, so that PostgreSQL and
-- SQLite (practice_search, FTS4) index exactly the same words.

-- +goose Up
CREATE TABLE plan_items (
    id            bigserial PRIMARY KEY,
    assessment_id bigint NOT NULL,
    position      bigint NOT NULL,
    indicator_id  varchar(64) NOT NULL,
    target_level  bigint NOT NULL,
    actions       text NOT NULL DEFAULT '',
    owner         text NOT NULL DEFAULT '',
    due           varchar(10) NOT NULL,
    updated_by_id bigint NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX ux_plan_item ON plan_items (assessment_id, indicator_id);

CREATE TABLE practices (
    id                bigserial PRIMARY KEY,
    assessment_id     bigint NOT NULL,
    organisation_id   bigint NOT NULL,
    service_id        bigint NOT NULL,
    country           varchar(3) NOT NULL,
    category          text NOT NULL,
    framework_id      text NOT NULL,
    framework_version text NOT NULL,
    dimension_id      varchar(64) NOT NULL,
    indicator_id      varchar(64) NOT NULL,
    level             bigint NOT NULL,
    title             text NOT NULL,
    summary           text NOT NULL,
    contact           text NOT NULL DEFAULT '',
    links             text NOT NULL DEFAULT '[]',
    language          text NOT NULL,
    status            text NOT NULL,
    review_comment    text NOT NULL DEFAULT '',
    author_id         bigint NOT NULL,
    search_text       text NOT NULL DEFAULT '',
    created_at        timestamptz,
    updated_at        timestamptz,
    published_at      timestamptz,
    search            tsvector GENERATED ALWAYS AS (array_to_tsvector(string_to_array(search_text, ' '))) STORED
);
CREATE UNIQUE INDEX ux_practice_assessment_indicator ON practices (assessment_id, indicator_id);
CREATE INDEX ix_practice_public ON practices (status, indicator_id);
CREATE INDEX ix_practice_search ON practices USING GIN (search);

-- score_histograms count approved assessments by score per edition,
-- period, country, service category and indicator (or dimension, or ""
-- for the number of services), for the reviewer drill-down's spreads.
-- The store fills it for assessments approved before this migration.
CREATE TABLE score_histograms (
    framework_id      varchar(100) NOT NULL,
    framework_version varchar(50) NOT NULL,
    period            bigint NOT NULL,
    indicator_id      varchar(70) NOT NULL,
    country           varchar(3) NOT NULL,
    category          varchar(64) NOT NULL,
    tenths            bigint NOT NULL,
    n                 bigint NOT NULL,
    PRIMARY KEY (framework_id, framework_version, period, indicator_id, country, category, tenths)
);

-- +goose Down
DROP TABLE score_histograms;
DROP TABLE practices;
DROP TABLE plan_items;
