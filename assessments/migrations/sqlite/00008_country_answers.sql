-- Issue 19 (edition 1.1). Indicators with scope: country are answered once
-- per country, edition and period by the country's coordinator and
-- inherited by every service assessment of that country. country_answer_sets
-- carries the version counter a save is based on; country_answers one row
-- per indicator, as answers does for an assessment. The coordinator role
-- needs no schema change (users.role is text).

-- +goose Up
CREATE TABLE country_answer_sets (
    country           text,
    framework_id      text,
    framework_version text,
    period            integer,
    version           integer NOT NULL,
    updated_by_id     integer NOT NULL,
    updated_at        datetime NOT NULL,
    PRIMARY KEY (country, framework_id, framework_version, period)
);

CREATE TABLE country_answers (
    country           text,
    framework_id      text,
    framework_version text,
    period            integer,
    indicator_id      text,
    data              blob NOT NULL,
    version           integer NOT NULL,
    updated_by_id     integer NOT NULL,
    updated_at        datetime NOT NULL,
    PRIMARY KEY (country, framework_id, framework_version, period, indicator_id)
);

-- +goose Down
DROP TABLE country_answers;
DROP TABLE country_answer_sets;
