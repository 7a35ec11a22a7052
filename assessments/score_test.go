package assessments_test

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
	"pgregory.net/rapid"
)

var update = flag.Bool("update", false, "rewrite golden files")

func allTypes(t testing.TB) *frameworks.Edition {
	t.Helper()
	src, err := os.ReadFile("../frameworks/testdata/all-types.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ed, err := frameworks.Parse("all-types.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	return ed
}

func dmf(t testing.TB) *frameworks.Edition {
	t.Helper()
	cat, _, err := frameworks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ed, ok := cat.Edition("escap-dmf-dps-sme", "1.0.0")
	if !ok {
		t.Fatal("no DMF edition")
	}
	return ed
}

func lv(k int) *int               { return &k }
func num(v float64) *float64      { return &v }
func pick(ids ...string) []string { return ids }

// uniform answers every level indicator of ed at level k.
func uniform(ed *frameworks.Edition, k int) assessments.Answers {
	a := assessments.Answers{}
	for _, d := range ed.Dimensions {
		for _, ind := range d.Indicators {
			a[ind.ID] = assessments.Answer{Level: lv(k)}
		}
	}
	return a
}

func dim(r assessments.Result, id string) assessments.DimensionResult {
	for _, d := range r.Dimensions {
		if d.ID == id {
			return d
		}
	}
	return assessments.DimensionResult{}
}

func TestScoreUniformLevels(t *testing.T) {
	ed := dmf(t)
	for k, want := range map[int]struct {
		score float64
		level int
		label string
	}{
		1: {0, 1, "Initial"}, 2: {25, 2, "Emerging"}, 3: {50, 3, "Established"}, 4: {75, 4, "Integrated"}, 5: {100, 5, "Proactive"},
	} {
		r := assessments.Score(ed, uniform(ed, k))
		if r.Overall.Score != want.score || r.Overall.Level != want.level || ed.Levels[r.Overall.Level-1].Label["en"] != want.label {
			t.Errorf("all level %d: overall %+v, want %v/%s", k, r.Overall, want.score, want.label)
		}
		for _, d := range r.Dimensions {
			if d.Value.Score != want.score || d.Value.Level != want.level {
				t.Errorf("all level %d: %s = %+v", k, d.ID, d.Value)
			}
		}
		if !r.Complete() || r.Completeness != 1 || len(r.Missing) != 0 {
			t.Errorf("all level %d: completeness %v, missing %v", k, r.Completeness, r.Missing)
		}
	}
}

// TestScoreLowerBoundInclusive: PROACT answered L3 (weight 2), L2, L1, L4
// gives (2·50 + 25 + 0 + 75) / 5 = 40.0 exactly: Established, not Emerging.
func TestScoreLowerBoundInclusive(t *testing.T) {
	ed := dmf(t)
	a := uniform(ed, 1)
	a["PROACT.1"] = assessments.Answer{Level: lv(3)}
	a["PROACT.2"] = assessments.Answer{Level: lv(2)}
	a["PROACT.3"] = assessments.Answer{Level: lv(1)}
	a["PROACT.4"] = assessments.Answer{Level: lv(4)}
	d := dim(assessments.Score(ed, a), "PROACT")
	if d.Value.Score != 40 || d.Value.Level != 3 {
		t.Errorf("PROACT = %+v, want 40.0 at level 3", d.Value)
	}
}

func TestScoreRules(t *testing.T) {
	ed := allTypes(t)
	cases := []struct {
		name     string
		answers  assessments.Answers
		a, b     float64 // dimension scores; NaN = not scored
		overall  float64
		answered int
		missing  int
	}{
		{
			name:    "unanswered is missing, not zero",
			answers: assessments.Answers{"A.1": {Level: lv(5)}},
			a:       100, b: math.NaN(), overall: 100, answered: 1, missing: 4,
		},
		{
			name: "N/A leaves the denominator",
			answers: assessments.Answers{
				"A.1": {NA: true, Justification: "paper-only service"}, "A.2": {Selected: pick("web", "mobile")},
				"A.3": {Selected: pick("no")},
			},
			// A.2 = 50 (2 of 4 items), A.3 = 0: (50 + 0) / 2
			a: 25, b: math.NaN(), overall: 25, answered: 3, missing: 2,
		},
		{
			name:    "N/A where not allowed counts as unanswered",
			answers: assessments.Answers{"A.2": {NA: true, Justification: "x"}, "A.3": {Selected: pick("yes")}, "A.4": {Level: lv(3)}},
			// A.3 = 100, A.4 = 100: (100 + 100) / 2
			a: 100, b: math.NaN(), overall: 100, answered: 2, missing: 4,
		},
		{
			name:    "hidden conditional indicator leaves the denominator and keeps its answer",
			answers: assessments.Answers{"A.1": {Level: lv(3)}, "A.2": {Selected: pick("none")}, "A.3": {Selected: pick("no")}, "A.4": {Level: lv(1)}},
			// A.1 = 50 (w2), A.2 = 0, A.3 = 0; A.4 hidden: 100 / 4
			a: 25, b: math.NaN(), overall: 25, answered: 3, missing: 2,
		},
		{
			name:    "shown conditional indicator counts",
			answers: assessments.Answers{"A.1": {Level: lv(3)}, "A.2": {Selected: pick("none")}, "A.3": {Selected: pick("yes")}, "A.4": {Level: lv(2)}},
			// A.1 = 50 (w2), A.2 = 0, A.3 = 100, A.4 = 50 (level 2 of 3): 250 / 5
			a: 50, b: math.NaN(), overall: 50, answered: 4, missing: 2,
		},
		{
			name:    "checklist: items share, exclusive with others is not an answer",
			answers: assessments.Answers{"A.2": {Selected: pick("none", "web")}, "A.3": {Selected: pick("no")}},
			a:       0, b: math.NaN(), overall: 0, answered: 1, missing: 4,
		},
		{
			name:    "checklist: all items",
			answers: assessments.Answers{"A.2": {Selected: pick("web", "mobile", "office", "agent")}},
			a:       100, b: math.NaN(), overall: 100, answered: 1, missing: 4,
		},
		{
			name:    "checklist: empty selection and unknown items are not answers",
			answers: assessments.Answers{"A.2": {Selected: pick()}, "A.3": {Selected: pick("maybe")}, "B.3": {Level: lv(3)}},
			a:       math.NaN(), b: 40, overall: 40, answered: 1, missing: 4,
		},
		{
			name:    "number bands and explicit option scores, weighted",
			answers: assessments.Answers{"B.1": {Value: num(4.9)}, "B.3": {Level: lv(4)}, "B.2": {Text: "unscored"}},
			// B.1 = 50 (w1), B.3 = 90 (w3): (50 + 270) / 4
			a: math.NaN(), b: 80, overall: 80, answered: 2, missing: 3,
		},
		{
			name:    "number below the first band is not an answer",
			answers: assessments.Answers{"B.1": {Value: num(-1)}, "B.3": {Level: lv(1)}},
			a:       math.NaN(), b: 0, overall: 0, answered: 1, missing: 4,
		},
		{
			name:    "dimension weights: A (W2) = 100, B (W1) = 40",
			answers: assessments.Answers{"A.1": {Level: lv(5)}, "B.3": {Level: lv(3)}},
			a:       100, b: 40, overall: 80, answered: 2, missing: 3,
		},
		{
			name:    "indicator weights: A.1 (w2) at 25, A.3 (w1) at 100",
			answers: assessments.Answers{"A.1": {Level: lv(2)}, "A.3": {Selected: pick("yes")}},
			// A.4 now visible and unanswered: (2·25 + 100) / 3
			a: 50, b: math.NaN(), overall: 50, answered: 2, missing: 4,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := assessments.Score(ed, tc.answers)
			check := func(name string, got assessments.Value, want float64) {
				t.Helper()
				if math.IsNaN(want) {
					if got.Scored || got.Level != 0 {
						t.Errorf("%s = %+v, want not scored", name, got)
					}
					return
				}
				if !got.Scored || math.Abs(got.Score-want) > 1e-9 || got.Level != ed.LevelFor(want).Level {
					t.Errorf("%s = %+v, want %v", name, got, want)
				}
			}
			check("A", dim(r, "A").Value, tc.a)
			check("B", dim(r, "B").Value, tc.b)
			check("overall", r.Overall, tc.overall)
			if r.Answered != tc.answered || len(r.Missing) != tc.missing {
				t.Errorf("answered %d, missing %v; want %d and %d", r.Answered, r.Missing, tc.answered, tc.missing)
			}
			if want := float64(r.Answered) / float64(r.Applicable); r.Completeness != want {
				t.Errorf("completeness %v, want %v", r.Completeness, want)
			}
		})
	}
}

