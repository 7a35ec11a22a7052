package main

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// What the pages say about editions: the changelog between two editions,
// why an overall level is capped, and what a change of edition does to a
// comparison with an earlier assessment. Each is built from the edition's
// texts in the page's language and the interface catalogue.

// changelog renders the changes from old to new as sentences in lang.
// A quoted text the edition lacks in lang (an older edition's question,
// published in English and Russian only) is quoted in English, marked
// lang="en" so that screen readers and translators know it.
func (s *server) changelog(lang string, old, new *frameworks.Edition) []template.HTML {
	var out []template.HTML
	t := func(key string, args ...any) {
		h := template.HTMLEscapeString(s.msgs.T(lang, key, args...))
		out = append(out, template.HTML(quoteMarks.Replace(h)))
	}
	quote := func(x frameworks.Text) string {
		q := noMarks.Replace(x.In(lang))
		if textLang(x, lang) != "" {
			return "\x02" + q + "\x03"
		}
		return q
	}
	level := func(ed *frameworks.Edition, k int) string { return ed.LevelLabel(k).In(lang) }
	for _, c := range frameworks.Changes(old, new) {
		title := quote(c.Title)
		switch c.Kind {
		case frameworks.ChangeAdded, frameworks.ChangeRemoved:
			t("change."+c.Kind+"."+c.Item, c.ID, title)
		case frameworks.ChangeSplit:
			t("change.split", c.ID, strings.Join(c.To, ", "), title)
		case frameworks.ChangeMerged:
			t("change.merged", c.ID, strings.Join(c.From, ", "), title)
		case frameworks.ChangeRenamed:
			t("change.renamed", c.ID, strings.Join(c.From, ", "), title)
		case frameworks.ChangeReworded:
			t("change.reworded", c.ID, title)
		case frameworks.ChangeRescaled:
			t("change.rescaled", c.ID, title)
		case frameworks.ChangeWeight:
			t("change.weight", c.ID, number(c.OldWeight), number(c.NewWeight))
		case frameworks.ChangeApplicability:
			t("change.applicability", c.ID, title)
		case frameworks.ChangeGateAdded, frameworks.ChangeGateRemoved:
			ed := new
			if c.Kind == frameworks.ChangeGateRemoved {
				ed = old
			}
			dim := c.Gate.Requires.Dimension
			if d, ok := ed.Dimension(dim); ok {
				dim = quote(d.Title)
			}
			t("change."+c.Kind, level(ed, c.Gate.Level), dim, level(ed, c.Gate.Requires.MinLevel))
		}
	}
	return out
}

// quoteMarks turns the markers changelog puts around an English quote,
// once the sentence is escaped, into its lang="en" span; noMarks keeps a
// text's own control characters from passing for markers.
var (
	quoteMarks = strings.NewReplacer("\x02", `<span lang="en">`, "\x03", "</span>")
	noMarks    = strings.NewReplacer("\x02", "", "\x03", "")
)

func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// capNote says why the overall level is below the band of its score, or
// nothing when it is not capped.
func (s *server) capNote(lang string, ed *frameworks.Edition, v assessments.Value) string {
	c := v.CappedBy
	if c == nil {
		return ""
	}
	dim := c.Gate.Requires.Dimension
	if d, ok := ed.Dimension(dim); ok {
		dim = d.Title.In(lang)
	}
	label := func(k int) string { return ed.LevelLabel(k).In(lang) }
	if c.DimensionLevel == 0 {
		return s.msgs.T(lang, "result.capped.unscored", label(v.Level), dim, label(c.Gate.Requires.MinLevel), label(c.Gate.Level))
	}
	return s.msgs.T(lang, "result.capped", label(v.Level), dim, label(c.DimensionLevel), label(c.Gate.Requires.MinLevel), label(c.Gate.Level))
}

// linkNote says how an item relates to the earlier edition of a
// comparison: empty when it is the same item, "was X" when renamed, and
// why it is not comparable otherwise.
func (s *server) linkNote(lang string, m *frameworks.Mapping, l frameworks.Link) string {
	v := m.New.Version
	switch l.Kind {
	case frameworks.LinkRenamed:
		return s.msgs.T(lang, "compare.link.renamed", l.From[0], m.Old.Version)
	case frameworks.LinkAdded:
		return s.msgs.T(lang, "compare.link.added", v)
	case frameworks.LinkSplit:
		return s.msgs.T(lang, "compare.link.split", l.From[0], v)
	case frameworks.LinkMerged:
		return s.msgs.T(lang, "compare.link.merged", strings.Join(l.From, ", "), v)
	}
	return ""
}
