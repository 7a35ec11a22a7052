package main

import (
	"cmp"
	"errors"
	"math"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// dimensionRow is one line of the result table, the radar chart's twin.
type dimensionRow struct {
	Dim    *frameworks.Dimension
	Value  assessments.DimensionResult
	Prev   float64 // NaN when there is no previous score
	Change float64
	Note   string // how the dimension relates to the previous assessment's edition
}

// HasPrev reports whether the previous assessment scored this dimension.
func (r dimensionRow) HasPrev() bool { return !math.IsNaN(r.Prev) }

// indicatorResult is one answered indicator with its score and advice.
type indicatorResult struct {
	Dim    *frameworks.Dimension
	Ind    *frameworks.Indicator
	Answer assessments.Answer
	Score  float64
	Level  int // the indicator's own level (level indicators) or its band
	Top    int
	Advice *frameworks.Recommendation // how to reach the next level; nil at the top
}

type resultPage struct {
	*assessments.View
	Rows      []dimensionRow
	Previous  *assessments.Assessment
	Strengths []indicatorResult
	Gaps      []indicatorResult
	Items     []indicatorResult // every indicator, in edition order, for the report
	Chart     radarChart
	CapNote   string // why the overall level is capped, if it is
	// When the previous assessment used another edition: what that does
	// to the comparison, and the indicators it makes incomparable.
	EditionNote   string
	NotComparable []string
	Plan          *planForm // the assessment's improvement plan
	// Practices counts the region's published practices by indicator,
	// linked from each gap; Shareable marks the indicators where this
	// assessment's organisation may share its own.
	Practices map[string]assessments.PracticeCount
	Shareable map[string]bool
	Carried   *assessments.PlanProgress // the previous assessment's plan, read against this one; nil if none
}

// resultPage computes what the result and report pages show.
func (s *server) resultPage(c echo.Context, v *assessments.View) (*resultPage, error) {
	lang := langOf(c)
	ed := v.Edition
	p := &resultPage{View: v}
	p.CapNote = s.capNote(lang, ed, v.Result.Overall)
	prevScores := map[string]float64{}
	prev, err := s.store.Previous(c.Request().Context(), actorOf(c), v.Assessment)
	switch {
	case err == nil:
		p.Previous = prev
		if prevScores, err = s.store.StoredScores(c.Request().Context(), prev); err != nil {
			return nil, err
		}
	case !errors.Is(err, assessments.ErrNotFound):
		return nil, err
	}
	// A previous assessment on another edition is compared through the
	// edition's replaces: a dimension's previous score is that of the one
	// dimension it continues, and none where the edition changed it.
	var mapping *frameworks.Mapping
	if prev != nil && prev.FrameworkVersion != ed.Version {
		if old, ok := s.editions.Edition(prev.FrameworkID, prev.FrameworkVersion); ok {
			mapping, _ = s.editions.Mapping(old, ed)
		}
		if mapping == nil {
			p.EditionNote = s.msgs.T(lang, "result.edition.unmapped", prev.Period, prev.FrameworkVersion)
			prevScores = map[string]float64{}
		} else {
			p.EditionNote = s.msgs.T(lang, "result.edition.changed", prev.Period, prev.FrameworkVersion, ed.Version)
			if !mapping.OverallComparable() {
				p.EditionNote += " " + s.msgs.T(lang, "result.edition.overall", prev.Period, ed.Version)
			}
			mapped := map[string]float64{}
			for _, dim := range ed.Dimensions {
				if l := mapping.Dimension(dim.ID); l.Comparable() {
					if ps, ok := prevScores[l.From[0]]; ok {
						mapped[dim.ID] = ps
					}
				}
				for _, ind := range dim.Indicators {
					if l := mapping.Indicator(ind.ID); !l.Comparable() {
						p.NotComparable = append(p.NotComparable, ind.ID+": "+s.linkNote(lang, mapping, l))
					}
				}
			}
			prevScores = mapped
		}
	}
	current := radarSeries{Name: s.msgs.T(lang, "result.series.current", v.Assessment.Period)}
	previous := radarSeries{}
	if prev != nil {
		previous.Name = s.msgs.T(lang, "result.series.previous", prev.Period)
	}
	for i := range ed.Dimensions {
		dim := &ed.Dimensions[i]
		dr := v.Result.Dimensions[i]
		row := dimensionRow{Dim: dim, Value: dr, Prev: math.NaN()}
		if mapping != nil {
			row.Note = s.linkNote(lang, mapping, mapping.Dimension(dim.ID))
		}
		if ps, ok := prevScores[dim.ID]; ok {
			row.Prev = ps
			if dr.Value.Scored {
				row.Change = assessments.Round1(dr.Value.Score) - assessments.Round1(ps)
			}
		}
		p.Rows = append(p.Rows, row)
		p.Chart.Axes, p.Chart.Codes = append(p.Chart.Axes, dim.Title.In(lang)), append(p.Chart.Codes, dim.ID)
		current.Values = append(current.Values, scoreOrNaN(dr.Value))
		previous.Values = append(previous.Values, row.Prev)
		for j := range dim.Indicators {
			ind := &dim.Indicators[j]
			a, ok := v.Answers[ind.ID]
			if !ind.Scored() || !ok || a.NA {
				continue
			}
			score, ok := assessments.IndicatorScore(ind, a)
			level, top, lok := assessments.LevelOf(ed, ind, a)
			if !ok || !lok {
				continue
			}
			ir := indicatorResult{Dim: dim, Ind: ind, Answer: a, Score: score, Level: level, Top: top}
			// Below the top, the advice for moving up; at the top, only
			// advice written for it ("sustain and share"), never a lower one.
			if rec, ok := ind.Recommendation(level); ok && (level < top || rec.Level == top) {
				ir.Advice = &rec
			}
			p.Items = append(p.Items, ir)
		}
	}
	p.Chart.ID, p.Chart.Title, p.Chart.Desc = "result-radar", s.msgs.T(lang, "result.chart.title"), s.msgs.T(lang, "result.chart.desc")
	// Rings at the level thresholds show which band each score is in.
	for _, lv := range ed.Levels[1:] {
		p.Chart.Rings = append(p.Chart.Rings, lv.Min)
	}
	p.Chart.Rings = append(p.Chart.Rings, 100)
	p.Chart.Series = []radarSeries{current}
	if prev != nil {
		p.Chart.Series = append(p.Chart.Series, previous)
	}
	p.Strengths, p.Gaps = strengthsAndGaps(p.Items, 5)
	return p, nil
}

func scoreOrNaN(v assessments.Value) float64 {
	if !v.Scored {
		return math.NaN()
	}
	return v.Score
}

// strengthsAndGaps picks the best-scored indicators at level 4 or above,
// and the gaps that weigh most on the result: weight × distance to 100.
func strengthsAndGaps(items []indicatorResult, n int) (strengths, gaps []indicatorResult) {
	for _, it := range items {
		if it.Level >= it.Top-1 && it.Score >= 75 {
			strengths = append(strengths, it)
		}
		if it.Score < 100 {
			gaps = append(gaps, it)
		}
	}
	slices.SortStableFunc(strengths, func(a, b indicatorResult) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(b.Ind.Weight, a.Ind.Weight))
	})
	slices.SortStableFunc(gaps, func(a, b indicatorResult) int {
		return cmp.Compare(b.Ind.Weight*(100-b.Score), a.Ind.Weight*(100-a.Score))
	})
	return strengths[:min(n, len(strengths))], gaps[:min(n, len(gaps))]
}

