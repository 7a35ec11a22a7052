package assessments_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

var (
	answers010 = assessments.Answers{
		"A.1": {Level: lv(3)}, "A.2": {Selected: pick("web", "mobile")}, "A.3": {Selected: pick("yes")}, "A.4": {Level: lv(2)},
		"B.1": {Value: num(5)}, "B.3": {Level: lv(4)},
	}
	answers020 = assessments.Answers{
		"A.1": {Level: lv(4)}, "A.2a": {Selected: pick("web")}, "A.2b": {Selected: pick("office")}, "A.3": {Selected: pick("yes")}, "A.5": {Level: lv(3)},
		"B.4": {Level: lv(5)}, "C.1": {Selected: pick("yes")},
	}
)

// answers020For answers what ed, a version of 0.2.0, has of answers020.
func answers020For(ed *frameworks.Edition) assessments.Answers {
	out := assessments.Answers{}
	for id, a := range answers020 {
		if _, _, ok := ed.Indicator(id); ok {
			out[id] = a
		}
	}
	return out
}

// lineageWorld is a store that knows all-types 0.1.0 and the given source
// of 0.2.0, with KAZ and UZB respondents and a reviewer. Each call of
// approve adds an approved assessment of a new service.
func lineageWorld(t *testing.T, v2src string) (s *assessments.Store, approve func(country, version string, period int)) {
	t.Helper()
	ctx := context.Background()
	read := func(name string) []byte {
		b, err := os.ReadFile("../frameworks/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	v1, err := frameworks.Parse("all-types.yaml", read("all-types.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := frameworks.Parse("v2.yaml", []byte(v2src))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := frameworks.NewCatalog(v1, v2)
	if err != nil {
		t.Fatal(err)
	}
	if s, err = openWith(t, filepath.Join(t.TempDir(), "dmf.db"), cat, nil); err != nil {
		t.Fatal(err)
	}
	resp := map[string]assessments.Actor{}
	for _, code := range []string{"KAZ", "UZB"} {
		org, err := s.CreateOrganisation(ctx, nil, assessments.Organisation{Name: "Agency of " + code, Country: code, Kind: "agency"})
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.CreateUser(ctx, nil, assessments.NewUser{Email: strings.ToLower(code) + "@example.org", Password: testPassword, Role: assessments.RoleRespondent, OrganisationID: org.ID})
		if err != nil {
			t.Fatal(err)
		}
		resp[code] = u.Actor()
	}
	rev, err := s.CreateUser(ctx, nil, assessments.NewUser{Email: "reviewer@escap.org", Password: testPassword, Role: assessments.RoleReviewer})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	return s, func(country, version string, period int) {
		t.Helper()
		n++
		by := resp[country]
		svc, err := s.CreateService(ctx, by, assessments.Service{Name: fmt.Sprintf("Service %d", n), Category: "tax"})
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.CreateAssessment(ctx, by, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: "test-all-types", Version: version, Period: period})
		if err != nil {
			t.Fatal(err)
		}
		ans := answers010
		if version == "0.2.0" {
			ed, _ := s.Editions().Edition("test-all-types", version)
			ans = answers020For(ed)
		}
		if _, err := s.SaveAnswers(ctx, by, a.ID, nil, ans); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Submit(ctx, by, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Review(ctx, rev.Actor(), a.ID, assessments.ReviewInput{Decision: assessments.DecisionApprove}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTrendAcrossEditions: the comparison's trend includes the years of an
// earlier edition whose dimensions the compared edition continues one to
// one, per country and year under the same privacy rule, and leaves them
// out, saying so, when the new edition changed the dimensions.
func TestTrendAcrossEditions(t *testing.T) {
	ctx := context.Background()
	src, err := os.ReadFile("../frameworks/testdata/all-types-0.2.0.yaml")
	if err != nil {
		t.Fatal(err)
	}
	full := string(src)
	// Without the new dimension C, 0.2.0 continues A and B one to one.
	mapped := full[:strings.Index(full, "  - id: C\n")]
	v1, _ := frameworks.Parse("v1", []byte(readAllTypes(t)))
	v2, _ := frameworks.Parse("v2", []byte(mapped))
	score1, score2 := assessments.Score(v1, answers010).Overall.Score, assessments.Score(v2, answers020For(v2)).Overall.Score

	t.Run("dimensions continue", func(t *testing.T) {
		s, approve := lineageWorld(t, mapped)
		for range 3 {
			approve("KAZ", "0.1.0", 2025)
			approve("KAZ", "0.2.0", 2026)
			approve("UZB", "0.2.0", 2026)
		}
		approve("UZB", "0.1.0", 2025) // one service: not public
		approve("KAZ", "0.1.0", 2026) // a year the compared edition has: its own value counts
		for _, tc := range []struct {
			name string
			by   assessments.Actor
			uzb  float64
		}{
			{"public", assessments.Actor{}, math.NaN()},
			{"reviewer", assessments.Actor{Role: assessments.RoleReviewer}, score1},
		} {
			c, err := s.Comparison(ctx, tc.by, assessments.ComparisonQuery{FrameworkID: "test-all-types", Period: 2026, MinServices: 3})
			if err != nil {
				t.Fatal(err)
			}
			if c.Edition.Version != "0.2.0" || !slices.Equal(c.TrendPeriods, []int{2025, 2026}) || len(c.TrendFrom) != 1 || c.TrendFrom[0].Version != "0.1.0" || len(c.TrendBroken) != 0 {
				t.Fatalf("%s: edition %s, trend periods %v, from %v, broken %v", tc.name, c.Edition.Version, c.TrendPeriods, c.TrendFrom, c.TrendBroken)
			}
			for _, tr := range c.Trend {
				want, versions := []float64{score1, score2}, []string{"0.1.0", "0.2.0"}
				if tr.Code == "UZB" {
					want[0] = tc.uzb
					if math.IsNaN(tc.uzb) {
						versions[0] = ""
					}
				}
				for i := range want {
					if !(near(tr.Values[i], want[i]) || math.IsNaN(want[i]) && math.IsNaN(tr.Values[i])) || tr.Versions[i] != versions[i] {
						t.Errorf("%s: %s trend %v %v, want %v %v", tc.name, tr.Code, tr.Values, tr.Versions, want, versions)
					}
				}
			}
		}
	})

	t.Run("dimensions changed", func(t *testing.T) {
		s, approve := lineageWorld(t, full)
		for range 3 {
			approve("KAZ", "0.1.0", 2025)
			approve("KAZ", "0.2.0", 2026)
		}
		c, err := s.Comparison(ctx, assessments.Actor{}, assessments.ComparisonQuery{FrameworkID: "test-all-types", Period: 2026, MinServices: 3})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(c.TrendPeriods, []int{2026}) || len(c.TrendFrom) != 0 || len(c.TrendBroken) != 1 || c.TrendBroken[0].Version != "0.1.0" {
			t.Errorf("trend periods %v, from %v, broken %v", c.TrendPeriods, c.TrendFrom, c.TrendBroken)
		}
	})
}

func readAllTypes(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../frameworks/testdata/all-types.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
