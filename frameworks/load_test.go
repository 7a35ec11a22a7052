package frameworks_test

import (
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/unescap/dmf/frameworks"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseValidEdition(t *testing.T) {
	ed, err := frameworks.Parse("all-types.yaml", []byte(readTestdata(t, "all-types.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	if ed.IndicatorCount() != 7 {
		t.Errorf("indicators = %d, want 7", ed.IndicatorCount())
	}
	if !strings.HasPrefix(ed.Digest, "sha256:") || len(ed.Digest) != len("sha256:")+64 {
		t.Errorf("digest = %q", ed.Digest)
	}
	if !strings.HasPrefix(ed.DigestSRI(), "sha384-") {
		t.Errorf("sri = %q", ed.DigestSRI())
	}
	ind, ref, ok := ed.Indicator("B.1")
	if !ok || ind.Type != frameworks.TypeNumber || ref.Dimension != 1 || ref.Ordinal != 4 {
		t.Errorf("Indicator(B.1) = %+v %+v %v", ind, ref, ok)
	}
}

// TestDigestIgnoresFormatting: the digest is over canonical content, so
// comments, key order and layout do not change it, but a text does.
func TestDigestIgnoresFormatting(t *testing.T) {
	src := readTestdata(t, "all-types.yaml")
	a, err := frameworks.Parse("a.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	reformatted := "# another comment\n" + strings.Replace(src,
		"title: {en: All indicator types, ru: Все типы индикаторов}",
		"title:\n  ru: Все типы индикаторов\n  en: All indicator types", 1)
	b, err := frameworks.Parse("b.yaml", []byte(reformatted))
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest != b.Digest || a.DigestSRI() != b.DigestSRI() {
		t.Errorf("formatting changed the digest: %s vs %s", a.Digest, b.Digest)
	}
	c, err := frameworks.Parse("c.yaml", []byte(strings.Replace(src, "Is there an API?", "Is there an open API?", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Digest == a.Digest {
		t.Error("a changed question kept the digest")
	}
}

// TestParseBrokenEditions feeds one broken edition per rule and checks that
// the error names the path and says what is wrong.
func TestParseBrokenEditions(t *testing.T) {
	valid := readTestdata(t, "all-types.yaml")
	cases := []struct {
		name      string
		old, new  string // replace old with new in the valid edition
		path, msg string
	}{
		{"bad id", "id: test-all-types", "id: Test All", "id", "lowercase letters"},
		{"bad version", "version: 0.1.0", "version: one", "version", "semantic version"},
		{"duplicate dimension id", "  - id: B\n", "  - id: A\n", "dimensions[1]", "used twice"},
		{"duplicate indicator id", "id: B.3", "id: A.1", "dimensions[1].indicators[2].id", "must be unique"},
		{"duplicate option id", "{id: L2, level: 2, label: {en: two, ru: два}}\n          - {id: L3, level: 3, label: {en: three, ru: три}}\n          - {id: L4",
			"{id: L2, level: 2, label: {en: two, ru: два}}\n          - {id: L2, level: 3, label: {en: three, ru: три}}\n          - {id: L4",
			"dimensions[0].indicators[0].options[2]", "used twice"},
		{"zero dimension weight", "    weight: 2\n    title: {en: Dimension A", "    weight: 0\n    title: {en: Dimension A",
			"dimensions[0].weight", "greater than 0"},
		{"negative indicator weight", "id: B.1\n        weight: 1", "id: B.1\n        weight: -1", "dimensions[1].indicators[0].weight", "at least 0"},
		{"first level not at 0", "{level: 1, min: 0,", "{level: 1, min: 5,", "levels[0].min", "start at 0"},
		{"thresholds not rising", "{level: 3, min: 40,", "{level: 3, min: 15,", "levels[2].min", "must rise"},
		{"levels out of order", "{level: 2, min: 20,", "{level: 7, min: 20,", "levels[1].level", "expected 2"},
		{"level option missing a level", "{id: L5, level: 5, label: {en: five, ru: пять}}\n        recommendations:\n          - {level: 1, text: {en: go to two",
			"{id: L5, level: 4, label: {en: five, ru: пять}}\n        recommendations:\n          - {level: 1, text: {en: go to two",
			"dimensions[0].indicators[0].options[4].level", "already used"},
		{"exclusive on a level option", "{id: L1, level: 1, label: {en: one, ru: один}}\n          - {id: L2, level: 2, label: {en: two, ru: два}}\n          - {id: L3, level: 3, label: {en: three, ru: три}}\n          - {id: L4",
			"{id: L1, level: 1, exclusive: true, label: {en: one, ru: один}}\n          - {id: L2, level: 2, label: {en: two, ru: два}}\n          - {id: L3, level: 3, label: {en: three, ru: три}}\n          - {id: L4",
			"dimensions[0].indicators[0].options[0].exclusive", "only checklist items"},
		{"two exclusive items", "{id: agent, label", "{id: agent, exclusive: true, label", "dimensions[0].indicators[1].options", "at most one exclusive"},
		{"checklist item with a level", "{id: web, label", "{id: web, level: 2, label", "dimensions[0].indicators[1].options[0]", "no level or score"},
		{"yesno with a third option", "{id: no, label: {en: \"No\", ru: Нет}}", "{id: no, label: {en: \"No\", ru: Нет}}\n          - {id: maybe, label: {en: Maybe, ru: Может быть}}",
			"dimensions[0].indicators[2].options", "exactly two options"},
		{"number bands falling", "{min: 5, score: 100}", "{min: 0.5, score: 100}", "dimensions[1].indicators[0].bands[2].min", "must rise"},
		{"number band scores falling", "{min: 5, score: 100}", "{min: 5, score: 20}", "dimensions[1].indicators[0].bands[2].score", "must not fall"},
		{"explicit scores falling", "{id: L4, level: 4, score: 90,", "{id: L4, level: 4, score: 30,", "dimensions[1].indicators[2].options[3].score", "must not fall"},
		{"score above 100", "{id: L5, level: 5, score: 100,", "{id: L5, level: 5, score: 120,", "dimensions[1].indicators[2].options[4].score", "at most 100"},
		{"text with weight", "id: B.2\n", "id: B.2\n        weight: 1\n", "dimensions[1].indicators[1].weight", "not scored"},
		{"condition points forward", "condition: {indicator: A.3, in: [yes]}", "condition: {indicator: B.1, in: [yes]}",
			"dimensions[0].indicators[3].condition.indicator", "not an earlier indicator"},
		{"condition on unknown option", "condition: {indicator: A.3, in: [yes]}", "condition: {indicator: A.3, in: [perhaps]}",
			"dimensions[0].indicators[3].condition.in[0]", "has no option \"perhaps\""},
		{"condition on a number", "type: number", "type: number\n        condition: {indicator: A.1, in: [L1]}\n", "", ""}, // valid: pointing at a level indicator
		{"missing Russian text", `question: {en: "Is there an API?", ru: "Есть ли API?"}`, `question: {en: "Is there an API?"}`,
			"dimensions[0].indicators[2].question", "missing in \"ru\""},
		{"undeclared language", `question: {en: "Days to a decision?", ru: "Дней до решения?"}`, `question: {en: "Days to a decision?", ru: "Дней до решения?", kk: "Шешімге дейінгі күндер?"}`,
			"dimensions[1].indicators[0].question", "does not declare"},
		{"missing recommendation", "          - {level: 3, text: {en: go to four, ru: к четырём}}\n", "",
			"dimensions[0].indicators[0].recommendations", "from level 3"},
		{"recommendation at the top level (sustain and share)", "          - {level: 4, text: {en: go to five, ru: к пяти}}\n",
			"          - {level: 4, text: {en: go to five, ru: к пяти}}\n          - {level: 5, text: {en: sustain and share, ru: поддерживайте и делитесь}}\n", "", ""},
		{"recommendation above the top level", "          - {level: 4, text: {en: go to five, ru: к пяти}}\n",
			"          - {level: 4, text: {en: go to five, ru: к пяти}}\n          - {level: 6, text: {en: beyond, ru: дальше}}\n",
			"dimensions[0].indicators[0].recommendations[4].level", "between 1 and 5"},
		{"unknown perspective", "    perspectives: [SME]\n    indicators:\n      - id: B.1", "    perspectives: [SME, BANKS]\n    indicators:\n      - id: B.1",
			"dimensions[1].perspectives[1]", "not defined"},
		{"bad WSIS line", "wsis: [C5, C11]", "wsis: [C5, C12]", "dimensions[1].wsis[1]", "C1 to C11"},
		{"unknown type", "type: yesno", "type: boolean", "dimensions[0].indicators[2].type", "one of level, checklist"},
		{"misspelt key", "not_applicable: true", "not_aplicable: true", "dimensions[0].indicators[0].not_aplicable", "unknown key"},
		{"wrong value type", "id: B.1\n        weight: 1", "id: B.1\n        weight: heavy", "dimensions[1].indicators[0].weight", "expected a number"},
		{"misspelt dimensions: unknown key", "dimensions:\n  - id: A", "dimension:\n  - id: A", "dimension", "unknown key"},
		{"misspelt dimensions: missing", "dimensions:\n  - id: A", "dimension:\n  - id: A", "dimensions", "is required"},
		// Edition 1.1 additions: gates, previous and replaces, who and effort.
		{"valid gate", "dimensions:\n  - id: A", "gates:\n  - {level: 5, requires: {dimension: A, min_level: 4}}\ndimensions:\n  - id: A", "", ""},
		{"gate above the scale", "dimensions:\n  - id: A", "gates:\n  - {level: 6, requires: {dimension: A, min_level: 4}}\ndimensions:\n  - id: A", "gates[0].level", "between 2 and 5"},
		{"gate on level 1", "dimensions:\n  - id: A", "gates:\n  - {level: 1, requires: {dimension: A, min_level: 4}}\ndimensions:\n  - id: A", "gates[0].level", "between 2 and 5"},
		{"gate on unknown dimension", "dimensions:\n  - id: A", "gates:\n  - {level: 5, requires: {dimension: PROACT, min_level: 4}}\ndimensions:\n  - id: A", "gates[0].requires.dimension", "\"PROACT\" is not defined"},
		{"gate min_level off the scale", "dimensions:\n  - id: A", "gates:\n  - {level: 5, requires: {dimension: A, min_level: 9}}\ndimensions:\n  - id: A", "gates[0].requires.min_level", "between 2 and 5"},
		{"gate without a dimension", "dimensions:\n  - id: A", "gates:\n  - {level: 5, requires: {min_level: 4}}\ndimensions:\n  - id: A", "gates[0].requires.dimension", "is required"},
		{"two gates contradicting", "dimensions:\n  - id: A", "gates:\n  - {level: 5, requires: {dimension: A, min_level: 4}}\n  - {level: 5, requires: {dimension: A, min_level: 3}}\ndimensions:\n  - id: A", "gates[1]", "contradict"},
		{"higher gate asking less", "dimensions:\n  - id: A", "gates:\n  - {level: 4, requires: {dimension: A, min_level: 4}}\n  - {level: 5, requires: {dimension: A, min_level: 3}}\ndimensions:\n  - id: A", "gates[1].requires.min_level", "cannot require less"},
		{"gates on two dimensions", "dimensions:\n  - id: A", "gates:\n  - {level: 4, requires: {dimension: A, min_level: 4}}\n  - {level: 5, requires: {dimension: B, min_level: 3}}\ndimensions:\n  - id: A", "", ""},
		{"previous not older", "version: 0.1.0", "version: 0.1.0\nprevious: 0.2.0", "previous", "older version"},
		{"previous not a version", "version: 0.1.0", "version: 0.1.0\nprevious: last", "previous", "semantic version"},
		{"replaces without previous", "id: B.1\n", "id: B.1\n        replaces: [B.1]\n", "dimensions[1].indicators[0].replaces", "names none"},
		{"dimension replaces without previous", "  - id: B\n", "  - id: B\n    replaces: [B]\n", "dimensions[1].replaces", "names none"},
		{"previous alone", "version: 0.1.0", "version: 0.1.0\nprevious: 0.0.1", "", ""},
		{"unknown who", "{level: 1, text: {en: measure it, ru: измеряйте}}", "{level: 1, who: ministry, effort: low, text: {en: measure it, ru: измеряйте}}",
			"dimensions[1].indicators[0].recommendations[0].who", "one of agency, government, regulator, partners"},
		{"unknown effort", "{level: 1, text: {en: measure it, ru: измеряйте}}", "{level: 1, who: agency, effort: huge, text: {en: measure it, ru: измеряйте}}",
			"dimensions[1].indicators[0].recommendations[0].effort", "one of low, medium, high"},
		{"who on some recommendations only", "{level: 1, text: {en: measure it, ru: измеряйте}}", "{level: 1, who: agency, text: {en: measure it, ru: измеряйте}}",
			"dimensions[0].indicators[0].recommendations[0].who", "every one must"},
		{"effort on some recommendations only", "{level: 1, text: {en: measure it, ru: измеряйте}}", "{level: 1, effort: low, text: {en: measure it, ru: измеряйте}}",
			"dimensions[1].indicators[2].recommendations[3].effort", "every one must"},
	}
	if n := len(cases); n < 15 {
		t.Fatalf("only %d broken editions", n)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(valid, tc.old) {
				t.Fatalf("test case does not apply: %q not in the valid edition", tc.old)
			}
			_, err := frameworks.Parse("broken.yaml", []byte(strings.Replace(valid, tc.old, tc.new, 1)))
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			var ps frameworks.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want Problems, got %v", err)
			}
			for _, p := range ps {
				if p.Path == tc.path && strings.Contains(p.Message, tc.msg) {
					if p.File != "broken.yaml" || p.Line == 0 {
						t.Errorf("problem lacks file or line: %+v", p)
					}
					return
				}
			}
			t.Errorf("no problem at %q containing %q; got:\n%v", tc.path, tc.msg, err)
		})
	}
}

// TestParseReportsEveryProblem: an editor fixes a file in one pass.
func TestParseReportsEveryProblem(t *testing.T) {
	src := readTestdata(t, "all-types.yaml")
	src = strings.Replace(src, "{level: 3, min: 40,", "{level: 3, min: 15,", 1)
	src = strings.Replace(src, "wsis: [C5, C11]", "wsis: [C5, C12]", 1)
	src = strings.Replace(src, `question: {en: "Is there an API?", ru: "Есть ли API?"}`, `question: {en: "Is there an API?"}`, 1)
	_, err := frameworks.Parse("x.yaml", []byte(src))
	var ps frameworks.Problems
	if !errors.As(err, &ps) || len(ps) < 3 {
		t.Fatalf("want at least 3 problems, got %v", err)
	}
	if !strings.Contains(err.Error(), "x.yaml:") {
		t.Errorf("message lacks the file name: %v", err)
	}
}

func TestParseGarbage(t *testing.T) {
	for _, src := range []string{"", "not: [valid", "- a\n- b\n", "id: [1, 2]\n", "\x00\x01"} {
		if _, err := frameworks.Parse("g.yaml", []byte(src)); err == nil {
			t.Errorf("Parse(%q) succeeded", src)
		}
	}
}

func TestEmbeddedEditionsLoad(t *testing.T) {
	cat, ref, err := frameworks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	newest, ok := cat.Edition("escap-dmf-dps-sme", "")
	if !ok {
		t.Fatal("the DMF edition is missing")
	}
	if newest.Version != "1.1.0" || newest.Previous != "1.0.0" {
		t.Errorf("newest DMF edition is %s (previous %q); new assessments should get 1.1.0", newest.Version, newest.Previous)
	}
	for _, tc := range []struct {
		version          string
		indicators, recs int
	}{
		{"1.0.0", 26, 4}, // advice for leaving levels 1-4
		{"1.1.0", 36, 5}, // and "sustain and share" at level 5
	} {
		dmf, ok := cat.Edition("escap-dmf-dps-sme", tc.version)
		if !ok {
			t.Fatalf("DMF %s is missing", tc.version)
		}
		if len(dmf.Dimensions) != 7 || dmf.IndicatorCount() != tc.indicators || len(dmf.Levels) != 5 {
			t.Errorf("DMF %s: %d dimensions, %d indicators, %d levels", tc.version, len(dmf.Dimensions), dmf.IndicatorCount(), len(dmf.Levels))
		}
		for _, d := range dmf.Dimensions {
			for _, ind := range d.Indicators {
				if ind.Type != frameworks.TypeLevel || len(ind.Options) != 5 || len(ind.Recommendations) != tc.recs || len(ind.Help) == 0 {
					t.Errorf("%s %s: every DMF indicator has five level descriptors, %d recommendations and help", tc.version, ind.ID, tc.recs)
				}
			}
		}
	}
	if len(ref.ActionLines) != 11 {
		t.Errorf("reference has %d action lines", len(ref.ActionLines))
	}
}

// TestReferenceKeepsNotesApart: the project's own explanations are notes,
// never part of a topic's summary of the ESCAP source.
func TestReferenceKeepsNotesApart(t *testing.T) {
	_, ref, err := frameworks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, tp := range ref.Topics {
		for _, lang := range ref.Languages {
			for _, s := range []string{"About this tool", "Об этом приложении", "pull of images", "притяжение образов"} {
				if strings.Contains(tp.Summary[lang], s) {
					t.Errorf("topic %s: the summary of the source contains the project's own text %q", tp.ID, s)
				}
			}
		}
		if tp.ID == "dmf" {
			for _, n := range tp.Notes {
				kinds[n.Kind] = true
			}
		}
	}
	if !kinds[frameworks.NoteExplanation] || !kinds[frameworks.NoteTool] {
		t.Errorf("the DMF topic's notes are %v; want an explanation and a note about this tool", kinds)
	}
	src := readTestdata(t, "../data/reference.yaml")
	broken := strings.Replace(src, "      - kind: tool\n", "      - kind: opinion\n", 1)
	_, err = frameworks.ParseReference("reference.yaml", []byte(broken))
	var ps frameworks.Problems
	if !errors.As(err, &ps) || !strings.Contains(err.Error(), "notes[1].kind") {
		t.Errorf("a note of an unknown kind: want a problem at notes[1].kind, got %v", err)
	}
}

// TestEdition100Unchanged: cards issued on 1.0.0 pin its digest, so no
// change to the format (new optional keys included) may change it. The
// release databases in assessments/testdata hold the digest and a card's
// digestSRI as that release wrote them.
func TestEdition100Unchanged(t *testing.T) {
	const (
		digest = "sha256:4edb8eb331ceecacef0e2228483b8245d2f081625c5b53e4e206e4adb0e53363"
		sri    = "sha384-rNucLkuMDqqaLNcbVNxeFAU3myeO3mPUCq1YKyWVk8SEprDbbry+nGkYjXyk3PaN"
	)
	dump, err := os.ReadFile("../assessments/testdata/release-28e81e5/postgres/dump.sql")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(dump), digest) {
		t.Fatalf("the release database does not hold %s", digest)
	}
	cards := strings.Index(string(dump), "INSERT INTO public.cards")
	if cards < 0 || !strings.Contains(string(dump[cards:]), hex.EncodeToString([]byte(`"digestSRI":"`+sri+`"`))) {
		t.Fatalf("the release database's cards do not pin %s", sri)
	}
	cat, _, err := frameworks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ed, ok := cat.Edition("escap-dmf-dps-sme", "1.0.0")
	if !ok {
		t.Fatal("edition 1.0.0 is missing")
	}
	if ed.Digest != digest || ed.DigestSRI() != sri {
		t.Errorf("edition 1.0.0 changed: digest %s (pinned %s), digestSRI %s (pinned %s)", ed.Digest, digest, ed.DigestSRI(), sri)
	}
}

func parseTestdata(t *testing.T, name string) *frameworks.Edition {
	t.Helper()
	ed, err := frameworks.Parse(name, []byte(readTestdata(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	return ed
}

// TestCatalogChecksReplaces: an edition that continues another is checked
// against it once both are loaded, with problems located in its own file.
func TestCatalogChecksReplaces(t *testing.T) {
	prev := parseTestdata(t, "all-types.yaml")
	next := parseTestdata(t, "all-types-0.2.0.yaml")
	cat, err := frameworks.NewCatalog(prev, next)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := cat.Previous(next); !ok || p != prev {
		t.Errorf("Previous(0.2.0) = %v, %v", p, ok)
	}
	if _, ok := cat.Previous(prev); ok {
		t.Error("0.1.0 names no previous edition")
	}
	if rec, _ := next.Dimensions[0].Indicators[0].Recommendation(3); rec.Who != frameworks.WhoGovernment || rec.Effort != frameworks.EffortHigh {
		t.Errorf("recommendation who/effort = %q/%q", rec.Who, rec.Effort)
	}

	src := readTestdata(t, "all-types-0.2.0.yaml")
	for _, tc := range []struct {
		name, old, new string
		path, msg      string
	}{
		{"unknown indicator", "replaces: [A.4]", "replaces: [A.9]", "dimensions[0].indicators[4].replaces[0]", `test-all-types@0.1.0 has no indicator "A.9"`},
		{"unknown dimension", "replaces: [B]", "replaces: [B, Z]", "dimensions[1].replaces[1]", `has no dimension "Z"`},
		{"same id not declared", "        replaces: [A.1]\n", "", "dimensions[0].indicators[0].id", `"A.1" also exists in test-all-types@0.1.0`},
		{"same dimension id not declared", "    replaces: [A]\n", "", "dimensions[0].id", `dimension "A" also exists`},
		{"previous not loaded", "previous: 0.1.0", "previous: 0.0.5", "previous", "test-all-types@0.0.5 is not loaded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(src, tc.old) {
				t.Fatalf("%q not in the file", tc.old)
			}
			ed, err := frameworks.Parse("next.yaml", []byte(strings.Replace(src, tc.old, tc.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = frameworks.NewCatalog(prev, ed)
			var ps frameworks.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want Problems, got %v", err)
			}
			for _, p := range ps {
				if p.Path == tc.path && strings.Contains(p.Message, tc.msg) {
					if p.File != "next.yaml" || p.Line == 0 {
						t.Errorf("problem lacks file or line: %+v", p)
					}
					return
				}
			}
			t.Errorf("no problem at %q containing %q; got:\n%v", tc.path, tc.msg, err)
		})
	}
}

// TestCountryScopeAndBasket: the 1.1 additions load, and each of their
// rules is enforced with a path and a reason.
func TestCountryScopeAndBasket(t *testing.T) {
	src := readTestdata(t, "country-scope.yaml")
	ed, err := frameworks.Parse("country-scope.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ind := range ed.CountryIndicators() {
		ids = append(ids, ind.ID)
	}
	if strings.Join(ids, ",") != "ENAB.1,ENAB.2,ENAB.3" {
		t.Errorf("country indicators = %v", ids)
	}
	if b, ok := ed.BasketOf("social-contributions"); !ok || b.Title.In("ru") != "Социальные взносы" {
		t.Errorf("BasketOf(social-contributions) = %+v, %v", b, ok)
	}
	if _, ok := ed.BasketOf("other"); ok {
		t.Error("an unmapped category has a basket service")
	}
	cases := []struct {
		name, old, new, path, msg string
	}{
		{"unknown scope", "        type: yesno\n        scope: country", "        type: yesno\n        scope: region",
			"dimensions[0].indicators[1].scope", "must be one of country"},
		{"country indicator conditional on a service one", "        scope: country\n        condition: {indicator: ENAB.2, in: [yes]}",
			"        scope: country\n        condition: {indicator: SERV.1, in: [L1]}", "", ""}, // forward: reported as not earlier
		{"condition on a service indicator", "      - id: SERV.2\n        weight: 1\n        type: yesno\n        condition: {indicator: ENAB.2, in: [yes]}",
			"      - id: SERV.2\n        weight: 1\n        type: yesno\n        scope: country\n        condition: {indicator: SERV.1, in: [L1]}",
			"dimensions[1].indicators[1].condition.indicator", "answered per service"},
		{"duplicate basket id", "  - id: tax\n", "  - id: business-registration\n", "basket[1]", "used twice"},
		{"basket title missing Russian", "title: {en: Tax and VAT, ru: Налоги и НДС}", "title: {en: Tax and VAT}", "basket[1].title", "missing in \"ru\""},
		{"basket without title", "    title: {en: Tax and VAT, ru: Налоги и НДС}\n", "", "basket[1].title", "is required"},
		{"category in two basket services", "categories: [tax]", "categories: [tax, business-registration]", "basket[1].categories[1]", "already in basket[0]"},
		{"basket service without categories", "categories: [tax]", "categories: []", "basket[1].categories", "at least 1"},
		{"bad category", "categories: [tax]", "categories: [Tax Office]", "basket[1].categories[0]", "lowercase letters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(src, tc.old) {
				t.Fatalf("test case does not apply: %q not in the edition", tc.old)
			}
			_, err := frameworks.Parse("broken.yaml", []byte(strings.Replace(src, tc.old, tc.new, 1)))
			if tc.path == "" {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			var ps frameworks.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want Problems, got %v", err)
			}
			for _, p := range ps {
				if p.Path == tc.path && strings.Contains(p.Message, tc.msg) {
					return
				}
			}
			t.Errorf("no problem at %q containing %q; got:\n%v", tc.path, tc.msg, err)
		})
	}
}

// TestEditionWithoutAdditionsKeepsItsDigest: the 1.1 keys are omitted from
// the canonical content when absent, so 1.0.0's digest does not move.
func TestEditionWithoutAdditionsKeepsItsDigest(t *testing.T) {
	ed, err := frameworks.Parse("all-types.yaml", []byte(readTestdata(t, "all-types.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	canon, err := ed.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"basket"`, `"scope"`} {
		if strings.Contains(string(canon), key) {
			t.Errorf("canonical content of an edition without %s contains it", key)
		}
	}
}
