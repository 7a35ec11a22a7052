package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
	"github.com/xuri/excelize/v2"
)

// approve takes a new assessment of a fresh service through the whole
// workflow with answers at levels spread around centre.
func (a *testApp) approve(resp, rev assessments.Actor, name string, period int, levels func(i int) int, approve bool) uint {
	a.t.Helper()
	ctx := context.Background()
	st := a.s.store
	svc, err := st.ServiceByName(ctx, resp, name)
	if err != nil {
		svc, err = st.CreateService(ctx, resp, assessments.Service{Name: name, Category: "tax"})
		if err != nil {
			a.t.Fatal(err)
		}
	}
	as, err := st.CreateAssessment(ctx, resp, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: "escap-dmf-dps-sme", Period: period})
	if err != nil {
		a.t.Fatal(err)
	}
	ed, _ := a.s.editions.Edition("escap-dmf-dps-sme", as.FrameworkVersion)
	ans := assessments.Answers{}
	i := 0
	for _, d := range ed.Dimensions {
		for _, ind := range d.Indicators {
			k := levels(i)
			ans[ind.ID] = assessments.Answer{Level: &k}
			i++
		}
	}
	a.answerCountry(as.Country, ed, period, ans)
	if _, err := st.SaveAnswers(ctx, resp, as.ID, nil, serviceOnly(ed, ans)); err != nil {
		a.t.Fatal(err)
	}
	if _, err := st.Submit(ctx, resp, as.ID); err != nil {
		a.t.Fatal(err)
	}
	if approve {
		if _, err := st.Review(ctx, rev, as.ID, assessments.ReviewInput{Decision: assessments.DecisionApprove}); err != nil {
			a.t.Fatal(err)
		}
	}
	return as.ID
}

// answerCountry has a coordinator of the country answer the edition's
// scope: country indicators from answers, once per country, edition and
// period, so that service assessments of the country can be submitted.
func (a *testApp) answerCountry(country string, ed *frameworks.Edition, period int, answers assessments.Answers) {
	a.t.Helper()
	if len(ed.CountryIndicators()) == 0 {
		return
	}
	ctx := context.Background()
	st := a.s.store
	key := assessments.CountryKey{Country: country, FrameworkID: ed.ID, Version: ed.Version, Period: period}
	if v, err := st.CountryAnswers(ctx, assessments.Actor{Role: assessments.RoleReviewer}, key); err == nil && v.Version > 0 {
		return
	}
	org, err := st.CreateOrganisation(ctx, nil, assessments.Organisation{Name: fmt.Sprintf("Digital development office %d", period), Country: country, Kind: "ministry"})
	if err != nil {
		a.t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, nil, assessments.NewUser{Email: fmt.Sprintf("coordinator.%s.%d@test.example", strings.ToLower(country), period), Password: pw, Role: assessments.RoleCoordinator, OrganisationID: org.ID})
	if err != nil {
		a.t.Fatal(err)
	}
	own := assessments.Answers{}
	for _, ind := range ed.CountryIndicators() {
		own[ind.ID] = answers[ind.ID]
	}
	if _, err := st.SaveCountryAnswers(ctx, u.Actor(), key, nil, own); err != nil {
		a.t.Fatal(err)
	}
}

// serviceOnly drops the answers to scope: country indicators, which a
// service assessment inherits instead of answering.
func serviceOnly(ed *frameworks.Edition, answers assessments.Answers) assessments.Answers {
	out := assessments.Answers{}
	for id, ans := range answers {
		if ind, _, ok := ed.Indicator(id); ok && !ind.CountryScoped() {
			out[id] = ans
		}
	}
	return out
}

