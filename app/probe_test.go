package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
)

// TestSecurityOpenRedirect: redirect targets that a browser would take to
// another host (after dropping tabs and newlines, turning \ into /) go to
// the home page instead, from the language switch and from sign-in.
func TestSecurityOpenRedirect(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	bad := []string{
		"/\t/127.0.0.1:18999/x", "/\n/evil.example", "/\r/evil.example", "//evil.example", "/\\evil.example",
		"\\/evil.example", "https://evil.example/", "javascript:alert(1)", "evil.example", " /x", "/ /evil.example",
		"/\u00a0/evil.example", "/\u2028/evil.example", "/\u202e/evil.example", "/\x00/evil.example", "///evil.example",
		"/%09/evil.example", "/%2F/evil.example", "/%5Cevil.example", "",
	}
	for _, next := range bad {
		rec := a.get("/lang/en?next=" + url.QueryEscape(next))
		if loc := rec.Header().Get("Location"); loc != "/" {
			t.Errorf("/lang/en?next=%q went to %q", next, loc)
		}
	}
	for _, next := range []string{"/assessments", "/frameworks/escap-dmf-dps-sme?version=1.0.0", "/a/b/c"} {
		if loc := a.get("/lang/ru?next=" + url.QueryEscape(next)).Header().Get("Location"); loc != next {
			t.Errorf("same-site %q went to %q", next, loc)
		}
	}
	b := a.browser()
	resp, _ := b.post("/login", url.Values{"email": {p.a}, "password": {pw}, "next": {"/\t/127.0.0.1:18999/x"}})
	if loc := resp.Header.Get("Location"); loc != "/assessments" {
		t.Errorf("sign-in with a foreign next went to %q", loc)
	}
	if resp, _ := b.get("/login?next=" + url.QueryEscape("/\t/evil.example")); resp.Header.Get("Location") != "/" {
		t.Errorf("signed-in /login with a foreign next went to %q", resp.Header.Get("Location"))
	}
}

// TestSecurityBadPercentEscape: a form body that does not parse is 400 and
// changes nothing; before, it read as an empty answer and cleared it.
func TestSecurityBadPercentEscape(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.startAssessment(p.actorA)
	ctx := context.Background()
	level := 3
	as, _, err := a.s.store.SaveAnswers(ctx, p.actorA, id, nil, assessments.Answers{"STRAT.1": {Level: &level}})
	if err != nil {
		t.Fatal(err)
	}
	b := a.browser()
	b.login(p.a, pw)
	body := fmt.Sprintf("_csrf=%s&version=%d&ids=STRAT.1&STRAT.1.level=%%zz", url.QueryEscape(b.csrf()), as.Version)
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/assessments/%d/dimensions/STRAT", b.base, id), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, _ := b.do(req); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a body with a bad percent-escape: %d, want 400", resp.StatusCode)
	}
	after, err := a.s.store.Assessment(ctx, p.actorA, id)
	if err != nil {
		t.Fatal(err)
	}
	ans, _ := a.s.store.Answers(ctx, after)
	if after.Version != as.Version || ans["STRAT.1"].Level == nil || *ans["STRAT.1"].Level != 3 {
		t.Errorf("the bad body changed the assessment: version %d→%d, answer %+v", as.Version, after.Version, ans["STRAT.1"])
	}
}

// TestSecurityPrivateResponsesNotStored: every response with private data
// says Cache-Control: no-store, whether the caller uses a session or a
// bearer token, and so does the response that carries a new token.
func TestSecurityPrivateResponsesNotStored(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.startAssessment(p.actorA)
	tok := a.api(p.a, pw)
	admin := a.api(p.adm, pw)
	check := func(what string, h http.Header) {
		if h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", what, h.Get("Cache-Control"))
		}
	}
	do := func(c *api, method, path, body string) http.Header {
		req, _ := http.NewRequest(method, a.server()+path, strings.NewReader(body))
		if c != nil {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header
	}
	check("new token", do(nil, http.MethodPost, "/api/v1/tokens", fmt.Sprintf(`{"email":%q,"password":%q}`, p.a, pw)))
	check("assessment", do(tok, http.MethodGet, fmt.Sprintf("/api/v1/assessments/%d", id), ""))
	check("assessments", do(tok, http.MethodGet, "/api/v1/assessments", ""))
	check("export", do(tok, http.MethodGet, fmt.Sprintf("/api/v1/assessments/%d/export", id), ""))
	check("audit", do(admin, http.MethodGet, "/api/v1/audit", ""))
	check("approved export", do(admin, http.MethodGet, "/api/v1/exports/approved.csv", ""))
}

// TestSecurityCSRFBoundToSession: a token the attacker chose (planted as a
// cookie and sent in the form) or one made for another session is refused;
// the token the page carries works.
func TestSecurityCSRFBoundToSession(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	ctx := context.Background()
	victim, err := a.s.store.CreateSession(ctx, p.actorA.UserID)
	if err != nil {
		t.Fatal(err)
	}
	other := a.browser()
	other.login(p.a2, pw)
	post := func(token string) int {
		form := url.Values{"_csrf": {token}, "name": {"Planted service"}, "category": {"tax"}}
		req, _ := http.NewRequest(http.MethodPost, a.server()+"/services", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: victim})
		req.AddCookie(&http.Cookie{Name: "_csrf", Value: token})
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := post("attacker-chosen-token"); status != http.StatusForbidden {
		t.Errorf("attacker-chosen token: %d, want 403", status)
	}
	if status := post(other.csrf()); status != http.StatusForbidden {
		t.Errorf("another session's token: %d, want 403", status)
	}
	if status := post(a.s.csrfToken(victim, "nonce")); status != http.StatusSeeOther {
		t.Errorf("the session's own token: %d, want 303", status)
	}
}

// TestSecurityHEAD: HEAD is answered wherever GET is, without a body.
func TestSecurityHEAD(t *testing.T) {
	a := newTestApp(t)
	for _, path := range []string{"/", "/frameworks", "/login", "/api/v1/frameworks", "/healthz", "/verify", "/.well-known/did.json"} {
		rec := a.do(http.MethodHead, path, nil)
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Errorf("HEAD %s: %d with %d bytes", path, rec.Code, rec.Body.Len())
		}
	}
	if rec := a.do(http.MethodHead, "/assessments", nil); rec.Code != http.StatusSeeOther {
		t.Errorf("HEAD of a signed-in page: %d, want 303 as for GET", rec.Code)
	}
	if rec := a.do(http.MethodHead, "/no-such-page", nil); rec.Code != http.StatusNotFound {
		t.Errorf("HEAD of no page: %d", rec.Code)
	}
}
