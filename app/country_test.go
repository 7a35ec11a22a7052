package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// newCountryTestApp is a test instance whose database also holds the test
// edition with country indicators (frameworks/testdata/country-scope.yaml),
// recorded by a first start with it built in, as a stored edition is
// loaded at every later start.
func newCountryTestApp(t *testing.T) *testApp {
	t.Helper()
	dir := t.TempDir()
	db := testDatabase(t, filepath.Join(dir, "dmf.db"))
	src, err := os.ReadFile("../frameworks/testdata/country-scope.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ed, err := frameworks.Parse("country-scope.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	builtin, _, err := frameworks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := frameworks.NewCatalog(append(slices.Clone(builtin.Editions()), ed)...)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	first, err := assessments.Open(context.Background(), assessments.Options{Database: db, Log: log, Editions: cat})
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	cfg := Config{Addr: "127.0.0.1:0", Database: db, DataDir: dir, LogFormat: "text", PublicMinServices: 3, LoginDelay: time.Millisecond}
	if err := cfg.complete(); err != nil {
		t.Fatal(err)
	}
	s, err := newApp(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.store.Close() })
	return &testApp{t: t, s: s, e: s.routes()}
}

// TestCountryAnswersPages: a coordinator answers the country indicators on
// a page that works without scripts; a service assessment of the country
// shows the answers read-only, refuses its own answer to them, and the API
// reads and writes them.
func TestCountryAnswersPages(t *testing.T) {
	a := newCountryTestApp(t)
	p := a.seedPeople()
	ctx := context.Background()
	st := a.s.store
	if _, err := st.CreateUser(ctx, nil, assessments.NewUser{Email: "coord@digital.kz", Name: "Kazakh coordinator", Password: pw, Role: assessments.RoleCoordinator, OrganisationID: p.orgA.ID}); err != nil {
		t.Fatal(err)
	}

	coord := a.browser()
	coord.login("coord@digital.kz", pw)
	resp, body := coord.get("/country")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="test-country/1.1.0"`) || !strings.Contains(body, `href="/country"`) {
		t.Fatalf("coordinator's list: %d\n%s", resp.StatusCode, body)
	}
	resp, _ = coord.get("/country?edition=test-country%2F1.1.0&period=2026")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/country/test-country/1.1.0/2026" {
		t.Fatalf("choosing an edition and year: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = coord.get("/country/test-country/1.1.0/2026")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="ENAB.1.level"`) || strings.Contains(body, `name="SERV.1.level"`) {
		t.Fatalf("country questionnaire: %d\n%s", resp.StatusCode, body)
	}
	resp, body = coord.post("/country/test-country/1.1.0/2026", url.Values{"version": {"0"}, "ids": {"ENAB.1", "ENAB.2"}, "ENAB.1.level": {"9"}, "ENAB.2.selected": {"yes"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "level 9 is not one of") {
		t.Fatalf("a bad level: %d\n%s", resp.StatusCode, body)
	}
	resp, _ = coord.post("/country/test-country/1.1.0/2026", url.Values{"version": {"0"}, "ids": {"ENAB.1", "ENAB.2"}, "ENAB.1.level": {"4"}, "ENAB.2.selected": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	resp, body = coord.get("/country/test-country/1.1.0/2026")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Kazakh coordinator") || !strings.Contains(body, `name="ENAB.3.level"`) {
		t.Errorf("after the save the page lacks who saved or the question ENAB.2 opened:\n%s", body)
	}

	// The respondent's assessment shows the country's answers read-only.
	as, err := st.CreateAssessment(ctx, p.actorA, assessments.NewAssessment{
		NewService: &assessments.Service{Name: "Social contributions", Category: "social-contributions"}, FrameworkID: "test-country", Version: "1.1.0", Period: 2026})
	if err != nil {
		t.Fatal(err)
	}
	resp2 := a.browser()
	resp2.login(p.a, pw)
	id := strconv.Itoa(int(as.ID))
	resp, body = resp2.get("/assessments/" + id + "/dimensions/ENAB")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Country&#39;s answer") || !strings.Contains(body, "Kazakh coordinator") ||
		strings.Contains(body, `name="ENAB.1.level"`) || !strings.Contains(body, "your country&#39;s coordinator must answer this") {
		t.Fatalf("inherited answers on the questionnaire: %d\n%s", resp.StatusCode, body)
	}

	// The API: a service answer to a country indicator is refused naming the field.
	api := a.api(p.a, pw)
	status, out := api.call(http.MethodPut, "/api/v1/assessments/"+id+"/answers", map[string]any{"answers": map[string]any{"ENAB.1": map[string]any{"level": 1}}})
	apiErr, _ := out["error"].(map[string]any)
	fields, _ := apiErr["fields"].(map[string]any)
	if status != http.StatusUnprocessableEntity || fields["answers.ENAB.1"] != "answered for the whole country by the coordinator" {
		t.Errorf("service answer to a country indicator: %d %v", status, out)
	}
	q := "/api/v1/countries/KAZ/answers?framework=test-country&version=1.1.0&period=2026"
	status, out = api.call(http.MethodGet, q, nil)
	if status != http.StatusOK || out["version"] != float64(1) || out["updated_by"] != "Kazakh coordinator" {
		t.Errorf("respondent reads the country answers: %d %v", status, out)
	}
	if status, _ := a.api(p.b, pw).call(http.MethodGet, q, nil); status != http.StatusNotFound {
		t.Errorf("an Uzbek respondent reads Kazakhstan's answers: %d", status)
	}
	capi := a.api("coord@digital.kz", pw)
	status, out = capi.call(http.MethodPut, q, map[string]any{"version": 1, "answers": map[string]any{"ENAB.3": map[string]any{"level": 2}}})
	if status != http.StatusOK || out["version"] != float64(2) || len(out["missing"].([]any)) != 0 {
		t.Errorf("coordinator's API save: %d %v", status, out)
	}
	status, out = capi.call(http.MethodPut, q, map[string]any{"version": 1, "answers": map[string]any{"ENAB.3": map[string]any{"level": 1}}})
	if status != http.StatusConflict {
		t.Errorf("a stale API save: %d %v", status, out)
	}
	if status, _ := capi.call(http.MethodPut, strings.Replace(q, "KAZ", "UZB", 1), map[string]any{"answers": map[string]any{"ENAB.1": map[string]any{"level": 2}}}); status != http.StatusForbidden {
		t.Errorf("a coordinator saves another country's answers: %d", status)
	}
	// Scores of the assessment use them.
	status, out = api.call(http.MethodGet, "/api/v1/assessments/"+id, nil)
	answers, _ := out["answers"].(map[string]any)
	if status != http.StatusOK || answers["ENAB.1"] == nil || fmt.Sprint(out["country_answers"]) != "[ENAB.1 ENAB.2 ENAB.3]" {
		t.Errorf("the assessment's JSON lacks the inherited answer: %v", out)
	}
}

// TestCompareBasket: the comparison page and JSON show which basket
// services each country has approved assessments of, in words, and
// nothing for a country the public view suppresses.
func TestCompareBasket(t *testing.T) {
	a := newCountryTestApp(t)
	p := a.seedPeople()
	ctx := context.Background()
	st := a.s.store
	u, err := st.CreateUser(ctx, nil, assessments.NewUser{Email: "coord@digital.kz", Password: pw, Role: assessments.RoleCoordinator, OrganisationID: p.orgA.ID})
	if err != nil {
		t.Fatal(err)
	}
	key := assessments.CountryKey{Country: "KAZ", FrameworkID: "test-country", Version: "1.1.0", Period: 2026}
	if _, err := st.SaveCountryAnswers(ctx, u.Actor(), key, nil, assessments.Answers{"ENAB.1": {Level: ptr(3)}, "ENAB.2": {Selected: []string{"no"}}}); err != nil {
		t.Fatal(err)
	}
	as, err := st.CreateAssessment(ctx, p.actorA, assessments.NewAssessment{
		NewService: &assessments.Service{Name: "Social contributions", Category: "social-contributions"}, FrameworkID: "test-country", Version: "1.1.0", Period: 2026})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveAnswers(ctx, p.actorA, as.ID, nil, assessments.Answers{"SERV.1": {Level: ptr(4)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Submit(ctx, p.actorA, as.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Review(ctx, p.actorRev, as.ID, assessments.ReviewInput{Decision: assessments.DecisionApprove}); err != nil {
		t.Fatal(err)
	}
	q := "?framework=test-country&version=1.1.0&period=2026"
	status, out := a.api(p.rev, pw).call(http.MethodGet, "/api/v1/compare"+q, nil)
	basket, _ := out["basket"].([]any)
	if status != http.StatusOK || len(basket) != 1 {
		t.Fatalf("reviewer's comparison: %d %v", status, out)
	}
	row := basket[0].(map[string]any)
	services := row["services"].(map[string]any)
	if row["code"] != "KAZ" || services["social-contributions"] != float64(1) || services["tax"] != float64(0) {
		t.Errorf("basket row = %v", row)
	}
	rev := a.browser()
	rev.login(p.rev, pw)
	_, body := rev.get("/compare" + q)
	if !strings.Contains(body, "Reference basket of services") || !strings.Contains(body, "Assessed (1)") || !strings.Contains(body, "Not assessed") {
		t.Errorf("the page lacks the basket matrix:\n%s", body)
	}
	// The public minimum is 3: Kazakhstan's one service is not shown, nor its basket.
	resp := a.get("/api/v1/compare" + q)
	if strings.Contains(resp.Body.String(), `"basket"`) {
		t.Errorf("the public comparison shows a suppressed country's basket: %s", resp.Body.String())
	}
	if body := a.get("/compare" + q).Body.String(); strings.Contains(body, "Reference basket of services") {
		t.Error("the public page shows a suppressed country's basket")
	}
}

func ptr[T any](v T) *T { return &v }

// TestDemoCountryAnswers: the demo's coordinator answers an edition's
// country indicators (here the test edition, until 1.1.0 is built in), so
// that the country's demo assessments of it submit and are approved.
func TestDemoCountryAnswers(t *testing.T) {
	a := newCountryTestApp(t)
	p := a.seedPeople()
	ctx := context.Background()
	st := a.s.store
	ed, ok := a.s.editions.Edition("test-country", "1.1.0")
	if !ok {
		t.Fatal("the test edition is not loaded")
	}
	newUser := func(email string, role assessments.Role, org *assessments.Organisation) (assessments.Actor, error) {
		u, err := st.CreateUser(ctx, nil, assessments.NewUser{Email: email, Password: pw, Role: role, OrganisationID: org.ID})
		if err != nil {
			return assessments.Actor{}, err
		}
		return u.Actor(), nil
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	if err := a.s.demoCountryAnswers(ctx, ed, newUser, p.orgA, 3.5, rng); err != nil {
		t.Fatal(err)
	}
	for _, period := range []int{2025, 2026} {
		cv, err := st.CountryAnswers(ctx, p.actorRev, assessments.CountryKey{Country: "KAZ", FrameworkID: ed.ID, Version: ed.Version, Period: period})
		if err != nil {
			t.Fatal(err)
		}
		if len(cv.Missing) > 0 || cv.Version != 1 {
			t.Errorf("%d: demo country answers leave %v missing (version %d)", period, cv.Missing, cv.Version)
		}
	}
	svc, err := st.CreateService(ctx, p.actorA, assessments.Service{Name: "Demo service", Category: "social-contributions"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.s.demoAssessment(ctx, ed, p.actorA, p.actorRev, svc.ID, 2026, 3.5, "approved", rng); err != nil {
		t.Fatalf("a demo assessment of an edition with country indicators: %v", err)
	}
	// An edition without country indicators makes no coordinator.
	old, _ := a.s.editions.Edition("escap-dmf-dps-sme", "1.0.0")
	if err := a.s.demoCountryAnswers(ctx, old, newUser, p.orgB, 3, rng); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, "coordinator.uzb@demo.example", pw, assessments.Origin{}); err == nil {
		t.Error("a coordinator was made for an edition without country indicators")
	}
}

// TestFrameworksValidateBasketCategories: "frameworks validate" refuses a
// basket that names a category services cannot have.
func TestFrameworksValidateBasketCategories(t *testing.T) {
	src, err := os.ReadFile("../frameworks/testdata/country-scope.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "basket.yaml")
	os.WriteFile(file, []byte(strings.Replace(string(src), "categories: [tax]", "categories: [taxes]", 1)), 0o644)
	var out strings.Builder
	err = run(context.Background(), []string{"frameworks", "validate", file}, env(nil), nil, &out, io.Discard)
	if exitCode(err) != 1 || !strings.Contains(out.String(), "basket.yaml: basket[1].categories[0]: \"taxes\" is not a service category") {
		t.Errorf("exit %d, output: %s", exitCode(err), out.String())
	}
}
