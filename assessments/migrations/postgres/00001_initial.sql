-- The schema GORM's AutoMigrate made up to release 28e81e5, written out.
-- Databases made by that release already have it and are recorded as
-- being at this version without running it (see baseline in migrate.go).
-- bigserial makes the same table_id_seq sequences AutoMigrate made.

-- +goose Up
CREATE TABLE editions (
    id           bigserial PRIMARY KEY,
    framework_id text NOT NULL,
    version      text NOT NULL,
    digest       text NOT NULL,
    content      bytea NOT NULL,
    locked_at    timestamptz,
    created_at   timestamptz,
    updated_at   timestamptz
);
CREATE UNIQUE INDEX ux_edition_version ON editions (framework_id, version);

CREATE TABLE organisations (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    country    varchar(3) NOT NULL,
    kind       text NOT NULL,
    created_at timestamptz,
    updated_at timestamptz
);
CREATE INDEX idx_organisations_country ON organisations (country);
CREATE UNIQUE INDEX ux_org_name_country ON organisations (name, country);

CREATE TABLE users (
    id                   bigserial PRIMARY KEY,
    email                text NOT NULL,
    name                 text NOT NULL,
    password_hash        text NOT NULL,
    role                 text NOT NULL,
    organisation_id      bigint,
    must_change_password boolean NOT NULL DEFAULT false,
    disabled_at          timestamptz,
    created_at           timestamptz,
    updated_at           timestamptz,
    CONSTRAINT fk_users_organisation FOREIGN KEY (organisation_id) REFERENCES organisations (id)
);
CREATE INDEX idx_users_organisation_id ON users (organisation_id);
CREATE UNIQUE INDEX idx_users_email ON users (email);

