package main

import (
	"cmp"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// countryRow is one country of a comparison, with names for display.
type countryRow struct {
	assessments.CountryScores
	Name      frameworks.Text
	Subregion string
	Level     int
}

// regionRow is the service-weighted mean of a group of countries.
type regionRow struct {
	ID         string
	Name       frameworks.Text
	Countries  int
	Services   int
	Overall    assessments.Stat
	Dimensions map[string]assessments.Stat
	dimN       map[string]int // services behind each dimension's mean
}

// trendRow is one country's mean overall score per period.
type trendRow struct {
	Code   string
	Name   frameworks.Text
	Values []float64 // per comparison.TrendPeriods; NaN where there is none
}

// comparison is what the comparison page, API and exports show.
type comparison struct {
	Edition      *frameworks.Edition
	Period       int
	Periods      []int
	Selected     []string // the countries asked for; empty: all
	Subregion    string   // the subregion asked for, if any
	Countries    []countryRow
	Suppressed   []string // countries with too few approved services for the public view
	Subregions   []regionRow
	Region       *regionRow
	Trend        []trendRow
	TrendPeriods []int
	Public       bool // the minimum-services rule applies to this viewer
	MinServices  int
	Chart        radarChart
	ChartLimited bool // more countries than the chart shows
}

const maxChartSeries = 6

// comparison reads the query (framework, version, period, countries or
// subregion) and aggregates the approved assessments. Reviewers and admins
// see every country; everyone else only countries with at least
// MinServices approved services, so that single agencies are not exposed.
func (s *server) comparison(c echo.Context) (*comparison, error) {
	ctx := c.Request().Context()
	fwID := c.QueryParam("framework")
	if fwID == "" {
		fwID = frameworks.DefaultID
	}
	ed, ok := s.editions.Edition(fwID, c.QueryParam("version"))
	if !ok {
		return nil, &assessments.ValidationError{Fields: map[string]assessments.Message{"framework": {Format: "no framework edition %q %s", Args: []any{fwID, c.QueryParam("version")}}}}
	}
	cmpn := &comparison{Edition: ed, MinServices: s.cfg.PublicMinServices}
	cmpn.Public = !actorOf(c).SeesAllCountries()
	var err error
	if cmpn.Periods, err = s.store.Periods(ctx, ed.ID, ed.Version); err != nil {
		return nil, err
	}
	switch p := c.QueryParam("period"); {
	case p != "":
		if cmpn.Period, err = strconv.Atoi(p); err != nil {
			return nil, &assessments.ValidationError{Fields: map[string]assessments.Message{"period": {Format: "must be a year"}}}
		}
	case len(cmpn.Periods) > 0:
		cmpn.Period = cmpn.Periods[0]
	}
	countries := s.store.Countries()
	for _, code := range strings.Split(strings.ToUpper(strings.Join(c.QueryParams()["countries"], ",")), ",") {
		if code = strings.TrimSpace(code); code == "" {
			continue
		}
		if _, ok := countries.Country(code); !ok {
			return nil, &assessments.ValidationError{Fields: map[string]assessments.Message{"countries": {Format: "%q is not the ISO 3166-1 alpha-3 code of an ESCAP member or associate member", Args: []any{code}}}}
		}
		if !slices.Contains(cmpn.Selected, code) {
			cmpn.Selected = append(cmpn.Selected, code)
		}
	}
	if sub := c.QueryParam("subregion"); sub != "" {
		if _, ok := countries.Subregion(sub); !ok {
			return nil, &assessments.ValidationError{Fields: map[string]assessments.Message{"subregion": {Format: "no such subregion"}}}
		}
		cmpn.Subregion = sub
		for _, ct := range countries.List {
			if ct.Subregion == sub && !slices.Contains(cmpn.Selected, ct.Code) {
				cmpn.Selected = append(cmpn.Selected, ct.Code)
			}
		}
	}
	rows, err := s.store.Compare(ctx, assessments.CompareQuery{FrameworkID: ed.ID, Version: ed.Version, Period: cmpn.Period, Countries: cmpn.Selected})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if cmpn.Public && r.Services < cmpn.MinServices {
			cmpn.Suppressed = append(cmpn.Suppressed, r.Code)
			continue
		}
		row := countryRow{CountryScores: r, Level: ed.LevelFor(r.Overall.Mean).Level}
		if ct, ok := countries.Country(r.Code); ok {
			row.Name, row.Subregion = ct.Name, ct.Subregion
		}
		cmpn.Countries = append(cmpn.Countries, row)
	}
	// The ranking: highest overall mean first, then by code.
	slices.SortStableFunc(cmpn.Countries, func(a, b countryRow) int {
		return cmp.Or(cmp.Compare(b.Overall.Mean, a.Overall.Mean), strings.Compare(a.Code, b.Code))
	})
	cmpn.regions(countries)
	if err := cmpn.trend(s, c); err != nil {
		return nil, err
	}
	cmpn.chart(s, langOf(c))
	return cmpn, nil
}