func TestRound1(t *testing.T) {
	for in, want := range map[float64]float64{
		62.45: 62.5, 62.44999: 62.4, 0.05: 0.1, 0.04: 0, 41.25: 41.3, 66.66666666666667: 66.7,
		33.333333333333336: 33.3, 100: 100, 0: 0, 57.5: 57.5, -1.25: -1.3, -1.24: -1.2, 99.95: 100,
		2.675: 2.7, 1.005: 1.0, 1e-7: 0,
	} {
		if got := assessments.Round1(in); got != want {
			t.Errorf("Round1(%v) = %v, want %v", in, got, want)
		}
	}
}

// answersGen draws an arbitrary answer set for ed: each indicator is
// missing, N/A (where allowed) or a valid answer of its type.
func answersGen(ed *frameworks.Edition) *rapid.Generator[assessments.Answers] {
	return rapid.Custom(func(t *rapid.T) assessments.Answers {
		a := assessments.Answers{}
		for _, d := range ed.Dimensions {
			for i := range d.Indicators {
				ind := &d.Indicators[i]
				switch rapid.IntRange(0, 5).Draw(t, ind.ID+" kind") {
				case 0:
					continue // missing
				case 1:
					if ind.NotApplicable {
						a[ind.ID] = assessments.Answer{NA: true, Justification: "n/a"}
						continue
					}
				}
				a[ind.ID] = drawAnswer(t, ind)
			}
		}
		return a
	})
}