// expected recomputes, independently of the comparison code, each
// country's mean, min and max from the stored answers of its approved
// assessments through the scoring engine.
func (a *testApp) expected(period int) map[string]map[string][3]float64 {
	a.t.Helper()
	ctx := context.Background()
	ed, _ := a.s.editions.Edition("escap-dmf-dps-sme", "")
	all, err := a.s.store.Assessments(ctx, assessments.Actor{Role: assessments.RoleReviewer}, assessments.Filter{Status: assessments.StatusApproved, Period: period})
	if err != nil {
		a.t.Fatal(err)
	}
	values := map[string]map[string][]float64{}
	for _, as := range all {
		ans, _ := a.s.store.Answers(ctx, &as)
		res := assessments.Score(ed, ans)
		if values[as.Country] == nil {
			values[as.Country] = map[string][]float64{}
		}
		values[as.Country]["overall"] = append(values[as.Country]["overall"], res.Overall.Score)
		for _, d := range res.Dimensions {
			values[as.Country][d.ID] = append(values[as.Country][d.ID], d.Value.Score)
		}
	}
	out := map[string]map[string][3]float64{}
	for c, m := range values {
		out[c] = map[string][3]float64{}
		for k, vs := range m {
			sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
			for _, v := range vs {
				sum += v
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
			out[c][k] = [3]float64{assessments.Round1(sum / float64(len(vs))), assessments.Round1(lo), assessments.Round1(hi)}
		}
	}
	return out
}

// compareWorld: KAZ with three approved services, UZB with four, ARM
// with two (below the public minimum) plus a submitted one that does not
// count, and an approved one from another year.
func compareWorld(t *testing.T) (*testApp, *people) {
	a := newTestApp(t)
	p := a.seedPeople()
	ctx := context.Background()
	arm, _ := a.s.store.CreateOrganisation(ctx, nil, assessments.Organisation{Name: "State Revenue Committee", Country: "ARM", Kind: "agency"})
	u, err := a.s.store.CreateUser(ctx, nil, assessments.NewUser{Email: "c@src.am", Password: pw, Role: assessments.RoleRespondent, OrganisationID: arm.ID})
	if err != nil {
		t.Fatal(err)
	}
	pc := u.Actor()
	for i := 0; i < 3; i++ {
		a.approve(p.actorA, p.actorRev, fmt.Sprintf("KAZ %d", i), 2026, func(j int) int { return 1 + (i+j)%5 }, true)
	}
	for i := 0; i < 4; i++ {
		a.approve(p.actorB, p.actorRev, fmt.Sprintf("UZB %d", i), 2026, func(j int) int { return 1 + (i*j)%4 }, true)
	}
	for i := 0; i < 2; i++ {
		a.approve(pc, p.actorRev, fmt.Sprintf("ARM %d", i), 2026, func(j int) int { return 2 + (j % 3) }, true)
	}
	a.approve(pc, p.actorRev, "ARM pending", 2026, func(int) int { return 5 }, false)
	a.approve(p.actorA, p.actorRev, "KAZ 0", 2025, func(int) int { return 1 }, true)
	return a, p
}

func TestCompareMatchesIndependentRecomputation(t *testing.T) {
	a, p := compareWorld(t)
	want := a.expected(2026)
	check := func(c *api, public bool) {
		t.Helper()
		status, body := c.call(http.MethodGet, "/api/v1/compare?framework=escap-dmf-dps-sme&period=2026&countries=KAZ,UZB,ARM,MNG", nil)
		if status != http.StatusOK {
			t.Fatalf("compare: %d %v", status, body)
		}
		countries := body["countries"].([]any)
		suppressed := fmt.Sprint(body["suppressed"])
		wantN := 3
		if public {
			wantN = 2
			if suppressed != "[ARM]" {
				t.Errorf("public view: suppressed %s, want [ARM] (MNG has no data at all)", suppressed)
			}
		} else if suppressed != "[]" {
			t.Errorf("reviewer view suppresses %s", suppressed)
		}
		if len(countries) != wantN {
			t.Fatalf("%d countries, want %d: %v", len(countries), wantN, countries)
		}
		for _, ci := range countries {
			c := ci.(map[string]any)
			code := c["code"].(string)
			o := c["overall"].(map[string]any)
			w := want[code]["overall"]
			if o["score"].(float64) != w[0] || o["min"].(float64) != w[1] || o["max"].(float64) != w[2] {
				t.Errorf("%s overall %v, recomputed %v", code, o, w)
			}
			wantServices := map[string]float64{"KAZ": 3, "UZB": 4, "ARM": 2}[code]
			if c["services"].(float64) != wantServices {
				t.Errorf("%s services %v, want %v", code, c["services"], wantServices)
			}
			for _, di := range c["dimensions"].([]any) {
				d := di.(map[string]any)
				w := want[code][d["id"].(string)]
				if d["score"].(float64) != w[0] || d["min"].(float64) != w[1] || d["max"].(float64) != w[2] {
					t.Errorf("%s %s: %v, recomputed %v", code, d["id"], d, w)
				}
			}
		}
		// The ranking is by overall mean.
		for i := 1; i < len(countries); i++ {
			prev := countries[i-1].(map[string]any)["overall"].(map[string]any)["score"].(float64)
			cur := countries[i].(map[string]any)["overall"].(map[string]any)["score"].(float64)
			if cur > prev {
				t.Errorf("ranking out of order at %d", i)
			}
		}
	}
	check(&api{t: t, base: a.server()}, true)
	check(a.api(p.rev, pw), false)
	check(a.api(p.a, pw), true) // respondents see the published view

	// A year with no data, and a bad country code.
	anon := &api{t: t, base: a.server()}
	if status, body := anon.call(http.MethodGet, "/api/v1/compare?period=2019", nil); status != http.StatusOK || len(body["countries"].([]any)) != 0 {
		t.Errorf("empty year: %d %v", status, body)
	}
	if status, _ := anon.call(http.MethodGet, "/api/v1/compare?countries=XXX", nil); status != http.StatusUnprocessableEntity {
		t.Errorf("bad country: %d", status)
	}
}

func TestCompareExports(t *testing.T) {
	a, p := compareWorld(t)
	want := a.expected(2026)
	rev := a.api(p.rev, pw)
	status, raw := rev.raw(http.MethodGet, "/api/v1/compare.csv?period=2026", nil)
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if status != http.StatusOK || err != nil || len(rows) != 4 {
		t.Fatalf("csv: %d %v %d rows", status, err, len(rows))
	}
	for _, r := range rows[1:] {
		if r[5] != strconv.FormatFloat(want[r[1]]["overall"][0], 'f', 1, 64) {
			t.Errorf("csv %s overall %s, want %v", r[1], r[5], want[r[1]]["overall"][0])
		}
	}
	status, raw = rev.raw(http.MethodGet, "/api/v1/compare.xlsx?period=2026", nil)
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if status != http.StatusOK || err != nil {
		t.Fatalf("xlsx: %d %v", status, err)
	}
	xrows, _ := f.GetRows("Comparison")
	if len(xrows) != 4 || xrows[0][1] != "code" {
		t.Fatalf("xlsx rows: %v", xrows)
	}
	for _, r := range xrows[1:] {
		v, _ := strconv.ParseFloat(r[5], 64)
		if v != want[r[1]]["overall"][0] {
			t.Errorf("xlsx %s overall %s", r[1], r[5])
		}
	}
	// The analysts' export: every approved assessment, reviewers only.
	status, raw = rev.raw(http.MethodGet, "/api/v1/exports/approved.csv", nil)
	all, _ := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if status != http.StatusOK || len(all) != 1+10 || all[0][10] != "overall" {
		t.Fatalf("approved export: %d, %d rows", status, len(all))
	}
	// Each assessment's dimension scores, within its country's range.
	for _, r := range all[1:] {
		if r[5] != "2026" {
			continue
		}
		for j, dim := range all[0][12:] {
			v, err := strconv.ParseFloat(r[12+j], 64)
			if span := want[r[1]][dim]; err != nil || v < span[1] || v > span[2] {
				t.Errorf("approved export: assessment %s, %s = %q, want within %v", r[0], dim, r[12+j], span)
			}
		}
	}
	if status, _ := a.api(p.a, pw).raw(http.MethodGet, "/api/v1/exports/approved.csv", nil); status != http.StatusForbidden {
		t.Errorf("respondent export: %d", status)
	}
}

func TestComparePage(t *testing.T) {
	a, p := compareWorld(t)
	b := a.browser()
	_, body := b.get("/compare?period=2026")
	for _, want := range []string{"Compare countries", "Kazakhstan", "Uzbekistan", "Not shown for that reason: Armenia", `class="radar"`, "heat heat-", "Trend across years"} {
		if !strings.Contains(body, want) {
			t.Errorf("public page lacks %q", want)
		}
	}
	if strings.Contains(body, "<th scope=\"row\">Armenia</th>") {
		t.Error("public page shows Armenia")
	}
	b.login(p.rev, pw)
	_, body = b.get("/compare?period=2026&subregion=NCA")
	if !strings.Contains(body, "<th scope=\"row\">Armenia</th>") || !strings.Contains(body, "North and Central Asia") {
		t.Error("reviewer page hides Armenia or the subregion average")
	}
	_, body = b.get("/compare?period=2026&countries=UZB&lang=ru")
	if !strings.Contains(body, "Узбекистан") || strings.Contains(body, "<th scope=\"row\">Казахстан</th>") {
		t.Error("country selection or Russian names")
	}
}

// TestReviewRoundTrip: submit → return with comments → the organisation
// sees them, edits and resubmits → approve; by pages and by API.
func TestReviewRoundTrip(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.approve(p.actorA, p.actorRev, "Business registration", 2026, func(i int) int { return 3 }, false)
	resp := a.browser()
	resp.login(p.a, pw)
	if r, _ := resp.get(fmt.Sprintf("/assessments/%d/review", id)); r.StatusCode != http.StatusForbidden {
		t.Errorf("respondent opens the review page: %d", r.StatusCode)
	}
	if r, _ := resp.post(fmt.Sprintf("/assessments/%d/review", id), url.Values{"decision": {"approve"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("respondent approves by page: %d", r.StatusCode)
	}
	if status, _ := a.api(p.a, pw).call(http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/review", id), map[string]any{"decision": "approve"}); status != http.StatusForbidden {
		t.Errorf("respondent approves by API: %d", status)
	}

	rev := a.browser()
	rev.login(p.rev, pw)
	_, body := rev.get("/review")
	if !strings.Contains(body, fmt.Sprintf(`href="/assessments/%d/review"`, id)) {
		t.Fatal("submitted assessment not in the queue")
	}
	_, body = rev.get(fmt.Sprintf("/assessments/%d/review", id))
	if !strings.Contains(body, `name="note.SERV.1"`) || !strings.Contains(body, "Record the decision") {
		t.Fatal("review page lacks the decision form")
	}
	if r, _ := rev.post(fmt.Sprintf("/assessments/%d/review", id), url.Values{"decision": {"return"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("return without a comment: %d", r.StatusCode)
	}
	decision := url.Values{"decision": {"return"}, "comment": {"Please support SERV.1."}, "note.SERV.1": {"Which share of applications is online?"}}
	r, body := rev.post(fmt.Sprintf("/assessments/%d/review", id), decision)
	if r.StatusCode != http.StatusOK || !strings.Contains(body, a.s.msgs.T("en", "confirm.return.title")) ||
		!strings.Contains(body, `<blockquote class="comment">Please support SERV.1.</blockquote>`) ||
		!strings.Contains(body, `name="note.SERV.1" value="Which share of applications is online?"`) {
		t.Fatalf("return without confirming: %d", r.StatusCode)
	}
	if as, _ := a.s.store.Assessment(context.Background(), p.actorRev, id); as.Status != assessments.StatusSubmitted {
		t.Fatalf("returned before confirming: %s", as.Status)
	}
	decision.Set("confirm", "yes")
	if r, _ := rev.post(fmt.Sprintf("/assessments/%d/review", id), decision); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/review?notice=returned" {
		t.Fatalf("return: %d", r.StatusCode)
	}

	// The organisation's overview leads with the reviewer's comment, a
	// badge on the commented dimension, what to fix, and a button to fix it.
	_, body = resp.get(fmt.Sprintf("/assessments/%d", id))
	for _, want := range []string{
		a.s.msgs.T("en", "returned.title"),
		`<blockquote class="comment">Please support SERV.1.</blockquote>`,
		fmt.Sprintf(`<a href="/assessments/%d/dimensions/SERV#ind-SERV.1">SERV.1`, id),
		`<span class="badge badge-comments">` + a.s.msgs.T("en", "returned.badge", 1) + `</span>`,
		fmt.Sprintf(`<a class="button" href="/assessments/%d/dimensions/SERV#ind-SERV.1">%s</a>`, id, a.s.msgs.T("en", "assessment.next.fix")),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the returned assessment's overview lacks %s", want)
		}
	}
	// The reviewer cannot change answers, by API either.
	if status, _ := a.api(p.rev, pw).call(http.MethodPut, fmt.Sprintf("/api/v1/assessments/%d/answers", id), map[string]any{"answers": map[string]any{"SERV.1": map[string]any{"level": 5}}}); status != http.StatusForbidden {
		t.Errorf("reviewer edits: %d", status)
	}

	// The organisation sees the comment beside the question, edits, resubmits.
	_, body = resp.get(fmt.Sprintf("/assessments/%d/dimensions/SERV", id))
	if !strings.Contains(body, "Which share of applications is online?") {
		t.Error("indicator comment not shown beside the question")
	}
	form := dimensionForm(a, "SERV", 4, formVersion(t, body))
	if r, _ := resp.post(fmt.Sprintf("/assessments/%d/dimensions/SERV", id), form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit returned: %d", r.StatusCode)
	}
	if r, _ := resp.post(fmt.Sprintf("/assessments/%d/submit", id), url.Values{"confirm": {"yes"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("resubmit: %d", r.StatusCode)
	}
	// Approve by API this time.
	status, got := a.api(p.rev, pw).call(http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/review", id), map[string]any{"decision": "approve", "comment": "Well supported."})
	if status != http.StatusOK || got["status"] != "approved" {
		t.Fatalf("approve: %d %v", status, got)
	}
	var steps []string
	for _, h := range got["history"].([]any) {
		steps = append(steps, h.(map[string]any)["to"].(string))
	}
	if strings.Join(steps, ",") != "draft,submitted,returned,submitted,approved" {
		t.Errorf("timeline %v", steps)
	}
	_, body = resp.get(fmt.Sprintf("/assessments/%d", id))
	if !strings.Contains(body, "Please support SERV.1.") || !strings.Contains(body, "Well supported.") {
		t.Error("history lacks the review comments")
	}
	if status, _ := a.api(p.rev, pw).call(http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/review", id), map[string]any{"decision": "return", "comment": "again"}); status != http.StatusConflict {
		t.Errorf("review of an approved assessment: %d", status)
	}
}

// BenchmarkCompare measures GET /api/v1/compare for ten countries over
// 100,000 approved assessments in 50 countries, on the SQLite default.
func BenchmarkCompare(b *testing.B) {
	a := newTestApp(b)
	ed, _ := a.s.editions.Edition("escap-dmf-dps-sme", "")
	if err := a.s.store.Synthesize(context.Background(), ed, assessments.SynthOptions{Assessments: 100_000, Countries: 50, Period: 2026, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	var codes []string
	for _, c := range a.s.store.Countries().List[:10] {
		codes = append(codes, c.Code)
	}
	target := "/api/v1/compare?period=2026&countries=" + strings.Join(codes, ",")
	if rec := a.get(target); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"services":2000`) {
		b.Fatalf("compare: %d %.300s", rec.Code, rec.Body.String())
	}
	b.ResetTimer()
	for b.Loop() {
		if rec := a.get(target); rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

// TestBadPeriod: every route that filters by period reads it the same
// way, and a mistyped or impossible year is reported, never ignored.
func TestBadPeriod(t *testing.T) {
	a, p := compareWorld(t)
	rev := a.api(p.rev, pw)
	for _, period := range []string{"abc", "1999", "20261"} {
		for _, path := range []string{"/api/v1/compare", "/api/v1/compare.csv", "/api/v1/exports/approved.csv", "/api/v1/assessments"} {
			status, body := rev.call(http.MethodGet, path+"?period="+period, nil)
			fields, _ := body["error"].(map[string]any)["fields"].(map[string]any)
			if status != http.StatusUnprocessableEntity || fields["period"] == nil {
				t.Errorf("%s?period=%s: %d %v", path, period, status, body)
			}
		}
	}
	b := a.browser()
	b.login(p.rev, pw)
	if r, _ := b.get("/compare?period=abc"); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("/compare?period=abc: %d", r.StatusCode)
	}
	// The review queue shows the problem beside the filter, and no list.
	r, body := b.get("/review?status=&period=20x6")
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "must be a year") || !strings.Contains(body, `href="#f-period"`) ||
		!strings.Contains(body, `id="f-period-error"`) || !strings.Contains(body, `value="20x6"`) || strings.Contains(body, `class="stack"`) {
		t.Errorf("review queue with a bad period: %d, no error beside the field, or a list", r.StatusCode)
	}
	// A good period still filters.
	if status, _ := rev.raw(http.MethodGet, "/api/v1/assessments?period=2025", nil); status != http.StatusOK {
		t.Errorf("good period: %d", status)
	}
	if r, body := b.get("/review?status=&period=2025"); r.StatusCode != http.StatusOK || !strings.Contains(body, "KAZ 0") || strings.Contains(body, "UZB 0") {
		t.Errorf("review queue with a good period: %d", r.StatusCode)
	}
	if _, body := b.get("/review?status=approved&subregion=NCA"); !strings.Contains(body, "ARM 0") || !strings.Contains(body, "UZB 0") {
		t.Error("review queue by subregion lacks NCA's assessments")
	}
	if _, body := b.get("/review?status=approved&subregion=SEA"); strings.Contains(body, "KAZ 0") {
		t.Error("review queue by subregion shows other subregions")
	}
}
