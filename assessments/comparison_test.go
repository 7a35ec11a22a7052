package assessments_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
	"pgregory.net/rapid"
)

const minServices = 3 // the public minimum in these tests

// seeded is what compareWorld approved: for each country and period, the
// level every indicator of each service was answered at.
var seeded = map[string]map[int][]int{
	"KAZ": {2026: {3, 4, 5}, 2025: {2}},          // NCA; too few in 2025
	"UZB": {2026: {2, 2, 3, 3}, 2025: {1, 2, 3}}, // NCA
	"ARM": {2026: {5, 5}},                        // NCA; one short, and the best scores
	"IDN": {2026: {3, 3, 3}},                     // SEA
	"THA": {2026: {3, 3, 3}},                     // SEA; ties with IDN
	"IND": {2026: {4}},                           // SSWA; alone in its subregion
}

// compareWorld approves, through the whole workflow, the assessments in
// seeded, plus an ARM one that is only submitted and so must not count.
func compareWorld(t *testing.T) (*world, map[string]assessments.Actor) {
	t.Helper()
	ctx := context.Background()
	w := newWorld(t)
	resp := map[string]assessments.Actor{"KAZ": w.a, "UZB": w.b}
	for _, code := range []string{"ARM", "IDN", "THA", "IND"} {
		org, err := w.s.CreateOrganisation(ctx, nil, assessments.Organisation{Name: "Agency of " + code, Country: code, Kind: "agency"})
		if err != nil {
			t.Fatal(err)
		}
		u, err := w.s.CreateUser(ctx, nil, assessments.NewUser{Email: strings.ToLower(code) + "@example.org", Password: testPassword, Role: assessments.RoleRespondent, OrganisationID: org.ID})
		if err != nil {
			t.Fatal(err)
		}
		resp[code] = u.Actor()
	}
	assess := func(code string, period, level, i int, approve bool) {
		t.Helper()
		by := resp[code]
		svc, err := w.s.CreateService(ctx, by, assessments.Service{Name: fmt.Sprintf("%s service %d", code, i), Category: "tax"})
		if err != nil {
			svc, err = w.s.ServiceByName(ctx, by, fmt.Sprintf("%s service %d", code, i))
		}
		if err != nil {
			t.Fatal(err)
		}
		a, err := w.s.CreateAssessment(ctx, by, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: period})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.SaveAnswers(ctx, by, a.ID, nil, all(w.ed, level)); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Submit(ctx, by, a.ID); err != nil {
			t.Fatal(err)
		}
		if approve {
			if _, err := w.s.Review(ctx, w.rev, a.ID, assessments.ReviewInput{Decision: assessments.DecisionApprove}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for code, periods := range seeded {
		for period, levels := range periods {
			for i, level := range levels {
				assess(code, period, level, i, true)
			}
		}
	}
	assess("ARM", 2026, 5, 9, false)
	return w, resp
}

// truth is a country's services and scores in a period, computed from
// seeded through the scoring engine alone.
type truth struct {
	services int
	overall  []float64
	dims     map[string][]float64
}

func truths(w *world) map[string]map[int]truth {
	out := map[string]map[int]truth{}
	for code, periods := range seeded {
		out[code] = map[int]truth{}
		for period, levels := range periods {
			tr := truth{services: len(levels), dims: map[string][]float64{}}
			for _, level := range levels {
				res := assessments.Score(w.ed, all(w.ed, level))
				tr.overall = append(tr.overall, res.Overall.Score)
				for _, d := range res.Dimensions {
					tr.dims[d.ID] = append(tr.dims[d.ID], d.Value.Score)
				}
			}
			out[code][period] = tr
		}
	}
	return out
}

func mean(vs ...float64) float64 {
	sum := 0.0
	for _, v := range vs {
		sum += v
	}
	return sum / float64(len(vs))
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func codes(rows []assessments.ComparedCountry) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Code)
	}
	return out
}