func drawAnswer(t *rapid.T, ind *frameworks.Indicator) assessments.Answer {
	switch ind.Type {
	case frameworks.TypeLevel:
		return assessments.Answer{Level: lv(rapid.IntRange(1, len(ind.Options)).Draw(t, ind.ID))}
	case frameworks.TypeChecklist:
		var sel []string
		for _, o := range ind.Options {
			if !o.Exclusive && rapid.Bool().Draw(t, ind.ID+o.ID) {
				sel = append(sel, o.ID)
			}
		}
		if len(sel) == 0 {
			sel = []string{"none"}
		}
		return assessments.Answer{Selected: sel}
	case frameworks.TypeYesNo:
		return assessments.Answer{Selected: pick(rapid.SampledFrom([]string{"yes", "no"}).Draw(t, ind.ID))}
	case frameworks.TypeNumber:
		return assessments.Answer{Value: num(rapid.Float64Range(0, 10).Draw(t, ind.ID))}
	}
	return assessments.Answer{Text: "text"}
}

// raise returns a better answer to ind than a, if there is one.
func raise(ind *frameworks.Indicator, a assessments.Answer) (assessments.Answer, bool) {
	switch ind.Type {
	case frameworks.TypeLevel:
		if a.Level != nil && *a.Level < len(ind.Options) {
			return assessments.Answer{Level: lv(*a.Level + 1)}, true
		}
	case frameworks.TypeChecklist:
		for _, o := range ind.Options {
			if o.Exclusive || slices.Contains(a.Selected, o.ID) {
				continue
			}
			sel := []string{o.ID}
			for _, s := range a.Selected {
				if s != "none" {
					sel = append(sel, s)
				}
			}
			return assessments.Answer{Selected: sel}, true
		}
	case frameworks.TypeYesNo:
		if slices.Contains(a.Selected, "no") {
			return assessments.Answer{Selected: pick("yes")}, true
		}
	case frameworks.TypeNumber:
		if a.Value != nil {
			return assessments.Answer{Value: num(*a.Value + 1)}, true
		}
	}
	return a, false
}

// conditionTargets are indicators that others depend on. Raising one can
// reveal a dependant with a low answer, which rightly lowers the score, so
// the monotonicity property is about every other indicator.
func conditionTargets(ed *frameworks.Edition) map[string]bool {
	m := map[string]bool{}
	for _, d := range ed.Dimensions {
		for _, ind := range d.Indicators {
			if ind.Condition != nil {
				m[ind.Condition.Indicator] = true
			}
		}
	}
	return m
}

