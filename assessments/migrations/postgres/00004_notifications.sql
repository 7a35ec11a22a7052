-- Issue 13 (people are told). Notifications shown in the app, the mail
-- outbox the mail worker sends from, single-use password-reset links
-- (stored as hashes), and per user the language mail is written in and
-- whether they want mail at all.

-- +goose Up
ALTER TABLE users ADD COLUMN language text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN mail_off boolean NOT NULL DEFAULT false;

CREATE TABLE notifications (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL,
    kind          text NOT NULL,
    assessment_id bigint,
    card_id       text NOT NULL DEFAULT '',
    comment       text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    read_at       timestamptz
);
CREATE INDEX ix_notification_user ON notifications (user_id, id);

CREATE TABLE mail_outbox (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL,
    "to"            text NOT NULL,
    language        text NOT NULL,
    kind            text NOT NULL,
    data            bytea,
    created_at      timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    attempts        bigint NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    claim           text NOT NULL DEFAULT '',
    sent_at         timestamptz
);
CREATE INDEX ix_outbox_due ON mail_outbox (sent_at, next_attempt_at);

CREATE TABLE password_resets (
    id         varchar(64) PRIMARY KEY,
    user_id    bigint NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX idx_password_resets_user_id ON password_resets (user_id);

-- +goose Down
DROP TABLE password_resets;
DROP TABLE mail_outbox;
DROP TABLE notifications;
ALTER TABLE users DROP COLUMN mail_off;
ALTER TABLE users DROP COLUMN language;
