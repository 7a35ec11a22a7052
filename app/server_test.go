package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

// testApp is the real server over a real SQLite file in a temp directory.
type testApp struct {
	t   testing.TB
	s   *server
	e   *echo.Echo
	url string // of the HTTP test server, once started
}

func newTestApp(t testing.TB, settings ...func(*Config)) *testApp {
	t.Helper()
	dir := t.TempDir()
	cfg := Config{Addr: "127.0.0.1:0", Database: testDatabase(t, filepath.Join(dir, "dmf.db")), DataDir: dir,
		LogFormat: "text", PublicMinServices: 3, LoginDelay: time.Millisecond}
	for _, set := range settings {
		set(&cfg)
	}
	if err := cfg.complete(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := newApp(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.store.Close() })
	return &testApp{t: t, s: s, e: s.routes()}
}

// suitePostgres is the admin URL of the PostgreSQL server the suite runs
// on, or "" for SQLite. DMF_TEST_POSTGRES names the server (tests create
// throwaway databases on it); DMF_TEST_DATABASE=sqlite keeps the suite on
// SQLite while the tests that are PostgreSQL's alone still use that server,
// as in CI's first pass.
func suitePostgres(t testing.TB) string {
	t.Helper()
	switch db := os.Getenv("DMF_TEST_DATABASE"); db {
	case "sqlite":
		return ""
	case "", "postgres":
	default:
		t.Fatalf("DMF_TEST_DATABASE=%q: use sqlite or postgres", db)
	}
	admin := os.Getenv("DMF_TEST_POSTGRES")
	if admin == "" && os.Getenv("DMF_TEST_DATABASE") == "postgres" {
		t.Fatal("DMF_TEST_DATABASE=postgres needs DMF_TEST_POSTGRES, an admin URL such as postgres://user:password@127.0.0.1:5432/postgres")
	}
	return admin
}

// postgresAdmin is the admin URL of the PostgreSQL server for tests that
// are PostgreSQL's alone (two instances over one database), in both of
// CI's passes. Without it they are skipped, saying so (see needs), and
// fail in CI.
func postgresAdmin(t *testing.T) string {
	t.Helper()
	admin := os.Getenv("DMF_TEST_POSTGRES")
	if admin == "" {
		needs(t, "PostgreSQL", "set DMF_TEST_POSTGRES to an admin URL, such as postgres://user:password@127.0.0.1:5432/postgres")
	}
	return admin
}

// testDatabase is the SQLite file at path, or, when the suite runs on
// PostgreSQL (suitePostgres), a fresh PostgreSQL database, so that the same
// tests run against both databases.
func testDatabase(t testing.TB, path string) string {
	t.Helper()
	admin := suitePostgres(t)
	if admin == "" {
		return path
	}
	url, drop, err := assessments.CreatePostgresDatabase(context.Background(), admin, "dmf_test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { drop(context.Background()) })
	return url
}

// sqliteOnly skips a test that is about SQLite itself when the suite runs
// against PostgreSQL; it runs in the SQLite pass of the same CI run.
func sqliteOnly(t *testing.T) {
	t.Helper()
	if suitePostgres(t) != "" {
		t.Skip("about SQLite files (WAL, backup, crash recovery); runs in the SQLite pass")
	}
}

// do sends a request through the whole middleware stack.
func (a *testApp) do(method, target string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	a.t.Helper()
	req := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	a.e.ServeHTTP(rec, req)
	return rec
}

func (a *testApp) get(target string, header ...string) *httptest.ResponseRecorder {
	return a.do(http.MethodGet, target, nil, header...)
}

var untranslated = regexp.MustCompile(`\[[a-z]+(\.[a-z0-9_]+)+\]`)

func TestPages(t *testing.T) {
	a := newTestApp(t)
	cases := []struct {
		path   string
		en, ru string // a text each language version must show
	}{
		{"/", "How mature is your digital service for SMEs?", "Насколько цифровизирована ваша услуга для МСП?"},
		{"/frameworks", "Framework editions", "Редакции рамочной модели"},
		{"/frameworks/escap-dmf-dps-sme", "Maturity levels", "Уровни зрелости"},
		{"/frameworks/escap-dmf-dps-sme?version=1.0.0", "How scores are computed", "Как рассчитываются баллы"},
		{"/frameworks/escap-dmf-dps-sme/dimensions/SERV", "How to reach the next level", "Как перейти на следующий уровень"},
		{"/reference", "WSIS action lines", "Направления деятельности ВВУИО"},
		{"/reference/wsis", "International and regional cooperation", "Международное и региональное сотрудничество"},
		{"/reference/dmf", "Saint Petersburg", "Санкт-Петербург"},
		// The project's own explanations stand apart from the summary of the source, labelled.
		{"/reference/dmf", `<div class="project-note" role="note">`, `<div class="project-note" role="note">`},
		{"/reference/dmf", "explanation (not from the ESCAP source)", "Пояснение проекта DMF (не из материалов ЭСКАТО)"},
		{"/reference/dmf", "About this tool (not from the ESCAP source)", "Об этом приложении (не из материалов ЭСКАТО)"},
		// Edition 1.1.0 advises the top level too.
		{"/frameworks/escap-dmf-dps-sme/dimensions/SERV", "At Proactive: sustain and share", "На уровне «Проактивный»: поддерживайте достигнутое"},
		{"/reference/apis", "2022", "2022"},
	}
	for _, tc := range cases {
		for lang, want := range map[string]string{"en": tc.en, "ru": tc.ru} {
			rec := a.get(tc.path, "Cookie", "lang="+lang)
			body := rec.Body.String()
			if rec.Code != http.StatusOK {
				t.Errorf("%s (%s): status %d", tc.path, lang, rec.Code)
				continue
			}
			if !strings.Contains(body, want) {
				t.Errorf("%s (%s): page lacks %q", tc.path, lang, want)
			}
			if !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Errorf("%s (%s): wrong html lang", tc.path, lang)
			}
			if m := untranslated.FindString(body); m != "" {
				t.Errorf("%s (%s): untranslated key %s", tc.path, lang, m)
			}
		}
	}
}

