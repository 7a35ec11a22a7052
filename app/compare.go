package main

import (
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

// comparePage is the comparison with what only the web shows: the radar
// chart. The rules (who sees which country, ranking, averages) are the
// domain's: see assessments.Store.Comparison.
type comparePage struct {
	*assessments.Comparison
	Chart        radarChart
	ChartLimited bool // more countries than the chart shows
}

const maxChartSeries = 6

// comparison reads the query (framework, version, period, countries or
// subregion) and asks the store for the comparison the viewer may see.
func (s *server) comparison(c echo.Context) (*comparePage, error) {
	period, err := assessments.ParsePeriod(c.QueryParam("period"))
	if err != nil {
		return nil, err
	}
	dimension := c.QueryParam("dimension")
	if d := c.Param("dim"); d != "" { // the drill-down page's path
		dimension = d
	}
	cmpn, err := s.store.Comparison(c.Request().Context(), actorOf(c), assessments.ComparisonQuery{
		FrameworkID: c.QueryParam("framework"), Version: c.QueryParam("version"), Period: period,
		Countries: strings.Split(strings.Join(c.QueryParams()["countries"], ","), ","),
		Subregion: c.QueryParam("subregion"), MinServices: s.cfg.PublicMinServices,
		Dimension: dimension, Category: c.QueryParam("category"),
	})
	if err != nil {
		return nil, err
	}
	p := &comparePage{Comparison: cmpn}
	p.chart(s, langOf(c))
	return p, nil
}

// chart overlays the first countries of the ranking on a radar chart.
func (cmpn *comparePage) chart(s *server, lang string) {
	ch := &cmpn.Chart
	ch.ID, ch.Title, ch.Desc = "compare-radar", s.msgs.T(lang, "compare.chart.title"), s.msgs.T(lang, "compare.chart.desc")
	for _, d := range cmpn.Edition.Dimensions {
		ch.Axes, ch.Codes = append(ch.Axes, d.Title.In(lang)), append(ch.Codes, d.ID)
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

// Spark draws a trend as a small line for the table row that gives the
// same numbers; it is decoration for sighted readers (aria-hidden).
func (*comparePage) Spark(t assessments.CountryTrend) template.HTML {
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
		"C": cmpn, "Countries": s.store.Countries(), "Editions": s.editions.Editions(), "Query": queryOf(c),
	})
	return c.Render(http.StatusOK, "compare", v)
}

// showCompareDimension is the drill-down: a country × indicator heatmap
// of one dimension, with each country's spread beside its mean, for one
// service category or all.
func (s *server) showCompareDimension(c echo.Context) error {
	cmpn, err := s.comparison(c)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	q.Del("category")
	q.Del("dimension")
	download := c.QueryParams()
	download.Set("dimension", cmpn.Dimension.ID)
	v := s.render.view(c, s.msgs.T(langOf(c), "drill.title", cmpn.Dimension.Title.In(langOf(c))), map[string]any{
		"C": cmpn, "Categories": assessments.ServiceCategories, "Keep": q, "Back": template.URL(q.Encode()), "Query": queryOf(c), "Download": template.URL(download.Encode()),
		"Heat": drillHeatmap(cmpn.Comparison),
	})
	return c.Render(http.StatusOK, "compare_dimension", v)
}

// queryOf is the request's query, re-encoded, for links that keep it
// after a fixed path: as a plain string the template would escape its "="
// and "&" (period%3d2026), and the links would lose every filter.
func queryOf(c echo.Context) template.URL {
	return template.URL(c.QueryParams().Encode())
}
