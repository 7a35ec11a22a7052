-- Issue 13, part 1 (accounts that can be run for years). A retired
-- service keeps its assessments and cards but gets no new assessments;
-- nothing an assessment or card refers to is ever deleted. Users already
-- have disabled_at.

-- +goose Up
ALTER TABLE services ADD COLUMN retired_at datetime;

-- +goose Down
ALTER TABLE services DROP COLUMN retired_at;