// TestEveryDimensionPage: every dimension shows each indicator with its five
// level descriptors and the advice for each step up.
func TestEveryDimensionPage(t *testing.T) {
	a := newTestApp(t)
	ed, _ := a.s.editions.Edition("escap-dmf-dps-sme", "")
	for _, d := range ed.Dimensions {
		for _, lang := range languages {
			body := a.get("/frameworks/"+ed.ID+"/dimensions/"+d.ID, "Cookie", "lang="+lang).Body.String()
			for _, ind := range d.Indicators {
				for _, text := range []string{ind.Question.In(lang), ind.Options[0].Label.In(lang), ind.Options[4].Label.In(lang), ind.Recommendations[3].Text.In(lang)} {
					if !strings.Contains(body, htmlText(text)) {
						t.Errorf("%s %s (%s): missing %.40q", d.ID, ind.ID, lang, text)
					}
				}
			}
			for _, line := range d.WSIS {
				if !strings.Contains(body, `href="/reference/wsis#`+line+`"`) {
					t.Errorf("%s: no link to action line %s", d.ID, line)
				}
			}
		}
	}
}

// htmlText mirrors html/template's escaping of text for comparison.
func htmlText(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&#34;")
		case '\'':
			b.WriteString("&#39;")
		case '+':
			b.WriteString("&#43;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestLanguageSwitchPersists(t *testing.T) {
	a := newTestApp(t)
	rec := a.get("/lang/ru?next=/reference")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/reference" {
		t.Fatalf("switch: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	var cookie string
	for _, ck := range rec.Header().Values("Set-Cookie") {
		if strings.HasPrefix(ck, "lang=") {
			cookie = ck
		}
	}
	if !strings.Contains(cookie, "lang=ru") || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") {
		t.Fatalf("cookie %q", cookie)
	}
	for _, p := range []string{"/", "/frameworks", "/reference/wsis"} {
		body := a.get(p, "Cookie", "lang=ru", "Accept-Language", "en").Body.String()
		if !strings.Contains(body, `<html lang="ru">`) {
			t.Errorf("%s: cookie did not keep Russian", p)
		}
	}
	// Without a cookie the browser's language decides, French and Chinese
	// (any script or region of Chinese reads the Simplified texts) too.
	for accept, want := range map[string]string{"ru-RU,ru;q=0.9": "ru", "fr-CA,fr;q=0.9,en;q=0.5": "fr",
		"zh-CN,zh;q=0.9": "zh", "zh-Hans-SG": "zh", "de-DE,fr;q=0.8": "fr", "ja": "en"} {
		if body := a.get("/", "Accept-Language", accept).Body.String(); !strings.Contains(body, `<html lang="`+want+`">`) {
			t.Errorf("Accept-Language %s did not give %s", accept, want)
		}
	}
	// Each page names its versions in the other languages for search engines.
	body := a.get("/reference?lang=ru").Body.String()
	for _, alt := range []string{`hreflang="fr" href="/reference?lang=fr"`, `hreflang="zh" href="/reference?lang=zh"`,
		`hreflang="en" href="/reference?lang=en"`, `hreflang="x-default" href="/reference"`} {
		if !strings.Contains(body, `<link rel="alternate" `+alt+`>`) {
			t.Errorf("no alternate %s", alt)
		}
	}
	// The remembered choice wins over the browser, on sign-in and errors too.
	for _, lang := range []string{"fr", "zh"} {
		for _, p := range []string{"/login", "/no-such-page"} {
			body := a.get(p, "Cookie", "lang="+lang, "Accept-Language", "ru").Body.String()
			if !strings.Contains(body, `<html lang="`+lang+`">`) || !strings.Contains(body, a.s.msgs.T(lang, "nav.login")) {
				t.Errorf("%s %s: not in the chosen language", lang, p)
			}
		}
	}
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil", ""} {
		if loc := a.get("/lang/en?next=" + next).Header().Get("Location"); loc != "/" {
			t.Errorf("next=%q redirected to %q", next, loc)
		}
	}
	if code := a.get("/lang/xx").Code; code != http.StatusNotFound {
		t.Errorf("unknown language: %d", code)
	}
}

