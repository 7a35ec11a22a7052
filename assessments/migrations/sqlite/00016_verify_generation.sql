-- Issue 15 (speed). Verification reads the same few rows again and again:
-- the instance's issuer keys, its trusted peers, its status lists, the
-- latest checkpoint with its cosignatures and the proofs under it. They
-- are cached in each instance, and row 2 of auth_generations counts every
-- change to them, made by triggers as for row 1, so that no code path can
-- forget and every instance sees a change on its next verification.
-- (tlog_hashes and cards are written only with a new checkpoint.)

-- +goose Up
INSERT INTO auth_generations (id, n) VALUES (2, 0);

-- +goose StatementBegin
CREATE TRIGGER verify_issuer_keys_inserted AFTER INSERT ON issuer_keys
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 2; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER verify_issuer_keys_updated AFTER UPDATE ON issuer_keys
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 2; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER verify_issuer_keys_deleted AFTER DELETE ON issuer_keys
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 2; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER verify_peers_inserted AFTER INSERT ON peers
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 2; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER verify_peers_updated AFTER UPDATE ON peers
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 2; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER verify_peers_deleted AFTER DELETE ON peers
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 2; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER verify_status_lists_inserted AFTER INSERT ON status_lists
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 2; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER verify_status_lists_updated AFTER UPDATE ON status_lists
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 2; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER verify_status_lists_deleted AFTER DELETE ON status_lists
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 2; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER verify_checkpoints_inserted AFTER INSERT ON tlog_checkpoints
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 2; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER verify_checkpoints_updated AFTER UPDATE ON tlog_checkpoints
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 2; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER verify_checkpoints_deleted AFTER DELETE ON tlog_checkpoints
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 2; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER verify_cosignatures_inserted AFTER INSERT ON log_cosignatures
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 2; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER verify_cosignatures_updated AFTER UPDATE ON log_cosignatures
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 2; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER verify_cosignatures_deleted AFTER DELETE ON log_cosignatures
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 2; END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER verify_cosignatures_deleted;
DROP TRIGGER verify_cosignatures_updated;
DROP TRIGGER verify_cosignatures_inserted;
DROP TRIGGER verify_checkpoints_deleted;
DROP TRIGGER verify_checkpoints_updated;
DROP TRIGGER verify_checkpoints_inserted;
DROP TRIGGER verify_status_lists_deleted;
DROP TRIGGER verify_status_lists_updated;
DROP TRIGGER verify_status_lists_inserted;
DROP TRIGGER verify_peers_deleted;
DROP TRIGGER verify_peers_updated;
DROP TRIGGER verify_peers_inserted;
DROP TRIGGER verify_issuer_keys_deleted;
DROP TRIGGER verify_issuer_keys_updated;
DROP TRIGGER verify_issuer_keys_inserted;
DELETE FROM auth_generations WHERE id = 2;