// shareable marks the indicators of an approved assessment at level 4 or
// 5 where its organisation has no practice waiting or published yet.
func (s *server) shareable(c echo.Context, v *assessments.View) (map[string]bool, error) {
	out := map[string]bool{}
	if v.Assessment.Status != assessments.StatusApproved || !actorOf(c).CanPlan(v.Assessment) {
		return out, nil
	}
	mine, err := s.store.PracticesOf(c.Request().Context(), actorOf(c), v.Assessment.ID)
	if err != nil {
		return nil, err
	}
	for id := range v.Answers {
		level, _ := assessments.PlanLevels(v.Edition, v.Answers, id)
		p, shared := mine[id]
		out[id] = level >= assessments.PracticeMinLevel && (!shared || p.Status == assessments.PracticeReturned)
	}
	return out, nil
}

// showResult shows scores, the radar chart with its table, strengths,
// gaps and the advice for each indicator below the top level.
func (s *server) showResult(c echo.Context) error { return s.renderResult(c, "result") }

// showReport is the full printable report: every answer, comment,
// evidence link and recommendation.
func (s *server) showReport(c echo.Context) error { return s.renderResult(c, "report") }

// renderResult renders the result or report page of the path's assessment.
func (s *server) renderResult(c echo.Context, page string) error {
	return s.renderResultWith(c, page, http.StatusOK, nil, nil)
}

// renderResultWith renders the result or report page, with the plan form
// as sent and its problems when a plan was refused.
func (s *server) renderResultWith(c echo.Context, page string, status int, sent []planRow, ve *assessments.ValidationError) error {
	v, err := s.loadAssessment(c)
	if err != nil {
		return err
	}
	p, err := s.resultPage(c, v)
	if err != nil {
		return err
	}
	if p.Plan, err = s.planForm(c, v, sent); err != nil {
		return err
	}
	if p.Practices, err = s.store.PracticeCounts(c.Request().Context(), v.Edition.ID); err != nil {
		return err
	}
	if p.Shareable, err = s.shareable(c, v); err != nil {
		return err
	}
	if p.Carried, err = s.store.CarriedPlan(c.Request().Context(), actorOf(c), v, p.Previous); err != nil {
		return err
	}
	pv := s.render.view(c, s.msgs.T(langOf(c), page+".title")+": "+v.Assessment.Service.Name, p).withErrors(ve)
	pv.Notice = s.notice(c)
	return c.Render(status, page, pv)
}
