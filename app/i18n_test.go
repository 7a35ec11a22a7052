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

var verb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

// TestDomainMessagesTranslated: every message the code can show a user has
// a Russian translation with the same verbs in the same order.
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
			ru, ok := msgs.domain["ru"][format]
			if !ok {
				t.Errorf("%s: no Russian for %q", f, format)
				continue
			}
			if !slices.Equal(verb.FindAllString(format, -1), verb.FindAllString(ru, -1)) {
				t.Errorf("%q: Russian %q has other verbs", format, ru)
			}
		}
	}
	if seen < 40 {
		t.Errorf("found only %d messages; is the pattern still right?", seen)
	}
}
