package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/unescap/dmf/assessments"
)

// The browser tests drive Debian's Chromium (installed by .ci/run) over the
// DevTools protocol against the real server on loopback and a fresh SQLite
// file. One browser serves the whole of TestBrowser; every user gets a tab
// in a browser context of their own, so that their cookies stay apart.
// Without Chromium or axe-core the tests fail in CI (DMF_CI is set) and are
// skipped elsewhere.

const chromiumPath = "/usr/bin/chromium"

var axePath = filepath.Join("..", ".ci", "browser", "node_modules", "axe-core", "axe.min.js")

// stepTimeout bounds one browser step (a navigation, a click, a check). The
// browser itself runs on a context without a deadline.
const stepTimeout = 30 * time.Second

// Desktop and phone viewports, in CSS pixels.
const (
	desktopWidth, desktopHeight = 1280, 900
	phoneWidth, phoneHeight     = 375, 812
)

// browserTools finds Chromium and reads axe-core, or skips (fails in CI).
func browserTools(t *testing.T) (chrome string, axe []byte) {
	t.Helper()
	missing := func(what string, err error) {
		t.Helper()
		needs(t, fmt.Sprintf("%s (%v)", what, err), "install chromium (apt-get install chromium) and run npm ci in .ci/browser")
	}
	chrome = chromiumPath
	if _, err := os.Stat(chrome); err != nil {
		if chrome, err = exec.LookPath("chromium"); err != nil {
			missing("Chromium", err)
		}
	}
	axe, err := os.ReadFile(axePath)
	if err != nil {
		missing("axe-core", err)
	}
	return chrome, axe
}

// startBrowser starts headless Chromium and returns its root context. The
// profile is a fresh temporary directory that chromedp creates and removes
// (with any helper process still using it) when the test ends.
func startBrowser(t *testing.T, chrome string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-GB"), // Accept-Language: pages start in English
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first run starts the browser. It has no deadline: the browser
	// would stop with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// browserSuite is the shared state of TestBrowser.
type browserSuite struct {
	root context.Context
	a    *testApp
	p    *people
	base string

	shotsOnce sync.Once
	shots     string // the screenshot folder

	idp *testIdP // the single sign-on provider, "gov"
}

// axeURL is where the test's server serves axe-core, beside the app.
const axeURL = "/_test/axe.min.js"

// serveWithAxe starts the app on loopback with axe-core beside it.
func serveWithAxe(t *testing.T, a *testApp, axe []byte) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+axeURL, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Write(axe)
	})
	mux.Handle("/", a.e)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBrowser runs the end-to-end journey and the page checks in one
// browser: accessibility (axe-core), small screens, print, page weight,
// pages without JavaScript and the autosave's retries.
func TestBrowser(t *testing.T) {
	chrome, axe := browserTools(t)
	idp := startIdP(t)
	a := newTestApp(t, func(c *Config) { c.OIDC = []OIDCProvider{idp.provider()} })
	b := &browserSuite{root: startBrowser(t, chrome), a: a, base: serveWithAxe(t, a, axe), p: a.seedPeople(), idp: idp}
	idp.register(a.s, b.base)
	t.Run("journey", func(t *testing.T) { b.testJourney(t, "en") })
	t.Run("journey-fr", func(t *testing.T) { b.testJourney(t, "fr") })
	t.Run("journey-zh", func(t *testing.T) { b.testJourney(t, "zh") })
	t.Run("chinese-glyphs", b.testChineseGlyphs)
	t.Run("pages", b.testPages)
	t.Run("phone-menu", b.testPhoneMenu)
	t.Run("print", b.testPrint)
	t.Run("no-javascript", b.testNoJavaScript)
	t.Run("autosave-dropped-request", b.testAutosaveDroppedRequest)
	t.Run("session-ends-with-script", b.testSessionEndsWithScript)
	t.Run("session-ends-without-script", b.testSessionEndsWithoutScript)
	t.Run("xlsx-round-trip", b.testWorkbookRoundTrip)
	t.Run("country", b.testCountry)
	t.Run("cross-origin-card", b.testCrossOrigin)
	t.Run("verify-states", b.testVerifyStates)
	t.Run("sso", b.testSSO)
	t.Run("plan-and-practice", b.testPlanAndPractice)
}

