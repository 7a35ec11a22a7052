-- Issue 18 §2, last bullet: the published practices of trusted peers,
-- pulled at each sync beside their cards, are kept in practices itself so
-- that the one full-text index (the generated search column), the
-- filters and the counts serve them with the local ones. peer_id is 0 for
-- a practice of this instance; for a peer's, peer_practice_id is its id at
-- the peer, peer_card_id the kept peer card that attests its level, and
-- peer_service that card's subject (a service counted once). A peer's rows
-- have no local assessment, so the one-practice-per-indicator rule becomes
-- a partial index on local rows, and a peer's practice is unique by its id.

-- +goose Up
ALTER TABLE practices ADD COLUMN peer_id bigint NOT NULL DEFAULT 0;
ALTER TABLE practices ADD COLUMN peer_practice_id bigint NOT NULL DEFAULT 0;
ALTER TABLE practices ADD COLUMN peer_card_id varchar(300) NOT NULL DEFAULT '';
ALTER TABLE practices ADD COLUMN peer_service text NOT NULL DEFAULT '';
DROP INDEX ux_practice_assessment_indicator;
CREATE UNIQUE INDEX ux_practice_assessment_indicator ON practices (assessment_id, indicator_id) WHERE peer_id = 0;
CREATE UNIQUE INDEX ux_practice_peer ON practices (peer_id, peer_practice_id) WHERE peer_id <> 0;

-- +goose Down
DELETE FROM practices WHERE peer_id <> 0;
DROP INDEX ux_practice_peer;
DROP INDEX ux_practice_assessment_indicator;
CREATE UNIQUE INDEX ux_practice_assessment_indicator ON practices (assessment_id, indicator_id);
ALTER TABLE practices DROP COLUMN peer_service;
ALTER TABLE practices DROP COLUMN peer_card_id;
ALTER TABLE practices DROP COLUMN peer_practice_id;
ALTER TABLE practices DROP COLUMN peer_id;