func TestSecurityHeaders(t *testing.T) {
	a := newTestApp(t)
	for _, p := range []string{"/", "/api/v1/frameworks", "/nope"} {
		h := a.get(p).Header()
		csp := h.Get("Content-Security-Policy")
		if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", p, h)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain http", p)
		}
	}
}

func TestErrorPages(t *testing.T) {
	a := newTestApp(t)
	rec := a.get("/frameworks/no-such-thing", "Cookie", "lang=ru")
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "Такой страницы нет.") {
		t.Errorf("page 404: %d %s", rec.Code, rec.Body.String())
	}
	for _, p := range []string{"/api/v1/frameworks/no-such-thing", "/api/v1/nothing-here", "/api/v1/frameworks/escap-dmf-dps-sme?version=9.9.9"} {
		rec := a.get(p)
		var e apiError
		if rec.Code != http.StatusNotFound || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code != "not_found" || e.Error.Message == "" {
			t.Errorf("%s: %d %s", p, rec.Code, rec.Body.String())
		}
	}
}

func TestStaticAssets(t *testing.T) {
	a := newTestApp(t)
	body := a.get("/").Body.String()
	m := regexp.MustCompile(`href="(/static/[0-9a-f]+/css/app\.css)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no versioned stylesheet link")
	}
	rec := a.get(m[1])
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %v", rec.Code, rec.Header())
	}
	if rec := a.get("/static/0000/css/app.css"); rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("stale version: %d %v", rec.Code, rec.Header())
	}
	if rec := a.get("/static/x/../../app/main.go"); rec.Code != http.StatusNotFound {
		t.Errorf("traversal: %d", rec.Code)
	}
}

func TestHealth(t *testing.T) {
	a := newTestApp(t)
	rec := a.get("/healthz")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"ok"`) {
		t.Errorf("healthz: %d %s", rec.Code, rec.Body.String())
	}
}

// TestTemplatesUseKnownTexts: every interface text a template asks for
// exists (in both languages, which loadCatalog guarantees).
func TestTemplatesUseKnownTexts(t *testing.T) {
	msgs, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := templateFiles.ReadDir("templates")
	key := regexp.MustCompile(`\.T "([a-z0-9._]+)"`)
	for _, f := range files {
		src, _ := templateFiles.ReadFile("templates/" + f.Name())
		for _, m := range key.FindAllStringSubmatch(string(src), -1) {
			if !msgs.has(m[1]) {
				t.Errorf("%s uses unknown text %q", f.Name(), m[1])
			}
		}
	}
	for _, typ := range []string{"level", "checklist", "yesno", "number", "text"} {
		if !msgs.has("type." + typ) {
			t.Errorf("no text for indicator type %s", typ)
		}
	}
	for code := range statusCodes {
		if !msgs.has("error." + statusCodes[code]) {
			t.Errorf("no text for error %s", statusCodes[code])
		}
	}
}

// TestCatalogCompleteness: a key present in one language and missing in
// another is reported.
func TestCatalogCompleteness(t *testing.T) {
	c := &catalog{msgs: map[string]map[string]string{
		"en": {"a": "A", "b": "B"},
		"ru": {"a": "А", "b": " "},
		"fr": {"a": "A"},
		"zh": {"a": "甲", "b": "乙"},
	}, domain: map[string]map[string]string{
		"ru": {"x %d": "икс %d"},
		"fr": {"x %d": "x %d"},
		"zh": {},
	}}
	if got := strings.Join(c.missing(), "; "); got != "fr: b; messages.zh: x %d; ru: b" {
		t.Errorf("missing = %v", got)
	}
	if _, err := loadCatalog(); err != nil {
		t.Errorf("shipped catalog: %v", err)
	}
}
