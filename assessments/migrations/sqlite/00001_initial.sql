-- The schema GORM's AutoMigrate made up to release 28e81e5, written out.
-- Databases made by that release already have it and are recorded as
-- being at this version without running it (see baseline in migrate.go).
-- Types are SQLite's affinities as GORM wrote them: the driver reads a
-- column declared datetime back as a time.

-- +goose Up
CREATE TABLE editions (
    id           integer PRIMARY KEY AUTOINCREMENT,
    framework_id text NOT NULL,
    version      text NOT NULL,
    digest       text NOT NULL,
    content      blob NOT NULL,
    locked_at    datetime,
    created_at   datetime,
    updated_at   datetime
);
CREATE UNIQUE INDEX ux_edition_version ON editions (framework_id, version);

CREATE TABLE organisations (
    id         integer PRIMARY KEY AUTOINCREMENT,
    name       text NOT NULL,
    country    text NOT NULL,
    kind       text NOT NULL,
    created_at datetime,
    updated_at datetime
);
CREATE INDEX idx_organisations_country ON organisations (country);
CREATE UNIQUE INDEX ux_org_name_country ON organisations (name, country);

CREATE TABLE users (
    id                   integer PRIMARY KEY AUTOINCREMENT,
    email                text NOT NULL,
    name                 text NOT NULL,
    password_hash        text NOT NULL,
    role                 text NOT NULL,
    organisation_id      integer,
    must_change_password numeric NOT NULL DEFAULT false,
    disabled_at          datetime,
    created_at           datetime,
    updated_at           datetime,
    CONSTRAINT fk_users_organisation FOREIGN KEY (organisation_id) REFERENCES organisations (id)
);
CREATE INDEX idx_users_organisation_id ON users (organisation_id);
CREATE UNIQUE INDEX idx_users_email ON users (email);

