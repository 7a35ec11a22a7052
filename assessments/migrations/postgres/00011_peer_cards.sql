-- Issue 17 §5 (the regional hub). peer_cards keeps the cards of trusted
-- peers, each verified in full before it is kept, with what the comparison
-- reads from it; revoked is set when a later sync finds the peer revoked
-- it. peer_syncs is how far the feed of each peer has been read.

-- +goose Up
CREATE TABLE peer_cards (
    id                varchar(300) PRIMARY KEY,
    peer_id           bigint NOT NULL,
    log_index         bigint NOT NULL,
    data              bytea NOT NULL,
    issuer            text NOT NULL,
    country           text NOT NULL,
    category          text NOT NULL DEFAULT '',
    service           text NOT NULL,
    service_name      text NOT NULL DEFAULT '',
    provider          text NOT NULL DEFAULT '',
    framework_id      text NOT NULL,
    framework_version text NOT NULL,
    period            bigint NOT NULL,
    score             numeric NOT NULL,
    level             bigint NOT NULL,
    dimensions        text NOT NULL,
    status_list       text NOT NULL DEFAULT '',
    revoked           boolean NOT NULL DEFAULT false,
    verified_at       timestamptz NOT NULL,
    created_at        timestamptz NOT NULL
);
CREATE UNIQUE INDEX ux_peer_card_log ON peer_cards (peer_id, log_index);
CREATE INDEX ix_peer_cards_compare ON peer_cards (framework_id, framework_version, period, country);

CREATE TABLE peer_syncs (
    peer_id   bigint PRIMARY KEY,
    after     bigint NOT NULL,
    synced_at timestamptz,
    kept      bigint NOT NULL DEFAULT 0,
    refused   bigint NOT NULL DEFAULT 0,
    problem   text NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE peer_syncs;
DROP TABLE peer_cards;
