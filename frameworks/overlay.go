package frameworks

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A translation overlay gives a pinned edition texts in one more language
// without touching the edition's file, whose digest cards and databases
// record: <edition file without .yaml>.<lang>.yaml beside it repeats the
// edition's keys with only what identifies list items (id, or level for
// levels and recommendations) and the texts, each a map holding only the
// overlay's language. The merged edition keeps the pinned digest and
// canonical content; pages and the API mark overlay texts as a translation
// outside the pinned edition.

type overlayFile struct {
	Overlay      overlayHeader      `yaml:"overlay"`
	Title        Text               `yaml:"title"`
	Description  Text               `yaml:"description"`
	Publisher    Text               `yaml:"publisher"`
	Perspectives []overlayItem      `yaml:"perspectives"`
	Levels       []overlayLevel     `yaml:"levels"`
	Basket       []overlayItem      `yaml:"basket"`
	Dimensions   []overlayDimension `yaml:"dimensions"`
}

type overlayHeader struct {
	Framework string `yaml:"framework"`
	Version   string `yaml:"version"`
	Language  string `yaml:"language"`
	Status    string `yaml:"status"`
}

type overlayItem struct {
	ID          string `yaml:"id"`
	Title       Text   `yaml:"title"`
	Description Text   `yaml:"description"`
}

type overlayLevel struct {
	Level       int  `yaml:"level"`
	Label       Text `yaml:"label"`
	Description Text `yaml:"description"`
}

type overlayDimension struct {
	ID          string             `yaml:"id"`
	Title       Text               `yaml:"title"`
	Description Text               `yaml:"description"`
	Indicators  []overlayIndicator `yaml:"indicators"`
}

type overlayIndicator struct {
	ID              string          `yaml:"id"`
	Question        Text            `yaml:"question"`
	Help            Text            `yaml:"help"`
	Options         []overlayOption `yaml:"options"`
	Recommendations []overlayAdvice `yaml:"recommendations"`
}

type overlayOption struct {
	ID    string `yaml:"id"`
	Level int    `yaml:"level"` // repeated from the edition, for translators; not checked
	Label Text   `yaml:"label"`
}

type overlayAdvice struct {
	Level int  `yaml:"level"`
	Text  Text `yaml:"text"`
}

// overlayName matches an overlay file's name: the edition file's stem, a
// language code, .yaml. Edition stems end in a version, never in letters.
var overlayName = regexp.MustCompile(`^(.+)\.([a-z]{2,3})\.yaml$`)

// OverlayFile is the name of ed's overlay for lang, beside editionFile.
func OverlayFile(editionFile, lang string) string {
	return strings.TrimSuffix(editionFile, ".yaml") + "." + lang + ".yaml"
}

// IsOverlayFile reports whether name is a translation overlay and for
// which edition file (beside it) and language.
func IsOverlayFile(name string) (editionFile, lang string, ok bool) { return isOverlayFile(name) }

func isOverlayFile(name string) (editionFile, lang string, ok bool) {
	m := overlayName.FindStringSubmatch(path.Base(name))
	if m == nil {
		return "", "", false
	}
	return path.Join(path.Dir(name), m[1]+".yaml"), m[2], true
}

// Pinned returns the edition as its file has it, without overlay texts:
// what the digest covers and what the API serves untranslated.
func (e *Edition) Pinned() *Edition {
	if e.pinned != nil {
		return e.pinned
	}
	return e
}

// Translation reports whether lang's texts come from an overlay, outside
// the pinned edition, and the overlay's status (who translated, whether
// reviewed).
func (e *Edition) Translation(lang string) (status string, ok bool) {
	status, ok = e.overlays[lang]
	return status, ok
}

