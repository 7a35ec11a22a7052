package assessments_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/unescap/dmf/assessments"
)

// drillWorld approves, in KAZ, three services with SERV.1 at levels 2, 4
// and 5 (two tax services and a licensing one), and one UZB service.
func drillWorld(t *testing.T, path string) (*world, func(level int) float64) {
	t.Helper()
	ctx := context.Background()
	w := newWorldAt(t, path, nil)
	mk := func(by assessments.Actor, name, category string, serv1 int) {
		svc, err := w.s.CreateService(ctx, by, assessments.Service{Name: name, Category: category})
		if err != nil {
			t.Fatal(err)
		}
		ans := all(w.ed, 3)
		ans["SERV.1"] = assessments.Answer{Level: lv(serv1)}
		approvedWith(t, w.s, by, w.rev, svc, w.ed, 2026, ans)
	}
	mk(w.a, "Tax one", "tax", 2)
	mk(w.a, "Tax two", "tax", 4)
	mk(w.a, "Licences", "licensing", 5)
	mk(w.b, "VAT", "tax", 1)
	ind, _, _ := w.ed.Indicator("SERV.1")
	return w, func(level int) float64 { s, _ := ind.LevelScore(level); return s }
}

func drillOf(t *testing.T, c *assessments.Comparison, code string) *assessments.DrillDown {
	t.Helper()
	for _, r := range c.Countries {
		if r.Code == code {
			return r.Drill
		}
	}
	return nil
}

func TestDrillDown(t *testing.T) {
	ctx := context.Background()
	w, score := drillWorld(t, filepath.Join(t.TempDir(), "dmf.db"))
	q := assessments.ComparisonQuery{FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026, MinServices: 3, Dimension: "SERV"}
	c, err := w.s.Comparison(ctx, w.rev, q)
	if err != nil {
		t.Fatal(err)
	}
	kaz := drillOf(t, c, "KAZ")
	if kaz == nil || kaz.Services != 3 || kaz.Dimension.Services != 3 {
		t.Fatalf("KAZ: %+v", kaz)
	}
	if got, want := kaz.Indicators["SERV.1"], (assessments.Spread{Mean: (score(2) + score(4) + score(5)) / 3, Min: score(2), Median: score(4), Max: score(5), Services: 3}); got != want {
		t.Errorf("SERV.1 in KAZ: %+v, want %+v", got, want)
	}
	if uzb := drillOf(t, c, "UZB"); uzb == nil || uzb.Indicators["SERV.1"].Median != score(1) {
		t.Errorf("UZB: %+v", uzb)
	}
	// One category: the spread of its services only, the median of two
	// the mean of both.
	q.Category = "tax"
	c, _ = w.s.Comparison(ctx, w.rev, q)
	if kaz := drillOf(t, c, "KAZ"); kaz.Services != 2 || kaz.Indicators["SERV.1"].Median != (score(2)+score(4))/2 {
		t.Errorf("KAZ tax: %+v", kaz)
	}
	q.Category = "licensing"
	c, _ = w.s.Comparison(ctx, w.rev, q)
	if len(c.Countries) != 1 || c.Countries[0].Code != "KAZ" || c.Countries[0].Drill.Services != 1 {
		t.Errorf("licensing: %+v", c.Countries)
	}
	// The public sees a country only with enough services in what it asks.
	q.Category = ""
	c, _ = w.s.Comparison(ctx, assessments.Actor{}, q)
	if len(c.Countries) != 1 || c.Countries[0].Code != "KAZ" || !sameSet(c.Suppressed, []string{"UZB"}) {
		t.Errorf("public drill-down: %v suppressed %v", codes(c.Countries), c.Suppressed)
	}
	q.Category = "tax"
	c, _ = w.s.Comparison(ctx, assessments.Actor{}, q)
	if len(c.Countries) != 0 || !sameSet(c.Suppressed, []string{"KAZ", "UZB"}) {
		t.Errorf("public drill-down of tax: %v suppressed %v", codes(c.Countries), c.Suppressed)
	}
	for field, bad := range map[string]assessments.ComparisonQuery{
		"dimension": {Dimension: "NOPE", Period: 2026},
		"category":  {Dimension: "SERV", Category: "fishing", Period: 2026},
	} {
		bad.FrameworkID, bad.Version = w.ed.ID, w.ed.Version
		if _, err := w.s.Comparison(ctx, w.rev, bad); fieldsOf(t, err)[field] == "" {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// TestDrillDownCountsEarlierApprovals: a database whose approvals were
// made before the histograms existed gets them counted when it opens.
func TestDrillDownCountsEarlierApprovals(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dmf.db")
	w, _ := drillWorld(t, path)
	q := assessments.ComparisonQuery{FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026, Dimension: "SERV"}
	before, _ := w.s.Comparison(ctx, w.rev, q)
	w.s.Close()
	db := testDatabase(t, path)
	driver := "sqlite3"
	if assessments.IsPostgres(db) {
		driver = "pgx"
	}
	raw, err := sql.Open(driver, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("DELETE FROM score_histograms"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	s := mustOpen(t, path, nil)
	after, err := s.Comparison(ctx, w.rev, q)
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"KAZ", "UZB"} {
		b, a := drillOf(t, before, code), drillOf(t, after, code)
		if a == nil || a.Services != b.Services || a.Indicators["SERV.1"] != b.Indicators["SERV.1"] || a.Dimension != b.Dimension {
			t.Errorf("%s after refilling: %+v, before %+v", code, a, b)
		}
	}
}
