package main

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
)

// TestPracticeExchange: an agency shares a practice from an approved
// assessment, a reviewer publishes it, anyone finds it, and another
// agency's gap and the framework page link to it, in English and Russian.
func TestPracticeExchange(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.approve(p.actorA, p.actorRev, "Company register", 2025, func(int) int { return 4 }, true)
	other := a.approve(p.actorB, p.actorRev, "VAT returns", 2025, func(int) int { return 2 }, true)
	owner, rev, anon := a.api(p.a, pw), a.api(p.rev, pw), &api{t: t, base: a.server()}
	path := "/api/v1/assessments/" + strconv.Itoa(int(id)) + "/practices"

	st, body := owner.call("POST", path, map[string]any{"indicator": "SERV.1", "title": "One login for every form", "summary": "Businesses sign in once with the national e-ID.", "links": []string{"javascript:alert(1)"}})
	if st != http.StatusUnprocessableEntity || body["error"].(map[string]any)["fields"].(map[string]any)["links[0]"] == nil {
		t.Errorf("javascript link: %d %v", st, body)
	}
	otherPath := "/api/v1/assessments/" + strconv.Itoa(int(other)) + "/practices"
	if st, body := a.api(p.b, pw).call("POST", otherPath, map[string]any{"indicator": "SERV.1", "title": "t", "summary": "s"}); st != http.StatusUnprocessableEntity {
		t.Errorf("practice at level 2: %d %v", st, body)
	}
	st, body = owner.call("POST", path, map[string]any{"indicator": "SERV.1", "title": "One login for every form", "summary": "Businesses sign in once with the national e-ID.", "contact": "digital@justice.kz", "links": []string{"https://justice.kz/login"}})
	if st != http.StatusCreated || body["status"] != "submitted" || body["source"] != "local" || body["level"] != 4.0 {
		t.Fatalf("share: %d %v", st, body)
	}
	pid := strconv.Itoa(int(body["id"].(float64)))
	if _, body := anon.call("GET", "/api/v1/practices", nil); body["total"] != 0.0 {
		t.Errorf("unpublished practice is public: %v", body)
	}
	if st, _ := anon.call("GET", "/api/v1/practices/"+pid, nil); st != http.StatusNotFound {
		t.Errorf("unpublished practice read by anyone: %d", st)
	}
	if _, body := rev.call("GET", "/api/v1/practices?status=submitted", nil); body["total"] != 1.0 {
		t.Errorf("reviewer's queue: %v", body)
	}
	if st, body := rev.call("POST", "/api/v1/practices/"+pid+"/review", map[string]any{"decision": "return"}); st != http.StatusUnprocessableEntity {
		t.Errorf("return without comment: %d %v", st, body)
	}
	if st, body := rev.call("POST", "/api/v1/practices/"+pid+"/review", map[string]any{"decision": "publish"}); st != http.StatusOK || body["status"] != "published" {
		t.Fatalf("publish: %d %v", st, body)
	}
	if st, _ := owner.call("POST", path, map[string]any{"indicator": "SERV.1", "title": "Again", "summary": "s"}); st != http.StatusConflict {
		t.Errorf("second practice for a published one: %d", st)
	}

	st, body = anon.call("GET", "/api/v1/practices?q=LOGIN+e-id&country=KAZ&dimension=SERV&category=tax", nil)
	items, _ := body["items"].([]any)
	if st != http.StatusOK || len(items) != 1 {
		t.Fatalf("search: %d %v", st, body)
	}
	got := items[0].(map[string]any)
	card := got["card"].(map[string]any)
	if got["service"] != "Company register" || got["organisation"] != "Ministry of Justice" || got["contact"] != "digital@justice.kz" ||
		card["revoked"] != false || !strings.HasSuffix(card["url"].(string), "/cards/"+card["id"].(string)) {
		t.Errorf("practice: %v", got)
	}
	for _, q := range []string{"country=UZB", "q=nothing+like+it", "indicator=SERV.2", "category=customs"} {
		if _, body := anon.call("GET", "/api/v1/practices?"+q, nil); body["total"] != 0.0 {
			t.Errorf("%s: %v", q, body)
		}
	}
	for _, q := range []string{`"`, "NEAR(", strings.Repeat("ж", 10000), "%00", "a'b", "page=-1", "limit=x"} {
		if st, _ := anon.raw("GET", "/api/v1/practices?q="+url.QueryEscape(q), nil); st != http.StatusOK {
			t.Errorf("search %q: %d", q, st)
		}
	}

	// Another agency's gap links to it, with the count, in both languages.
	b := a.browser()
	b.login(p.b, pw)
	_, page := b.get("/assessments/" + strconv.Itoa(int(other)) + "/result")
	if !strings.Contains(page, `href="/practices?indicator=SERV.1"`) || !strings.Contains(page, "1 service in the region reached level 4 here") {
		t.Error("the gap does not link to the published practice")
	}
	b.get("/lang/ru?next=/")
	if _, page := b.get("/assessments/" + strconv.Itoa(int(other)) + "/result"); !strings.Contains(page, "1 услуга в регионе достигла здесь уровня 4") {
		t.Error("the Russian gap link")
	}
	if _, page := a.browser().get("/frameworks/escap-dmf-dps-sme/dimensions/SERV"); !strings.Contains(page, `href="/practices?indicator=SERV.1"`) {
		t.Error("the framework page does not link to the practice")
	}
	if resp, page := a.browser().get("/practices?q=login"); resp.StatusCode != http.StatusOK || !strings.Contains(page, "One login for every form") {
		t.Errorf("public list: %d", resp.StatusCode)
	}
	if resp, page := a.browser().get("/practices/" + pid); resp.StatusCode != http.StatusOK || !strings.Contains(page, "digital@justice.kz") || !strings.Contains(page, "/cards/") {
		t.Errorf("public practice page: %d", resp.StatusCode)
	}
}

