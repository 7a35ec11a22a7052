package assessments

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"strings"

	"github.com/unescap/dmf/frameworks"
)

// ComparisonQuery is what a viewer asks to compare.
type ComparisonQuery struct {
	FrameworkID string   // empty: frameworks.DefaultID
	Version     string   // empty: the framework's newest edition
	Period      int      // 0: the newest period with approved assessments
	Countries   []string // ISO 3166-1 alpha-3 codes; with no Subregion either, every country
	Subregion   string   // adds the subregion's countries to Countries
	MinServices int      // approved services a country needs in the public view
	// Dimension opens the drill-down: each country's scores on the
	// dimension's indicators. Category restricts the drill-down to the
	// services of one category.
	Dimension string
	Category  string
}

// Comparison is everything the comparison shows: the page, its JSON and
// its exports all render this and nothing else, so that the privacy rule
// is applied in one place.
type Comparison struct {
	Edition      *frameworks.Edition
	Period       int
	Periods      []int    // periods with approved assessments, newest first
	Selected     []string // the countries asked for, subregion included; empty: all
	Subregion    string
	Countries    []ComparedCountry // ranked: highest overall mean first, then by code
	Suppressed   []string          // too few approved services for the public view
	Subregions   []RegionScores    // in the order of the country list's subregions
	Region       *RegionScores     // every shown country; nil when none is shown
	Trend        []CountryTrend    // one per shown country, in ranking order
	TrendPeriods []int             // oldest first
	Public       bool              // the minimum-services rule applied to this viewer
	MinServices  int
	// Basket is, per shown country in ranking order, the edition's basket
	// services it has approved assessments of in the period; nil when the
	// edition has no basket.
	Basket []BasketRow

	// Earlier editions of the framework: those whose years the trend
	// includes because the compared edition continues their dimensions one
	// to one, and those left out because it changed them.
	TrendFrom, TrendBroken []*frameworks.Edition

	// Dimension is the dimension drilled into, nil without one; Category
	// the service category it is restricted to, "" for all.
	Dimension *frameworks.Dimension
	Category  string
}

// ComparedCountry is one shown country of a comparison.
type ComparedCountry struct {
	CountryScores
	Name      frameworks.Text
	Subregion string
	Level     int  // of the overall mean, held below a gate as a service's is
	CappedBy  *Cap // the gate holding Level below the band of the mean, if any
	// Drill is the country's scores on the drilled dimension's indicators;
	// nil without a dimension.
	Drill *DrillDown
}

// RegionScores is the service-weighted mean of a group of shown countries.
type RegionScores struct {
	ID         string // a subregion id, or "ALL" for the whole region
	Name       frameworks.Text
	Countries  int
	Services   int
	Overall    Stat
	Dimensions map[string]Stat
	dimN       map[string]int // services behind each dimension's mean
}

// CountryTrend is one country's mean overall score per period.
type CountryTrend struct {
	Code     string
	Name     frameworks.Text
	Values   []float64 // per Comparison.TrendPeriods; NaN where there is none
	Versions []string  // the edition version of each value; "" where there is none
}

