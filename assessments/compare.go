package assessments

import (
	"context"

	"github.com/unescap/dmf/frameworks"
	"gorm.io/gorm"
)

// Stat is a mean with its range, over approved services.
type Stat struct {
	Mean float64
	Min  float64
	Max  float64
}

// CountryScores is one country's comparison: the mean, minimum and maximum
// over the approved assessment of each of its services in the period,
// overall and per dimension.
type CountryScores struct {
	Code       string
	Services   int
	Overall    Stat
	Dimensions map[string]Stat
	// Sources are the base URLs of the trusted peers whose verified cards
	// the country's scores come from; empty: this instance's own
	// assessments (see withPeerScores for the rule).
	Sources []string
}

// countryScores reads the running totals kept at approval: one assessment
// per service and period (the schema guarantees it), grouped by country.
// It reads a few rows per country, never the assessments or their
// answers, so it stays fast with hundreds of thousands of assessments.
// Countries empty means every country; the result is in code order.
func (s *Store) countryScores(ctx context.Context, ed *frameworks.Edition, period int, countries []string) ([]CountryScores, error) {
	db := s.db.WithContext(ctx).Where("framework_id = ? AND framework_version = ? AND period = ?", ed.ID, ed.Version, period)
	if len(countries) > 0 {
		db = db.Where("country IN ?", countries)
	}
	var rows []countryAggregate
	if err := db.Order("country, dimension_id").Find(&rows).Error; err != nil {
		return nil, err
	}
	var out []CountryScores
	for _, r := range rows {
		if r.N == 0 {
			continue
		}
		st := Stat{Mean: r.Sum / float64(r.N), Min: r.Min, Max: r.Max}
		if r.DimensionID == "" { // rows of a country start with its overall
			out = append(out, CountryScores{Code: r.Country, Services: r.N, Overall: st, Dimensions: map[string]Stat{}})
			continue
		}
		if n := len(out); n > 0 && out[n-1].Code == r.Country {
			out[n-1].Dimensions[r.DimensionID] = st
		}
	}
	return s.withPeerScores(ctx, ed, period, countries, out)
}

// trendPoint is a country's mean overall score in one period.
type trendPoint struct {
	Country  string
	Period   int
	Services int
	Mean     float64
}

// trendPoints returns each country's mean overall score per period, for
// an edition, ordered by country and period.
func (s *Store) trendPoints(ctx context.Context, ed *frameworks.Edition, countries []string) ([]trendPoint, error) {
	q := s.db.WithContext(ctx).Where("framework_id = ? AND framework_version = ? AND dimension_id = ''", ed.ID, ed.Version)
	if len(countries) > 0 {
		q = q.Where("country IN ?", countries)
	}
	var rows []countryAggregate
	if err := q.Order("country, period").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]trendPoint, 0, len(rows))
	for _, r := range rows {
		if r.N > 0 {
			out = append(out, trendPoint{Country: r.Country, Period: r.Period, Services: r.N, Mean: r.Sum / float64(r.N)})
		}
	}
	return s.withPeerTrend(ctx, ed, countries, out)
}

// periods lists the periods with approved assessments of an edition,
// newest first.
func (s *Store) periods(ctx context.Context, ed *frameworks.Edition) ([]int, error) {
	var out []int
	err := s.db.WithContext(ctx).Model(&countryAggregate{}).
		Where("framework_id = ? AND framework_version = ? AND dimension_id = '' AND n > 0", ed.ID, ed.Version).
		Distinct().Order("period DESC").Pluck("period", &out).Error
	if err != nil {
		return nil, err
	}
	return s.peerPeriods(ctx, ed, out)
}

// ApprovedRow is one approved assessment with its stored scores, for the
// analysts' export.
type ApprovedRow struct {
	Assessment
	Organisation string
	Dimensions   map[string]float64
}

// Approved returns every approved assessment of an edition (all periods
// when period is 0) with its organisation and stored dimension scores.
// Only reviewers and admins may export them.
func (s *Store) Approved(ctx context.Context, by Actor, frameworkID, version string, period int) (_ []ApprovedRow, err error) {
	defer wrap(&err, "list approved assessments")
	if !by.SeesAllOrganisations() {
		return nil, ErrForbidden
	}
	approved := func(db *gorm.DB) *gorm.DB {
		db = db.Where("framework_id = ? AND framework_version = ? AND status = ?", frameworkID, version, StatusApproved)
		if period != 0 {
			db = db.Where("period = ?", period)
		}
		return db
	}
	var as []Assessment
	if err := approved(s.db.WithContext(ctx).Preload("Service")).Order("country, period, id").Find(&as).Error; err != nil {
		return nil, err
	}
	orgs, err := s.Organisations(ctx)
	if err != nil {
		return nil, err
	}
	names := map[uint]string{}
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	var ds []dimensionScore
	// By assessment, through the primary key (dimension_scores has no
	// other index).
	ids := approved(s.db.Model(&Assessment{}).Select("id"))
	if err := s.db.WithContext(ctx).Where("approved = ? AND assessment_id IN (?)", true, ids).Find(&ds).Error; err != nil {
		return nil, err
	}
	scores := map[uint]map[string]float64{}
	for _, d := range ds {
		if scores[d.AssessmentID] == nil {
			scores[d.AssessmentID] = map[string]float64{}
		}
		scores[d.AssessmentID][d.DimensionID] = d.Score
	}
	out := make([]ApprovedRow, len(as))
	for i, a := range as {
		out[i] = ApprovedRow{Assessment: a, Organisation: names[a.OrganisationID], Dimensions: scores[a.ID]}
	}
	return out, nil
}