func TestPropertyRaisingAnAnswerNeverLowersAScore(t *testing.T) {
	for _, ed := range []*frameworks.Edition{dmf(t), allTypes(t)} {
		targets := conditionTargets(ed)
		t.Run(ed.ID, rapid.MakeCheck(func(t *rapid.T) {
			answers := answersGen(ed).Draw(t, "answers")
			var ids []string
			for id, a := range answers {
				ind, _, _ := ed.Indicator(id)
				if _, ok := raise(ind, a); ok && !a.NA && !targets[id] {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				t.Skip("nothing to raise")
			}
			slices.Sort(ids)
			id := rapid.SampledFrom(ids).Draw(t, "raised")
			ind, _, _ := ed.Indicator(id)
			before := assessments.Score(ed, answers)
			higher, _ := raise(ind, answers[id])
			answers[id] = higher
			after := assessments.Score(ed, answers)
			if after.Overall.Score < before.Overall.Score-1e-9 || after.Overall.Level < before.Overall.Level {
				t.Fatalf("raising %s lowered overall %+v → %+v", id, before.Overall, after.Overall)
			}
			for i := range before.Dimensions {
				b, a := before.Dimensions[i].Value, after.Dimensions[i].Value
				if a.Score < b.Score-1e-9 || a.Level < b.Level {
					t.Fatalf("raising %s lowered %s %+v → %+v", id, before.Dimensions[i].ID, b, a)
				}
			}
		}))
	}
}

func TestPropertyScalingWeightsChangesNothing(t *testing.T) {
	for _, ed := range []*frameworks.Edition{dmf(t), allTypes(t)} {
		t.Run(ed.ID, rapid.MakeCheck(func(t *rapid.T) {
			answers := answersGen(ed).Draw(t, "answers")
			c := rapid.SampledFrom([]float64{0.5, 2, 3, 7.5, 1000, 0.001}).Draw(t, "factor")
			scaled := scaleWeights(ed, c)
			a, b := assessments.Score(ed, answers), assessments.Score(scaled, answers)
			same := func(x, y assessments.Value) bool {
				return x.Scored == y.Scored && x.Level == y.Level && math.Abs(x.Score-y.Score) <= 1.5e-9 // one snapping step
			}
			if !same(a.Overall, b.Overall) {
				t.Fatalf("×%v changed overall %+v → %+v", c, a.Overall, b.Overall)
			}
			for i := range a.Dimensions {
				if !same(a.Dimensions[i].Value, b.Dimensions[i].Value) {
					t.Fatalf("×%v changed %s", c, a.Dimensions[i].ID)
				}
			}
		}))
	}
}

// scaleWeights copies ed with every dimension and indicator weight × c.
func scaleWeights(ed *frameworks.Edition, c float64) *frameworks.Edition {
	cp := *ed
	cp.Dimensions = make([]frameworks.Dimension, len(ed.Dimensions))
	for d, dm := range ed.Dimensions {
		dm.Weight *= c
		dm.Indicators = append([]frameworks.Indicator(nil), dm.Indicators...)
		for i := range dm.Indicators {
			dm.Indicators[i].Weight *= c
		}
		cp.Dimensions[d] = dm
	}
	return &cp
}

// goldenResult is the rounded, labelled form of a Result, as a reader of
// the golden file would check it by hand.
type goldenResult struct {
	Overall      goldenValue            `json:"overall"`
	Dimensions   map[string]goldenValue `json:"dimensions"`
	Completeness float64                `json:"completeness"`
}

type goldenValue struct {
	Score float64 `json:"score"`
	Level int     `json:"level"`
	Label string  `json:"label"`
}

// TestGoldenFullAnswerSet scores one complete, varied answer set for the DMF
// edition and compares with testdata/dmf-full.golden.json. Run with -update
// after a deliberate change to the edition, and check the diff by hand.
func TestGoldenFullAnswerSet(t *testing.T) {
	ed := dmf(t)
	raw, err := os.ReadFile("testdata/dmf-full.answers.json")
	if err != nil {
		t.Fatal(err)
	}
	var answers assessments.Answers
	if err := json.Unmarshal(raw, &answers); err != nil {
		t.Fatal(err)
	}
	r := assessments.Score(ed, answers)
	label := func(v assessments.Value) goldenValue {
		return goldenValue{assessments.Round1(v.Score), v.Level, ed.Levels[v.Level-1].Label["en"]}
	}
	got := goldenResult{Overall: label(r.Overall), Dimensions: map[string]goldenValue{}, Completeness: r.Completeness}
	for _, d := range r.Dimensions {
		got.Dimensions[d.ID] = label(d.Value)
	}
	out, _ := json.MarshalIndent(got, "", "  ")
	out = append(out, '\n')
	const golden = "testdata/dmf-full.golden.json"
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(out) {
		t.Errorf("result differs from %s:\n%s", golden, out)
	}
}

func BenchmarkScore(b *testing.B) {
	ed := dmf(b)
	raw, err := os.ReadFile("testdata/dmf-full.answers.json")
	if err != nil {
		b.Fatal(err)
	}
	var answers assessments.Answers
	if err := json.Unmarshal(raw, &answers); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		assessments.Score(ed, answers)
	}
}

