-- Issue 13 (lists that scale). The assessment lists page newest change first
-- by default, and the audit log filters by target; without these indexes both
-- read every row to show one page. Searches (LIKE '%…%') cannot use a b-tree
-- index and need none here: they narrow already small lists of names.

-- +goose Up
CREATE INDEX idx_assessments_updated_at ON assessments (updated_at);
CREATE INDEX ix_audit_target ON audit_events (target_type, target_id);

-- +goose Down
DROP INDEX ix_audit_target;
DROP INDEX idx_assessments_updated_at;
