package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments/card"
	"github.com/xuri/excelize/v2"
)

// verifyStates issues two cards, revokes the second with a reason, and
// returns each state of the verify page as a request to make.
type verifyState struct {
	name   string
	get    string // path to GET, or
	post   string // card text to POST
	status int
	want   []string // catalogue keys whose text the page shows
	class  string   // the verdict panel's class
}

func verifyStates(t *testing.T, a *testApp) []verifyState {
	t.Helper()
	p := a.seedPeople()
	id, data := issued(t, a, p, "Verified service")
	revoked, _ := issued(t, a, p, "Revoked service")
	if _, err := a.s.store.Revoke(context.Background(), p.actorRev, revoked, "scores corrected after an appeal"); err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(string(data), `"period":2026`, `"period":2027`, 1)
	return []verifyState{
		{name: "valid", get: "/verify?card=" + id, status: 200, class: "verdict-ok",
			want: []string{"verify.valid", "verify.plain.signature.ok", "verify.plain.revocation.ok", "verify.plain.log.ok", "verify.plain.framework.ok"}},
		{name: "tampered", post: tampered, status: 200, class: "verdict-bad",
			want: []string{"verify.invalid", "verify.untrusted", "verify.claims.untrusted", "verify.plain.signature.bad", "verify.plain.log.bad"}},
		{name: "revoked", get: "/verify?card=" + revoked, status: 200, class: "verdict-revoked",
			want: []string{"verify.revoked", "verify.plain.revocation.revoked"}},
		{name: "not-json", post: "hello", status: 200, class: "verdict-bad",
			want: []string{"verify.notcard.title", "verify.notcard.json"}},
		{name: "not-credential", post: `{"hello": "world"}`, status: 200, class: "verdict-bad",
			want: []string{"verify.notcard.title", "verify.notcard.credential"}},
		{name: "too-large", post: strings.Repeat("x", maxCardSize+1), status: http.StatusRequestEntityTooLarge, class: "verdict-bad",
			want: []string{"verify.notcard.title", "verify.notcard.size"}},
		{name: "unknown-id", get: "/verify?card=does-not-exist", status: http.StatusNotFound, class: "verdict-bad",
			want: []string{"verify.unknown.title"}},
	}
}

var (
	// englishSentence is three Latin words in a row: what a Russian page
	// must not show outside code, commands and names.
	englishSentence = regexp.MustCompile(`[A-Za-z]{2,}[,:]?\s+[A-Za-z]{2,}[,:]?\s+[A-Za-z]{2,}`)
	// Code, commands, the pasted card and what the card or its issuer
	// wrote (names, the revocation reason) are not the interface's words.
	codeOrPre = regexp.MustCompile(`(?s)<(code|pre|script|style|textarea|q)\b.*?</(code|pre|script|style|textarea|q)>|<p class="verify-claims">.*?</p>`)
	tag       = regexp.MustCompile(`(?s)<[^>]*>`)
)

// TestVerifyPageStates: each state of the verify page says what happened
// in words, in English and in Russian, and the Russian page has no English
// sentence left, from whichever layer it came.
func TestVerifyPageStates(t *testing.T) {
	a := newTestApp(t)
	states := verifyStates(t, a)
	for _, lang := range []string{"en", "ru"} {
		for _, st := range states {
			t.Run(lang+"/"+st.name, func(t *testing.T) {
				b := a.browser()
				var resp *http.Response
				var body string
				if st.get != "" {
					resp, body = b.get(st.get + "&lang=" + lang)
				} else {
					resp, body = b.post("/verify?lang="+lang, map[string][]string{"card": {st.post}})
				}
				if resp.StatusCode != st.status {
					t.Errorf("status %d, want %d", resp.StatusCode, st.status)
				}
				if !strings.Contains(body, `class="verdict `+st.class+`"`) || !strings.Contains(body, `role="status"`) {
					t.Errorf("no %s verdict panel", st.class)
				}
				text := html.UnescapeString(body)
				for _, key := range st.want {
					want := a.s.msgs.T(lang, key)
					if i := strings.Index(want, "%"); i >= 0 {
						want = want[:i]
					}
					if !strings.Contains(text, want) {
						t.Errorf("page does not say %s: %q", key, want)
					}
				}
				if strings.Contains(body, "[verify.") {
					t.Errorf("a text is missing from the catalogue: %s", regexp.MustCompile(`\[verify\.[^\]]*\]`).FindString(body))
				}
				if lang == "ru" {
					visible := html.UnescapeString(tag.ReplaceAllString(codeOrPre.ReplaceAllString(body, " "), " "))
					if m := englishSentence.FindAllString(visible, -1); len(m) > 0 {
						t.Errorf("English left on the Russian page: %q", m)
					}
				}
			})
		}
	}
}

