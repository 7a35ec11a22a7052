-- Issue 17 (interstate). Peers: other instances an admin trusts, with the
-- DID document, log key and witness key confirmed by fingerprint. The
-- witness side: the latest checkpoint cosigned per log origin and the
-- evidence of refused, inconsistent ones. The log side: cosignatures
-- collected from peers' witnesses and the outbox of checkpoint pushes.

-- +goose Up
CREATE TABLE peers (
    id           integer PRIMARY KEY AUTOINCREMENT,
    base_url     text NOT NULL,
    status       text NOT NULL,
    did          text NOT NULL DEFAULT '',
    did_document text NOT NULL DEFAULT '',
    log_origin   text NOT NULL DEFAULT '',
    log_key      text NOT NULL DEFAULT '',
    witness_key  text NOT NULL DEFAULT '',
    created_at   datetime NOT NULL,
    confirmed_at datetime,
    ended_at     datetime,
    checked_at   datetime,
    problem      text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX ux_peer_base_url ON peers (base_url);

CREATE TABLE witnessed_logs (
    origin     text,
    peer_id    integer NOT NULL,
    size       integer NOT NULL,
    root       blob NOT NULL,
    note       text NOT NULL,
    updated_at datetime NOT NULL,
    PRIMARY KEY (origin)
);

CREATE TABLE witness_evidence (
    id            integer PRIMARY KEY AUTOINCREMENT,
    origin        text NOT NULL,
    peer_id       integer NOT NULL,
    cosigned_size integer NOT NULL,
    cosigned_note text NOT NULL,
    request       text NOT NULL,
    reason        text NOT NULL,
    created_at    datetime NOT NULL
);

CREATE TABLE log_cosignatures (
    size       integer,
    peer_id    integer,
    signature  text NOT NULL,
    created_at datetime NOT NULL,
    PRIMARY KEY (size, peer_id)
);

CREATE TABLE witness_outbox (
    id              integer PRIMARY KEY AUTOINCREMENT,
    peer_id         integer NOT NULL,
    size            integer NOT NULL,
    created_at      datetime NOT NULL,
    next_attempt_at datetime NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    claim           text NOT NULL DEFAULT '',
    done_at         datetime
);
CREATE INDEX ix_witness_outbox_due ON witness_outbox (done_at, next_attempt_at);

-- +goose Down
DROP TABLE witness_outbox;
DROP TABLE log_cosignatures;
DROP TABLE witness_evidence;
DROP TABLE witnessed_logs;
DROP TABLE peers;
