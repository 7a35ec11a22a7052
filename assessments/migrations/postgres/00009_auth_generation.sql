-- Issue 15 (speed). Requests authenticate from an in-process cache of
-- sessions and API tokens; auth_generations holds the number that tells every instance that
-- the cache is stale. Triggers count every change that can end or narrow
-- access (an account changed, disabled or deleted, its organisation
-- changed, a token revoked, a session ended), so no code path can forget
-- to, and a request reads the one number before trusting its cache.
-- Session and token use (last_seen_at, last_used_at) does not count.
-- Row triggers, so that a statement that changes nothing counts nothing.

-- +goose Up
CREATE TABLE auth_generations (
    id bigint PRIMARY KEY,
    n  bigint NOT NULL
);
INSERT INTO auth_generations (id, n) VALUES (1, 0);

-- +goose StatementBegin
CREATE FUNCTION bump_auth_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_generations SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER auth_users AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER auth_organisations AFTER UPDATE OR DELETE ON organisations
    FOR EACH ROW EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER auth_tokens AFTER UPDATE OF user_id, expires_at, revoked_at OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER auth_sessions AFTER UPDATE OF user_id, expires_at OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION bump_auth_generation();

-- +goose Down
DROP TRIGGER auth_sessions ON sessions;
DROP TRIGGER auth_tokens ON api_tokens;
DROP TRIGGER auth_organisations ON organisations;
DROP TRIGGER auth_users ON users;
DROP FUNCTION bump_auth_generation();
DROP TABLE auth_generations;