// TestVerifyPageSpecifics: what each state must and must not show beyond
// its verdict.
func TestVerifyPageSpecifics(t *testing.T) {
	a := newTestApp(t)
	states := verifyStates(t, a)
	b := a.browser()
	page := map[string]string{}
	for _, st := range states {
		if st.get != "" {
			_, page[st.name] = b.get(st.get)
		} else {
			_, page[st.name] = b.post("/verify", map[string][]string{"card": {st.post}})
		}
	}
	// A tampered card's claims are only shown struck through, folded.
	if !regexp.MustCompile(`(?s)<details><summary>[^<]*</summary><p class="verify-claims"><del>[^<]*2027`).MatchString(page["tampered"]) {
		t.Errorf("the tampered claims are not folded and struck through")
	}
	// The revoked card says when and why.
	rec := func(name string) string {
		for _, st := range states {
			if st.name == name {
				return strings.TrimPrefix(st.get, "/verify?card=")
			}
		}
		return ""
	}
	r, err := a.s.store.Card(context.Background(), rec("revoked"))
	if err != nil || r.RevokedAt == nil {
		t.Fatalf("revoked card: %v", err)
	}
	if !strings.Contains(page["revoked"], r.RevokedAt.Format("2006-01-02")) || !strings.Contains(page["revoked"], "scores corrected after an appeal") {
		t.Errorf("the revoked card does not say when and why")
	}
	// Not a card: one message, no check lines.
	for _, name := range []string{"not-json", "not-credential", "too-large"} {
		folded := regexp.MustCompile(`(?s)<details>.*?</details>`).ReplaceAllString(page[name], "")
		if strings.Contains(page[name], `class="check-bad"`) || strings.Contains(folded, "invalid") {
			t.Errorf("%s: shows check lines or the parser's words outside the details", name)
		}
	}
	// The unknown id is said, not the generic error page.
	if !strings.Contains(page["unknown-id"], "does-not-exist") || !strings.Contains(page["unknown-id"], `name="card"`) {
		t.Errorf("unknown id: no message naming it, or no form to paste a card")
	}
	// Technical detail is folded, and each line leads with a sentence.
	if !strings.Contains(page["valid"], "<details><summary>Technical details</summary>") || !strings.Contains(page["valid"], "<code>") {
		t.Errorf("no folded technical details on the valid card")
	}
}

var command = regexp.MustCompile(`<pre><code>([^<]*)</code></pre>`)

// TestVerifyPageCommandWorks runs the offline check the page prints, as
// printed: the downloads, then the command, which passes every check.
func TestVerifyPageCommandWorks(t *testing.T) {
	a := newTestApp(t)
	states := verifyStates(t, a)
	_, body := a.browser().get(states[0].get)
	m := command.FindAllStringSubmatch(body, -1)
	if len(m) == 0 {
		t.Fatal("no commands on the page")
	}
	dir := t.TempDir()
	anon := &api{t: t, base: a.server()}
	var out bytes.Buffer
	ran := false
	for _, c := range m {
		line := html.UnescapeString(c[1])
		fields := strings.Fields(line)
		switch {
		case len(fields) == 4 && fields[0] == "curl" && fields[1] == "-o":
			path := strings.TrimPrefix(fields[3], a.s.cfg.BaseURL)
			status, raw := anon.raw(http.MethodGet, path, nil)
			if status != http.StatusOK {
				t.Fatalf("%s: %d", line, status)
			}
			os.WriteFile(filepath.Join(dir, fields[2]), raw, 0o644)
		case strings.HasPrefix(line, "go run ./app "):
			var args []string
			for _, f := range fields[3:] {
				f = strings.Trim(f, "'")
				if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
					f = filepath.Join(dir, f)
				}
				args = append(args, f)
			}
			if err := run(context.Background(), args, env(nil), nil, &out, io.Discard); err != nil {
				t.Fatalf("%s: %v\n%s", line, err, out.String())
			}
			ran = true
		default:
			t.Fatalf("unexpected line %q", line)
		}
	}
	if !ran || strings.Count(out.String(), "ok  ") != 6 {
		t.Errorf("the printed command did not pass every check:\n%s", out.String())
	}
	// The generic hint, without a card, names a command of the right form.
	_, body = a.browser().get("/verify")
	if !strings.Contains(html.UnescapeString(body), "go run ./app cards verify --did did.json --status status.json card.json") {
		t.Errorf("no offline command on the empty page")
	}
}

