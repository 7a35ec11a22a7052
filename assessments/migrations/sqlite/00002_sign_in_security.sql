-- Issue 11 (security probe). cleared_answers keeps the version of the save
-- that cleared an indicator's answer (whose row in answers is deleted), so
-- that a 409 conflict can list cleared indicators as well as changed ones.
-- The same table GORM's AutoMigrate makes for clearedAnswer.
--
-- Sign-in throttling (reservations, device cookies) uses the existing
-- login_attempts table with new keys ("device:NONCE"); it needs no change.

-- +goose Up
CREATE TABLE cleared_answers (
    assessment_id integer,
    indicator_id  text,
    version       integer NOT NULL,
    PRIMARY KEY (assessment_id, indicator_id)
);

-- +goose Down
DROP TABLE cleared_answers;
