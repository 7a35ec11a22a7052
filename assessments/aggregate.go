package assessments

import (
	"context"

	"gorm.io/gorm"
)

// addToAggregates folds an approved assessment's scores into its country's
// running totals. The SQL is plain ON CONFLICT with CASE, which SQLite and
// PostgreSQL both accept.
func addToAggregates(tx *gorm.DB, a *Assessment, res Result) error {
	var rows []countryAggregate
	row := func(dim string, v Value) {
		if v.Scored {
			rows = append(rows, countryAggregate{FrameworkID: a.FrameworkID, FrameworkVersion: a.FrameworkVersion, Period: a.Period,
				Country: a.Country, DimensionID: dim, N: 1, Sum: v.Score, Min: v.Score, Max: v.Score})
		}
	}
	row("", res.Overall)
	for _, d := range res.Dimensions {
		row(d.ID, d.Value)
	}
	return insertRows(tx, "country_aggregates", []string{"framework_id", "framework_version", "period", "country", "dimension_id", "n", "sum", "min", "max"},
		len(rows), func(i int) []any {
			r := &rows[i]
			return []any{r.FrameworkID, r.FrameworkVersion, r.Period, r.Country, r.DimensionID, r.N, r.Sum, r.Min, r.Max}
		},
		" ON CONFLICT (framework_id, framework_version, period, country, dimension_id) DO UPDATE SET"+
			" n = country_aggregates.n + excluded.n, sum = country_aggregates.sum + excluded.sum,"+
			" min = CASE WHEN excluded.min < country_aggregates.min THEN excluded.min ELSE country_aggregates.min END,"+
			" max = CASE WHEN excluded.max > country_aggregates.max THEN excluded.max ELSE country_aggregates.max END")
}

// RebuildAggregates recomputes every country total from the stored scores
// of approved assessments, after a bulk load or to repair a copy.
func (s *Store) RebuildAggregates(ctx context.Context) (err error) {
	defer wrap(&err, "rebuild comparison totals")
	return s.write(ctx, func(tx *gorm.DB) error { return rebuildAggregates(tx) })
}

func rebuildAggregates(tx *gorm.DB) error {
	if err := tx.Where("1 = 1").Delete(&countryAggregate{}).Error; err != nil {
		return err
	}
	if err := tx.Exec(`INSERT INTO country_aggregates (framework_id, framework_version, period, country, dimension_id, n, sum, min, max)
		SELECT framework_id, framework_version, period, country, '', COUNT(*), SUM(score), MIN(score), MAX(score)
		FROM assessments WHERE status = ? AND score IS NOT NULL GROUP BY framework_id, framework_version, period, country`, StatusApproved).Error; err != nil {
		return err
	}
	return tx.Exec(`INSERT INTO country_aggregates (framework_id, framework_version, period, country, dimension_id, n, sum, min, max)
		SELECT framework_id, framework_version, period, country, dimension_id, COUNT(*), SUM(score), MIN(score), MAX(score)
		FROM dimension_scores WHERE approved = ? GROUP BY framework_id, framework_version, period, country, dimension_id`, true).Error
}
