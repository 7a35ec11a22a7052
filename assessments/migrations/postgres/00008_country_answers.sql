-- Issue 19 (edition 1.1). Indicators with scope: country are answered once
-- per country, edition and period by the country's coordinator and
-- inherited by every service assessment of that country. country_answer_sets
-- carries the version counter a save is based on; country_answers one row
-- per indicator, as answers does for an assessment. The coordinator role
-- needs no schema change (users.role is text).

-- +goose Up
CREATE TABLE country_answer_sets (
    country           varchar(3) NOT NULL,
    framework_id      varchar(100) NOT NULL,
    framework_version varchar(50) NOT NULL,
    period            bigint NOT NULL,
    version           bigint NOT NULL,
    updated_by_id     bigint NOT NULL,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (country, framework_id, framework_version, period)
);

CREATE TABLE country_answers (
    country           varchar(3) NOT NULL,
    framework_id      varchar(100) NOT NULL,
    framework_version varchar(50) NOT NULL,
    period            bigint NOT NULL,
    indicator_id      varchar(64) NOT NULL,
    data              bytea NOT NULL,
    version           bigint NOT NULL,
    updated_by_id     bigint NOT NULL,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (country, framework_id, framework_version, period, indicator_id)
);

-- +goose Down
DROP TABLE country_answers;
DROP TABLE country_answer_sets;
