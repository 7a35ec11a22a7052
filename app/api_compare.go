package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
	"github.com/xuri/excelize/v2"
)

type statJSON struct {
	Score float64 `json:"score"`
	Level int     `json:"level,omitempty"`
	Label string  `json:"label,omitempty"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
}

type dimStatJSON struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
}

type countryJSON struct {
	Code       string        `json:"code"`
	Name       string        `json:"name"`
	Subregion  string        `json:"subregion"`
	Services   int           `json:"services"`
	Rank       int           `json:"rank"`
	Overall    statJSON      `json:"overall"`
	Dimensions []dimStatJSON `json:"dimensions"`
	// Sources are the trusted peers (base URLs) whose verified cards the
	// country's scores come from; absent: this instance's own assessments.
	Sources []string `json:"sources,omitempty"`
	// With ?dimension=: the drilled dimension's spread over the country's
	// services (of the category, with ?category=) and each indicator's.
	Dimension  *spreadJSON  `json:"dimension,omitempty"`
	Indicators []spreadJSON `json:"indicators,omitempty"`
}

// spreadJSON is a drill-down cell: mean score, lowest, median, highest,
// and the number of services behind them.
type spreadJSON struct {
	ID       string  `json:"id"`
	Score    float64 `json:"score"`
	Min      float64 `json:"min"`
	Median   float64 `json:"median"`
	Max      float64 `json:"max"`
	Services int     `json:"services"`
}

func newSpreadJSON(id string, sp assessments.Spread) spreadJSON {
	r := assessments.Round1
	return spreadJSON{id, r(sp.Mean), r(sp.Min), r(sp.Median), r(sp.Max), sp.Services}
}

type regionJSON struct {
	ID         string        `json:"id"`
	Name       string        `json:"name"`
	Countries  int           `json:"countries"`
	Services   int           `json:"services"`
	Overall    statJSON      `json:"overall"`
	Dimensions []dimStatJSON `json:"dimensions"`
}

// comparisonJSON is GET /api/v1/compare (app/openapi.json), with subregion and
// whole-region averages added.
type comparisonJSON struct {
	Framework   editionRef    `json:"framework"`
	Period      int           `json:"period"`
	Countries   []countryJSON `json:"countries"`
	Suppressed  []string      `json:"suppressed"`
	MinServices int           `json:"min_services,omitempty"` // set when the public rule applied
	Subregions  []regionJSON  `json:"subregions"`
	Region      *regionJSON   `json:"region,omitempty"`
	// Basket is, per shown country, the approved services per basket
	// service of the edition; absent for editions without a basket.
	Basket []basketJSON `json:"basket,omitempty"`
	// Dimension and Category echo the drill-down asked for.
	Dimension string `json:"dimension,omitempty"`
	Category  string `json:"category,omitempty"`
}

type basketJSON struct {
	Code     string         `json:"code"`
	Services map[string]int `json:"services"` // basket service id → approved services; 0 when none
}

func (cmpn *comparePage) json(lang string) comparisonJSON {
	ed := cmpn.Edition
	stat := func(st assessments.Stat) statJSON {
		lv := ed.LevelFor(st.Mean)
		return statJSON{assessments.Round1(st.Mean), lv.Level, lv.Label.In(lang), assessments.Round1(st.Min), assessments.Round1(st.Max)}
	}
	dims := func(m map[string]assessments.Stat) []dimStatJSON {
		out := []dimStatJSON{}
		for _, d := range ed.Dimensions {
			if st, ok := m[d.ID]; ok {
				out = append(out, dimStatJSON{d.ID, assessments.Round1(st.Mean), assessments.Round1(st.Min), assessments.Round1(st.Max)})
			}
		}
		return out
	}
	region := func(r assessments.RegionScores) regionJSON {
		return regionJSON{r.ID, r.Name.In(lang), r.Countries, r.Services, stat(r.Overall), dims(r.Dimensions)}
	}
	out := comparisonJSON{Framework: editionRef{ed.ID, ed.Version, ed.Digest}, Period: cmpn.Period, Countries: []countryJSON{}, Suppressed: cmpn.Suppressed, Subregions: []regionJSON{}}
	if out.Suppressed == nil {
		out.Suppressed = []string{}
	}
	if cmpn.Public {
		out.MinServices = cmpn.MinServices
	}
	for i, r := range cmpn.Countries {
		overall := stat(r.Overall)
		overall.Level, overall.Label = r.Level, ed.LevelLabel(r.Level).In(lang) // held below a gate as on the page
		cj := countryJSON{Code: r.Code, Name: r.Name.In(lang), Subregion: r.Subregion, Services: r.Services, Rank: i + 1, Overall: overall, Dimensions: dims(r.Dimensions), Sources: r.Sources}
		if dd := r.Drill; dd != nil {
			d := newSpreadJSON(cmpn.Dimension.ID, dd.Dimension)
			cj.Dimension, cj.Indicators = &d, []spreadJSON{}
			for _, ind := range cmpn.Dimension.Indicators {
				if sp, ok := dd.Indicators[ind.ID]; ok {
					cj.Indicators = append(cj.Indicators, newSpreadJSON(ind.ID, sp))
				}
			}
		}
		out.Countries = append(out.Countries, cj)
	}
	if cmpn.Dimension != nil {
		out.Dimension, out.Category = cmpn.Dimension.ID, cmpn.Category
	}
	for _, r := range cmpn.Subregions {
		out.Subregions = append(out.Subregions, region(r))
	}
	if cmpn.Region != nil {
		r := region(*cmpn.Region)
		out.Region = &r
	}
	for _, r := range cmpn.Basket {
		b := basketJSON{Code: r.Code, Services: map[string]int{}}
		for _, bs := range ed.Basket {
			b.Services[bs.ID] = r.Services[bs.ID]
		}
		out.Basket = append(out.Basket, b)
	}
	return out
}

func apiLang(c echo.Context) string {
	if l := c.QueryParam("lang"); supported(l) {
		return l
	}
	return "en"
}

// apiCompare returns per-country overall and per-dimension scores.
func (s *server) apiCompare(c echo.Context) error {
	cmpn, err := s.comparison(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cmpn.json(apiLang(c)))
}

// table is the comparison as rows of cells, shared by CSV and XLSX; with
// a drill-down, one row per country and indicator.
func (cmpn *comparePage) table(lang string) [][]any {
	if cmpn.Dimension != nil {
		return cmpn.drillTable(lang)
	}
	head := []any{"rank", "code", "country", "subregion", "services", "overall", "overall_min", "overall_max", "level"}
	for _, d := range cmpn.Edition.Dimensions {
		head = append(head, d.ID, d.ID+"_min", d.ID+"_max")
	}
	head = append(head, "source") // last, so that the columns before keep their places
	rows := [][]any{head}
	for _, c := range cmpn.json(lang).Countries {
		row := []any{c.Rank, c.Code, c.Name, c.Subregion, c.Services, c.Overall.Score, c.Overall.Min, c.Overall.Max, c.Overall.Label}
		for _, ed := range cmpn.Edition.Dimensions { // blanks where a country has no score, to keep the columns
			cells := []any{"", "", ""}
			for _, d := range c.Dimensions {
				if d.ID == ed.ID {
					cells = []any{d.Score, d.Min, d.Max}
				}
			}
			row = append(row, cells...)
		}
		row = append(row, strings.Join(c.Sources, " ")) // the peers whose cards; empty: this instance
		rows = append(rows, row)
	}
	return rows
}

// drillTable is the drill-down as rows: per country, the dimension's
// spread, then each indicator's.
func (cmpn *comparePage) drillTable(lang string) [][]any {
	rows := [][]any{{"rank", "code", "country", "subregion", "category", "dimension", "indicator", "services", "score", "min", "median", "max"}}
	category := cmpn.Category
	if category == "" {
		category = "all"
	}
	for _, c := range cmpn.json(lang).Countries {
		if c.Dimension == nil {
			continue
		}
		for _, sp := range append([]spreadJSON{{ID: "", Score: c.Dimension.Score, Min: c.Dimension.Min, Median: c.Dimension.Median, Max: c.Dimension.Max, Services: c.Dimension.Services}}, c.Indicators...) {
			rows = append(rows, []any{c.Rank, c.Code, c.Name, c.Subregion, category, cmpn.Dimension.ID, sp.ID, sp.Services, sp.Score, sp.Min, sp.Median, sp.Max})
		}
	}
	return rows
}

// apiCompareCSV is the comparison as CSV.
func (s *server) apiCompareCSV(c echo.Context) error {
	cmpn, err := s.comparison(c)
	if err != nil {
		return err
	}
	return sendCSV(c, fmt.Sprintf("dmf-compare-%s-%d.csv", cmpn.Edition.ID, cmpn.Period), cmpn.table(apiLang(c)))
}

// apiCompareXLSX is the comparison as an Excel workbook.
func (s *server) apiCompareXLSX(c echo.Context) error {
	cmpn, err := s.comparison(c)
	if err != nil {
		return err
	}
	names := dimensionSheet(cmpn.Edition, apiLang(c), s.msgs.T(apiLang(c), "xlsx.sheet.dimensions"))
	if cmpn.Dimension != nil {
		names = indicatorSheet(cmpn.Dimension, apiLang(c), s.msgs.T(apiLang(c), "xlsx.sheet.indicators"))
	}
	return sendXLSX(c, fmt.Sprintf("dmf-compare-%s-%d.xlsx", cmpn.Edition.ID, cmpn.Period),
		xlsxSheet{s.msgs.T(apiLang(c), "xlsx.sheet.comparison"), cmpn.table(apiLang(c))}, names)
}

// approvedTable is every approved assessment with its stored scores.
func (s *server) approvedTable(c echo.Context) (*frameworks.Edition, string, [][]any, error) {
	fwID := c.QueryParam("framework")
	if fwID == "" {
		fwID = frameworks.DefaultID
	}
	ed, ok := s.editions.Edition(fwID, c.QueryParam("version"))
	if !ok {
		return nil, "", nil, &assessments.ValidationError{Fields: map[string]assessments.Message{"framework": {Format: "no framework edition %q %s", Args: []any{fwID, c.QueryParam("version")}}}}
	}
	period, err := assessments.ParsePeriod(c.QueryParam("period"))
	if err != nil {
		return nil, "", nil, err
	}
	rows, err := s.store.Approved(c.Request().Context(), actorOf(c), ed.ID, ed.Version, period)
	if err != nil {
		return nil, "", nil, err
	}
	head := []any{"assessment_id", "country", "organisation", "service", "category", "period", "framework", "version", "submitted_at", "approved_at", "overall", "level"}
	for _, d := range ed.Dimensions {
		head = append(head, d.ID)
	}
	out := [][]any{head}
	for _, r := range rows {
		row := []any{r.ID, r.Country, r.Organisation, r.Service.Name, r.Service.Category, r.Period, r.FrameworkID, r.FrameworkVersion, timeCell(r.SubmittedAt), timeCell(r.ApprovedAt), round(r.Score), intCell(r.Level)}
		for _, d := range ed.Dimensions {
			if v, ok := r.Dimensions[d.ID]; ok {
				row = append(row, assessments.Round1(v))
			} else {
				row = append(row, "")
			}
		}
		out = append(out, row)
	}
	return ed, fmt.Sprintf("dmf-approved-%s-%s", ed.ID, ed.Version), out, nil
}

func timeCell(t *time.Time) any {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func round(p *float64) any {
	if p == nil {
		return ""
	}
	return assessments.Round1(*p)
}

func intCell(p *int) any {
	if p == nil {
		return ""
	}
	return *p
}

// apiApprovedCSV exports every approved assessment for analysis.
func (s *server) apiApprovedCSV(c echo.Context) error {
	_, name, rows, err := s.approvedTable(c)
	if err != nil {
		return err
	}
	return sendCSV(c, name+".csv", rows)
}

// apiApprovedXLSX is the same export as an Excel workbook.
func (s *server) apiApprovedXLSX(c echo.Context) error {
	ed, name, rows, err := s.approvedTable(c)
	if err != nil {
		return err
	}
	return sendXLSX(c, name+".xlsx", xlsxSheet{s.msgs.T(apiLang(c), "xlsx.sheet.approved"), rows}, dimensionSheet(ed, apiLang(c), s.msgs.T(apiLang(c), "xlsx.sheet.dimensions")))
}

func sendCSV(c echo.Context, name string, rows [][]any) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, row := range rows {
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = csvCell(v)
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// csvCell formats a cell, and defuses text that a spreadsheet would run as
// a formula (CSV injection): names come from users.
func csvCell(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', 1, 64)
	case string:
		if x != "" && (x[0] == '=' || x[0] == '+' || x[0] == '-' || x[0] == '@' || x[0] == '\t' || x[0] == '\r') {
			return "'" + x
		}
		return x
	}
	return fmt.Sprint(v)
}

// xlsxSheet is one sheet of a workbook: a header row, then data rows.
type xlsxSheet struct {
	name string
	rows [][]any
}

// dimensionSheet names the dimension codes that head the data sheet's
// columns, so that the data sheet keeps one machine-readable header row
// and a reader still finds each code's name in the same workbook. The
// sheets' names are in the ?lang= language.
func dimensionSheet(ed *frameworks.Edition, lang, name string) xlsxSheet {
	rows := [][]any{{"code", "dimension"}}
	for _, d := range ed.Dimensions {
		rows = append(rows, []any{d.ID, d.Title.In(lang)})
	}
	return xlsxSheet{name, rows}
}

// indicatorSheet names the indicators of a drilled dimension.
func indicatorSheet(dim *frameworks.Dimension, lang, name string) xlsxSheet {
	rows := [][]any{{"code", "indicator"}, {dim.ID, dim.Title.In(lang)}}
	for _, ind := range dim.Indicators {
		rows = append(rows, []any{ind.ID, ind.Question.In(lang)})
	}
	return xlsxSheet{name, rows}
}

func sendXLSX(c echo.Context, name string, sheets ...xlsxSheet) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	for k, sheet := range sheets {
		if k == 0 {
			err = f.SetSheetName("Sheet1", sheet.name)
		} else {
			_, err = f.NewSheet(sheet.name)
		}
		if err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(sheet.name)
		if err != nil {
			return err
		}
		for i, row := range sheet.rows {
			cells := make([]any, len(row))
			for j, v := range row {
				if i == 0 {
					cells[j] = excelize.Cell{StyleID: bold, Value: v}
				} else {
					cells[j] = v
				}
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := sw.SetRow(cell, cells); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}
