package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
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
	saved, err := a.s.store.SaveAnswers(ctx, p.actorA, id, nil, assessments.Answers{"STRAT.1": {Level: &level}})
	if err != nil {
		t.Fatal(err)
	}
	as := saved.Assessment
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

// TestSecurityInvisibleCharacters: characters that reorder or hide text on
// a reviewer's page are refused in every text field, with a 422 naming it.
func TestSecurityInvisibleCharacters(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.startAssessment(p.actorA)
	c := a.api(p.a, pw)
	for _, r := range []rune{0x202E, 0x202A, 0x2066, 0x2069, 0x200E, 0x061C, 0x200B, 0x2060, 0xFEFF, 0x2028, 0x2029, 0xFFFF, 0xFDD0, 0x1FFFE} {
		text := fmt.Sprintf("harmless %c looking", r)
		body := map[string]any{"answers": map[string]any{"SERV.1": map[string]any{"level": 2, "comment": text}}}
		status, got := c.call(http.MethodPut, fmt.Sprintf("/api/v1/assessments/%d/answers", id), body)
		if status != http.StatusUnprocessableEntity || fieldsOf(got)["answers.SERV.1.comment"] == "" {
			t.Errorf("U+%04X in a comment: %d %v", r, status, got)
		}
		status, got = c.call(http.MethodPost, "/api/v1/services", map[string]any{"name": text, "category": "tax"})
		if status != http.StatusUnprocessableEntity || fieldsOf(got)["name"] == "" {
			t.Errorf("U+%04X in a service name: %d %v", r, status, got)
		}
	}
	// Joiners stay: Persian and Indic scripts and emoji need them.
	body := map[string]any{"answers": map[string]any{"SERV.1": map[string]any{"level": 2, "comment": "می\u200cخواهم"}}}
	if status, got := c.call(http.MethodPut, fmt.Sprintf("/api/v1/assessments/%d/answers", id), body); status != http.StatusOK {
		t.Errorf("a zero-width non-joiner in Persian: %d %v", status, got)
	}
}

func fieldsOf(body map[string]any) map[string]string {
	out := map[string]string{}
	if e, ok := body["error"].(map[string]any); ok {
		if f, ok := e["fields"].(map[string]any); ok {
			for k, v := range f {
				out[k] = fmt.Sprint(v)
			}
		}
	}
	return out
}

// TestSecurityTokenName: an API token's name is a short line of text.
func TestSecurityTokenName(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	anon := &api{t: t, base: a.server()}
	for name, value := range map[string]string{
		"NUL": "a\x00b", "escape": "\x1b[31mred", "newline": "two\nlines", "bidi": "abc\u202edef",
		"101 characters": strings.Repeat("n", 101), "1.5 million characters": strings.Repeat("n", 1500000),
	} {
		status, got := anon.call(http.MethodPost, "/api/v1/tokens", map[string]string{"email": p.a, "password": pw, "name": value})
		if status != http.StatusUnprocessableEntity || fieldsOf(got)["name"] == "" || got["token"] != nil {
			t.Errorf("token name with %s: %d %.200v", name, status, got)
		}
	}
	ts, _ := a.s.store.Tokens(context.Background(), p.actorA.UserID)
	if len(ts) != 0 {
		t.Errorf("%d tokens were made with bad names", len(ts))
	}
	if status, _ := anon.call(http.MethodPost, "/api/v1/tokens", map[string]string{"email": p.a, "password": pw, "name": strings.Repeat("n", 100)}); status != http.StatusCreated {
		t.Errorf("a 100-character name: %d", status)
	}
}

// TestSecurityServerOwnedFields: ids, organisation and timestamps come
// from the server, never from a request body.
func TestSecurityServerOwnedFields(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	c := a.api(p.a, pw)
	for field, value := range map[string]any{"created_at": "2001-01-01T00:00:00Z", "updated_at": "2001-01-01T00:00:00Z", "id": 4242, "organisation_id": p.orgB.ID} {
		status, got := c.call(http.MethodPost, "/api/v1/services", map[string]any{"name": "Service " + field, "category": "tax", field: value})
		if status == http.StatusCreated {
			if fmt.Sprint(got["created_at"])[:4] == "2001" || got["id"] == float64(4242) || got["organisation_id"] != float64(p.orgA.ID) {
				t.Errorf("a client-sent %s was stored: %v", field, got)
			}
			continue
		}
		if status != http.StatusUnprocessableEntity || fieldsOf(got)[field] == "" {
			t.Errorf("a client-sent %s: %d %v", field, status, got)
		}
	}
}

// TestSecurityConflictListsCleared: a 409 names every indicator whose
// answer changed since the client's version, cleared ones included.
func TestSecurityConflictListsCleared(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.startAssessment(p.actorA)
	c := a.api(p.a, pw)
	path := fmt.Sprintf("/api/v1/assessments/%d/answers", id)
	status, got := c.call(http.MethodPut, path, map[string]any{"answers": map[string]any{"SERV.1": map[string]any{"level": 2}, "SERV.2": map[string]any{"level": 3}}})
	if status != http.StatusOK {
		t.Fatalf("save: %d %v", status, got)
	}
	base := got["version"]
	if status, got := c.call(http.MethodPut, path, map[string]any{"answers": map[string]any{"SERV.2": map[string]any{}, "SERV.3": map[string]any{"level": 1}}}); status != http.StatusOK {
		t.Fatalf("clearing save: %d %v", status, got)
	}
	status, got = c.call(http.MethodPut, path, map[string]any{"version": base, "answers": map[string]any{"SERV.1": map[string]any{"level": 4}}})
	changed := fmt.Sprint(got["error"].(map[string]any)["changed"])
	if status != http.StatusConflict || changed != "[SERV.2 SERV.3]" {
		t.Errorf("stale save: %d, changed %s, want [SERV.2 SERV.3]", status, changed)
	}
}

// TestSecurityDatabaseFilesPrivate: the database, its WAL and backups are
// readable by the owner only, like the keys; an older 0644 database is
// tightened when opened.
func TestSecurityDatabaseFilesPrivate(t *testing.T) {
	sqliteOnly(t)
	a := newTestApp(t)
	a.seedPeople()
	db := a.s.cfg.Database
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		if info, err := os.Stat(f); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want 0600", filepath.Base(f), modeOf(info), err)
		}
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := backupCommand(context.Background(), []string{"-database", db, backup}, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(backup); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("backup: %v %v, want 0600", modeOf(info), err)
	}
	if copied, err := openStore(context.Background(), backup, slog.New(slog.NewTextHandler(io.Discard, nil)), nil); err != nil {
		t.Error(err)
	} else {
		if us, _ := copied.Users(context.Background()); len(us) != 5 {
			t.Errorf("the backup has %d users", len(us))
		}
		copied.Close()
	}
	os.Chmod(db, 0o644)
	s2, err := newApp(context.Background(), a.s.cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s2.store.Close()
	if info, _ := os.Stat(db); info.Mode().Perm() != 0o600 {
		t.Errorf("an existing 0644 database stays %v", info.Mode().Perm())
	}
}

func modeOf(info os.FileInfo) any {
	if info == nil {
		return nil
	}
	return info.Mode().Perm()
}