// Comparison aggregates the approved assessments of an edition by country.
// Reviewers and admins see every country; everyone else only countries
// with at least MinServices approved services, in the period and in each
// period of the trend, so that a single agency's scores are never exposed,
// not even through a regional mean.
func (s *Store) Comparison(ctx context.Context, by Actor, q ComparisonQuery) (_ *Comparison, err error) {
	defer wrap(&err, "compare countries")
	ed, err := s.comparedEdition(q.FrameworkID, q.Version)
	if err != nil {
		return nil, err
	}
	cmpn := &Comparison{Edition: ed, Public: !by.SeesAllCountries(), MinServices: q.MinServices}
	if cmpn.Selected, err = s.selection(q.Countries, q.Subregion); err != nil {
		return nil, err
	}
	cmpn.Subregion = q.Subregion
	if cmpn.Periods, err = s.periods(ctx, ed); err != nil {
		return nil, err
	}
	switch {
	case q.Period != 0:
		if q.Period < MinPeriod || q.Period > MaxPeriod {
			return nil, fieldError("period", "must be a year between %d and %d", MinPeriod, MaxPeriod)
		}
		cmpn.Period = q.Period
	case len(cmpn.Periods) > 0:
		cmpn.Period = cmpn.Periods[0]
	}
	var drills map[string]*DrillDown
	if q.Dimension != "" || q.Category != "" {
		dim, ok := ed.Dimension(q.Dimension)
		if !ok {
			return nil, fieldError("dimension", "edition %s has no dimension %q", ed.Key(), q.Dimension)
		}
		if q.Category != "" && !slices.Contains(ServiceCategories, q.Category) {
			return nil, fieldError("category", "must be one of: %s", strings.Join(ServiceCategories, ", "))
		}
		cmpn.Dimension, cmpn.Category = dim, q.Category
		if drills, err = s.drillDown(ctx, ed, cmpn.Period, dim, q.Category, cmpn.Selected); err != nil {
			return nil, err
		}
	}
	scores, err := s.countryScores(ctx, ed, cmpn.Period, cmpn.Selected)
	if err != nil {
		return nil, err
	}
	for _, sc := range scores {
		if cmpn.Dimension != nil {
			// The drill-down's own count decides, so that a category with
			// one agency's service in it stays hidden from the public.
			dd := drills[sc.Code]
			if dd == nil {
				continue // no service of the category: nothing to show or hide
			}
			if !cmpn.shows(dd.Services) {
				cmpn.Suppressed = append(cmpn.Suppressed, sc.Code)
				continue
			}
		}
		if !cmpn.shows(sc.Services) {
			cmpn.Suppressed = append(cmpn.Suppressed, sc.Code)
			continue
		}
		row := ComparedCountry{CountryScores: sc}
		row.Level, row.CappedBy = GateLevel(ed, ed.LevelFor(sc.Overall.Mean).Level, func(id string) int {
			if st, ok := sc.Dimensions[id]; ok {
				return ed.LevelFor(st.Mean).Level
			}
			return 0
		})
		if ct, ok := s.countries.Country(sc.Code); ok {
			row.Name, row.Subregion = ct.Name, ct.Subregion
		}
		if cmpn.Dimension != nil {
			row.Drill = drills[sc.Code]
		}
		cmpn.Countries = append(cmpn.Countries, row)
	}
	slices.SortStableFunc(cmpn.Countries, func(a, b ComparedCountry) int {
		return cmp.Or(cmp.Compare(b.Overall.Mean, a.Overall.Mean), strings.Compare(a.Code, b.Code))
	})
	cmpn.regions(s.countries)
	if err := s.trend(ctx, cmpn); err != nil {
		return nil, err
	}
	if err := s.basket(ctx, cmpn); err != nil {
		return nil, err
	}
	return cmpn, nil
}

// shows reports whether a country with this many approved services in a
// period may be shown to the viewer.
func (cmpn *Comparison) shows(services int) bool {
	return !cmpn.Public || services >= cmpn.MinServices
}

// comparedEdition resolves the framework asked for among the editions the
// instance knows.
func (s *Store) comparedEdition(id, version string) (*frameworks.Edition, error) {
	if s.editions == nil {
		return nil, errors.New("comparison: the store has no editions (SyncEditions was not called)")
	}
	if id == "" {
		id = frameworks.DefaultID
	}
	ed, ok := s.editions.Edition(id, version)
	if !ok {
		return nil, fieldError("framework", "no framework edition %q %s", id, version)
	}
	return ed, nil
}

