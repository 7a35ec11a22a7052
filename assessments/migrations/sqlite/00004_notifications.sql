-- Issue 13 (people are told). Notifications shown in the app, the mail
-- outbox the mail worker sends from, single-use password-reset links
-- (stored as hashes), and per user the language mail is written in and
-- whether they want mail at all.

-- +goose Up
ALTER TABLE users ADD COLUMN language text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN mail_off numeric NOT NULL DEFAULT false;

CREATE TABLE notifications (
    id            integer PRIMARY KEY AUTOINCREMENT,
    user_id       integer NOT NULL,
    kind          text NOT NULL,
    assessment_id integer,
    card_id       text NOT NULL DEFAULT '',
    comment       text NOT NULL DEFAULT '',
    created_at    datetime NOT NULL,
    read_at       datetime
);
CREATE INDEX ix_notification_user ON notifications (user_id, id);

CREATE TABLE mail_outbox (
    id              integer PRIMARY KEY AUTOINCREMENT,
    user_id         integer NOT NULL,
    "to"            text NOT NULL,
    language        text NOT NULL,
    kind            text NOT NULL,
    data            blob,
    created_at      datetime NOT NULL,
    next_attempt_at datetime NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    claim           text NOT NULL DEFAULT '',
    sent_at         datetime
);
CREATE INDEX ix_outbox_due ON mail_outbox (sent_at, next_attempt_at);

CREATE TABLE password_resets (
    id         text,
    user_id    integer NOT NULL,
    created_at datetime NOT NULL,
    expires_at datetime NOT NULL,
    used_at    datetime,
    PRIMARY KEY (id)
);
CREATE INDEX idx_password_resets_user_id ON password_resets (user_id);

-- +goose Down
DROP TABLE password_resets;
DROP TABLE mail_outbox;
DROP TABLE notifications;
ALTER TABLE users DROP COLUMN mail_off;
ALTER TABLE users DROP COLUMN language;