func nextAllTypes(t testing.TB) *frameworks.Edition {
	t.Helper()
	src, err := os.ReadFile("../frameworks/testdata/all-types-0.2.0.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ed, err := frameworks.Parse("all-types-0.2.0.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	return ed
}

// TestScoreGate: all-types 0.2.0 gates level 5 on dimension A at level 4.
func TestScoreGate(t *testing.T) {
	ed := nextAllTypes(t)
	a := assessments.Answers{
		"A.1": {Level: lv(3)}, "A.2a": {Selected: pick("web")}, "A.2b": {Selected: pick("office", "agent")},
		"A.3": {Selected: pick("yes")}, "A.5": {Level: lv(1)}, "B.4": {Level: lv(5)}, "C.1": {Selected: pick("yes")},
	}
	// A = (50 + 50 + 100 + 100 + 0) / 5 = 60, level 4: meets the gate.
	// Overall = (3·60 + 100 + 100) / 5 = 76: level 4, below the gate anyway.
	r := assessments.Score(ed, a)
	if r.Overall.Score != 76 || r.Overall.Level != 4 || r.Overall.CappedBy != nil {
		t.Fatalf("below the gate: overall %+v", r.Overall)
	}
	// With A weighing 1: (60 + 200) / 3 = 86.7, level 5, and A meets the gate.
	light := *ed
	light.Dimensions = slices.Clone(ed.Dimensions)
	light.Dimensions[0].Weight = 1
	if r := assessments.Score(&light, a); r.Overall.Level != 5 || r.Overall.CappedBy != nil {
		t.Fatalf("A at level 4: overall %+v", r.Overall)
	}
	// A.2b to one item: A = (50 + 50 + 50 + 100 + 0) / 5 = 50, level 3;
	// overall (50 + 200) / 3 = 83.3 reaches level 5 but is capped at 4.
	a["A.2b"] = assessments.Answer{Selected: pick("office")}
	r = assessments.Score(&light, a)
	if math.Abs(r.Overall.Score-250.0/3) > 1e-6 || r.Overall.Level != 4 || r.Overall.CappedBy == nil {
		t.Fatalf("gated: overall %+v", r.Overall)
	}
	c := r.Overall.CappedBy
	if c.Gate.Level != 5 || c.Gate.Requires.Dimension != "A" || c.Gate.Requires.MinLevel != 4 || c.Uncapped != 5 || c.DimensionLevel != 3 {
		t.Errorf("cap = %+v", *c)
	}
	if dim(r, "A").Value.CappedBy != nil {
		t.Error("a dimension is never capped")
	}
	js, _ := json.Marshal(r.JSON(&light, "ru").Overall)
	if want := `{"score":83.3,"level":4,"label":"Интегрированный","capped_by":{"gate":{"level":5,"requires":{"dimension":"A","min_level":4}},"uncapped_level":5,"uncapped_label":"Проактивный","dimension_level":3,"dimension_label":"Сложившийся"}}`; string(js) != want {
		t.Errorf("API overall = %s\nwant %s", js, want)
	}
	if js, _ := json.Marshal(assessments.Score(ed, uniform(ed, 2)).JSON(ed, "en").Overall); strings.Contains(string(js), "capped") {
		t.Errorf("uncapped overall carries a cap: %s", js)
	}
	// A without any score (all N/A or unanswered) does not show level 4 either.
	for _, id := range []string{"A.1", "A.2a", "A.2b", "A.3", "A.5"} {
		delete(a, id)
	}
	r = assessments.Score(&light, a)
	if r.Overall.Score != 100 || r.Overall.Level != 4 || r.Overall.CappedBy == nil || r.Overall.CappedBy.DimensionLevel != 0 {
		t.Errorf("A unscored: overall %+v", r.Overall)
	}
}

// gatesGen draws arbitrary gates on ed's scale and dimensions, contradictory
// ones included: the properties hold for any gates.
func gatesGen(ed *frameworks.Edition) *rapid.Generator[[]frameworks.Gate] {
	return rapid.Custom(func(t *rapid.T) []frameworks.Gate {
		var dims []string
		for _, d := range ed.Dimensions {
			dims = append(dims, d.ID)
		}
		top := len(ed.Levels)
		n := rapid.IntRange(0, 4).Draw(t, "gates")
		gs := make([]frameworks.Gate, n)
		for i := range gs {
			gs[i] = frameworks.Gate{Level: rapid.IntRange(2, top).Draw(t, "level"), Requires: frameworks.GateRequirement{
				Dimension: rapid.SampledFrom(dims).Draw(t, "dimension"), MinLevel: rapid.IntRange(2, top).Draw(t, "min_level"),
			}}
		}
		return gs
	})
}

// TestPropertyGates: gates never change a score; a capped level is below
// the gate that caps it, whose dimension is below what it asks; every gate
// whose dimension falls short holds the level below it; without gates (as
// every edition before 1.1) the level is the band of the score.
func TestPropertyGates(t *testing.T) {
	for _, ed := range []*frameworks.Edition{dmf(t), allTypes(t), nextAllTypes(t)} {
		t.Run(ed.ID+"@"+ed.Version, rapid.MakeCheck(func(t *rapid.T) {
			answers := answersGen(ed).Draw(t, "answers")
			ungated, gated := *ed, *ed
			ungated.Gates = nil
			gated.Gates = gatesGen(ed).Draw(t, "gates")
			u, g := assessments.Score(&ungated, answers), assessments.Score(&gated, answers)

			if u.Overall.CappedBy != nil || (u.Overall.Scored && u.Overall.Level != ed.LevelFor(u.Overall.Score).Level) {
				t.Fatalf("without gates the level is the band: %+v", u.Overall)
			}
			if g.Overall.Score != u.Overall.Score || g.Overall.Scored != u.Overall.Scored || g.Completeness != u.Completeness {
				t.Fatalf("gates changed the score: %+v → %+v", u.Overall, g.Overall)
			}
			for i := range u.Dimensions {
				if g.Dimensions[i].Value != u.Dimensions[i].Value {
					t.Fatalf("gates changed %s: %+v → %+v", u.Dimensions[i].ID, u.Dimensions[i].Value, g.Dimensions[i].Value)
				}
			}
			if !g.Overall.Scored {
				return
			}
			if g.Overall.Level > u.Overall.Level {
				t.Fatalf("a gate raised the level: %d → %d", u.Overall.Level, g.Overall.Level)
			}
			if c := g.Overall.CappedBy; c != nil {
				if g.Overall.Level >= c.Gate.Level || g.Overall.Level != c.Gate.Level-1 || c.Uncapped != u.Overall.Level ||
					c.DimensionLevel >= c.Gate.Requires.MinLevel || c.DimensionLevel != dim(g, c.Gate.Requires.Dimension).Value.Level {
					t.Fatalf("cap inconsistent: level %d, %+v", g.Overall.Level, *c)
				}
			} else if g.Overall.Level != u.Overall.Level {
				t.Fatalf("level lowered without a cap: %d → %d", u.Overall.Level, g.Overall.Level)
			}
			for _, gt := range gated.Gates {
				short := dim(g, gt.Requires.Dimension).Value.Level < gt.Requires.MinLevel
				if short && gt.Level <= u.Overall.Level && g.Overall.Level >= gt.Level {
					t.Fatalf("gate %+v not applied: level %d", gt, g.Overall.Level)
				}
			}
		}))
	}
}