// TestPracticePages: the share form and the reviewers' queue work
// without JavaScript.
func TestPracticePages(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := strconv.Itoa(int(a.approve(p.actorA, p.actorRev, "Company register", 2025, func(int) int { return 5 }, true)))
	b := a.browser()
	b.login(p.a, pw)
	if _, page := b.get("/assessments/" + id + "/result"); !strings.Contains(page, "/assessments/"+id+"/practices/new?indicator=") {
		t.Error("the result page does not offer to share a practice")
	}
	if resp, _ := b.get("/assessments/" + id + "/practices/new?indicator=SERV.3"); resp.StatusCode != http.StatusOK {
		t.Fatalf("form: %d", resp.StatusCode)
	}
	form := url.Values{"indicator": {"SERV.3"}, "title": {"Status tracking"}, "summary": {""}, "links": {"https://a.example\r\nftp://b.example"}, "language": {"en"}}
	resp, page := b.post("/assessments/"+id+"/practices", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-summary-error"`) || !strings.Contains(page, "Status tracking") {
		t.Fatalf("refused practice: %d", resp.StatusCode)
	}
	form.Set("summary", "Every request shows where it is.")
	form.Set("links", "https://a.example\r\n")
	if resp, _ := b.post("/assessments/"+id+"/practices", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("share: %d", resp.StatusCode)
	}
	r := a.browser()
	r.login(p.rev, pw)
	_, page = r.get("/review/practices")
	if !strings.Contains(page, "Status tracking") {
		t.Fatal("the reviewers' queue does not list the practice")
	}
	pg, _ := a.s.store.Practices(t.Context(), p.actorRev, practiceFilterOf("submitted"))
	pid := strconv.Itoa(int(pg.Items[0].ID))
	if resp, page := r.post("/practices/"+pid+"/review", url.Values{"decision": {"return"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "f-p"+pid+"-comment-error") {
		t.Errorf("return without comment: %d", resp.StatusCode)
	}
	if resp, _ := r.post("/practices/"+pid+"/review", url.Values{"decision": {"publish"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("publish: %d", resp.StatusCode)
	}
	if _, page := a.browser().get("/practices"); !strings.Contains(page, "Status tracking") {
		t.Error("the published practice is not listed")
	}
}

func practiceFilterOf(status string) assessments.PracticeFilter {
	return assessments.PracticeFilter{Status: assessments.PracticeStatus(status)}
}

// TestPracticeLanguages: a practice can be written in any interface
// language, keeps it on its page, and the gap link reads in French and
// Chinese with their plural forms.
func TestPracticeLanguages(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := strconv.Itoa(int(a.approve(p.actorA, p.actorRev, "Company register", 2025, func(int) int { return 5 }, true)))
	other := strconv.Itoa(int(a.approve(p.actorB, p.actorRev, "VAT returns", 2025, func(int) int { return 2 }, true)))
	b := a.browser()
	b.login(p.a, pw)
	_, page := b.get("/assessments/" + id + "/practices/new?indicator=SERV.3")
	for _, lang := range languages {
		if !strings.Contains(page, `<option value="`+lang+`"`) {
			t.Errorf("the form does not offer %s", lang)
		}
	}
	form := url.Values{"indicator": {"SERV.3"}, "title": {"Suivi des demandes"}, "summary": {"Chaque demande indique où elle en est."}, "language": {"fr"}}
	if resp, _ := b.post("/assessments/"+id+"/practices", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("French practice: %d", resp.StatusCode)
	}
	st, body := a.api(p.a, pw).call("POST", "/api/v1/assessments/"+id+"/practices", map[string]any{"indicator": "SERV.1", "title": "一次登录", "summary": "企业使用国家电子身份识别一次登录。", "language": "zh"})
	if st != http.StatusCreated || body["language"] != "zh" {
		t.Fatalf("Chinese practice: %d %v", st, body)
	}
	rev := a.api(p.rev, pw)
	pg, _ := a.s.store.Practices(t.Context(), p.actorRev, practiceFilterOf("submitted"))
	for _, pr := range pg.Items {
		pid := strconv.Itoa(int(pr.ID))
		if st, body := rev.call("POST", "/api/v1/practices/"+pid+"/review", map[string]any{"decision": "publish"}); st != http.StatusOK {
			t.Fatalf("publish: %d %v", st, body)
		}
		if _, page := a.browser().get("/practices/" + pid); !strings.Contains(page, `lang="`+pr.Language+`"`) {
			t.Errorf("practice %s does not keep its language %s", pid, pr.Language)
		}
	}
	if len(pg.Items) != 2 {
		t.Fatalf("submitted practices: %d", len(pg.Items))
	}

	o := a.browser()
	o.login(p.b, pw)
	for lang, want := range map[string]string{"fr": "1 service de la région a atteint ici le niveau 5\u00a0:", "zh": "本区域有 1 项服务在此达到第 5 级："} {
		o.get("/lang/" + lang + "?next=/")
		if _, page := o.get("/assessments/" + other + "/result"); !strings.Contains(page, want) {
			t.Errorf("%s gap link: want %q", lang, want)
		}
	}
}
