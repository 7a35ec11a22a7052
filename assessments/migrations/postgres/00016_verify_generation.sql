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
CREATE FUNCTION bump_verify_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_generations SET n = n + 1 WHERE id = 2;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER verify_issuer_keys AFTER INSERT OR UPDATE OR DELETE ON issuer_keys
    FOR EACH ROW EXECUTE FUNCTION bump_verify_generation();
CREATE TRIGGER verify_peers AFTER INSERT OR UPDATE OR DELETE ON peers
    FOR EACH ROW EXECUTE FUNCTION bump_verify_generation();
CREATE TRIGGER verify_status_lists AFTER INSERT OR UPDATE OR DELETE ON status_lists
    FOR EACH ROW EXECUTE FUNCTION bump_verify_generation();
CREATE TRIGGER verify_checkpoints AFTER INSERT OR UPDATE OR DELETE ON tlog_checkpoints
    FOR EACH ROW EXECUTE FUNCTION bump_verify_generation();
CREATE TRIGGER verify_cosignatures AFTER INSERT OR UPDATE OR DELETE ON log_cosignatures
    FOR EACH ROW EXECUTE FUNCTION bump_verify_generation();

-- +goose Down
DROP TRIGGER verify_cosignatures ON log_cosignatures;
DROP TRIGGER verify_checkpoints ON tlog_checkpoints;
DROP TRIGGER verify_status_lists ON status_lists;
DROP TRIGGER verify_peers ON peers;
DROP TRIGGER verify_issuer_keys ON issuer_keys;
DROP FUNCTION bump_verify_generation();
DELETE FROM auth_generations WHERE id = 2;