// Translations lists the languages overlays add, sorted.
func (e *Edition) Translations() []string {
	out := make([]string, 0, len(e.overlays))
	for l := range e.overlays {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// ApplyOverlay returns ed with the texts of one overlay file merged in, or
// Problems naming the file, line and path of everything wrong with it: a
// header that does not name ed, unknown keys or ids, a text in another
// language, an empty or a missing text. ed itself is not changed.
func ApplyOverlay(ed *Edition, file string, data []byte) (*Edition, error) {
	var ov overlayFile
	pl, err := decodeStrict(file, data, &ov)
	if err != nil {
		return nil, err
	}
	if len(pl.list) > 0 { // a misspelt key: the texts under it cannot be checked
		return nil, pl.list
	}
	h := ov.Overlay
	lang := h.Language
	if _, fileLang, ok := isOverlayFile(file); ok && fileLang != lang {
		pl.add("overlay.language", "is %q, but the file name says %q", lang, fileLang)
	}
	switch {
	case h.Framework != ed.ID || h.Version != ed.Version:
		pl.add("overlay", "names edition %s@%s, but this overlay belongs to %s", h.Framework, h.Version, ed.Key())
	case !langPattern.MatchString(lang):
		pl.add("overlay.language", "must be a two- or three-letter language code such as fr or zh (found %q)", lang)
	case slices.Contains(ed.Languages, lang):
		pl.add("overlay.language", "the edition has its own %s texts; an overlay cannot replace them", lang)
	case ed.overlays[lang] != "":
		pl.add("overlay.language", "a %s overlay is already applied", lang)
	}
	if strings.TrimSpace(h.Status) == "" {
		pl.add("overlay.status", "is required: say who translated the texts and whether they are reviewed")
	}
	if len(pl.list) > 0 {
		return nil, pl.list
	}

	out, err := ed.clone()
	if err != nil {
		return nil, err
	}
	m := merger{pl: pl, lang: lang}
	m.text("title", ed.Title, ov.Title, &out.Title)
	m.text("description", ed.Description, ov.Description, &out.Description)
	m.text("publisher", ed.Publisher, ov.Publisher, &out.Publisher)
	ids := func(n int, id func(int) string) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = id(i)
		}
		return s
	}
	at := m.match("perspectives", "perspective", ids(len(ed.Perspectives), func(i int) string { return ed.Perspectives[i].ID }),
		ids(len(ov.Perspectives), func(i int) string { return ov.Perspectives[i].ID }))
	for i, j := range at {
		if j < 0 {
			continue
		}
		p := fmt.Sprintf("perspectives[%d]", j)
		m.text(p+".title", ed.Perspectives[i].Title, ov.Perspectives[j].Title, &out.Perspectives[i].Title)
		m.text(p+".description", ed.Perspectives[i].Description, ov.Perspectives[j].Description, &out.Perspectives[i].Description)
	}
	at = m.match("levels", "level", ids(len(ed.Levels), func(i int) string { return strconv.Itoa(ed.Levels[i].Level) }),
		ids(len(ov.Levels), func(i int) string { return strconv.Itoa(ov.Levels[i].Level) }))
	for i, j := range at {
		if j < 0 {
			continue
		}
		p := fmt.Sprintf("levels[%d]", j)
		m.text(p+".label", ed.Levels[i].Label, ov.Levels[j].Label, &out.Levels[i].Label)
		m.text(p+".description", ed.Levels[i].Description, ov.Levels[j].Description, &out.Levels[i].Description)
	}
	at = m.match("basket", "basket service", ids(len(ed.Basket), func(i int) string { return ed.Basket[i].ID }),
		ids(len(ov.Basket), func(i int) string { return ov.Basket[i].ID }))
	for i, j := range at {
		if j < 0 {
			continue
		}
		p := fmt.Sprintf("basket[%d]", j)
		m.text(p+".title", ed.Basket[i].Title, ov.Basket[j].Title, &out.Basket[i].Title)
		m.text(p+".description", nil, ov.Basket[j].Description, nil)
	}
	at = m.match("dimensions", "dimension", ids(len(ed.Dimensions), func(i int) string { return ed.Dimensions[i].ID }),
		ids(len(ov.Dimensions), func(i int) string { return ov.Dimensions[i].ID }))
	for d, od := range at {
		if od < 0 {
			continue
		}
		ed, ov, out := &ed.Dimensions[d], &ov.Dimensions[od], &out.Dimensions[d]
		p := fmt.Sprintf("dimensions[%d]", od)
		m.text(p+".title", ed.Title, ov.Title, &out.Title)
		m.text(p+".description", ed.Description, ov.Description, &out.Description)
		at := m.match(p+".indicators", "indicator", ids(len(ed.Indicators), func(i int) string { return ed.Indicators[i].ID }),
			ids(len(ov.Indicators), func(i int) string { return ov.Indicators[i].ID }))
		for i, oi := range at {
			if oi < 0 {
				continue
			}
			ed, ov, out := &ed.Indicators[i], &ov.Indicators[oi], &out.Indicators[i]
			p := fmt.Sprintf("%s.indicators[%d]", p, oi)
			m.text(p+".question", ed.Question, ov.Question, &out.Question)
			m.text(p+".help", ed.Help, ov.Help, &out.Help)
			at := m.match(p+".options", "option", ids(len(ed.Options), func(k int) string { return ed.Options[k].ID }),
				ids(len(ov.Options), func(k int) string { return ov.Options[k].ID }))
			for k, ok := range at {
				if ok < 0 {
					continue
				}
				m.text(fmt.Sprintf("%s.options[%d].label", p, ok), ed.Options[k].Label, ov.Options[ok].Label, &out.Options[k].Label)
			}
			at = m.match(p+".recommendations", "recommendation for level",
				ids(len(ed.Recommendations), func(k int) string { return strconv.Itoa(ed.Recommendations[k].Level) }),
				ids(len(ov.Recommendations), func(k int) string { return strconv.Itoa(ov.Recommendations[k].Level) }))
			for k, ok := range at {
				if ok < 0 {
					continue
				}
				m.text(fmt.Sprintf("%s.recommendations[%d].text", p, ok), ed.Recommendations[k].Text, ov.Recommendations[ok].Text, &out.Recommendations[k].Text)
			}
		}
	}
	if len(pl.list) > 0 {
		return nil, pl.list
	}
	if out.overlays == nil {
		out.overlays = map[string]string{}
	}
	out.overlays[lang] = strings.TrimSpace(h.Status)
	return out, nil
}

