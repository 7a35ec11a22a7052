package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
	"github.com/xuri/excelize/v2"
)

// TestCompareDrillDown: ?dimension= adds each country's indicators with
// their spread, recomputed here from the levels compareWorld gave; the
// public rule holds; CSV, XLSX and the heatmap page carry the same.
func TestCompareDrillDown(t *testing.T) {
	a, p := compareWorld(t)
	ed, _ := a.s.editions.Edition(frameworks.DefaultID, "")
	dim, _ := ed.Dimension("SERV")
	rev, anon := a.api(p.rev, pw), &api{t: t, base: a.server()}
	status, body := rev.call(http.MethodGet, "/api/v1/compare?period=2026&dimension=SERV", nil)
	if status != http.StatusOK || body["dimension"] != "SERV" {
		t.Fatalf("drill-down: %d %v", status, body)
	}
	// The level compareWorld gave KAZ's service i on the indicator at
	// position j of the edition.
	pos := map[string]int{}
	j := 0
	for _, d := range ed.Dimensions {
		for _, ind := range d.Indicators {
			pos[ind.ID] = j
			j++
		}
	}
	var kaz map[string]any
	for _, c := range body["countries"].([]any) {
		if c.(map[string]any)["code"] == "KAZ" {
			kaz = c.(map[string]any)
		}
	}
	if kaz == nil || kaz["dimension"].(map[string]any)["services"] != 3.0 {
		t.Fatalf("KAZ: %v", kaz)
	}
	checked := 0
	for _, x := range kaz["indicators"].([]any) {
		got := x.(map[string]any)
		ind, _, _ := ed.Indicator(got["id"].(string))
		if ind.CountryScoped() {
			continue // answered once for the country
		}
		var scores []float64
		for i := range 3 {
			s, _ := ind.LevelScore(1 + (i+pos[ind.ID])%5)
			scores = append(scores, s)
		}
		slices.Sort(scores)
		mean := (scores[0] + scores[1] + scores[2]) / 3
		if got["min"] != scores[0] || got["median"] != scores[1] || got["max"] != scores[2] || got["services"] != 3.0 || got["score"] != assessments.Round1(mean) {
			t.Errorf("KAZ %s: %v, want %v (mean %.1f)", ind.ID, got, scores, mean)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no indicator of SERV checked")
	}
	// The public sees the same rule as in the comparison: ARM has two.
	_, body = anon.call(http.MethodGet, "/api/v1/compare?period=2026&dimension=SERV&category=tax", nil)
	if !slices.Contains(body["suppressed"].([]any), any("ARM")) || len(body["countries"].([]any)) != 2 {
		t.Errorf("public drill-down: %v", body)
	}
	_, body = anon.call(http.MethodGet, "/api/v1/compare?period=2026&dimension=SERV&category=customs", nil)
	if len(body["countries"].([]any)) != 0 {
		t.Errorf("no customs services, yet: %v", body["countries"])
	}
	for q, field := range map[string]string{"dimension=NOPE": "dimension", "dimension=SERV&category=fishing": "category"} {
		status, body := rev.call(http.MethodGet, "/api/v1/compare?period=2026&"+q, nil)
		if fields, _ := body["error"].(map[string]any)["fields"].(map[string]any); status != http.StatusUnprocessableEntity || fields[field] == nil {
			t.Errorf("%s: %d %v", q, status, body)
		}
	}

	// CSV: a row for the dimension and one per indicator, per country.
	status, raw := rev.raw(http.MethodGet, "/api/v1/compare.csv?period=2026&dimension=SERV", nil)
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if status != http.StatusOK || err != nil || strings.Join(rows[0], ",") != "rank,code,country,subregion,category,dimension,indicator,services,score,min,median,max" {
		t.Fatalf("CSV: %d %v %q", status, err, rows)
	}
	scored := 0
	for _, ind := range dim.Indicators {
		if ind.Scored() {
			scored++
		}
	}
	if len(rows) != 1+3*(1+scored) {
		t.Errorf("CSV has %d rows, want %d", len(rows), 1+3*(1+scored))
	}
	status, raw = rev.raw(http.MethodGet, "/api/v1/compare.xlsx?period=2026&dimension=SERV", nil)
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if status != http.StatusOK || err != nil {
		t.Fatalf("XLSX: %d %v", status, err)
	}
	xrows, _ := f.GetRows("Comparison")
	if len(xrows) != len(rows) || xrows[1][6] != rows[1][6] {
		t.Errorf("XLSX rows %d, CSV %d", len(xrows), len(rows))
	}

	// The heatmap page: a value in every scored cell, the spread beside
	// the mean, links from the comparison.
	b := a.browser()
	b.login(p.rev, pw)
	if _, page := b.get("/compare?period=2026"); !strings.Contains(page, `href="/compare/dimensions/SERV?period=2026"`) {
		t.Error("the comparison does not open its dimensions")
	}
	resp, page := b.get("/compare/dimensions/SERV?period=2026&category=tax")
	if resp.StatusCode != http.StatusOK || strings.Count(page, `<td class="num heat heat-`) < 3*(1+scored) || !strings.Contains(page, "(n = 3)") {
		t.Errorf("heatmap page: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/compare/dimensions/NOPE?period=2026"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("unknown dimension: %d", resp.StatusCode)
	}
}

// BenchmarkCompareDrillDown measures GET /api/v1/compare?dimension= for
// ten countries over 100,000 approved assessments in 50 countries, with
// and without a category, on the SQLite default; it reports the 99th
// percentile.
func BenchmarkCompareDrillDown(b *testing.B) {
	a := newTestApp(b)
	ed, _ := a.s.editions.Edition("escap-dmf-dps-sme", "")
	if err := a.s.store.Synthesize(context.Background(), ed, assessments.SynthOptions{Assessments: 100_000, Countries: 50, Period: 2026, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	var codes []string
	for _, c := range a.s.store.Countries().List[:10] {
		codes = append(codes, c.Code)
	}
	targets := []string{
		"/api/v1/compare?period=2026&dimension=SERV&countries=" + strings.Join(codes, ","),
		"/api/v1/compare?period=2026&dimension=DATA&category=tax&countries=" + strings.Join(codes, ","),
		"/api/v1/compare?period=2026&dimension=TRUST",
	}
	for _, target := range targets {
		if rec := a.get(target); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"median"`) {
			b.Fatalf("drill-down: %d %.300s", rec.Code, rec.Body.String())
		}
	}
	var took []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if rec := a.get(targets[len(took)%len(targets)]); rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}
