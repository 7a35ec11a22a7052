-- Issue 15 (speed). Comparisons read country_aggregates and score_histograms,
-- so ix_dimension_compare served only the export of approved assessments.
-- Each submission and approval moved an assessment's six or so entries in
-- it, each on its own page (the index is ordered by country and dimension,
-- not by assessment): about twelve of the 28 pages an approval wrote. The
-- export now finds the scores by assessment, through the primary key.

-- +goose Up
DROP INDEX ix_dimension_compare;

-- +goose Down
CREATE INDEX ix_dimension_compare ON dimension_scores (framework_id, framework_version, period, approved, country, dimension_id, score);