// merger checks an overlay's texts against its edition's and merges them.
type merger struct {
	pl   *problemList
	lang string
}

// text merges one text: the overlay must give one exactly where the
// edition has one, in the overlay's language only, not empty.
func (m merger) text(p string, ed, ov Text, dst *Text) {
	switch {
	case len(ed) == 0 && ov != nil:
		m.pl.add(p, "the edition has no such text")
		return
	case len(ed) == 0:
		return
	case ov == nil:
		m.pl.add(p, "text missing: the edition has one here")
		return
	}
	for l := range ov {
		if l != m.lang {
			m.pl.add(p, "text in %q; this overlay holds %q only", l, m.lang)
		}
	}
	s, ok := ov[m.lang]
	if !ok || strings.TrimSpace(s) == "" {
		if ok || len(ov) == 0 {
			m.pl.add(p, "text is empty")
		}
		return
	}
	t := make(Text, len(*dst)+1)
	for l, v := range *dst {
		t[l] = v
	}
	t[m.lang] = s
	*dst = t
}

// match pairs the edition's items with the overlay's by id (or level),
// reporting unknown, repeated and missing ones. It returns, for each
// edition index, the overlay index, or -1 where the overlay lacks the item.
func (m merger) match(p, what string, edIDs, ovIDs []string) []int {
	pos := map[string]int{}
	for i, id := range edIDs {
		pos[id] = i
	}
	out := make([]int, len(edIDs))
	for i := range out {
		out[i] = -1
	}
	for j, id := range ovIDs {
		i, ok := pos[id]
		switch {
		case !ok:
			m.pl.add(fmt.Sprintf("%s[%d]", p, j), "unknown %s %q: the edition has %s", what, id, quoteList(edIDs))
		case slices.Contains(ovIDs[:j], id):
			m.pl.add(fmt.Sprintf("%s[%d]", p, j), "%s %q appears twice", what, id)
		default:
			out[i] = j
		}
	}
	for i, id := range edIDs {
		if out[i] < 0 && !slices.Contains(ovIDs, id) {
			m.pl.add(p, "%s %q is missing", what, id)
		}
	}
	return out
}

// clone is a deep copy of e that shares nothing it could change, and keeps
// e as its pinned form.
func (e *Edition) clone() (*Edition, error) {
	raw, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	var c Edition
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	c.index()
	c.sha384, c.file, c.root = e.sha384, e.file, e.root
	c.pinned = e.Pinned()
	c.overlays = map[string]string{}
	for l, s := range e.overlays {
		c.overlays[l] = s
	}
	return &c, nil
}
