package main

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/unescap/dmf/frameworks"
	"github.com/xuri/excelize/v2"
)

// TestPluralForms: counted texts take the form each language's CLDR rules
// give the number, one test per Russian rule (one, few, many) and English.
func TestPluralForms(t *testing.T) {
	msgs, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 0, "0 assessments"}, {"en", 1, "1 assessment"}, {"en", 2, "2 assessments"}, {"en", 21, "21 assessments"},
		{"ru", 1, "1 оценка"}, {"ru", 2, "2 оценки"}, {"ru", 5, "5 оценок"}, {"ru", 21, "21 оценка"},
		{"ru", 11, "11 оценок"}, {"ru", 12, "12 оценок"}, {"ru", 22, "22 оценки"}, {"ru", 0, "0 оценок"}, {"ru", 111, "111 оценок"},
		// French: 0 and 1 are singular; whole millions take "de".
		{"fr", 0, "0 évaluation"}, {"fr", 1, "1 évaluation"}, {"fr", 2, "2 évaluations"}, {"fr", 1000000, "1000000 d'évaluations"},
		{"fr", 1000001, "1000001 évaluations"},
		// Chinese has one form.
		{"zh", 1, "1 项评估"}, {"zh", 2, "2 项评估"},
	} {
		if got := msgs.N(c.lang, "review.count", c.n); got != c.want {
			t.Errorf("%s %d: %q, want %q", c.lang, c.n, got, c.want)
		}
	}
	if got := msgs.N("ru", "assessment.incomplete", 3); got != "Чтобы подать оценку, нужно ответить ещё на 3 вопроса:" {
		t.Errorf("ru incomplete 3: %q", got)
	}
	if got := msgs.N("en", "assessment.incomplete", 1); got != "Before you can submit, 1 question needs an answer:" {
		t.Errorf("en incomplete 1: %q", got)
	}
}

// TestPluralFormsComplete: a counted text that lacks a form its language
// needs (Russian "few", say) stops the app as a missing text does.
func TestPluralFormsComplete(t *testing.T) {
	msgs, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(pluralForms("ru"), " "); got != "few many one other" {
		t.Errorf("Russian forms: %s", got)
	}
	if got := strings.Join(pluralForms("en"), " "); got != "one other" {
		t.Errorf("English forms: %s", got)
	}
	if got := strings.Join(pluralForms("fr"), " "); got != "many one other" {
		t.Errorf("French forms: %s", got)
	}
	if got := strings.Join(pluralForms("zh"), " "); got != "other" {
		t.Errorf("Chinese forms: %s", got)
	}
	delete(msgs.plurals["ru"]["review.count"], "few")
	delete(msgs.plurals["en"], "admin.audit.count")
	delete(msgs.plurals["fr"]["review.count"], "many")
	delete(msgs.plurals["zh"], "country.missing")
	got := strings.Join(msgs.missing(), "; ")
	if !strings.Contains(got, "ru: review.count.few") || !strings.Contains(got, "en: admin.audit.count (needs plural forms)") ||
		!strings.Contains(got, "fr: review.count.many") || !strings.Contains(got, "zh: country.missing (needs plural forms)") {
		t.Errorf("missing: %s", got)
	}
}

// TestNoHedgedPlurals: no interface text hedges a count with "(s)"; it
// says "1 assessment" or "2 assessments" through a counted text instead.
func TestNoHedgedPlurals(t *testing.T) {
	msgs, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range languages {
		for k, v := range msgs.msgs[lang] {
			if strings.Contains(v, "(s)") || strings.Contains(v, "(es)") {
				t.Errorf("%s %s: %q", lang, k, v)
			}
		}
		for k, forms := range msgs.plurals[lang] {
			for f, v := range forms {
				if strings.Contains(v, "(s)") {
					t.Errorf("%s %s.%s: %q", lang, k, f, v)
				}
			}
		}
	}
}

// TestHomeCountsIndicatorsInWords: the home page's "(26 indicators)" in the
// reader's language, with the right form for each count.
func TestHomeCountsIndicatorsInWords(t *testing.T) {
	a := newTestApp(t)
	ed, _ := a.s.editions.Edition(frameworks.DefaultID, "")
	b := a.browser()
	for _, lang := range languages {
		_, body := b.get("/?lang=" + lang)
		for _, d := range ed.Dimensions {
			want := "(" + a.s.msgs.N(lang, "framework.indicators.count", len(d.Indicators)) + ")"
			if !strings.Contains(body, want) {
				t.Errorf("%s: home lacks %q", lang, want)
			}
		}
		if strings.Contains(body, "индикаторов: ") {
			t.Errorf("%s: the old hedged count is back", lang)
		}
	}
}

// TestCardNamesItsCodes: the card page names every dimension code in the
// reader's language and keeps the identifiers only software needs in a
// "for verifiers" part after everything a reader uses.
func TestCardNamesItsCodes(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id, _ := issued(t, a, p, "Company registration")
	ed, _ := a.s.editions.Edition(frameworks.DefaultID, "")
	b := a.browser()
	for _, lang := range languages {
		_, body := b.get("/cards/" + id + "?lang=" + lang)
		body = html.UnescapeString(body)
		legend := strings.Index(body, `id="card-legend-h"`)
		verifiers := strings.Index(body, `id="card-verifiers"`)
		if legend < 0 || verifiers < legend {
			t.Fatalf("%s: legend at %d, verifiers part at %d", lang, legend, verifiers)
		}
		for _, d := range ed.Dimensions {
			name := d.Title.In(lang)
			if !strings.Contains(body, fmt.Sprintf(`<abbr title="%s">%s</abbr>`, name, d.ID)) ||
				!strings.Contains(body[legend:], fmt.Sprintf("<dt>%s</dt><dd>%s</dd>", d.ID, name)) {
				t.Errorf("%s: %s is not named %q", lang, d.ID, name)
			}
		}
		for _, tech := range []string{"did:web:", "sha256-", "tlog-proof", "/.well-known/did.json"} {
			if i := strings.Index(body, tech); i >= 0 && i < verifiers {
				t.Errorf("%s: %q shows before the verifiers part", lang, tech)
			}
		}
		if want := ed.LevelLabel(3).In(lang); !strings.Contains(body, " · "+want+"</span>") {
			t.Errorf("%s: the level is not named %q", lang, want)
		}
		if !strings.Contains(body[verifiers:], a.s.msgs.T(lang, "card.verifiers.help")) {
			t.Errorf("%s: the verifiers part does not say what the identifiers are for", lang)
		}
	}
}

