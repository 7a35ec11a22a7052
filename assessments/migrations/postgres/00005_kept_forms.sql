-- Issue 13 (nothing typed is lost). kept_forms holds a questionnaire form
-- posted after its session ended, for the account of that session, until
-- it signs in again (at most an hour). The same table GORM's AutoMigrate
-- makes for keptForm.

-- +goose Up
CREATE TABLE kept_forms (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL,
    assessment_id bigint NOT NULL,
    dimension_id  varchar(64) NOT NULL,
    form          text NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX idx_kept_forms_user_id ON kept_forms (user_id);
CREATE INDEX idx_kept_forms_created_at ON kept_forms (created_at);

-- +goose Down
DROP TABLE kept_forms;
