-- Issue 21, part 2 (a second factor). totp_factors holds each user's TOTP
-- secret, sealed with a key outside the database, and the last time step
-- accepted, so that no code works twice; recovery_codes holds the hashes
-- of the single-use codes; passkeys the WebAuthn credentials and
-- passkey_challenges the one ceremony a user may have under way. A
-- session is pending until its second factor is given, and
-- users.second_factor_at says the user has one. The same tables and
-- columns GORM's AutoMigrate makes for the models.

-- +goose Up
CREATE TABLE totp_factors (
    user_id      integer PRIMARY KEY,
    sealed       blob NOT NULL,
    confirmed_at datetime,
    last_step    integer NOT NULL DEFAULT 0,
    created_at   datetime NOT NULL
);
CREATE TABLE recovery_codes (
    id      integer PRIMARY KEY AUTOINCREMENT,
    user_id integer NOT NULL,
    hash    text NOT NULL,
    used_at datetime
);
CREATE INDEX idx_recovery_codes_user_id ON recovery_codes (user_id);
CREATE TABLE passkeys (
    id           text PRIMARY KEY,
    user_id      integer NOT NULL,
    name         text NOT NULL,
    credential   blob NOT NULL,
    created_at   datetime NOT NULL,
    last_used_at datetime
);
CREATE INDEX idx_passkeys_user_id ON passkeys (user_id);
CREATE TABLE passkey_challenges (
    user_id    integer,
    kind       text,
    data       blob NOT NULL,
    expires_at datetime NOT NULL,
    PRIMARY KEY (user_id, kind)
);
ALTER TABLE sessions ADD COLUMN pending numeric NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN second_factor_at datetime;

-- +goose Down
ALTER TABLE users DROP COLUMN second_factor_at;
ALTER TABLE sessions DROP COLUMN pending;
DROP TABLE passkey_challenges;
DROP TABLE passkeys;
DROP TABLE recovery_codes;
DROP TABLE totp_factors;