// TestCompareHeadersNameDimensions: the comparison's column headers carry
// each dimension's name, with its code as the abbreviation.
func TestCompareHeadersNameDimensions(t *testing.T) {
	a, _ := compareWorld(t)
	ed, _ := a.s.editions.Edition(frameworks.DefaultID, "")
	b := a.browser()
	for _, lang := range languages {
		_, body := b.get("/compare?period=2026&lang=" + lang)
		body = html.UnescapeString(body)
		for _, d := range ed.Dimensions {
			name := d.Title.In(lang)
			want := fmt.Sprintf(`<th scope="col" class="num dim-col">%s <abbr class="dim-code" title="%s">%s</abbr></th>`, name, name, d.ID)
			if strings.Count(body, want) != 2 {
				t.Errorf("%s: %d headers %q", lang, strings.Count(body, want), want)
			}
		}
		if want := a.s.msgs.N(lang, "compare.public", 3); !strings.Contains(body, want) {
			t.Errorf("%s: lacks %q", lang, want)
		}
	}
}

// TestFrameworkDigestExplained: the framework page says in words what the
// digest is for; the value and the standard's name sit in a details part.
func TestFrameworkDigestExplained(t *testing.T) {
	a := newTestApp(t)
	ed, _ := a.s.editions.Edition(frameworks.DefaultID, "")
	b := a.browser()
	for _, lang := range languages {
		_, body := b.get("/frameworks/" + ed.ID + "?lang=" + lang)
		body = html.UnescapeString(body)
		details := strings.Index(body, `<details class="extras">`)
		if details < 0 {
			t.Fatalf("%s: no details part", lang)
		}
		for _, tech := range []string{ed.Digest, "RFC 8785", "SHA-256"} {
			if i := strings.Index(body, tech); i < details {
				t.Errorf("%s: %q at %d, outside the details part (at %d)", lang, tech, i, details)
			}
		}
		if !strings.Contains(body[:details], a.s.msgs.T(lang, "framework.data.text")) {
			t.Errorf("%s: no plain explanation", lang)
		}
	}
}

// TestGapsSayTheirOrderAndReportPrints: the result page says what orders
// its biggest gaps; the report has a print button that stays hidden until
// the script shows it (and so never shows without JavaScript).
func TestGapsSayTheirOrderAndReportPrints(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.approve(p.actorA, p.actorRev, "Company registration", 2026, func(i int) int { return 1 + i%5 }, true)
	b := a.browser()
	b.login(p.rev, pw)
	for _, lang := range languages {
		_, body := b.get(fmt.Sprintf("/assessments/%d/result?lang=%s", id, lang))
		body = html.UnescapeString(body)
		gaps := strings.Index(body, `id="gaps-h"`)
		if gaps < 0 || !strings.Contains(body[gaps:], a.s.msgs.T(lang, "result.gaps.order")) {
			t.Errorf("%s: the gaps do not say their order", lang)
		}
		_, body = b.get(fmt.Sprintf("/assessments/%d/report?lang=%s", id, lang))
		if !strings.Contains(body, `<button type="button" class="secondary" data-print hidden>`+a.s.msgs.T(lang, "report.print.button")+`</button>`) {
			t.Errorf("%s: report has no hidden print button", lang)
		}
	}
}

// TestWorkbooksNameDimensions: the Excel exports keep one header row of
// codes on the data sheet (what scripts read) and name each code on a
// "Dimensions" sheet, itself named in the language asked for.
func TestWorkbooksNameDimensions(t *testing.T) {
	a, p := compareWorld(t)
	ed, _ := a.s.editions.Edition(frameworks.DefaultID, "")
	rev := a.api(p.rev, pw)
	for _, path := range []string{"/api/v1/compare.xlsx?period=2026", "/api/v1/exports/approved.xlsx?period=2026"} {
		for _, lang := range languages {
			status, raw := rev.raw(http.MethodGet, path+"&lang="+lang, nil)
			f, err := excelize.OpenReader(bytes.NewReader(raw))
			if status != http.StatusOK || err != nil {
				t.Fatalf("%s: %d %v", path, status, err)
			}
			if sheets := f.GetSheetList(); !slices.Contains(sheets, a.s.msgs.T(lang, "xlsx.sheet.dimensions")) {
				t.Errorf("%s %s: sheets %v are not named in the language", path, lang, sheets)
			}
			rows, _ := f.GetRows(a.s.msgs.T(lang, "xlsx.sheet.dimensions"))
			if len(rows) != 1+len(ed.Dimensions) || strings.Join(rows[0], ",") != "code,dimension" {
				t.Fatalf("%s %s: dimensions sheet %v", path, lang, rows)
			}
			for i, d := range ed.Dimensions {
				if rows[1+i][0] != d.ID || rows[1+i][1] != d.Title.In(lang) {
					t.Errorf("%s %s: row %v, want %s %s", path, lang, rows[1+i], d.ID, d.Title.In(lang))
				}
			}
		}
	}
}
