package main

import (
	"context"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// withEditions gives the test app a store that also knows the test
// editions all-types 0.1.0 and a 0.2.0 that continues it (with dimension A
// weighing 1, so that a gate can bite), as an instance with both built in.
func (a *testApp) withEditions() (v1, v2 *frameworks.Edition) {
	t := a.t
	t.Helper()
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
	src := strings.Replace(string(read("all-types-0.2.0.yaml")), "    replaces: [A]\n    weight: 3", "    replaces: [A]\n    weight: 1", 1)
	if v2, err = frameworks.Parse("all-types-0.2.0.yaml", []byte(src)); err != nil {
		t.Fatal(err)
	}
	builtin, _, err := frameworks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := frameworks.NewCatalog(append(builtin.Editions(), v1, v2)...)
	if err != nil {
		t.Fatal(err)
	}
	st, err := assessments.Open(context.Background(), assessments.Options{Database: testDatabase(t, filepath.Join(t.TempDir(), "editions.db")), Editions: cat})
	if err != nil {
		t.Fatal(err)
	}
	old := a.s.store
	a.s.store, a.s.editions = st, st.Editions()
	t.Cleanup(func() { old.Close() }) // the app's own cleanup closes st
	return v1, v2
}

// submitted takes an assessment of the service on an edition to submitted.
func (a *testApp) submitted(by assessments.Actor, svc uint, version string, period int, ans assessments.Answers) uint {
	a.t.Helper()
	ctx := context.Background()
	as, err := a.s.store.CreateAssessment(ctx, by, assessments.NewAssessment{ServiceID: svc, FrameworkID: "test-all-types", Version: version, Period: period})
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.s.store.SaveAnswers(ctx, by, as.ID, nil, ans); err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.s.store.Submit(ctx, by, as.ID); err != nil {
		a.t.Fatal(err)
	}
	return as.ID
}

func itoa(id uint) string        { return strconv.FormatUint(uint64(id), 10) }
func htmlEscape(s string) string { return template.HTMLEscapeString(s) }
func lvl(k int) *int             { return &k }
func val(v float64) *float64     { return &v }
func sel(ids ...string) []string { return ids }

// TestResultAcrossEditionsAndGates: a service assessed on 0.1.0 in 2025 and
// on 0.2.0 in 2026. The 2026 result says why its level is capped, compares
// each dimension through replaces, says plainly what cannot be compared,
// and shows who acts and the effort of each recommendation, in English
// and Russian; the API carries the cap.
func TestResultAcrossEditionsAndGates(t *testing.T) {
	a := newTestApp(t)
	a.withEditions()
	p := a.seedPeople()
	svc, err := a.s.store.CreateService(context.Background(), p.actorA, assessments.Service{Name: "Company register", Category: "business-registration"})
	if err != nil {
		t.Fatal(err)
	}
	// 2025 on 0.1.0: A = (2·50 + 50 + 100 + 50) / 5 = 60; B = (100 + 3·90) / 4 = 92.5.
	first := a.submitted(p.actorA, svc.ID, "0.1.0", 2025, assessments.Answers{
		"A.1": {Level: lvl(3)}, "A.2": {Selected: sel("web", "mobile")}, "A.3": {Selected: sel("yes")}, "A.4": {Level: lvl(2)},
		"B.1": {Value: val(5)}, "B.3": {Level: lvl(4)},
	})
	// 2026 on 0.2.0: A = (50 + 50 + 50 + 100 + 0) / 5 = 50 (Established); B = 100; C = 100;
	// overall (50 + 100 + 100) / 3 = 83.3 reaches Proactive, but the gate asks A at Integrated.
	id := a.submitted(p.actorA, svc.ID, "0.2.0", 2026, assessments.Answers{
		"A.1": {Level: lvl(3)}, "A.2a": {Selected: sel("web")}, "A.2b": {Selected: sel("office")}, "A.3": {Selected: sel("yes")}, "A.5": {Level: lvl(1)},
		"B.4": {Level: lvl(5)}, "C.1": {Selected: sel("yes")},
	})
	path := "/assessments/" + itoa(id) + "/result"
	b := a.browser()
	b.login(p.a, pw)
	for lang, want := range map[string][]string{
		"en": {
			"83.3", "Level 4 · Integrated",
			"Capped at Integrated because Dimension A is at Established; it needs Integrated or more before the overall level can be Proactive.",
			"The 2025 assessment used version 0.1.0 of the framework, this one version 0.2.0.",
			"The overall score is not comparable with 2025: the dimensions changed in version 0.2.0.",
			"−10.0", "+7.5", "not comparable: new in version 0.2.0",
			"A.2a: not comparable: A.2 was split in version 0.2.0", "B.4: not comparable: merged from B.1, B.3 in version 0.2.0",
			"Who acts: the government · Effort: high",
		},
		"ru": {
			"Уровень ограничен значением «Интегрированный», потому что измерение «Измерение A» на уровне «Сложившийся»",
			"Оценка 2025 г. проведена по версии 0.1.0", "несопоставимо: новый в версии 0.2.0",
			"A.2b: несопоставимо: A.2 разделён в версии 0.2.0", "Кто действует: правительство · Затраты: высокие",
		},
	} {
		u, _ := url.Parse(b.base)
		b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: lang, Path: "/"}})
		for _, page := range []string{path, strings.TrimSuffix(path, "result") + "report"} {
			resp, raw := b.get(page)
			body := html.UnescapeString(raw)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s (%s): %d", page, lang, resp.StatusCode)
			}
			if m := untranslated.FindString(body); m != "" {
				t.Errorf("%s (%s): untranslated key %s", page, lang, m)
			}
			for _, w := range want {
				if strings.HasSuffix(page, "report") && !strings.Contains(w, "Capped") && !strings.Contains(w, "ограничен") && !strings.Contains(w, "acts") && !strings.Contains(w, "действует") {
					continue // the report shows the cap and the advice, not the comparison
				}
				if !strings.Contains(body, w) {
					t.Errorf("%s (%s) lacks %q", page, lang, w)
				}
			}
		}
	}

	// The comparison's trend says why 2025 is left out: 0.2.0 added a dimension.
	for _, id := range []uint{first, id} {
		if _, err := a.s.store.Review(context.Background(), p.actorRev, id, assessments.ReviewInput{Decision: assessments.DecisionApprove}); err != nil {
			t.Fatal(err)
		}
	}
	rb := a.browser()
	rb.login(p.rev, pw)
	if _, body := rb.get("/compare?framework=test-all-types&period=2026"); !strings.Contains(body, "Years assessed with version 0.1.0 are not shown: version 0.2.0 changed the dimensions") {
		t.Errorf("comparison does not say why 2025 is left out:\n%.3000s", body)
	}

	status, body := a.api(p.a, pw).call(http.MethodGet, "/api/v1/assessments/"+itoa(id), nil)
	overall, _ := body["scores"].(map[string]any)["overall"].(map[string]any)
	capped, _ := overall["capped_by"].(map[string]any)
	if status != http.StatusOK || overall["level"] != 4.0 || capped["uncapped_level"] != 5.0 || capped["dimension_level"] != 3.0 {
		t.Errorf("API overall: %d %v", status, overall)
	}
}