// regions computes subregion and whole-region means from the shown
// countries only: a suppressed country must not leak through an average.
func (cmpn *comparison) regions(countries *assessments.Countries) {
	groups := map[string]*regionRow{}
	all := &regionRow{ID: "ALL", Dimensions: map[string]assessments.Stat{}, dimN: map[string]int{}}
	for _, r := range cmpn.Countries {
		g := groups[r.Subregion]
		if g == nil {
			g = &regionRow{ID: r.Subregion, Dimensions: map[string]assessments.Stat{}, dimN: map[string]int{}}
			if sub, ok := countries.Subregion(r.Subregion); ok {
				g.Name = sub.Name
			}
			groups[r.Subregion] = g
		}
		for _, agg := range []*regionRow{g, all} {
			agg.add(r.CountryScores)
		}
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
func (g *regionRow) add(c assessments.CountryScores) {
	merge := func(old assessments.Stat, oldN int, s assessments.Stat, n int) assessments.Stat {
		if oldN == 0 {
			return s
		}
		return assessments.Stat{
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
func (cmpn *comparison) trend(s *server, c echo.Context) error {
	var codes []string
	for _, r := range cmpn.Countries {
		codes = append(codes, r.Code)
	}
	if len(codes) == 0 {
		return nil
	}
	points, err := s.store.Trend(c.Request().Context(), cmpn.Edition.ID, cmpn.Edition.Version, codes)
	if err != nil {
		return err
	}
	cmpn.TrendPeriods = slices.Clone(cmpn.Periods)
	slices.Sort(cmpn.TrendPeriods)
	for _, r := range cmpn.Countries {
		tr := trendRow{Code: r.Code, Name: r.Name, Values: make([]float64, len(cmpn.TrendPeriods))}
		for i := range tr.Values {
			tr.Values[i] = math.NaN()
		}
		for _, p := range points {
			if p.Country != r.Code || (cmpn.Public && p.Services < cmpn.MinServices) {
				continue
			}
			if i := slices.Index(cmpn.TrendPeriods, p.Period); i >= 0 {
				tr.Values[i] = p.Mean
			}
		}
		cmpn.Trend = append(cmpn.Trend, tr)
	}
	return nil
}

// chart overlays the first countries of the ranking on a radar chart.
func (cmpn *comparison) chart(s *server, lang string) {
	ch := &cmpn.Chart
	ch.ID, ch.Title, ch.Desc = "compare-radar", s.msgs.T(lang, "compare.chart.title"), s.msgs.T(lang, "compare.chart.desc")
	for _, d := range cmpn.Edition.Dimensions {
		ch.Axes = append(ch.Axes, d.Title.In(lang))
	}
	for _, lv := range cmpn.Edition.Levels[1:] {
		ch.Rings = append(ch.Rings, lv.Min)
	}
	ch.Rings = append(ch.Rings, 100)
	for i, r := range cmpn.Countries {
		if i == maxChartSeries {
			cmpn.ChartLimited = true
			break
		}
		series := radarSeries{Name: r.Name.In(lang)}
		for _, d := range cmpn.Edition.Dimensions {
			v := math.NaN()
			if st, ok := r.Dimensions[d.ID]; ok {
				v = st.Mean
			}
			series.Values = append(series.Values, v)
		}
		ch.Series = append(ch.Series, series)
	}
}

// Selects reports whether a country was asked for, for the form.
func (cmpn *comparison) Selects(code string) bool { return slices.Contains(cmpn.Selected, code) }

// Dim is a country's statistics for a dimension, or nil if none of its
// services has a score there.
func (r countryRow) Dim(id string) *assessments.Stat { return statOf(r.Dimensions, id) }

// Dim is a group's statistics for a dimension, or nil.
func (g regionRow) Dim(id string) *assessments.Stat { return statOf(g.Dimensions, id) }

func statOf(m map[string]assessments.Stat, id string) *assessments.Stat {
	if st, ok := m[id]; ok {
		return &st
	}
	return nil
}

// Spark draws a trend as a small line for the table row that gives the
// same numbers; it is decoration for sighted readers (aria-hidden).
func (t trendRow) Spark() template.HTML {
	const w, h = 80.0, 20.0
	var pts []string
	for i, v := range t.Values {
		if math.IsNaN(v) {
			continue
		}
		x := 2.0
		if len(t.Values) > 1 {
			x = 2 + float64(i)*(w-4)/float64(len(t.Values)-1)
		}
		pts = append(pts, strconv.FormatFloat(x, 'f', 1, 64)+","+strconv.FormatFloat(h-2-v*(h-4)/100, 'f', 1, 64))
	}
	if len(pts) == 0 {
		return ""
	}
	return template.HTML(`<svg class="spark" viewBox="0 0 80 20" width="80" height="20" aria-hidden="true" focusable="false"><polyline fill="none" stroke="#0b4f8a" stroke-width="2" points="` +
		strings.Join(pts, " ") + `"/></svg>`)
}

// showCompare is the comparison page: choose an edition, a period and
// countries or a subregion; see a heatmap, a radar chart, the ranking,
// regional averages and the trend.
func (s *server) showCompare(c echo.Context) error {
	cmpn, err := s.comparison(c)
	if err != nil {
		return err
	}
	v := s.render.view(c, s.msgs.T(langOf(c), "compare.title"), map[string]any{
		"C": cmpn, "Countries": s.store.Countries(), "Editions": s.editions.Editions(), "Query": c.QueryString(),
	})
	return c.Render(http.StatusOK, "compare", v)
}
