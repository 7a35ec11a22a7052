-- Issue 15 (speed). Requests authenticate from an in-process cache of
-- sessions and API tokens; auth_generations holds the number that tells every instance that
-- the cache is stale. Triggers count every change that can end or narrow
-- access (an account changed, disabled or deleted, its organisation
-- changed, a token revoked, a session ended), so no code path can forget
-- to, and a request reads the one number before trusting its cache.
-- Session and token use (last_seen_at, last_used_at) does not count.

-- +goose Up
CREATE TABLE auth_generations (
    id integer PRIMARY KEY,
    n  integer NOT NULL
);
INSERT INTO auth_generations (id, n) VALUES (1, 0);

-- +goose StatementBegin
CREATE TRIGGER auth_users_updated AFTER UPDATE ON users
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER auth_users_deleted AFTER DELETE ON users
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER auth_organisations_updated AFTER UPDATE ON organisations
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER auth_organisations_deleted AFTER DELETE ON organisations
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER auth_tokens_updated AFTER UPDATE OF user_id, expires_at, revoked_at ON api_tokens
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER auth_tokens_deleted AFTER DELETE ON api_tokens
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER auth_sessions_updated AFTER UPDATE OF user_id, expires_at ON sessions
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER auth_sessions_deleted AFTER DELETE ON sessions
BEGIN UPDATE auth_generations SET n = n + 1 WHERE id = 1; END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER auth_sessions_deleted;
DROP TRIGGER auth_sessions_updated;
DROP TRIGGER auth_tokens_deleted;
DROP TRIGGER auth_tokens_updated;
DROP TRIGGER auth_organisations_deleted;
DROP TRIGGER auth_organisations_updated;
DROP TRIGGER auth_users_deleted;
DROP TRIGGER auth_users_updated;
DROP TABLE auth_generations;