// TestCheckOutcomesHaveSentences: every outcome the verifier can give a
// check has its plain sentence in every language.
func TestCheckOutcomesHaveSentences(t *testing.T) {
	src, err := os.ReadFile("../assessments/card/verify.go")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{card.CheckSignature, card.CheckIssuer, card.CheckValidity, card.CheckRevocation, card.CheckLog, card.CheckFramework}
	keys := map[string]bool{}
	for _, n := range names {
		for _, o := range []string{"ok", "bad", "unchecked"} {
			keys["verify.plain."+n+"."+o] = true
		}
	}
	for _, m := range regexp.MustCompile(`set\(Check(\w+), \w+, "(\w+)"`).FindAllStringSubmatch(string(src), -1) {
		keys["verify.plain."+strings.ToLower(m[1])+"."+m[2]] = true
	}
	for _, m := range regexp.MustCompile(`return (?:true|false), "(\w+)"`).FindAllStringSubmatch(string(src), -1) {
		keys["verify.plain."+card.CheckRevocation+"."+m[1]] = true
	}
	if len(keys) < 25 {
		t.Errorf("found only %d outcomes; is the pattern still right?", len(keys))
	}
	msgs, _ := loadCatalog()
	for k := range keys {
		if !msgs.has(k) {
			t.Errorf("no text for %s", k)
		}
	}
}

// TestVerifyAPIMessages: with ?lang= the JSON API adds a message per check
// in that language and keeps its shape; without it the shape is as before.
func TestVerifyAPIMessages(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	_, data := issued(t, a, p, "API messages")
	anon := &api{t: t, base: a.server()}
	for _, lang := range []string{"", "ru"} {
		path := "/api/v1/cards/verify"
		if lang != "" {
			path += "?lang=" + lang
		}
		status, raw := anon.raw(http.MethodPost, path, string(data))
		var r struct {
			Valid  bool
			Checks []map[string]any
		}
		if err := json.Unmarshal(raw, &r); status != http.StatusOK || err != nil || !r.Valid || len(r.Checks) != 6 {
			t.Fatalf("lang %q: %d %s", lang, status, raw)
		}
		for _, ch := range r.Checks {
			_, hasDetail := ch["detail"]
			msg, hasMessage := ch["message"].(string)
			if ch["name"] == nil || ch["ok"] != true || !hasDetail || hasMessage != (lang != "") {
				t.Errorf("lang %q: check %v", lang, ch)
			}
			if lang == "ru" && !regexp.MustCompile(`\p{Cyrillic}`).MatchString(msg) {
				t.Errorf("message not in Russian: %q", msg)
			}
		}
	}
}

// TestImportProblemsInRussian: what the import form says about a file it
// cannot take (not JSON, an export of another kind, a workbook with a bad
// cell) is in Russian on a Russian page, the parser's words included.
func TestImportProblemsInRussian(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.startAssessment(p.actorA)
	b := a.browser()
	b.login(p.a, pw)
	b.get("/lang/ru")
	_, data := b.get(fmt.Sprintf("/assessments/%d/export.xlsx", id))
	ed, _ := a.s.editions.Edition("escap-dmf-dps-sme", "")
	cols := columnsFor(ed)
	badCell := fillWorkbook(t, []byte(data), func(f *excelize.File) { f.SetCellValue("SERV", cellName(cols.Answer, firstRow+1), "9") })
	summary := regexp.MustCompile(`(?s)<div class="error-summary".*?</div>`)
	for name, file := range map[string][]byte{
		"not JSON":      []byte("hello"),
		"other JSON":    []byte(`{"format":"other","answers":{"SERV.1":{"level":"high"}}}`),
		"not a zip":     append([]byte("PK\x03\x04"), []byte("broken")...),
		"bad cell":      badCell,
		"other edition": []byte(`{"format":"dmf-assessment/1","framework":{"id":"x","version":"9"},"answers":{}}`),
	} {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.WriteField("_csrf", b.csrf())
		part, _ := w.CreateFormFile("file", "answers")
		part.Write(file)
		w.Close()
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/assessments/%d/import", b.base, id), &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		resp, page := b.do(req)
		s := summary.FindString(page)
		if resp.StatusCode != http.StatusUnprocessableEntity || s == "" {
			t.Errorf("%s: %d, no problems shown", name, resp.StatusCode)
			continue
		}
		visible := html.UnescapeString(tag.ReplaceAllString(codeOrPre.ReplaceAllString(s, " "), " "))
		if m := englishSentence.FindAllString(visible, -1); len(m) > 0 {
			t.Errorf("%s: English in the Russian problems: %q", name, m)
		}
	}
}
