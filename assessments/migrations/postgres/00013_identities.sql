-- Issue 21 (single sign-on). identities links an OpenID Connect identity
-- (issuer + subject) to a DMF account. A row an admin adds before the
-- person has signed in names the provider's verified email instead and
-- has no subject yet; the first sign-in with that email fills it in. The
-- same table GORM's AutoMigrate makes for Identity.

-- +goose Up
CREATE TABLE identities (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL,
    provider        varchar(64) NOT NULL,
    issuer          varchar(500) NOT NULL,
    subject         varchar(255),
    email           varchar(254) NOT NULL,
    created_at      timestamptz NOT NULL,
    last_sign_in_at timestamptz
);
CREATE INDEX idx_identities_user_id ON identities (user_id);
CREATE UNIQUE INDEX ux_identity_issuer_subject ON identities (issuer, subject);

-- +goose Down
DROP TABLE identities;