CREATE TABLE sessions (
    id           text,
    user_id      integer NOT NULL,
    created_at   datetime NOT NULL,
    last_seen_at datetime NOT NULL,
    expires_at   datetime NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX idx_sessions_expires_at ON sessions (expires_at);
CREATE INDEX idx_sessions_user_id ON sessions (user_id);

CREATE TABLE api_tokens (
    id           text,
    prefix       text NOT NULL,
    user_id      integer NOT NULL,
    name         text NOT NULL,
    created_at   datetime,
    expires_at   datetime NOT NULL,
    last_used_at datetime,
    revoked_at   datetime,
    PRIMARY KEY (id)
);
CREATE INDEX idx_api_tokens_user_id ON api_tokens (user_id);

CREATE TABLE login_attempts (
    id  integer PRIMARY KEY AUTOINCREMENT,
    key text NOT NULL,
    at  datetime NOT NULL
);
CREATE INDEX ix_login_attempt_key_at ON login_attempts (key, at);

CREATE TABLE services (
    id              integer PRIMARY KEY AUTOINCREMENT,
    organisation_id integer NOT NULL,
    name            text NOT NULL,
    category        text NOT NULL,
    life_event      text NOT NULL DEFAULT '',
    url             text NOT NULL DEFAULT '',
    description     text NOT NULL DEFAULT '',
    created_at      datetime,
    updated_at      datetime
);
CREATE UNIQUE INDEX ux_service_org_name ON services (organisation_id, name);

CREATE TABLE assessments (
    id                integer PRIMARY KEY AUTOINCREMENT,
    service_id        integer NOT NULL,
    organisation_id   integer NOT NULL,
    country           text NOT NULL,
    framework_id      text NOT NULL,
    framework_version text NOT NULL,
    period            integer NOT NULL,
    status            text NOT NULL,
    version           integer NOT NULL,
    score             real,
    level             integer,
    created_by_id     integer NOT NULL,
    submitted_at      datetime,
    approved_at       datetime,
    created_at        datetime,
    updated_at        datetime,
    CONSTRAINT fk_assessments_service FOREIGN KEY (service_id) REFERENCES services (id) ON DELETE RESTRICT
);
CREATE INDEX idx_assessments_status ON assessments (status);
CREATE INDEX ix_assessment_compare ON assessments (framework_id, framework_version, period, status, country);
CREATE INDEX idx_assessments_country ON assessments (country);
CREATE INDEX idx_assessments_organisation_id ON assessments (organisation_id);
CREATE UNIQUE INDEX ux_assessment_service_period ON assessments (service_id, framework_id, period);

CREATE TABLE answers (
    assessment_id integer,
    indicator_id  text,
    data          blob NOT NULL,
    version       integer NOT NULL,
    updated_by_id integer NOT NULL,
    updated_at    datetime NOT NULL,
    PRIMARY KEY (assessment_id, indicator_id)
);

CREATE TABLE dimension_scores (
    assessment_id     integer,
    dimension_id      text,
    framework_id      text NOT NULL,
    framework_version text NOT NULL,
    period            integer NOT NULL,
    approved          numeric NOT NULL,
    country           text NOT NULL,
    score             real NOT NULL,
    level             integer NOT NULL,
    PRIMARY KEY (assessment_id, dimension_id)
);
CREATE INDEX ix_dimension_compare ON dimension_scores (framework_id, framework_version, period, approved, country, dimension_id, score);

CREATE TABLE country_aggregates (
    framework_id      text,
    framework_version text,
    period            integer,
    country           text,
    dimension_id      text,
    n                 integer NOT NULL,
    sum               real NOT NULL,
    min               real NOT NULL,
    max               real NOT NULL,
    PRIMARY KEY (framework_id, framework_version, period, country, dimension_id)
);

CREATE TABLE transitions (
    id            integer PRIMARY KEY AUTOINCREMENT,
    assessment_id integer NOT NULL,
    "from"        text NOT NULL,
    "to"          text NOT NULL,
    actor_id      integer NOT NULL,
    comment       text NOT NULL DEFAULT '',
    at            datetime NOT NULL,
    CONSTRAINT fk_transitions_actor FOREIGN KEY (actor_id) REFERENCES users (id)
);
CREATE INDEX idx_transitions_assessment_id ON transitions (assessment_id);

CREATE TABLE review_comments (
    id            integer PRIMARY KEY AUTOINCREMENT,
    assessment_id integer NOT NULL,
    transition_id integer NOT NULL,
    indicator_id  text NOT NULL,
    comment       text NOT NULL,
    author_id     integer NOT NULL,
    at            datetime NOT NULL
);
CREATE INDEX idx_review_comments_transition_id ON review_comments (transition_id);
CREATE INDEX idx_review_comments_assessment_id ON review_comments (assessment_id);

CREATE TABLE audit_events (
    id          integer PRIMARY KEY AUTOINCREMENT,
    at          datetime NOT NULL,
    actor_id    integer,
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   text NOT NULL,
    before      blob,
    after       blob
);
CREATE INDEX idx_audit_events_action ON audit_events (action);
CREATE INDEX idx_audit_events_actor_id ON audit_events (actor_id);
CREATE INDEX idx_audit_events_at ON audit_events (at);

CREATE TABLE cards (
    id             text,
    assessment_id  integer NOT NULL,
    data           blob NOT NULL,
    leaf_hash      text NOT NULL,
    status_list    integer NOT NULL,
    status_index   integer NOT NULL,
    log_index      integer NOT NULL,
    issued_at      datetime NOT NULL,
    revoked_at     datetime,
    revoked_reason text NOT NULL DEFAULT '',
    revoked_by_id  integer,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ux_card_status ON cards (status_list, status_index);
CREATE UNIQUE INDEX idx_cards_leaf_hash ON cards (leaf_hash);
CREATE UNIQUE INDEX idx_cards_assessment_id ON cards (assessment_id);

CREATE TABLE status_lists (
    id         integer,
    bits       blob NOT NULL,
    credential blob NOT NULL,
    updated_at datetime,
    PRIMARY KEY (id)
);

CREATE TABLE tlog_hashes (
    "index" integer,
    hash    blob NOT NULL,
    PRIMARY KEY ("index")
);

CREATE TABLE tlog_checkpoints (
    size integer,
    note text NOT NULL,
    PRIMARY KEY (size)
);

CREATE TABLE issuer_keys (
    id                   text,
    public_key_multibase text NOT NULL,
    created_at           datetime,
    PRIMARY KEY (id)
);

-- No Down: the application never migrates down; restore a backup instead.