// tab is one browser tab in its own browser context (its own cookies).
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	name string // who uses it, for messages
	// onPage, if set, checks every page the tab loads (open, click,
	// follow): the French and Chinese journeys look for English on each.
	onPage func(*tab)
}

func (b *browserSuite) newTab(t *testing.T, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // opens the tab, without a deadline
		t.Fatalf("open a tab: %v", err)
	}
	tb := &tab{t: t, ctx: ctx, base: b.base, name: name}
	tb.do(chromedp.EmulateViewport(desktopWidth, desktopHeight))
	return tb
}

// do runs steps with the step timeout and fails the test on an error.
func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("%s on %s: %v", tb.name, tb.path(), err)
	}
}

// value runs one action with the step timeout and returns its value.
func value[T any](tb *tab, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.t.Fatalf("%s on %s: %v", tb.name, tb.path(), err)
	}
	return v
}

// js evaluates an expression in the page; promises are awaited.
func js[T any](tb *tab, expr string) T {
	tb.t.Helper()
	return value(tb, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// path is the current page's path and query.
func (tb *tab) path() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return strings.TrimPrefix(loc, tb.base)
}

// open loads a page of the app and returns its HTTP status.
func (tb *tab) open(path string) int64 {
	tb.t.Helper()
	resp := value(tb, chromedp.NavigateResponse(tb.base+path))
	if tb.onPage != nil {
		tb.onPage(tb)
	}
	return resp.Status
}

// openOK loads a page and fails unless it answers 200.
func (tb *tab) openOK(path string) {
	tb.t.Helper()
	if st := tb.open(path); st != 200 {
		tb.t.Fatalf("%s: GET %s: status %d", tb.name, path, st)
	}
}

// follow runs steps that load a new page (a click on a link or a submit
// button, a key press) and waits for that page.
func (tb *tab) follow(steps ...chromedp.Action[chromedp.Void]) *network.Response {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		tb.t.Fatalf("%s on %s: %v", tb.name, tb.path(), err)
	}
	if tb.onPage != nil {
		tb.onPage(tb)
	}
	return resp
}

// click clicks the element and waits for the page it loads.
func (tb *tab) click(sel string) *network.Response {
	tb.t.Helper()
	return tb.follow(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// text is the text of the first element matching sel, trimmed.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	q, _ := json.Marshal(sel)
	return js[string](tb, fmt.Sprintf(`(document.querySelector(%s)?.textContent ?? '').replace(/\s+/g, ' ').trim()`, q))
}

// count is the number of elements matching sel.
func (tb *tab) count(sel string) int {
	tb.t.Helper()
	q, _ := json.Marshal(sel)
	return js[int](tb, fmt.Sprintf(`document.querySelectorAll(%s).length`, q))
}

// waitFor waits until a JavaScript condition holds, up to d.
func (tb *tab) waitFor(cond string, d time.Duration) {
	tb.t.Helper()
	if !tb.poll(cond, d) {
		tb.t.Fatalf("%s on %s: %s did not come true in %v", tb.name, tb.path(), cond, d)
	}
}

// poll reports whether a JavaScript condition comes true within d.
func (tb *tab) poll(cond string, d time.Duration) bool {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, d+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(50*time.Millisecond)))
	return err == nil
}

// lang is the page's <html lang>.
func (tb *tab) lang() string {
	tb.t.Helper()
	return js[string](tb, `document.documentElement.lang`)
}

// login signs in through the form, as a person does.
func (tb *tab) login(email string) {
	tb.t.Helper()
	tb.openOK("/login")
	tb.do(
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
	)
	resp := tb.click(`form[action="/login"] button[type=submit]`)
	if resp.Status != 200 || !strings.HasPrefix(tb.path(), "/assessments") {
		tb.t.Fatalf("login %s: status %d, now on %s", email, resp.Status, tb.path())
	}
}