CREATE TABLE sessions (
    id           varchar(64) PRIMARY KEY,
    user_id      bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX idx_sessions_expires_at ON sessions (expires_at);
CREATE INDEX idx_sessions_user_id ON sessions (user_id);

CREATE TABLE api_tokens (
    id           varchar(64) PRIMARY KEY,
    prefix       text NOT NULL,
    user_id      bigint NOT NULL,
    name         text NOT NULL,
    created_at   timestamptz,
    expires_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX idx_api_tokens_user_id ON api_tokens (user_id);

CREATE TABLE login_attempts (
    id  bigserial PRIMARY KEY,
    key text NOT NULL,
    at  timestamptz NOT NULL
);
CREATE INDEX ix_login_attempt_key_at ON login_attempts (key, at);

CREATE TABLE services (
    id              bigserial PRIMARY KEY,
    organisation_id bigint NOT NULL,
    name            text NOT NULL,
    category        text NOT NULL,
    life_event      text NOT NULL DEFAULT '',
    url             text NOT NULL DEFAULT '',
    description     text NOT NULL DEFAULT '',
    created_at      timestamptz,
    updated_at      timestamptz
);
CREATE UNIQUE INDEX ux_service_org_name ON services (organisation_id, name);

CREATE TABLE assessments (
    id                bigserial PRIMARY KEY,
    service_id        bigint NOT NULL,
    organisation_id   bigint NOT NULL,
    country           varchar(3) NOT NULL,
    framework_id      text NOT NULL,
    framework_version text NOT NULL,
    period            bigint NOT NULL,
    status            text NOT NULL,
    version           bigint NOT NULL,
    score             numeric,
    level             bigint,
    created_by_id     bigint NOT NULL,
    submitted_at      timestamptz,
    approved_at       timestamptz,
    created_at        timestamptz,
    updated_at        timestamptz,
    CONSTRAINT fk_assessments_service FOREIGN KEY (service_id) REFERENCES services (id) ON DELETE RESTRICT
);
CREATE INDEX idx_assessments_status ON assessments (status);
CREATE INDEX ix_assessment_compare ON assessments (framework_id, framework_version, period, status, country);
CREATE INDEX idx_assessments_country ON assessments (country);
CREATE INDEX idx_assessments_organisation_id ON assessments (organisation_id);
CREATE UNIQUE INDEX ux_assessment_service_period ON assessments (service_id, framework_id, period);

CREATE TABLE answers (
    assessment_id bigint NOT NULL,
    indicator_id  varchar(64) NOT NULL,
    data          bytea NOT NULL,
    version       bigint NOT NULL,
    updated_by_id bigint NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (assessment_id, indicator_id)
);

CREATE TABLE dimension_scores (
    assessment_id     bigint NOT NULL,
    dimension_id      varchar(64) NOT NULL,
    framework_id      text NOT NULL,
    framework_version text NOT NULL,
    period            bigint NOT NULL,
    approved          boolean NOT NULL,
    country           varchar(3) NOT NULL,
    score             numeric NOT NULL,
    level             bigint NOT NULL,
    PRIMARY KEY (assessment_id, dimension_id)
);
CREATE INDEX ix_dimension_compare ON dimension_scores (framework_id, framework_version, period, approved, country, dimension_id, score);

CREATE TABLE country_aggregates (
    framework_id      varchar(100) NOT NULL,
    framework_version varchar(50) NOT NULL,
    period            bigint NOT NULL,
    country           varchar(3) NOT NULL,
    dimension_id      varchar(64) NOT NULL,
    n                 bigint NOT NULL,
    sum               numeric NOT NULL,
    min               numeric NOT NULL,
    max               numeric NOT NULL,
    PRIMARY KEY (framework_id, framework_version, period, country, dimension_id)
);

CREATE TABLE transitions (
    id            bigserial PRIMARY KEY,
    assessment_id bigint NOT NULL,
    "from"        text NOT NULL,
    "to"          text NOT NULL,
    actor_id      bigint NOT NULL,
    comment       text NOT NULL DEFAULT '',
    at            timestamptz NOT NULL,
    CONSTRAINT fk_transitions_actor FOREIGN KEY (actor_id) REFERENCES users (id)
);
CREATE INDEX idx_transitions_assessment_id ON transitions (assessment_id);

CREATE TABLE review_comments (
    id            bigserial PRIMARY KEY,
    assessment_id bigint NOT NULL,
    transition_id bigint NOT NULL,
    indicator_id  varchar(64) NOT NULL,
    comment       text NOT NULL,
    author_id     bigint NOT NULL,
    at            timestamptz NOT NULL
);
CREATE INDEX idx_review_comments_transition_id ON review_comments (transition_id);
CREATE INDEX idx_review_comments_assessment_id ON review_comments (assessment_id);

CREATE TABLE audit_events (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor_id    bigint,
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   text NOT NULL,
    before      bytea,
    after       bytea
);
CREATE INDEX idx_audit_events_action ON audit_events (action);
CREATE INDEX idx_audit_events_actor_id ON audit_events (actor_id);
CREATE INDEX idx_audit_events_at ON audit_events (at);

CREATE TABLE cards (
    id             varchar(36) PRIMARY KEY,
    assessment_id  bigint NOT NULL,
    data           bytea NOT NULL,
    leaf_hash      varchar(64) NOT NULL,
    status_list    bigint NOT NULL,
    status_index   bigint NOT NULL,
    log_index      bigint NOT NULL,
    issued_at      timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text NOT NULL DEFAULT '',
    revoked_by_id  bigint
);
CREATE UNIQUE INDEX ux_card_status ON cards (status_list, status_index);
CREATE UNIQUE INDEX idx_cards_leaf_hash ON cards (leaf_hash);
CREATE UNIQUE INDEX idx_cards_assessment_id ON cards (assessment_id);

CREATE TABLE status_lists (
    id         bigint PRIMARY KEY,
    bits       bytea NOT NULL,
    credential bytea NOT NULL,
    updated_at timestamptz
);

CREATE TABLE tlog_hashes (
    index bigint PRIMARY KEY,
    hash  bytea NOT NULL
);

CREATE TABLE tlog_checkpoints (
    size bigint PRIMARY KEY,
    note text NOT NULL
);

CREATE TABLE issuer_keys (
    id                   varchar(200) PRIMARY KEY,
    public_key_multibase text NOT NULL,
    created_at           timestamptz
);

-- No Down: the application never migrates down; restore a backup instead.
