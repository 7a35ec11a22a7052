package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/mail"
)

// messageFormat finds the English formats of domain and form messages in
// the source: v.add("field", "format", ...), fieldError(...), Message{...},
// and the card checks' details: fail(CheckX, "format", ...), pass(...),
// set(CheckX, ok, "outcome", "format", ...), bad("format", ...) and
// return ok, "outcome", "format", args.
var messageFormat = regexp.MustCompile(`(?:\.add\([^,]+, |fieldError\("[^"]+", |Message\{|Format: |(?:fail|pass)\(Check\w+, |set\(Check\w+, \w+, "\w+", |bad\(|return (?:true|false), "\w+", )("(?:[^"\\]|\\.)*")`)

var verb = regexp.MustCompile(`%[-+# 0-9.]*(?:\[(\d+)\])?[a-zA-Z%]`)

// argVerbs lists the verb that formats each argument, in argument order,
// reading explicit indexes (%[2]s) as fmt does: a translation may reorder
// its arguments, as Chinese word order often needs, but not change them.
func argVerbs(format string) []string {
	var out []string
	next := 0
	for _, m := range verb.FindAllStringSubmatch(format, -1) {
		if m[0] == "%%" {
			continue
		}
		if m[1] != "" {
			next, _ = strconv.Atoi(m[1])
			next--
		}
		for len(out) <= next {
			out = append(out, "")
		}
		out[next] = regexp.MustCompile(`\[\d+\]`).ReplaceAllString(m[0], "")
		next++
	}
	return out
}

