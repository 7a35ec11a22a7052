package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

var (
	versionField = regexp.MustCompile(`name="version" value="(\d+)"`)
	assessmentID = regexp.MustCompile(`^/assessments/(\d+)$`)
)

// dimensionForm answers every indicator of a dimension of the newest
// edition at level k, as the questionnaire form posts it.
func dimensionForm(a *testApp, dim string, k int, version string) url.Values {
	ed, _ := a.s.editions.Edition("escap-dmf-dps-sme", "")
	return dimensionFormOf(ed, dim, k, version)
}

// dimensionFormOf is dimensionForm for a given edition. The form carries
// only the service's own indicators: scope: country ones are the
// coordinator's, shown read-only.
func dimensionFormOf(ed *frameworks.Edition, dim string, k int, version string) url.Values {
	d, _ := ed.Dimension(dim)
	f := url.Values{"version": {version}}
	for _, ind := range d.Indicators {
		if ind.CountryScoped() {
			continue
		}
		f.Add("ids", ind.ID)
		f.Set(ind.ID+".level", strconv.Itoa(k))
	}
	return f
}

func formVersion(t *testing.T, body string) string {
	t.Helper()
	m := versionField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no version field in the form:\n%.500s", body)
	}
	return m[1]
}

// TestRespondentJourneyByPages: a respondent signs in, registers a
// service, starts an assessment, answers every dimension with plain form
// posts, sees what is missing, submits, and reads the result and report.
func TestRespondentJourneyByPages(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	b := a.browser()

	if resp, _ := b.get("/assessments"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("anonymous: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	b.login(p.a, pw)

	resp, body := b.post("/services", url.Values{"name": {""}, "category": {"tax"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#f-name"`) || !strings.Contains(body, "must be 1 to 200 characters") {
		t.Fatalf("invalid service: %d", resp.StatusCode)
	}
	resp, _ = b.post("/services", url.Values{"name": {"Online company registration"}, "category": {"business-registration"}, "life_event": {"starting"}, "url": {"https://egov.example.kz/register"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create service: %d", resp.StatusCode)
	}
	_, body = b.get("/assessments/new")
	svcID := regexp.MustCompile(`<option value="(\d+)"[^>]*>Online company registration`).FindStringSubmatch(body)
	if svcID == nil {
		t.Fatal("service not offered for a new assessment")
	}
	resp, _ = b.post("/assessments", url.Values{"service": {svcID[1]}, "period": {"2026"}, "edition": {"escap-dmf-dps-sme@1.0.0"}})
	m := assessmentID.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("create assessment: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	base := "/assessments/" + m[1]
	if resp, _ := b.post("/assessments", url.Values{"service": {svcID[1]}, "period": {"2026"}, "edition": {"escap-dmf-dps-sme@1.0.0"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("second assessment of the same period: %d", resp.StatusCode)
	}

	// Submitting early lists what is missing, with links to the questions.
	resp, body = b.post(base+"/submit", nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "/dimensions/SERV#ind-SERV.1") {
		t.Fatalf("early submit: %d", resp.StatusCode)
	}

	// Answer every dimension of the chosen edition at level 3, except SERV at level 4.
	ed, _ := a.s.editions.Edition("escap-dmf-dps-sme", "1.0.0")
	for _, d := range ed.Dimensions {
		_, page := b.get(base + "/dimensions/" + d.ID)
		k := 3
		if d.ID == "SERV" {
			k = 4
		}
		resp, _ := b.post(base+"/dimensions/"+d.ID, dimensionFormOf(ed, d.ID, k, formVersion(t, page)))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save %s: %d", d.ID, resp.StatusCode)
		}
	}
	_, page := b.get(base + "/dimensions/SERV?notice=saved")
	if !strings.Contains(page, `role="status">Saved.`) || !strings.Contains(page, `name="SERV.1.level" value="4" id="SERV.1-L4" checked`) {
		t.Errorf("saved answer not shown checked")
	}

	// A refused save shows the reasons next to the fields and loses nothing.
	bad := dimensionFormOf(ed, "XBORD", 2, formVersion(t, page))
	bad.Set("XBORD.2.na", "1")
	bad.Set("XBORD.1.evidence", "javascript:alert(1)")
	resp, body = b.post(base+"/dimensions/XBORD", bad)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#f-answers-XBORD-2-justification"`) ||
		!strings.Contains(body, `href="#f-answers-XBORD-1-evidence"`) || !strings.Contains(body, "javascript:alert(1)</textarea>") {
		t.Errorf("refused save: %d", resp.StatusCode)
	}
	answers := answersOf(t, a, p.actorA, m[1])
	if *answers["XBORD.1"].Level != 3 || answers["XBORD.2"].NA {
		t.Errorf("a refused save changed the draft: %+v", answers["XBORD.1"])
	}

	// All answered: the main button says so, and submitting asks first.
	if _, body := b.get(base); !strings.Contains(body, `href="#submit">`+a.s.msgs.T("en", "assessment.next.submit")) {
		t.Errorf("the overview's main button of a complete assessment does not offer to submit")
	}
	resp, body = b.post(base+"/submit", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, a.s.msgs.T("en", "confirm.submit.title")) || !strings.Contains(body, `name="confirm" value="yes"`) {
		t.Fatalf("submit without confirming: %d", resp.StatusCode)
	}
	if n, _ := strconv.Atoi(m[1]); true {
		if as, _ := a.s.store.Assessment(context.Background(), p.actorA, uint(n)); as.Status != assessments.StatusDraft {
			t.Fatalf("submitted before confirming: %s", as.Status)
		}
	}
	resp, _ = b.post(base+"/submit", url.Values{"confirm": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "/result?notice=submitted") {
		t.Fatalf("submit: %d", resp.StatusCode)
	}
	// Read-only now, for everyone.
	if resp, _ := b.post(base+"/dimensions/SERV", dimensionFormOf(ed, "SERV", 5, "99")); resp.StatusCode != http.StatusConflict {
		t.Errorf("edit after submission: %d", resp.StatusCode)
	}

	// SERV = 75 (weight 20), six dimensions at 50 (weight 80): overall 55.
	_, body = b.get(base + "/result")
	for _, want := range []string{`class="score-value">55.0<`, `<svg xmlns="http://www.w3.org/2000/svg" class="radar"`, "SME-centred design and delivery</th>", ">75.0<", "How to reach the next level"} {
		if !strings.Contains(body, want) {
			t.Errorf("result page lacks %q", want)
		}
	}
	_, body = b.get(base + "/report")
	if !strings.Contains(body, "Assessment report") || strings.Count(body, `class="report-item`) != 26 {
		t.Errorf("report: %d items", strings.Count(body, `class="report-item`))
	}
	resp, body = b.get(base + "/export")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(body, `"format": "dmf-assessment/1"`) {
		t.Errorf("export: %d %v", resp.StatusCode, resp.Header)
	}
}

func answersOf(t *testing.T, a *testApp, by assessments.Actor, id string) assessments.Answers {
	t.Helper()
	n, _ := strconv.Atoi(id)
	as, err := a.s.store.Assessment(context.Background(), by, uint(n))
	if err != nil {
		t.Fatal(err)
	}
	ans, err := a.s.store.Answers(context.Background(), as)
	if err != nil {
		t.Fatal(err)
	}
	return ans
}

// TestConflictOnThePage: two colleagues open the same page; the second save
// is refused with a clear message instead of overwriting the first.
func TestConflictOnThePage(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.startAssessment(p.actorA)
	one, two := a.browser(), a.browser()
	one.login(p.a, pw)
	two.login(p.a2, pw)
	path := fmt.Sprintf("/assessments/%d/dimensions/STRAT", id)
	_, page1 := one.get(path)
	_, page2 := two.get(path)
	if resp, _ := one.post(path, dimensionForm(a, "STRAT", 4, formVersion(t, page1))); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first save: %d", resp.StatusCode)
	}
	resp, body := two.post(path, dimensionForm(a, "STRAT", 2, formVersion(t, page2)))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "A colleague saved this assessment") || !strings.Contains(body, "STRAT.1, STRAT.2, STRAT.3") {
		t.Fatalf("stale save: %d", resp.StatusCode)
	}
	if *answersOf(t, a, p.actorA, strconv.Itoa(int(id)))["STRAT.1"].Level != 4 {
		t.Error("the colleague's answer was overwritten")
	}
	// The page now carries the current version: saving again is deliberate.
	if resp, _ := two.post(path, dimensionForm(a, "STRAT", 2, formVersion(t, body))); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("deliberate second save: %d", resp.StatusCode)
	}
}

func (a *testApp) startAssessment(by assessments.Actor) uint {
	a.t.Helper()
	ctx := context.Background()
	svc, err := a.s.store.CreateService(ctx, by, assessments.Service{Name: fmt.Sprintf("Service %d", by.UserID), Category: "tax"})
	if err != nil {
		a.t.Fatal(err)
	}
	as, err := a.s.store.CreateAssessment(ctx, by, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: "escap-dmf-dps-sme", Period: 2026})
	if err != nil {
		a.t.Fatal(err)
	}
	return as.ID
}

// TestAPIJourney drives a whole assessment through the API and checks the
// scores against the scoring engine's own result for the same answers.
func TestAPIJourney(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	c := a.api(p.a, pw)
	status, created := c.call(http.MethodPost, "/api/v1/assessments", map[string]any{
		"framework": "escap-dmf-dps-sme", "period": 2026,
		"service": map[string]any{"name": "VAT registration", "category": "tax", "url": "https://tax.example.kz"},
	})
	if status != http.StatusCreated || created["status"] != "draft" {
		t.Fatalf("create: %d %v", status, created)
	}
	id := int(created["id"].(float64))
	path := fmt.Sprintf("/api/v1/assessments/%d", id)

	ed, _ := a.s.editions.Edition("escap-dmf-dps-sme", "")
	want := assessments.Answers{}
	i := 0
	for _, d := range ed.Dimensions {
		for _, ind := range d.Indicators {
			k := 1 + (i*7)%5
			want[ind.ID] = assessments.Answer{Level: &k, Comment: "from the API"}
			i++
		}
	}
	want["XBORD.2"] = assessments.Answer{NA: true, Justification: "Resident firms only."}
	// The country's coordinator answers the scope: country indicators; the
	// service saves dimension by dimension, each against the version the
	// last save returned.
	a.answerCountry(p.actorA.Country, ed, 2026, want)
	version := int(created["version"].(float64))
	for _, d := range ed.Dimensions {
		batch := map[string]assessments.Answer{}
		for _, ind := range d.Indicators {
			if !ind.CountryScoped() {
				batch[ind.ID] = want[ind.ID]
			}
		}
		status, got := c.call(http.MethodPut, path+"/answers", map[string]any{"version": version, "answers": batch})
		if status != http.StatusOK {
			t.Fatalf("save %s: %d %v", d.ID, status, got)
		}
		version = int(got["version"].(float64))
	}
	status, got := c.call(http.MethodPost, path+"/submit", nil)
	if status != http.StatusOK || got["status"] != "submitted" {
		t.Fatalf("submit: %d %v", status, got)
	}
	res := assessments.Score(ed, want)
	scores := got["scores"].(map[string]any)
	overall := scores["overall"].(map[string]any)
	if overall["score"].(float64) != assessments.Round1(res.Overall.Score) || int(overall["level"].(float64)) != res.Overall.Level || overall["label"] != ed.LevelLabel(res.Overall.Level)["en"] {
		t.Errorf("overall %v, engine %+v", overall, res.Overall)
	}
	for j, dj := range scores["dimensions"].([]any) {
		d := dj.(map[string]any)
		if d["score"].(float64) != assessments.Round1(res.Dimensions[j].Value.Score) || int(d["level"].(float64)) != res.Dimensions[j].Value.Level {
			t.Errorf("%s: %v, engine %+v", d["id"], d, res.Dimensions[j])
		}
	}
	if got["completeness"].(float64) != 100 || len(got["history"].([]any)) != 2 {
		t.Errorf("completeness %v, history %v", got["completeness"], got["history"])
	}
	if status, _ := c.call(http.MethodPut, path+"/answers", map[string]any{"answers": map[string]any{"SERV.1": map[string]any{"level": 5}}}); status != http.StatusConflict {
		t.Errorf("save after submission: %d", status)
	}
	// The list shows the stored score.
	_, list := c.call(http.MethodGet, "/api/v1/assessments?status=submitted", nil)
	items := list["list"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["score"].(float64) != assessments.Round1(res.Overall.Score) {
		t.Errorf("list: %v", items)
	}
}

// TestAPIBadAnswers: each bad answer is refused with 422 naming the field,
// and the draft is unchanged.
func TestAPIBadAnswers(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.startAssessment(p.actorA)
	c := a.api(p.a, pw)
	path := fmt.Sprintf("/api/v1/assessments/%d/answers", id)
	if status, _ := c.call(http.MethodPut, path, map[string]any{"answers": map[string]any{"SERV.1": map[string]any{"level": 3, "comment": "keep me"}}}); status != http.StatusOK {
		t.Fatal(status)
	}
	cases := []struct {
		body  string
		field string
	}{
		{`{"answers": {"NOPE.1": {"level": 1}}}`, "answers.NOPE.1"},
		{`{"answers": {"SERV.1": {"level": 9}}}`, "answers.SERV.1.level"},
		{`{"answers": {"SERV.1": {"selected": ["L3"]}}}`, "answers.SERV.1.selected"},
		{`{"answers": {"SERV.1": {"na": true, "justification": "x"}}}`, "answers.SERV.1.na"},
		{`{"answers": {"XBORD.2": {"na": true}}}`, "answers.XBORD.2.justification"},
		{`{"answers": {"SERV.1": {"level": 2, "evidence": ["javascript:alert(1)"]}}}`, "answers.SERV.1.evidence[0]"},
		{`{"answers": {"SERV.1": {"level": 2, "evidence": ["file:///etc/passwd"]}}}`, "answers.SERV.1.evidence[0]"},
		{`{"answers": {"SERV.1": {"level": 2, "comment": "` + strings.Repeat("x", 10001) + `"}}}`, "answers.SERV.1.comment"},
		{`{"answers": {"SERV.1": {"level": 2, "comment": "a\u0000b"}}}`, "answers.SERV.1.comment"},
		{`{"answers": {"SERV.1": {"level": "three"}}}`, "answers.SERV.1.level"},
		{`{"answers": {"SERV.1": {"levels": 2}}}`, "answers.SERV.1.levels"},
		{`{"answers": {"SERV.1": 3}}`, "answers.SERV.1"},
		{`{"answers": {}}`, "answers"},
	}
	for _, tc := range cases {
		status, body := c.call(http.MethodPut, path, tc.body)
		e, _ := body["error"].(map[string]any)
		fields, _ := e["fields"].(map[string]any)
		if status != http.StatusUnprocessableEntity || fields[tc.field] == nil {
			t.Errorf("%.60s: %d %v", tc.body, status, body)
		}
	}
	for _, raw := range []string{`{"answers": `, `not json`, ``} {
		if status, _ := c.raw(http.MethodPut, path, raw); status != http.StatusBadRequest {
			t.Errorf("%q: %d", raw, status)
		}
	}
	got := answersOf(t, a, p.actorA, strconv.Itoa(int(id)))
	if len(got) != 1 || *got["SERV.1"].Level != 3 || got["SERV.1"].Comment != "keep me" {
		t.Errorf("the draft changed: %+v", got)
	}
}

func TestAPIStaleVersion(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.startAssessment(p.actorA)
	c := a.api(p.a, pw)
	path := fmt.Sprintf("/api/v1/assessments/%d/answers", id)
	if status, _ := c.call(http.MethodPut, path, map[string]any{"version": 1, "answers": map[string]any{"TRUST.1": map[string]any{"level": 4}}}); status != http.StatusOK {
		t.Fatal(status)
	}
	status, body := c.call(http.MethodPut, path, map[string]any{"version": 1, "answers": map[string]any{"TRUST.1": map[string]any{"level": 1}}})
	e := body["error"].(map[string]any)
	if status != http.StatusConflict || e["version"].(float64) != 2 || fmt.Sprint(e["changed"]) != "[TRUST.1]" {
		t.Errorf("stale save: %d %v", status, body)
	}
	// Without a version, a save merges.
	if status, got := c.call(http.MethodPut, path, map[string]any{"answers": map[string]any{"TRUST.3": map[string]any{"level": 2}}}); status != http.StatusOK || len(got["answers"].(map[string]any)) != 2 {
		t.Errorf("merge: %d %v", status, got["answers"])
	}
}

// TestOtherOrganisationGets404: organisation B cannot tell that A's
// assessment exists, by page or by API; reviewers read but never edit.
func TestOtherOrganisationGets404(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.startAssessment(p.actorA)
	b := a.browser()
	b.login(p.b, pw)
	for _, path := range []string{"", "/dimensions/SERV", "/result", "/report", "/export"} {
		if resp, _ := b.get(fmt.Sprintf("/assessments/%d%s", id, path)); resp.StatusCode != http.StatusNotFound {
			t.Errorf("B GET %s: %d", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/dimensions/SERV", "/submit", "/import"} {
		if resp, _ := b.post(fmt.Sprintf("/assessments/%d%s", id, path), dimensionForm(a, "SERV", 5, "1")); resp.StatusCode != http.StatusNotFound {
			t.Errorf("B POST %s: %d", path, resp.StatusCode)
		}
	}
	if _, body := b.get("/services"); strings.Contains(body, fmt.Sprintf("Service %d", p.actorA.UserID)) {
		t.Error("B sees A's service")
	}
	cb := a.api(p.b, pw)
	for _, path := range []string{"", "/export"} {
		if status, _ := cb.call(http.MethodGet, fmt.Sprintf("/api/v1/assessments/%d%s", id, path), nil); status != http.StatusNotFound {
			t.Errorf("B API GET %s: %d", path, status)
		}
	}
	if status, _ := cb.call(http.MethodPut, fmt.Sprintf("/api/v1/assessments/%d/answers", id), map[string]any{"answers": map[string]any{"SERV.1": map[string]any{"level": 1}}}); status != http.StatusNotFound {
		t.Errorf("B API save: %d", status)
	}
	if _, list := cb.call(http.MethodGet, "/api/v1/assessments", nil); len(list["list"].([]any)) != 0 {
		t.Errorf("B lists A's assessments")
	}
	cr := a.api(p.rev, pw)
	if status, _ := cr.call(http.MethodGet, fmt.Sprintf("/api/v1/assessments/%d", id), nil); status != http.StatusOK {
		t.Errorf("reviewer reads: %d", status)
	}
	if status, _ := cr.call(http.MethodPut, fmt.Sprintf("/api/v1/assessments/%d/answers", id), map[string]any{"answers": map[string]any{"SERV.1": map[string]any{"level": 1}}}); status != http.StatusForbidden {
		t.Errorf("reviewer edits: %d", status)
	}
	var anon api
	anon.t, anon.base = t, a.server()
	if status, _ := anon.call(http.MethodGet, fmt.Sprintf("/api/v1/assessments/%d", id), nil); status != http.StatusUnauthorized {
		t.Errorf("anonymous API: %d", status)
	}
}

// TestImportOverHTTP: export, change offline, import into the next year.
func TestImportOverHTTP(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.startAssessment(p.actorA)
	c := a.api(p.a, pw)
	c.call(http.MethodPut, fmt.Sprintf("/api/v1/assessments/%d/answers", id), map[string]any{"answers": map[string]any{"DATA.1": map[string]any{"level": 4}}})
	_, file := c.raw(http.MethodGet, fmt.Sprintf("/api/v1/assessments/%d/export", id), nil)
	status, created := c.call(http.MethodPost, "/api/v1/assessments", map[string]any{"framework": "escap-dmf-dps-sme", "period": 2027, "service": map[string]any{"name": fmt.Sprintf("Service %d", p.actorA.UserID)}})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, created)
	}
	next := int(created["id"].(float64))
	status, got := c.call(http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/import", next), string(file))
	if status != http.StatusOK || got["answers"].(map[string]any)["DATA.1"].(map[string]any)["level"].(float64) != 4 {
		t.Errorf("import: %d %v", status, got)
	}
	if status, _ := c.call(http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/import", next), `{"format":"other"}`); status != http.StatusUnprocessableEntity {
		t.Errorf("bad file: %d", status)
	}
}

func TestLoginThrottledAndNoEnumeration(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	b := a.browser()
	_, unknown := b.post("/login", url.Values{"email": {"nobody@nowhere.org"}, "password": {"whatever whatever"}})
	_, wrong := b.post("/login", url.Values{"email": {p.a}, "password": {"whatever whatever"}})
	if !strings.Contains(unknown, "The email address or the password is not right.") || !strings.Contains(wrong, "The email address or the password is not right.") {
		t.Error("unknown and wrong accounts are told apart")
	}
	for i := 0; i < assessments.MaxFailsAccount-1; i++ {
		b.post("/login", url.Values{"email": {p.a}, "password": {"whatever whatever"}})
	}
	resp, _ := b.post("/login", url.Values{"email": {p.a}, "password": {pw}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("11th attempt: %d", resp.StatusCode)
	}
	status, _ := (&api{t: t, base: a.server()}).call(http.MethodPost, "/api/v1/tokens", map[string]string{"email": p.a, "password": pw})
	if status != http.StatusTooManyRequests {
		t.Errorf("token after throttling: %d", status)
	}
}

// TestFormsNeedCSRF: a form post without the token is refused.
func TestFormsNeedCSRF(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	b := a.browser()
	b.login(p.a, pw)
	resp, _ := b.post("/services", url.Values{"_csrf": {"forged"}, "name": {"X"}, "category": {"tax"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged token: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, b.base+"/services", strings.NewReader("name=X&category=tax"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := b.do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post: %d", resp.StatusCode)
	}
}

func TestAdminManagesAccounts(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	r := a.browser()
	r.login(p.a, pw)
	if resp, _ := r.get("/admin/users"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("respondent opens admin: %d", resp.StatusCode)
	}
	b := a.browser()
	b.login(p.adm, pw)
	resp, _ := b.post("/admin/organisations", url.Values{"name": {"Ministry of Digital Development"}, "country": {"KGZ"}, "kind": {"ministry"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add organisation: %d", resp.StatusCode)
	}
	if resp, body := b.post("/admin/organisations", url.Values{"name": {"X"}, "country": {"FRA1"}, "kind": {"ministry"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "ISO 3166-1") {
		t.Errorf("bad country: %d", resp.StatusCode)
	}
	resp, body := b.post("/admin/users", url.Values{"email": {"new@digital.kg"}, "role": {"respondent"}, "organisation": {strconv.Itoa(int(p.orgB.ID))}})
	pwm := regexp.MustCompile(`<code class="secret">([A-Z2-7]{26})</code>`).FindStringSubmatch(body)
	if resp.StatusCode != http.StatusCreated || pwm == nil {
		t.Fatalf("add user: %d", resp.StatusCode)
	}
	// The new user must choose a password before anything else.
	n := a.browser()
	n.login("new@digital.kg", pwm[1])
	if resp, _ := n.get("/assessments"); resp.Header.Get("Location") != "/account/password" {
		t.Errorf("first sign-in goes to %q", resp.Header.Get("Location"))
	}
	if resp, _ := n.post("/account/password", url.Values{"current": {pwm[1]}, "password": {"short"}, "confirm": {"short"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("short password: %d", resp.StatusCode)
	}
	if resp, _ := n.post("/account/password", url.Values{"current": {pwm[1]}, "password": {"ripe mango under the bridge"}, "confirm": {"ripe mango under the bridge"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("new password: %d", resp.StatusCode)
	}
	if resp, _ := n.get("/assessments"); resp.StatusCode != http.StatusOK {
		t.Errorf("after the change: %d", resp.StatusCode)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	b := a.browser()
	b.login(p.a, pw)
	u, _ := url.Parse(b.base)
	var session string
	for _, ck := range b.c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			session = ck.Value
		}
	}
	b.post("/logout", nil)
	// A copy of the old cookie no longer works.
	req, _ := http.NewRequest(http.MethodGet, b.base+"/assessments", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("old session after sign-out: %d", resp.StatusCode)
	}
}

func TestDemoSeedsEveryState(t *testing.T) {
	a := newTestApp(t)
	var out strings.Builder
	if err := a.s.seedDemo(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "reviewer@demo.example") {
		t.Error("demo accounts not printed")
	}
	rev := assessments.Actor{Role: assessments.RoleReviewer}
	for _, st := range assessments.Statuses {
		list, _ := a.s.store.Assessments(context.Background(), rev, assessments.Filter{Status: st})
		if len(list) == 0 {
			t.Errorf("no %s assessment in the demo", st)
		}
	}
	all, _ := a.s.store.Assessments(context.Background(), rev, assessments.Filter{})
	countries := map[string]bool{}
	for _, as := range all {
		countries[as.Country] = true
		if as.Status == assessments.StatusApproved && (as.Score == nil || math.IsNaN(*as.Score)) {
			t.Errorf("approved assessment %d without a stored score", as.ID)
		}
	}
	if len(countries) < 4 {
		t.Errorf("demo covers %d countries", len(countries))
	}
	// Its users have notifications to show: the reviewer of submissions,
	// respondents of returns and approvals.
	users, _ := a.s.store.Users(context.Background())
	told := map[string]bool{}
	for _, u := range users {
		ns, _ := a.s.store.Notifications(context.Background(), u.ID, 100)
		for _, n := range ns {
			told[string(u.Role)+" "+n.Kind] = true
		}
	}
	for _, want := range []string{"reviewer assessment.submitted", "respondent assessment.returned", "respondent assessment.approved"} {
		if !told[want] {
			t.Errorf("no demo %s notification; got %v", want, told)
		}
	}
	// Last year on 1.0.0, this year on 1.1.0: the result page says what
	// changed since last year across the change of edition.
	versions := map[int]map[string]bool{2025: {}, 2026: {}}
	var approved2026 uint
	for _, as := range all {
		versions[as.Period][as.FrameworkVersion] = true
		if as.Period == 2026 && as.Status == assessments.StatusApproved && approved2026 == 0 {
			approved2026 = as.ID
		}
	}
	if len(versions[2025]) != 1 || !versions[2025]["1.0.0"] || len(versions[2026]) != 1 || !versions[2026]["1.1.0"] {
		t.Errorf("demo editions by year: %v", versions)
	}
	b := a.browser()
	b.login("reviewer@demo.example", demoPassword(t, out.String(), "reviewer@demo.example"))
	resp, page := b.get(fmt.Sprintf("/assessments/%d/result", approved2026))
	if resp.StatusCode != http.StatusOK ||
		!strings.Contains(page, "used version 1.0.0 of the framework, this one version 1.1.0") {
		t.Errorf("the result of a 2026 demo assessment does not compare with 2025 across editions: %d", resp.StatusCode)
	}
	// Issue 18: last year's plans show on this year's results, and
	// practices are published in both languages.
	if !strings.Contains(page, "Targets set in 2025") {
		t.Error("the 2026 demo result does not read the 2025 plan")
	}
	pg, err := a.s.store.Practices(context.Background(), assessments.Actor{}, assessments.PracticeFilter{})
	langs := map[string]bool{}
	for _, p := range pg.Items {
		langs[p.Language] = true
	}
	if err != nil || pg.Total < 3 || !langs["en"] || !langs["ru"] {
		t.Errorf("demo practices: %v, %d published, languages %v", err, pg.Total, langs)
	}
	if err := a.s.seedDemo(context.Background(), &out); err != nil {
		t.Errorf("seeding twice: %v", err)
	}
}

// demoPassword finds an account's password in the demo's printed table.
func demoPassword(t *testing.T, out, email string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == email {
			return f[1]
		}
	}
	t.Fatalf("no password printed for %s", email)
	return ""
}
