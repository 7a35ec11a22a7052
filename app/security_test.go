package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments"
)

// clock is a settable time for the store, to test session timeouts.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func sessionOf(b *browser) string {
	u, _ := url.Parse(b.base)
	for _, ck := range b.c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			return ck.Value
		}
	}
	return ""
}

func TestSessionRotatesOnSignIn(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	b := a.browser()
	b.login(p.a, pw)
	first := sessionOf(b)
	b.login(p.a, pw)
	second := sessionOf(b)
	if first == "" || first == second {
		t.Fatal("signing in again kept the session id")
	}
	if _, err := a.s.store.SessionUser(context.Background(), first); err == nil {
		t.Error("the session from before sign-in still works")
	}
}

func TestSessionTimeouts(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	clk := &clock{now: time.Now().UTC()}
	a.s.store.SetClock(clk.Now)
	b := a.browser()
	b.login(p.a, pw)
	ok := func() bool {
		resp, _ := b.get("/assessments")
		return resp.StatusCode == http.StatusOK
	}
	clk.Add(assessments.SessionIdle - time.Minute)
	if !ok() {
		t.Fatal("session ended before the idle timeout")
	}
	// Active every hour, the session still ends at its absolute lifetime.
	for used := assessments.SessionIdle - time.Minute; used < assessments.SessionLifetime-time.Hour; used += time.Hour {
		clk.Add(time.Hour)
		if !ok() {
			t.Fatalf("active session ended after %v", used)
		}
	}
	clk.Add(2 * time.Hour)
	if ok() {
		t.Error("session outlived its absolute lifetime")
	}
	b.login(p.a, pw)
	clk.Add(assessments.SessionIdle + time.Minute)
	if ok() {
		t.Error("idle session did not end")
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	here, there := a.browser(), a.browser()
	here.login(p.a, pw)
	there.login(p.a, pw)
	const next = "an entirely new pass phrase"
	if resp, _ := here.post("/account/password", url.Values{"current": {pw}, "password": {next}, "confirm": {next}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d", resp.StatusCode)
	}
	if resp, _ := here.get("/assessments"); resp.StatusCode != http.StatusOK {
		t.Error("the session that changed the password ended")
	}
	if resp, _ := there.get("/assessments"); resp.StatusCode != http.StatusSeeOther {
		t.Error("another session survived the password change")
	}
}

func TestAPITokenRevocation(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	c := a.api(p.a, pw)
	if status, _ := c.call(http.MethodGet, "/api/v1/assessments", nil); status != http.StatusOK {
		t.Fatal(status)
	}
	if status, _ := c.raw(http.MethodDelete, "/api/v1/tokens/current", nil); status != http.StatusNoContent {
		t.Fatalf("revoke: %d", status)
	}
	if status, _ := c.call(http.MethodGet, "/api/v1/assessments", nil); status != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", status)
	}
	// From the account page.
	c2 := a.api(p.a, pw)
	b := a.browser()
	b.login(p.a, pw)
	_, page := b.get("/account")
	if !strings.Contains(page, c2.token[:12]) {
		t.Fatal("token not listed on the account page")
	}
	if resp, _ := b.post("/account/tokens/revoke", url.Values{"token": {c2.token[:12]}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke from the page: %d", resp.StatusCode)
	}
	if status, _ := c2.call(http.MethodGet, "/api/v1/assessments", nil); status != http.StatusUnauthorized {
		t.Errorf("token revoked on the page still works: %d", status)
	}
}

func TestLoginDelayGrows(t *testing.T) {
	unit := 250 * time.Millisecond
	want := []time.Duration{0, 0, 0, unit, 2 * unit, 4 * unit, 8 * unit, 16 * unit, 32 * unit, 32 * unit}
	for n, w := range want {
		if got := assessments.LoginDelay(n, unit); got != w {
			t.Errorf("LoginDelay(%d) = %v, want %v", n, got, w)
		}
	}
}

// TestHTTPSCookiesAndHSTS: behind https, cookies are Secure and HSTS is
// sent; signed-in pages are never cached.
func TestHTTPSCookiesAndHSTS(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Addr: "127.0.0.1:0", BaseURL: "https://dmf.example.org", Database: filepath.Join(dir, "dmf.db"), LogFormat: "text", PublicMinServices: 3, LoginDelay: time.Millisecond}
	if err := cfg.complete(); err != nil {
		t.Fatal(err)
	}
	s, err := newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.store.Close()
	a := &testApp{t: t, s: s, e: s.routes()}
	p := a.seedPeople()
	b := a.browser()
	resp, _ := b.get("/login")
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS behind https")
	}
	for _, ck := range resp.Header.Values("Set-Cookie") {
		if !strings.Contains(ck, "Secure") || !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") {
			t.Errorf("cookie %q", ck)
		}
	}
	form := url.Values{"email": {p.a}, "password": {pw}, "_csrf": {b.csrf()}}
	req, _ := http.NewRequest(http.MethodPost, b.base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "_csrf="+form.Get("_csrf"))
	resp, _ = b.do(req)
	var session string
	for _, ck := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(ck, sessionCookie+"=") {
			session = ck
		}
	}
	if !strings.Contains(session, "Secure") || !strings.Contains(session, "HttpOnly") || !strings.Contains(session, "SameSite=Lax") {
		t.Errorf("session cookie %q", session)
	}
}

func TestSignedInPagesAreNotCached(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	b := a.browser()
	b.login(p.a, pw)
	resp, _ := b.get("/assessments")
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
}

// TestAuditTrail: a whole workflow leaves an audit event for each change,
// with the actor and the values before and after; only admins read it.
func TestAuditTrail(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.approve(p.actorA, p.actorRev, "Audited", 2026, func(int) int { return 3 }, true)
	rec, _ := a.s.store.CardOf(context.Background(), p.actorA, id)
	if _, err := a.s.store.Revoke(context.Background(), p.actorRev, rec.ID, "test"); err != nil {
		t.Fatal(err)
	}
	admin := a.api(p.adm, pw)
	_, body := admin.call(http.MethodGet, "/api/v1/audit", nil)
	actions := map[string]bool{}
	for _, e := range body["list"].([]any) {
		ev := e.(map[string]any)
		actions[ev["action"].(string)] = true
		if ev["action"] == "answers.saved" && (ev["actor_id"] == nil || ev["after"] == nil) {
			t.Errorf("answers.saved without actor or values: %v", ev)
		}
	}
	for _, want := range []string{"organisation.created", "user.created", "service.created", "assessment.created", "answers.saved",
		"assessment.submitted", "assessment.approved", "card.issued", "card.revoked", "token.created"} {
		if !actions[want] {
			t.Errorf("no audit event %s", want)
		}
	}
	b := a.browser()
	b.login(p.adm, pw)
	if resp, page := b.get("/admin/audit?action=card.revoked"); resp.StatusCode != http.StatusOK || !strings.Contains(page, "card.revoked") {
		t.Errorf("audit page: %d", resp.StatusCode)
	}
	if resp, csv := b.get("/admin/audit.csv"); resp.StatusCode != http.StatusOK || !strings.Contains(csv, "assessment.approved") {
		t.Errorf("audit export: %d", resp.StatusCode)
	}
	if status, _ := a.api(p.rev, pw).call(http.MethodGet, "/api/v1/audit", nil); status != http.StatusForbidden {
		t.Errorf("reviewer reads the audit log: %d", status)
	}
}