// TestFrameworkPageChangelog: the page of an edition that continues
// another lists what changed, generated from the two, in each language of
// the edition; the older edition's page has no changelog.
func TestFrameworkPageChangelog(t *testing.T) {
	a := newTestApp(t)
	v1, v2 := a.withEditions()
	for _, lang := range v2.Languages {
		rec := a.get("/frameworks/test-all-types", "Cookie", "lang="+lang)
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", lang, rec.Code)
		}
		if m := untranslated.FindString(body); m != "" {
			t.Errorf("%s: untranslated key %s", lang, m)
		}
		lines := a.s.changelog(lang, v1, v2)
		if len(lines) != len(frameworks.Changes(v1, v2)) {
			t.Errorf("%s: %d lines for %d changes", lang, len(lines), len(frameworks.Changes(v1, v2)))
		}
		for _, h := range lines {
			l := string(h)
			if strings.Contains(l, "[change.") || strings.Contains(l, "%!") {
				t.Errorf("%s: broken line %q", lang, l)
			}
			if !strings.Contains(body, l) {
				t.Errorf("%s: page lacks %q", lang, l)
			}
		}
	}
	en := a.get("/frameworks/test-all-types", "Cookie", "lang=en").Body.String()
	for _, w := range []string{
		"What changed from version 0.1.0", "A.2 split into A.2a, A.2b: Which channels?", "B.4 merges B.1, B.3: Decisions",
		"A.5 (formerly A.4): How mature is the API?", "A.3 reworded: Is there an open API?", "A.1: weight 2 → 1",
		"New dimension C: Dimension C", "Indicator B.2 removed: Anything else?",
		"New level gate: the overall level Proactive requires Dimension A at Integrated or more.",
	} {
		if !strings.Contains(en, htmlEscape(w)) {
			t.Errorf("English page lacks %q", w)
		}
	}
	ru := a.get("/frameworks/test-all-types", "Cookie", "lang=ru").Body.String()
	for _, w := range []string{"Что изменилось по сравнению с версией 0.1.0", "A.2 разделён на A.2a, A.2b: Какие каналы?", "Индикатор B.2 исключён"} {
		if !strings.Contains(ru, htmlEscape(w)) {
			t.Errorf("Russian page lacks %q", w)
		}
	}
	if dim := a.get("/frameworks/test-all-types/dimensions/A", "Cookie", "lang=en").Body.String(); !strings.Contains(dim, "Who acts: the government · Effort: high") {
		t.Error("the dimension page does not say who acts on a recommendation")
	}
	if old := a.get("/frameworks/test-all-types?version=0.1.0", "Cookie", "lang=en").Body.String(); strings.Contains(old, "What changed") {
		t.Error("the first edition has a changelog")
	}
}