// selection checks the countries asked for and adds a subregion's, each
// once, in the order asked.
func (s *Store) selection(codes []string, subregion string) ([]string, error) {
	var out []string
	for _, code := range codes {
		if code = strings.ToUpper(strings.TrimSpace(code)); code == "" {
			continue
		}
		if _, ok := s.countries.Country(code); !ok {
			return nil, fieldError("countries", "%q is not the ISO 3166-1 alpha-3 code of an ESCAP member or associate member", code)
		}
		if !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	if subregion == "" {
		return out, nil
	}
	if _, ok := s.countries.Subregion(subregion); !ok {
		return nil, fieldError("subregion", "no such subregion")
	}
	for _, code := range s.countries.InSubregion(subregion) {
		if !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	return out, nil
}

// regions computes subregion and whole-region means from the shown
// countries only: a suppressed country must not leak through an average.
func (cmpn *Comparison) regions(countries *Countries) {
	groups := map[string]*RegionScores{}
	all := &RegionScores{ID: "ALL", Dimensions: map[string]Stat{}, dimN: map[string]int{}}
	for _, r := range cmpn.Countries {
		g := groups[r.Subregion]
		if g == nil {
			g = &RegionScores{ID: r.Subregion, Dimensions: map[string]Stat{}, dimN: map[string]int{}}
			if sub, ok := countries.Subregion(r.Subregion); ok {
				g.Name = sub.Name
			}
			groups[r.Subregion] = g
		}
		g.add(r.CountryScores)
		all.add(r.CountryScores)
	}
	for _, sub := range countries.Subregions {
		if g := groups[sub.ID]; g != nil {
			cmpn.Subregions = append(cmpn.Subregions, *g)
		}
	}
	if all.Countries > 0 {
		cmpn.Region = all
	}
}

// add folds a country into a group, weighting means by services.
func (g *RegionScores) add(c CountryScores) {
	merge := func(old Stat, oldN int, s Stat, n int) Stat {
		if oldN == 0 {
			return s
		}
		return Stat{
			Mean: (old.Mean*float64(oldN) + s.Mean*float64(n)) / float64(oldN+n),
			Min:  math.Min(old.Min, s.Min), Max: math.Max(old.Max, s.Max),
		}
	}
	for id, st := range c.Dimensions {
		g.Dimensions[id] = merge(g.Dimensions[id], g.dimN[id], st, c.Services)
		g.dimN[id] += c.Services
	}
	g.Overall = merge(g.Overall, g.Services, c.Overall, c.Services)
	g.Services += c.Services
	g.Countries++
}

// trend fills each shown country's mean per period. The public view keeps
// the same rule per period: a period with too few services shows no value.
// Years assessed on an earlier edition are included where the compared
// edition continues its dimensions one to one and has no value of its own
// for that country and year; otherwise they are left out and the edition
// is named in TrendBroken.
func (s *Store) trend(ctx context.Context, cmpn *Comparison) error {
	if len(cmpn.Countries) == 0 {
		return nil
	}
	codes := make([]string, len(cmpn.Countries))
	for i, r := range cmpn.Countries {
		codes[i] = r.Code
	}
	points, err := s.trendPoints(ctx, cmpn.Edition, codes)
	if err != nil {
		return err
	}
	type key struct {
		country string
		period  int
	}
	chosen := map[key]trendPoint{}
	version := map[key]string{}
	for _, p := range points {
		chosen[key{p.Country, p.Period}], version[key{p.Country, p.Period}] = p, cmpn.Edition.Version
	}
	cmpn.TrendPeriods = slices.Clone(cmpn.Periods)
	for old, ok := s.editions.Previous(cmpn.Edition); ok; old, ok = s.editions.Previous(old) {
		older, err := s.trendPoints(ctx, old, codes)
		if err != nil {
			return err
		}
		if len(older) == 0 {
			continue
		}
		if m, ok := s.editions.Mapping(old, cmpn.Edition); !ok || !m.OverallComparable() {
			cmpn.TrendBroken = append(cmpn.TrendBroken, old)
			continue
		}
		cmpn.TrendFrom = append(cmpn.TrendFrom, old)
		for _, p := range older {
			k := key{p.Country, p.Period}
			if _, have := chosen[k]; !have {
				chosen[k], version[k] = p, old.Version
			}
			if !slices.Contains(cmpn.TrendPeriods, p.Period) {
				cmpn.TrendPeriods = append(cmpn.TrendPeriods, p.Period)
			}
		}
	}
	slices.Sort(cmpn.TrendPeriods)
	for _, r := range cmpn.Countries {
		tr := CountryTrend{Code: r.Code, Name: r.Name, Values: make([]float64, len(cmpn.TrendPeriods)), Versions: make([]string, len(cmpn.TrendPeriods))}
		for i, period := range cmpn.TrendPeriods {
			tr.Values[i] = math.NaN()
			if p, ok := chosen[key{r.Code, period}]; ok && cmpn.shows(p.Services) {
				tr.Values[i], tr.Versions[i] = p.Mean, version[key{r.Code, period}]
			}
		}
		cmpn.Trend = append(cmpn.Trend, tr)
	}
	return nil
}

// Selects reports whether a country was asked for.
func (cmpn *Comparison) Selects(code string) bool { return slices.Contains(cmpn.Selected, code) }

// Dim is a country's statistics for a dimension, or nil if none of its
// services has a score there.
func (r ComparedCountry) Dim(id string) *Stat { return statOf(r.Dimensions, id) }

// Dim is a group's statistics for a dimension, or nil.
func (g RegionScores) Dim(id string) *Stat { return statOf(g.Dimensions, id) }

func statOf(m map[string]Stat, id string) *Stat {
	if st, ok := m[id]; ok {
		return &st
	}
	return nil
}
