package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// TestBrowserPasskey registers a passkey on the account page and signs in
// with it as the second factor, in Chromium with a virtual authenticator
// (a platform authenticator that verifies its user). WebAuthn needs a
// domain, so this instance is reached as localhost, not 127.0.0.1.
func TestBrowserPasskey(t *testing.T) {
	chrome, _ := browserTools(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	a := newTestApp(t, func(c *Config) { c.BaseURL = base })
	if a.s.passkeys == nil {
		t.Fatal("passkeys are off for " + base)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: a.e}}
	srv.Start()
	t.Cleanup(srv.Close)
	b := &browserSuite{root: startBrowser(t, chrome), a: a, base: base, p: a.seedPeople()}
	ctx := context.Background()
	rev, err := a.s.store.UserByEmail(ctx, b.p.rev)
	if err != nil {
		t.Fatal(err)
	}

	tb := b.newTab(t, "reviewer")
	call(tb, webauthn.Enable, webauthn.EnableParams{})
	call(tb, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}})

	// Register: the first second factor, so the page shows recovery codes.
	tb.login(b.p.rev)
	tb.openOK("/account/second-factor")
	tb.waitFor(`!document.querySelector("[data-passkey-register]").hidden`, 5*time.Second)
	if tb.count("[data-passkey-noscript]:not([hidden])") != 0 {
		t.Error("the page says passkeys need JavaScript while it runs")
	}
	tb.do(chromedp.SetValue(chromedp.CSS("#passkey-name"), "Test key"))
	tb.do(chromedp.Click(chromedp.CSS("[data-passkey-start]")))
	tb.waitFor(`!document.querySelector("[data-passkey-codes]").hidden`, 10*time.Second)
	if n := tb.count("[data-passkey-codes] li code"); n != 10 {
		t.Fatalf("%d recovery codes after the first passkey", n)
	}
	ps, err := a.s.store.Passkeys(ctx, rev.ID)
	if err != nil || len(ps) != 1 || ps[0].Name != "Test key" {
		t.Fatalf("stored passkeys: %v %+v", err, ps)
	}

	// Sign out and in: after the password, the passkey is the second factor.
	tb.click(`form[action="/logout"] button[type=submit]`)
	tb.openOK("/login")
	tb.do(
		chromedp.SendKeys(chromedp.CSS("#email"), b.p.rev),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
	)
	tb.click(`form[action="/login"] button[type=submit]`)
	if !strings.HasPrefix(tb.path(), "/login/second-factor") {
		t.Fatalf("after the password: on %s", tb.path())
	}
	if tb.count("form[action='/logout']") != 1 || tb.count(".site a[href='/account']") != 0 {
		t.Error("the second step shows a signed-in header")
	}
	tb.waitFor(`!document.querySelector("[data-passkey-login]").hidden`, 5*time.Second)
	tb.do(chromedp.Click(chromedp.CSS("[data-passkey-login] [data-passkey-start]")))
	// The script navigates when the server has accepted the passkey; a
	// poll running across that navigation ends early, so poll again.
	for deadline := time.Now().Add(10 * time.Second); !tb.poll(`location.pathname === "/assessments" && document.readyState === "complete"`, time.Second); {
		if time.Now().After(deadline) {
			t.Fatalf("after the passkey: on %s", tb.path())
		}
	}
	if tb.count(`form[action="/logout"]`) == 0 {
		t.Fatal("not signed in after the passkey")
	}
	ps, _ = a.s.store.Passkeys(ctx, rev.ID)
	if len(ps) != 1 || ps[0].LastUsedAt == nil {
		t.Fatalf("the passkey's use is not recorded: %+v", ps)
	}
}
