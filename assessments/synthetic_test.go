package assessments_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/unescap/dmf/assessments"
)

// TestSynthesizeInBulk seeds more approved assessments than one statement
// can carry placeholders for (the load test and the comparison
// benchmarks seed a hundred thousand) and finds every one counted once,
// in the comparison and in the drill-down's histograms.
func TestSynthesizeInBulk(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, testDatabase(t, filepath.Join(t.TempDir(), "bulk.db")), nil)
	ed, _ := s.Editions().Edition("escap-dmf-dps-sme", "")
	const n = 1500
	if err := s.Synthesize(ctx, ed, assessments.SynthOptions{Assessments: n, Countries: 3, Period: 2025, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	c, err := s.Comparison(ctx, assessments.Actor{Role: assessments.RoleAdmin}, assessments.ComparisonQuery{
		FrameworkID: ed.ID, Version: ed.Version, Period: 2025, Dimension: ed.Dimensions[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if c.Region == nil || c.Region.Services != n {
		t.Fatalf("the comparison counts %+v services in the region, want %d", c.Region, n)
	}
	drilled := 0
	for _, cc := range c.Countries {
		if cc.Drill == nil {
			t.Fatalf("%s has no drill-down", cc.Code)
		}
		drilled += cc.Drill.Services
	}
	if drilled != n {
		t.Fatalf("the histograms count %d approved services, want %d", drilled, n)
	}
}