// TestDomainMessagesTranslated: every message the code can show a user has
// a translation in every language but English, formatting the same
// arguments with the same verbs.
func TestDomainMessagesTranslated(t *testing.T) {
	msgs, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../assessments/*.go")
	// The card checks the verify page shows; the VC-API verifier's
	// problems (credential.go, presentation.go) go only to machines.
	files = append(files, "../assessments/card/verify.go", "../assessments/peers/client.go")
	app, _ := filepath.Glob("*.go")
	files = append(files, app...)
	seen := 0
	for _, f := range files {
		if filepath.Ext(f) != ".go" || regexp.MustCompile(`_test\.go$`).MatchString(f) {
			continue
		}
		src, _ := os.ReadFile(f)
		for _, m := range messageFormat.FindAllStringSubmatch(string(src), -1) {
			format, err := strconv.Unquote(m[1])
			if err != nil || !regexp.MustCompile(` `).MatchString(format) {
				continue // a field name, not a sentence
			}
			seen++
			for _, lang := range languages[1:] {
				tr, ok := msgs.domain[lang][format]
				if !ok {
					t.Errorf("%s: no %s translation of %q", f, lang, format)
					continue
				}
				if !slices.Equal(argVerbs(format), argVerbs(tr)) {
					t.Errorf("%q: %s %q has other verbs", format, lang, tr)
				}
			}
		}
	}
	if seen < 40 {
		t.Errorf("found only %d messages; is the pattern still right?", seen)
	}
}

// TestNumbersAndDatesPerLanguage: numbers people read follow their
// language (French decimal comma and narrow no-break spaces), and dates
// their order and words (Chinese 年月日, French 1er).
func TestNumbersAndDatesPerLanguage(t *testing.T) {
	for _, c := range []struct {
		lang string
		x    float64
		prec int
		want string
	}{
		{"fr", 42.5, 1, "42,5"}, {"fr", 1234567.5, 1, "1\u202f234\u202f567,5"}, {"fr", 0, 1, "0,0"},
		{"zh", 42.5, 1, "42.5"}, {"zh", 1234.5, 1, "1,234.5"},
		{"en", 42.5, 1, "42.5"}, {"ru", 42.5, 1, "42.5"},
	} {
		if got := formatNumber(c.lang, c.x, c.prec); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.lang, c.x, got, c.want)
		}
	}
	msgs, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ lang, start, end, want string }{
		{"fr", "2025-08-01", "", "1er août 2025"},
		{"fr", "2025-08-26", "2025-08-28", "26–28 août 2025"},
		{"fr", "2025-08", "", "août 2025"},
		{"zh", "2025-08-26", "", "2025年8月26日"},
		{"zh", "2025-08-26", "2025-08-28", "2025年8月26日至28日"},
		{"zh", "2025-08-26", "2025-09-02", "2025年8月26日至9月2日"},
		{"zh", "2025", "", "2025年"},
		{"en", "2025-08-26", "", "26 August 2025"},
	} {
		v := &view{Lang: c.lang, r: &renderer{msgs: msgs}}
		if got := v.Date(c.start, c.end); got != c.want {
			t.Errorf("%s %s–%s: %q, want %q", c.lang, c.start, c.end, got, c.want)
		}
	}
	v := &view{Lang: "fr", r: &renderer{msgs: msgs}}
	if v.Maybe(37.25) != "37,3" || v.Signed(-2.5) != "−2,5" {
		t.Errorf("French scores: %s %s", v.Maybe(37.25), v.Signed(-2.5))
	}
}

// TestMailInEveryLanguage: mail is written in every interface language,
// so a French or Chinese user's notifications arrive in their language.
func TestMailInEveryLanguage(t *testing.T) {
	if !slices.Equal(mail.Languages(), languages) {
		t.Errorf("mail languages %v, interface %v", mail.Languages(), languages)
	}
}

// TestCountryNamesInEveryLanguage: country and subregion names, which every
// comparison, organisation and card page shows, exist in each language.
func TestCountryNamesInEveryLanguage(t *testing.T) {
	cs, err := assessments.LoadCountries()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range languages {
		for _, c := range cs.List {
			if c.Name[lang] == "" {
				t.Errorf("country %s has no %s name", c.Code, lang)
			}
		}
		for _, s := range cs.Subregions {
			if s.Name[lang] == "" {
				t.Errorf("subregion %s has no %s name", s.ID, lang)
			}
		}
	}
}

// fieldName finds the field names the code can put a form problem on:
// v.add("field", …), addMessage, fieldError, Message maps and the fields
// handlers rename (ve.Fields["new"] = m). A name ending in a dot is a
// prefix the code appends an id to.
var fieldName = regexp.MustCompile(`(?:\.add(?:Message)?\(|fieldError\(|\bMessage\{|(?:Fields|bad)\[)"([a-z_.]+)"`)

// TestCatalogFieldLabels: every field a problem can be about has a label
// in every language, so that an error summary never starts with a raw
// field name ("card: paste a card…") on a page in any language.
func TestCatalogFieldLabels(t *testing.T) {
	msgs, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	// Named only in JSON answers, whose field keys are the API's contract:
	// the feed's and the log's query parameters and the new service that
	// only POST /api/v1/assessments creates.
	apiOnly := map[string]bool{"after": true, "old": true, "service.": true, "service.name": true}
	files, _ := filepath.Glob("../assessments/*.go")
	app, _ := filepath.Glob("*.go")
	names := map[string]bool{}
	for _, f := range append(files, app...) {
		if regexp.MustCompile(`_test\.go$`).MatchString(f) {
			continue
		}
		src, _ := os.ReadFile(f)
		for _, m := range fieldName.FindAllStringSubmatch(string(src), -1) {
			names[m[1]] = true
		}
	}
	if len(names) < 30 {
		t.Errorf("found only %d field names; is the pattern still right?", len(names))
	}
	for name := range names {
		if apiOnly[name] {
			continue
		}
		field := name
		if name[len(name)-1] == '.' {
			field += "SERV.1" // answers.SERV.1, indicators.SERV.1
		}
		for _, lang := range languages {
			v := &view{Lang: lang, r: &renderer{msgs: msgs}}
			if l := v.FieldLabel(field); l == field || l == strings.TrimSuffix(field, "SERV.1") || strings.Contains(l, "[field.") {
				t.Errorf("%s: the field %q has no label (%q)", lang, field, l)
			}
		}
	}
}
