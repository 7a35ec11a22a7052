package assessments

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/unescap/dmf/frameworks"
)

// Limits on what a respondent may write, so that one answer cannot bloat
// the database or a report.
const (
	MaxTextLength   = 10000 // characters in a comment, justification or text answer
	MaxEvidence     = 10    // links per answer
	MaxEvidenceURL  = 2000  // characters per link
	maxNumberAnswer = 1e12
)

// Empty reports whether the answer says nothing at all; saving it clears
// the indicator.
func (a Answer) Empty() bool {
	return a.Level == nil && len(a.Selected) == 0 && a.Value == nil && a.Text == "" && !a.NA &&
		a.Justification == "" && a.Comment == "" && len(a.Evidence) == 0
}

// ValidateAnswers checks answers against their edition and returns a
// *ValidationError naming each bad field (answers.SERV.1.level) with the
// reason, or nil.
func ValidateAnswers(ed *frameworks.Edition, answers Answers) error {
	v := invalid{}
	for id, a := range answers {
		at := "answers." + id
		ind, _, ok := ed.Indicator(id)
		if !ok {
			v.add(at, "unknown indicator: edition %s has no indicator %q", ed.Key(), id)
			continue
		}
		validateAnswer(v, at, ind, a)
	}
	return v.err()
}

func validateAnswer(v invalid, at string, ind *frameworks.Indicator, a Answer) {
	checkText(v, at+".justification", a.Justification)
	checkText(v, at+".comment", a.Comment)
	checkText(v, at+".text", a.Text)
	checkEvidence(v, at+".evidence", a.Evidence)

	hasAnswer := a.Level != nil || len(a.Selected) > 0 || a.Value != nil || a.Text != ""
	if a.NA {
		switch {
		case !ind.NotApplicable:
			v.add(at+".na", "“not applicable” is not allowed for this indicator")
		case strings.TrimSpace(a.Justification) == "":
			v.add(at+".justification", "explain why the indicator does not apply")
		case hasAnswer:
			v.add(at+".na", "choose either an answer or “not applicable”, not both")
		}
		return
	}
	if a.Level != nil && ind.Type != frameworks.TypeLevel {
		v.add(at+".level", "this is a %s indicator; it has no levels", ind.Type)
	}
	if len(a.Selected) > 0 && ind.Type != frameworks.TypeChecklist && ind.Type != frameworks.TypeYesNo {
		v.add(at+".selected", "this is a %s indicator; it has no options to select", ind.Type)
	}
	if a.Value != nil && ind.Type != frameworks.TypeNumber {
		v.add(at+".value", "this is a %s indicator; it takes no number", ind.Type)
	}
	if a.Text != "" && ind.Type != frameworks.TypeText {
		v.add(at+".text", "this is a %s indicator; it takes no text answer", ind.Type)
	}
	switch ind.Type {
	case frameworks.TypeLevel:
		if a.Level != nil {
			if _, ok := ind.OptionAtLevel(*a.Level); !ok {
				v.add(at+".level", "level %d is not one of this indicator's levels (1 to %d)", *a.Level, len(ind.Options))
			}
		}
	case frameworks.TypeChecklist, frameworks.TypeYesNo:
		checkSelected(v, at+".selected", ind, a.Selected)
	case frameworks.TypeNumber:
		if a.Value != nil {
			x := *a.Value
			switch {
			case math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > maxNumberAnswer:
				v.add(at+".value", "must be a finite number of reasonable size")
			case x < ind.Bands[0].Min:
				v.add(at+".value", "must be at least %v", ind.Bands[0].Min)
			}
		}
	}
}

func checkSelected(v invalid, at string, ind *frameworks.Indicator, selected []string) {
	seen := map[string]bool{}
	exclusive := ""
	for _, id := range selected {
		o, ok := ind.Option(id)
		switch {
		case !ok:
			v.add(at, "%q is not one of this indicator's options", id)
			return
		case seen[id]:
			v.add(at, "%q is selected twice", id)
			return
		case o.Exclusive:
			exclusive = id
		}
		seen[id] = true
	}
	if exclusive != "" && len(selected) > 1 {
		v.add(at, "%q cannot be combined with other options", exclusive)
	}
	if ind.Type == frameworks.TypeYesNo && len(selected) > 1 {
		v.add(at, "answer either yes or no")
	}
}

// checkText enforces the length limit and refuses characters that have no
// place in a comment and can hide or reorder text on a reviewer's page:
// control characters other than newline and tab, bidirectional controls
// (U+202E makes "exe.txt" read "txt.exe"), zero-width spaces and byte-order
// marks, line and paragraph separators, and noncharacters.
func checkText(v invalid, at, s string) {
	if s == "" {
		return
	}
	if !utf8.ValidString(s) {
		v.add(at, "is not valid UTF-8 text")
		return
	}
	if n := utf8.RuneCountInString(s); n > MaxTextLength {
		v.add(at, "is %d characters long; the limit is %d", n, MaxTextLength)
		return
	}
	for _, r := range s {
		if r != '\n' && r != '\t' && (unicode.IsControl(r) || r == utf8.RuneError) {
			v.add(at, "contains a control character (U+%04X); only line breaks and tabs are allowed", r)
			return
		}
		if hidden(r) {
			v.add(at, "contains an invisible or text-reordering character (U+%04X)", r)
			return
		}
	}
}

// hidden reports characters that change how text around them shows
// without showing themselves. The zero-width joiner and non-joiner
// (U+200C, U+200D) stay: Persian, Indic scripts and emoji need them.
func hidden(r rune) bool {
	switch r {
	case 0x200B, 0x2060, 0xFEFF: // zero-width space, word joiner, byte-order mark
		return true
	}
	return unicode.In(r, unicode.Bidi_Control, unicode.Noncharacter_Code_Point, unicode.Zl, unicode.Zp)
}

func checkEvidence(v invalid, at string, links []string) {
	if len(links) > MaxEvidence {
		v.add(at, "has %d links; the limit is %d", len(links), MaxEvidence)
		return
	}
	for i, link := range links {
		if m := checkURL(link); m.Format != "" {
			v.addMessage(fmt.Sprintf("%s[%d]", at, i), m)
		}
	}
}

// checkURL accepts only absolute http(s) links: javascript:, data: and
// file: links must never reach a reviewer's page.
func checkURL(link string) Message {
	if utf8.RuneCountInString(link) > MaxEvidenceURL {
		return Message{"is longer than %d characters", []any{MaxEvidenceURL}}
	}
	if strings.IndexFunc(link, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return Message{Format: "must not contain spaces or control characters"}
	}
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return Message{Format: "must be an http:// or https:// link"}
	}
	return Message{}
}

// normalise trims what a form adds around answers: surrounding whitespace
// on links and a sorted, de-duplicated selection order does not matter.
func (a Answer) normalise() Answer {
	out := a
	out.Evidence = nil
	for _, e := range a.Evidence {
		if e = strings.TrimSpace(e); e != "" {
			out.Evidence = append(out.Evidence, e)
		}
	}
	if len(a.Selected) > 0 {
		out.Selected = slices.Clone(a.Selected)
	}
	return out
}