// signIn gives the tab a session of the user, as signing in would, without
// the form and its deliberately slow password check (the journey and the
// no-JavaScript test sign in through the form).
func (b *browserSuite) signIn(tb *tab, email string) {
	tb.t.Helper()
	ctx := context.Background()
	users, err := b.a.s.store.Users(ctx)
	if err != nil {
		tb.t.Fatal(err)
	}
	i := slices.IndexFunc(users, func(u assessments.User) bool { return u.Email == email })
	if i < 0 {
		tb.t.Fatalf("no user %s", email)
	}
	token, err := b.a.s.store.CreateSession(ctx, users[i].ID)
	if err != nil {
		tb.t.Fatal(err)
	}
	call(tb, network.SetCookie, network.SetCookieParams{Name: sessionCookie, Value: token, URL: tb.base, HTTPOnly: new(true), SameSite: network.CookieSameSiteLax})
	tb.openOK("/assessments")
	if tb.count(`form[action="/logout"]`) == 0 {
		tb.t.Fatalf("the session of %s did not sign in", email)
	}
}

// switchLang uses the language switch in the header.
func (tb *tab) switchLang(lang string) {
	tb.t.Helper()
	tb.click(fmt.Sprintf(`.lang-nav a[hreflang=%q]`, lang))
	if got := tb.lang(); got != lang {
		tb.t.Fatalf("after the switch to %s the page is in %q", lang, got)
	}
}

// axeViolation is one failed axe-core rule with the elements it found.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// axeTags are the rule sets checked: WCAG 2.0 and 2.1, levels A and AA, and
// axe's best practices (unique landmarks, one main heading, …), which
// catch what confuses screen reader users even where WCAG does not.
const axeTags = `['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']`

// checkAxe injects axe-core into the page and reports every violation of
// the WCAG 2.1 A and AA rules and of the best practices.
func (b *browserSuite) checkAxe(tb *tab, page string) {
	tb.t.Helper()
	for _, v := range b.axeRun(tb) {
		tb.t.Errorf("axe %s: %s (%s): %s\n\t%s", page, v.ID, v.Impact, v.Help, strings.Join(v.Targets, "\n\t"))
	}
}

func (b *browserSuite) axeRun(tb *tab) []axeViolation {
	tb.t.Helper()
	if !js[bool](tb, `typeof window.axe === 'object'`) {
		// A script element, not an evaluated string: the browser caches the
		// file and its compiled code from page to page. The CSP allows it,
		// as it comes from the same origin.
		tb.do(chromedp.Evaluate[chromedp.Void](`new Promise((resolve, reject) => {
			const s = document.createElement('script');
			s.src = '`+axeURL+`';
			s.onload = resolve;
			s.onerror = () => reject(new Error('axe-core did not load'));
			document.head.append(s);
		})`, chromedp.EvalAwaitPromise))
	}
	raw := js[[]byte](tb, `axe.run(document, {runOnly: {type: 'tag', values: `+axeTags+`}, resultTypes: ['violations'], noHtml: true})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
			targets: v.nodes.map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\n').slice(1).join('; '))})))`)
	var vs []axeViolation
	if err := json.Unmarshal(raw, &vs); err != nil {
		tb.t.Fatalf("axe result: %v: %s", err, raw)
	}
	return vs
}

// checkAxeFindsProblems makes sure the check can fail: an input without a
// label added to the page must be reported.
func (b *browserSuite) checkAxeFindsProblems(tb *tab) {
	tb.t.Helper()
	tb.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('main').insertAdjacentHTML('beforeend', '<input type="text" id="axe-probe">')`))
	for _, v := range b.axeRun(tb) {
		if v.ID == "label" {
			return
		}
	}
	tb.t.Errorf("axe-core did not report an input without a label: the accessibility check is not working")
}

// screenshot saves the page as a PNG into dir: its whole width (more than
// the viewport shows if something sticks out) and up to maxShotHeight of
// its length, at the given scale.
func (tb *tab) screenshot(dir, name string, scale float64) {
	tb.t.Helper()
	size := js[struct {
		W float64 `json:"w"`
		H float64 `json:"h"`
	}](tb, `({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight})`)
	png := value(tb, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			CaptureBeyondViewport: new(true),
			Clip:                  &page.Viewport{Width: size.W, Height: min(size.H, maxShotHeight), Scale: scale},
		})
		return r.Data, err
	})
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

const maxShotHeight = 2400

// shotDir is where this run's screenshots go, made on first use. It is
// kept after the test (the screenshots are its artifacts) and logged.
func (b *browserSuite) shotDir(t *testing.T) string {
	t.Helper()
	b.shotsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dmf-screenshots-")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshots: %s", dir)
		b.shots = dir
	})
	return b.shots
}