func TestComparison(t *testing.T) {
	ctx := context.Background()
	w, resp := compareWorld(t)
	anon := assessments.Actor{}
	q := assessments.ComparisonQuery{Period: 2026, MinServices: minServices}
	// The world's assessments are of its edition (1.0.0), not the newest, so
	// comparisons name it.
	compare := func(t *testing.T, by assessments.Actor, q assessments.ComparisonQuery) *assessments.Comparison {
		t.Helper()
		if q.Version == "" {
			q.Version = w.ed.Version
		}
		c, err := w.s.Comparison(ctx, by, q)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// The score of a service answered at one level throughout.
	sc := func(level int) float64 { return assessments.Score(w.ed, all(w.ed, level)).Overall.Score }

	t.Run("who sees what", func(t *testing.T) {
		for _, tc := range []struct {
			name              string
			by                assessments.Actor
			public            bool
			shown, suppressed string
		}{
			{"anonymous", anon, true, "IDN THA UZB KAZ", "ARM IND"},
			{"respondent", resp["ARM"], true, "IDN THA UZB KAZ", "ARM IND"}, // not even their own country
			{"reviewer", w.rev, false, "ARM IND IDN THA UZB KAZ", ""},
			{"admin", w.admin, false, "ARM IND IDN THA UZB KAZ", ""},
		} {
			c := compare(t, tc.by, q)
			got := strings.Join(codes(c.Countries), " ")
			want := strings.Fields(tc.shown) // in any order: the ranking has its own test
			if c.Public != tc.public || c.MinServices != minServices || !sameSet(codes(c.Countries), want) {
				t.Errorf("%s: public %v, shown %s; want public %v, shown %s", tc.name, c.Public, got, tc.public, tc.shown)
			}
			if strings.Join(c.Suppressed, " ") != tc.suppressed {
				t.Errorf("%s: suppressed %v, want %q", tc.name, c.Suppressed, tc.suppressed)
			}
			for _, r := range c.Countries {
				if r.Code == "ARM" && r.Services != 2 {
					t.Errorf("%s: ARM has %d services; the submitted one counts", tc.name, r.Services)
				}
			}
		}
	})

	t.Run("exactly the minimum is shown", func(t *testing.T) {
		c := compare(t, anon, assessments.ComparisonQuery{Period: 2026, MinServices: 2})
		if !slices.Contains(codes(c.Countries), "ARM") || strings.Join(c.Suppressed, " ") != "IND" {
			t.Errorf("minimum 2: shown %v, suppressed %v", codes(c.Countries), c.Suppressed)
		}
	})

	t.Run("ranking", func(t *testing.T) {
		c := compare(t, w.rev, q)
		// By hand: ARM (5,5), KAZ mean of 3,4,5, IND 4, IDN = THA
		// (3,3,3), UZB mean of 2,2,3,3; IDN before THA by code.
		type ranked struct {
			code string
			mean float64
		}
		want := []ranked{{"ARM", sc(5)}, {"KAZ", mean(sc(3), sc(4), sc(5))}, {"IND", sc(4)}, {"IDN", sc(3)}, {"THA", sc(3)}, {"UZB", mean(sc(2), sc(2), sc(3), sc(3))}}
		slices.SortStableFunc(want, func(a, b ranked) int {
			if a.mean != b.mean {
				if a.mean > b.mean {
					return -1
				}
				return 1
			}
			return strings.Compare(a.code, b.code)
		})
		var wantCodes []string
		for _, r := range want {
			wantCodes = append(wantCodes, r.code)
		}
		if got := codes(c.Countries); !slices.Equal(got, wantCodes) {
			t.Fatalf("ranking %v, want %v", got, wantCodes)
		}
		i := slices.Index(wantCodes, "IDN")
		if wantCodes[i+1] != "THA" || c.Countries[i].Overall.Mean != c.Countries[i+1].Overall.Mean {
			t.Errorf("IDN and THA should tie, IDN first: %v", c.Countries[i:i+2])
		}
		for i, r := range c.Countries {
			if !near(r.Overall.Mean, want[i].mean) {
				t.Errorf("%s mean %v, want %v", r.Code, r.Overall.Mean, want[i].mean)
			}
			if r.Level != w.ed.LevelFor(r.Overall.Mean).Level || r.Name.In("en") == "" || r.Subregion == "" {
				t.Errorf("%s: level %d, name %q, subregion %q", r.Code, r.Level, r.Name.In("en"), r.Subregion)
			}
		}
	})

	t.Run("regional means leave suppressed countries out", func(t *testing.T) {
		region := func(c *assessments.Comparison, id string) *assessments.RegionScores {
			for i := range c.Subregions {
				if c.Subregions[i].ID == id {
					return &c.Subregions[i]
				}
			}
			return nil
		}
		// Public: NCA is KAZ (3,4,5) and UZB (2,2,3,3), weighted by
		// service; ARM's two 5s would raise it. SSWA has only IND, so no row.
		pub := compare(t, anon, q)
		nca := region(pub, "NCA")
		wantNCA := (sc(3) + sc(4) + sc(5) + 2*sc(2) + 2*sc(3)) / 7
		if nca == nil || nca.Countries != 2 || nca.Services != 7 || !near(nca.Overall.Mean, wantNCA) || nca.Overall.Max != sc(5) || nca.Overall.Min != sc(2) {
			t.Errorf("public NCA %+v, want 2 countries, 7 services, mean %v", nca, wantNCA)
		}
		if region(pub, "SSWA") != nil {
			t.Error("public view has a SSWA row made of IND alone")
		}
		wantAll := (sc(3) + sc(4) + sc(5) + 2*sc(2) + 2*sc(3) + 6*sc(3)) / 13
		if r := pub.Region; r == nil || r.ID != "ALL" || r.Countries != 4 || r.Services != 13 || !near(r.Overall.Mean, wantAll) {
			t.Errorf("public region %+v, want 4 countries, 13 services, mean %v", r, wantAll)
		}
		// Reviewers: ARM counts in NCA, IND makes the SSWA row.
		rev := compare(t, w.rev, q)
		wantNCA = (sc(3) + sc(4) + sc(5) + 2*sc(2) + 2*sc(3) + 2*sc(5)) / 9
		if nca := region(rev, "NCA"); nca == nil || nca.Services != 9 || !near(nca.Overall.Mean, wantNCA) {
			t.Errorf("reviewer NCA %+v, want 9 services, mean %v", nca, wantNCA)
		}
		if s := region(rev, "SSWA"); s == nil || s.Services != 1 || s.Overall.Mean != sc(4) {
			t.Errorf("reviewer SSWA %+v", s)
		}
		var ids []string
		for _, r := range rev.Subregions {
			ids = append(ids, r.ID)
		}
		if strings.Join(ids, " ") != "NCA SEA SSWA" {
			t.Errorf("subregions in list order: %v", ids)
		}
	})

	t.Run("trend applies the rule per period", func(t *testing.T) {
		pub := compare(t, anon, q)
		if !slices.Equal(pub.TrendPeriods, []int{2025, 2026}) || !slices.Equal(pub.Periods, []int{2026, 2025}) {
			t.Fatalf("periods %v, trend periods %v", pub.Periods, pub.TrendPeriods)
		}
		if len(pub.Trend) != len(pub.Countries) {
			t.Fatalf("%d trend rows for %d countries", len(pub.Trend), len(pub.Countries))
		}
		trend := func(c *assessments.Comparison, code string) []float64 {
			for _, r := range c.Trend {
				if r.Code == code {
					return r.Values
				}
			}
			t.Fatalf("no trend for %s", code)
			return nil
		}
		if v := trend(pub, "KAZ"); !math.IsNaN(v[0]) || !near(v[1], mean(sc(3), sc(4), sc(5))) {
			t.Errorf("public KAZ trend %v: its one 2025 service must not show", v)
		}
		if v := trend(pub, "UZB"); !near(v[0], mean(sc(1), sc(2), sc(3))) {
			t.Errorf("public UZB trend %v", v)
		}
		rev := compare(t, w.rev, q)
		if v := trend(rev, "KAZ"); v[0] != sc(2) {
			t.Errorf("reviewer KAZ trend %v", v)
		}
		// In 2025 KAZ itself is suppressed publicly, UZB is shown.
		old := compare(t, anon, assessments.ComparisonQuery{Period: 2025, MinServices: minServices})
		if !slices.Equal(codes(old.Countries), []string{"UZB"}) || !slices.Equal(old.Suppressed, []string{"KAZ"}) {
			t.Errorf("2025: shown %v, suppressed %v", codes(old.Countries), old.Suppressed)
		}
	})

	t.Run("newest period by default", func(t *testing.T) {
		c := compare(t, anon, assessments.ComparisonQuery{MinServices: minServices})
		if c.Period != 2026 || c.Edition.ID != w.ed.ID || c.Edition.Version != w.ed.Version {
			t.Errorf("default: period %d, edition %s", c.Period, c.Edition.Key())
		}
		newest, _ := w.s.Editions().Edition(w.ed.ID, "")
		if c, err := w.s.Comparison(ctx, anon, assessments.ComparisonQuery{MinServices: minServices}); err != nil || c.Edition != newest {
			t.Errorf("without a version: %v, want the newest edition %s", err, newest.Key())
		}
		empty := compare(t, anon, assessments.ComparisonQuery{Period: 2019, MinServices: minServices})
		if len(empty.Countries)+len(empty.Suppressed) != 0 || empty.Region != nil || empty.Trend != nil {
			t.Errorf("a year without data: %+v", empty)
		}
	})

	t.Run("selection", func(t *testing.T) {
		c := compare(t, anon, assessments.ComparisonQuery{Period: 2026, MinServices: minServices, Subregion: "NCA"})
		if c.Subregion != "NCA" || !c.Selects("ARM") || !c.Selects("KAZ") || c.Selects("IDN") {
			t.Errorf("subregion NCA selects %v", c.Selected)
		}
		if !sameSet(codes(c.Countries), []string{"KAZ", "UZB"}) || !slices.Equal(c.Suppressed, []string{"ARM"}) {
			t.Errorf("subregion NCA: shown %v, suppressed %v", codes(c.Countries), c.Suppressed)
		}
		if len(c.Subregions) != 1 || c.Region.Services != 7 {
			t.Errorf("subregion NCA averages: %+v, region %+v", c.Subregions, c.Region)
		}
		c = compare(t, w.rev, assessments.ComparisonQuery{Period: 2026, Countries: []string{" idn", "THA", "IDN", ""}, Subregion: "SSWA"})
		if !slices.Equal(c.Selected[:2], []string{"IDN", "THA"}) || !sameSet(codes(c.Countries), []string{"IDN", "THA", "IND"}) {
			t.Errorf("countries plus subregion: selected %v, shown %v", c.Selected, codes(c.Countries))
		}
	})

	t.Run("invalid input names the field", func(t *testing.T) {
		for _, tc := range []struct {
			field string
			q     assessments.ComparisonQuery
		}{
			{"framework", assessments.ComparisonQuery{FrameworkID: "no-such-framework"}},
			{"framework", assessments.ComparisonQuery{Version: "9.9.9"}},
			{"period", assessments.ComparisonQuery{Period: 1999}},
			{"period", assessments.ComparisonQuery{Period: -1}},
			{"countries", assessments.ComparisonQuery{Countries: []string{"KAZ", "XXX"}}},
			{"subregion", assessments.ComparisonQuery{Subregion: "ATLANTIS"}},
		} {
			_, err := w.s.Comparison(ctx, anon, tc.q)
			var ve *assessments.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[tc.field].Format == "" {
				t.Errorf("%+v: %v, want a problem with %s", tc.q, err, tc.field)
			}
		}
	})

	// The privacy rule as properties, over any viewer, minimum, period and
	// selection: nothing shown breaks the rule, every country with data is
	// either shown or suppressed, and every average is made of exactly the
	// shown countries (so a suppressed one contributes nothing to it).
	t.Run("properties", func(t *testing.T) {
		truth := truths(w)
		actors := []assessments.Actor{anon, resp["KAZ"], w.rev, w.admin}
		all := []string{"ARM", "IDN", "IND", "KAZ", "THA", "UZB", "MNG"}
		rapid.Check(t, func(rt *rapid.T) {
			by := rapid.SampledFrom(actors).Draw(rt, "actor")
			q := assessments.ComparisonQuery{
				Version:     w.ed.Version,
				Period:      rapid.SampledFrom([]int{0, 2025, 2026, 2024}).Draw(rt, "period"),
				MinServices: rapid.IntRange(0, 5).Draw(rt, "min"),
				Countries:   rapid.SliceOfDistinct(rapid.SampledFrom(all), rapid.ID).Draw(rt, "countries"),
				Subregion:   rapid.SampledFrom([]string{"", "", "NCA", "SEA", "PAC"}).Draw(rt, "subregion"),
			}
			c, err := w.s.Comparison(ctx, by, q)
			if err != nil {
				rt.Fatal(err)
			}
			public := !by.SeesAllCountries()
			var inSelection []string
			for code, byPeriod := range truth {
				if _, ok := byPeriod[c.Period]; ok && (len(c.Selected) == 0 || c.Selects(code)) {
					inSelection = append(inSelection, code)
				}
			}
			shown := codes(c.Countries)
			if !sameSet(append(slices.Clone(shown), c.Suppressed...), inSelection) {
				rt.Fatalf("shown %v + suppressed %v, want %v", shown, c.Suppressed, inSelection)
			}
			for _, code := range c.Suppressed {
				if !public || truth[code][c.Period].services >= q.MinServices {
					rt.Fatalf("%s suppressed with %d services (public %v)", code, truth[code][c.Period].services, public)
				}
			}
			want := map[string]*assessments.RegionScores{}
			for i, r := range c.Countries {
				tr := truth[r.Code][c.Period]
				if public && tr.services < q.MinServices || r.Services != tr.services || !near(r.Overall.Mean, mean(tr.overall...)) {
					rt.Fatalf("%s shown: %+v, truth %+v", r.Code, r, tr)
				}
				if i > 0 && (c.Countries[i-1].Overall.Mean < r.Overall.Mean ||
					c.Countries[i-1].Overall.Mean == r.Overall.Mean && c.Countries[i-1].Code > r.Code) {
					rt.Fatalf("ranking: %v", shown)
				}
				for _, id := range []string{r.Subregion, "ALL"} {
					g := want[id]
					if g == nil {
						g = &assessments.RegionScores{Dimensions: map[string]assessments.Stat{}}
						want[id] = g
					}
					g.Countries++
					g.Services += tr.services
					g.Overall.Mean += mean(tr.overall...) * float64(tr.services)
					for d, vs := range tr.dims {
						st := g.Dimensions[d]
						st.Mean += mean(vs...) * float64(len(vs))
						st.Max += float64(len(vs)) // services behind the dimension
						g.Dimensions[d] = st
					}
				}
			}
			check := func(got *assessments.RegionScores, id string) {
				exp := want[id]
				if got == nil || exp == nil {
					if got != nil || exp != nil {
						rt.Fatalf("%s: got %+v, want %+v", id, got, exp)
					}
					return
				}
				if got.Countries != exp.Countries || got.Services != exp.Services || !near(got.Overall.Mean, exp.Overall.Mean/float64(exp.Services)) {
					rt.Fatalf("%s: got %+v, want %d countries, %d services, mean %v", id, got, exp.Countries, exp.Services, exp.Overall.Mean/float64(exp.Services))
				}
				for d, st := range exp.Dimensions {
					if !near(got.Dimensions[d].Mean, st.Mean/st.Max) {
						rt.Fatalf("%s %s: mean %v, want %v", id, d, got.Dimensions[d].Mean, st.Mean/st.Max)
					}
				}
			}
			check(c.Region, "ALL")
			for _, sub := range w.s.Countries().Subregions {
				var got *assessments.RegionScores
				for i := range c.Subregions {
					if c.Subregions[i].ID == sub.ID {
						got = &c.Subregions[i]
					}
				}
				check(got, sub.ID)
			}
			for i, tr := range c.Trend {
				if tr.Code != c.Countries[i].Code {
					rt.Fatalf("trend row %d is %s", i, tr.Code)
				}
				for j, p := range c.TrendPeriods {
					tp, ok := truth[tr.Code][p]
					shows := ok && (!public || tp.services >= q.MinServices)
					if shows != !math.IsNaN(tr.Values[j]) || shows && !near(tr.Values[j], mean(tp.overall...)) {
						rt.Fatalf("%s trend %d: %v, truth %+v (public %v)", tr.Code, p, tr.Values[j], tp, public)
					}
				}
			}
		})
	})
}

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"", 0, true}, {"2026", 2026, true}, {"2000", 2000, true}, {"2100", 2100, true},
		{"abc", 0, false}, {"2026.5", 0, false}, {" 2026", 0, false}, {"1999", 0, false}, {"0", 0, false},
		{"-2026", 0, false}, {"99999999999999999999", 0, false},
	} {
		got, err := assessments.ParsePeriod(tc.in)
		var ve *assessments.ValidationError
		if tc.ok && (err != nil || got != tc.want) || !tc.ok && (!errors.As(err, &ve) || ve.Fields["period"].Format == "") {
			t.Errorf("ParsePeriod(%q) = %d, %v", tc.in, got, err)
		}
	}
}

func TestCountriesInSubregion(t *testing.T) {
	cs, err := assessments.LoadCountries()
	if err != nil {
		t.Fatal(err)
	}
	nca := cs.InSubregion("NCA")
	if !slices.Contains(nca, "KAZ") || slices.Contains(nca, "IDN") || len(cs.InSubregion("ATLANTIS")) != 0 {
		t.Errorf("NCA: %v", nca)
	}
	n := 0
	for _, sub := range cs.Subregions {
		n += len(cs.InSubregion(sub.ID))
	}
	if n != len(cs.List) {
		t.Errorf("subregions hold %d countries, the list %d", n, len(cs.List))
	}
}