// TestChangelogQuotesInPageLanguage: the changes from 1.0.0 to 1.1.0 quote
// 1.1.0's questions in French and Chinese from its translations; a split
// quotes the 1.0.0 question, which exists in English and Russian only, in
// English marked lang="en" rather than passing it off as the page's
// language or putting a later question in its place.
func TestChangelogQuotesInPageLanguage(t *testing.T) {
	a := newTestApp(t)
	for lang, want := range map[string][]string{
		"fr": {"STRAT.1 reformulé\u00a0: Le développement numérique", "SERV.3 scindé en SERV.3, INCL.5\u00a0: <span lang=\"en\">How easy is"},
		"zh": {"STRAT.1 措辞修改：本服务的数字化发展", "SERV.3 拆分为 SERV.3, INCL.5：<span lang=\"en\">How easy is"},
		"ru": {"SERV.3 разделён на SERV.3, INCL.5: Насколько"},
	} {
		body := a.get("/frameworks/escap-dmf-dps-sme", "Cookie", "lang="+lang).Body.String()
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the changelog lacks %q", lang, w)
			}
		}
	}
}

// TestWhoAndEffortTexts: every value the format allows has a text.
func TestWhoAndEffortTexts(t *testing.T) {
	msgs, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{frameworks.WhoAgency, frameworks.WhoGovernment, frameworks.WhoRegulator, frameworks.WhoPartners} {
		if !msgs.has("who." + k) {
			t.Errorf("no text for who %q", k)
		}
	}
	for _, k := range []string{frameworks.EffortLow, frameworks.EffortMedium, frameworks.EffortHigh} {
		if !msgs.has("effort." + k) {
			t.Errorf("no text for effort %q", k)
		}
	}
}
