package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
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
	files = append(files, "../assessments/card/verify.go")
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
