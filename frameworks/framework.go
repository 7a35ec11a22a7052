// Package frameworks holds maturity framework editions as data: their types,
// the YAML loader that validates them, their canonical digest, and the
// reference content that the app presents beside them.
//
// An edition is read-only once loaded. Every scored number in the app is
// computed from an edition, so an edition that is in use never changes: a
// corrected text is a new version.
package frameworks

import (
	"slices"

	"go.yaml.in/yaml/v3"
)

// Indicator types.
const (
	TypeLevel     = "level"     // anchored options, one per level
	TypeChecklist = "checklist" // items; an optional exclusive "none of these"
	TypeYesNo     = "yesno"     // options "yes" (100) and "no" (0)
	TypeNumber    = "number"    // a value scored by bands
	TypeText      = "text"      // free text, never scored
)

// Text is a human text in each language of its edition, keyed by language
// code ("en", "ru").
type Text map[string]string

// In returns the text in lang, falling back to English and then to any
// language, so that a page never shows an empty label.
func (t Text) In(lang string) string {
	if s, ok := t[lang]; ok && s != "" {
		return s
	}
	if s, ok := t["en"]; ok && s != "" {
		return s
	}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if t[k] != "" {
			return t[k]
		}
	}
	return ""
}

// Edition is one version of a framework. The YAML file, the JSON API and
// the digest all use the same keys.
type Edition struct {
	ID           string        `yaml:"id" json:"id" validate:"required,edition_id"`
	Version      string        `yaml:"version" json:"version" validate:"required,semver"`
	Digest       string        `yaml:"-" json:"digest,omitempty"`
	Title        Text          `yaml:"title" json:"title" validate:"required"`
	Description  Text          `yaml:"description" json:"description,omitempty"`
	Publisher    Text          `yaml:"publisher" json:"publisher,omitempty"`
	Languages    []string      `yaml:"languages" json:"languages" validate:"required,min=1,dive,lang_code"`
	Perspectives []Perspective `yaml:"perspectives" json:"perspectives" validate:"required,min=1,dive"`
	Levels       []Level       `yaml:"levels" json:"levels" validate:"required,min=2,dive"`
	Dimensions   []Dimension   `yaml:"dimensions" json:"dimensions" validate:"required,min=1,dive"`
	// Previous is the earlier version of the same id that Replaces refers
	// to; empty for a first edition.
	Previous string `yaml:"previous" json:"previous,omitempty" validate:"omitempty,semver"`
	// Gates cap the overall level while a dimension lags (DESIGN §5).
	Gates []Gate `yaml:"gates" json:"gates,omitempty" validate:"dive"`
	// Basket is the reference set of SME services countries are compared
	// on; absent in editions before 1.1.
	Basket []BasketService `yaml:"basket" json:"basket,omitempty" validate:"dive"`

	// Derived at load time, never serialised.
	indicators map[string]IndicatorRef
	sha384     []byte
	file       string     // where it was read from, for problems found later
	root       *yaml.Node // its YAML tree, for the lines of those problems
	// With overlays applied: the edition as its file has it, and the
	// overlays' languages with their status (see overlay.go).
	pinned   *Edition
	overlays map[string]string
}

// Gate caps the overall level below Level while the dimension named in
// Requires is below its MinLevel: a service is not "Proactive" overall
// while its proactivity lags. The score is not changed, only the level.
type Gate struct {
	Level    int             `yaml:"level" json:"level" validate:"min=1"`
	Requires GateRequirement `yaml:"requires" json:"requires"`
}

// GateRequirement is the dimension level a Gate asks for.
type GateRequirement struct {
	Dimension string `yaml:"dimension" json:"dimension" validate:"required"`
	MinLevel  int    `yaml:"min_level" json:"min_level" validate:"min=1"`
}

// Perspective is a stakeholder viewpoint that a dimension speaks to
// (government regulators, service providers, SMEs, international community).
type Perspective struct {
	ID          string `yaml:"id" json:"id" validate:"required,item_id"`
	Title       Text   `yaml:"title" json:"title" validate:"required"`
	Description Text   `yaml:"description" json:"description,omitempty"`
}

// Level is one band of the maturity scale. Min is its inclusive lower bound
// on the 0–100 scale; a band ends where the next one starts.
type Level struct {
	Level       int     `yaml:"level" json:"level" validate:"min=1"`
	Min         float64 `yaml:"min" json:"min" validate:"min=0,max=100"`
	Label       Text    `yaml:"label" json:"label" validate:"required"`
	Description Text    `yaml:"description" json:"description,omitempty"`
}

// Dimension groups indicators; its score is their weighted mean.
type Dimension struct {
	ID           string      `yaml:"id" json:"id" validate:"required,item_id"`
	Weight       float64     `yaml:"weight" json:"weight" validate:"gt=0"`
	Title        Text        `yaml:"title" json:"title" validate:"required"`
	Description  Text        `yaml:"description" json:"description,omitempty"`
	WSIS         []string    `yaml:"wsis" json:"wsis" validate:"required,min=1,dive,wsis_line"`
	Perspectives []string    `yaml:"perspectives" json:"perspectives" validate:"required,min=1"`
	Indicators   []Indicator `yaml:"indicators" json:"indicators" validate:"required,min=1,dive"`
	// Replaces lists the ids of the previous edition's dimensions this one
	// continues; empty for a new dimension.
	Replaces []string `yaml:"replaces" json:"replaces,omitempty"`
}

// Indicator is one question. Which fields apply depends on Type.
type Indicator struct {
	ID              string           `yaml:"id" json:"id" validate:"required,item_id"`
	Weight          float64          `yaml:"weight" json:"weight" validate:"min=0"`
	Type            string           `yaml:"type" json:"type" validate:"required,oneof=level checklist yesno number text"`
	Question        Text             `yaml:"question" json:"question" validate:"required"`
	Help            Text             `yaml:"help" json:"help,omitempty"`
	NotApplicable   bool             `yaml:"not_applicable" json:"not_applicable"`
	Condition       *Condition       `yaml:"condition" json:"condition,omitempty"`
	Options         []Option         `yaml:"options" json:"options,omitempty" validate:"dive"`
	Bands           []Band           `yaml:"bands" json:"bands,omitempty" validate:"dive"`
	Recommendations []Recommendation `yaml:"recommendations" json:"recommendations,omitempty" validate:"dive"`
	// Replaces lists the ids of the previous edition's indicators this one
	// continues; a split lists the same old id in each part, a merge lists
	// several. Empty for a new indicator.
	Replaces []string `yaml:"replaces" json:"replaces,omitempty"`
	// Scope is ScopeCountry for an indicator answered once per country and
	// period by its coordinator and inherited by every service assessment.
	Scope string `yaml:"scope" json:"scope,omitempty" validate:"omitempty,oneof=country"`
}

// ScopeCountry marks an indicator answered once per country and period.
const ScopeCountry = "country"

// CountryScoped reports whether the indicator is answered for the whole
// country rather than per service.
func (ind *Indicator) CountryScoped() bool { return ind.Scope == ScopeCountry }

// BasketService is one service of the reference basket; the service
// categories listed map to it.
type BasketService struct {
	ID         string   `yaml:"id" json:"id" validate:"required,slug"`
	Title      Text     `yaml:"title" json:"title" validate:"required"`
	Categories []string `yaml:"categories" json:"categories" validate:"required,min=1,dive,slug"`
}

// Option is an answer choice: a level descriptor of a level indicator, an
// item of a checklist, or yes/no.
type Option struct {
	ID        string   `yaml:"id" json:"id" validate:"required,item_id"`
	Level     int      `yaml:"level" json:"level,omitempty" validate:"min=0"`
	Score     *float64 `yaml:"score" json:"score,omitempty" validate:"omitempty,min=0,max=100"`
	Label     Text     `yaml:"label" json:"label" validate:"required"`
	Exclusive bool     `yaml:"exclusive" json:"exclusive,omitempty"`
}

// Band scores a number answer: a value scores the Score of the last band
// whose Min it reaches.
type Band struct {
	Min   float64 `yaml:"min" json:"min"`
	Score float64 `yaml:"score" json:"score" validate:"min=0,max=100"`
}

// Recommendation says what to do at Level: how to move to the next level,
// or, at the top level, how to sustain the practice and share it.
type Recommendation struct {
	Level int  `yaml:"level" json:"level" validate:"min=1"`
	Text  Text `yaml:"text" json:"text" validate:"required"`
	// Who has to act, and a rough effort; optional, but all or none of an
	// edition's recommendations say it.
	Who    string `yaml:"who" json:"who,omitempty" validate:"omitempty,oneof=agency government regulator partners"`
	Effort string `yaml:"effort" json:"effort,omitempty" validate:"omitempty,oneof=low medium high"`
}

// Who acts on a recommendation, and its rough effort.
const (
	WhoAgency     = "agency"
	WhoGovernment = "government"
	WhoRegulator  = "regulator"
	WhoPartners   = "partners"

	EffortLow    = "low"
	EffortMedium = "medium"
	EffortHigh   = "high"
)

// Condition shows an indicator only while an earlier indicator's answer is
// one of the listed options.
type Condition struct {
	Indicator string   `yaml:"indicator" json:"indicator" validate:"required"`
	In        []string `yaml:"in" json:"in" validate:"required,min=1"`
}

// IndicatorRef locates an indicator inside its edition.
type IndicatorRef struct {
	Dimension int // index into Edition.Dimensions
	Index     int // index into Dimension.Indicators
	Ordinal   int // position among all indicators of the edition
}

// Scored reports whether answers to the indicator count towards scores.
func (ind *Indicator) Scored() bool { return ind.Type != TypeText }

// Option returns the option with the given id.
func (ind *Indicator) Option(id string) (*Option, bool) {
	for i := range ind.Options {
		if ind.Options[i].ID == id {
			return &ind.Options[i], true
		}
	}
	return nil, false
}

// OptionAtLevel returns the option of a level indicator for level k.
func (ind *Indicator) OptionAtLevel(k int) (*Option, bool) {
	for i := range ind.Options {
		if ind.Options[i].Level == k {
			return &ind.Options[i], true
		}
	}
	return nil, false
}

// LevelScore is the score of answering level k of a level indicator:
// the option's explicit score, or 100·(k−1)/(L−1).
func (ind *Indicator) LevelScore(k int) (float64, bool) {
	o, ok := ind.OptionAtLevel(k)
	if !ok {
		return 0, false
	}
	if o.Score != nil {
		return *o.Score, true
	}
	return 100 * float64(k-1) / float64(len(ind.Options)-1), true
}

// BandScore is the score of a number answer, and false when the value is
// below the first band.
func (ind *Indicator) BandScore(v float64) (float64, bool) {
	score, ok := 0.0, false
	for _, b := range ind.Bands {
		if v < b.Min {
			break
		}
		score, ok = b.Score, true
	}
	return score, ok
}

// Recommendation returns the advice for moving up from level k: the
// recommendation of the highest level not above k.
func (ind *Indicator) Recommendation(k int) (Recommendation, bool) {
	var best Recommendation
	found := false
	for _, r := range ind.Recommendations {
		if r.Level <= k && (!found || r.Level > best.Level) {
			best, found = r, true
		}
	}
	return best, found
}

// Indicator returns the indicator with the given id.
func (e *Edition) Indicator(id string) (*Indicator, IndicatorRef, bool) {
	ref, ok := e.indicators[id]
	if !ok {
		return nil, IndicatorRef{}, false
	}
	return &e.Dimensions[ref.Dimension].Indicators[ref.Index], ref, true
}

// CountryIndicators returns the indicators answered for the whole country,
// in edition order.
func (e *Edition) CountryIndicators() []*Indicator {
	var out []*Indicator
	for d := range e.Dimensions {
		for i := range e.Dimensions[d].Indicators {
			if ind := &e.Dimensions[d].Indicators[i]; ind.CountryScoped() {
				out = append(out, ind)
			}
		}
	}
	return out
}

// BasketOf returns the basket service a service category maps to.
func (e *Edition) BasketOf(category string) (*BasketService, bool) {
	for i := range e.Basket {
		if slices.Contains(e.Basket[i].Categories, category) {
			return &e.Basket[i], true
		}
	}
	return nil, false
}

// IndicatorCount is the number of indicators in the edition.
func (e *Edition) IndicatorCount() int { return len(e.indicators) }

// Dimension returns the dimension with the given id.
func (e *Edition) Dimension(id string) (*Dimension, bool) {
	for i := range e.Dimensions {
		if e.Dimensions[i].ID == id {
			return &e.Dimensions[i], true
		}
	}
	return nil, false
}

// Perspective returns the perspective with the given id.
func (e *Edition) Perspective(id string) (*Perspective, bool) {
	for i := range e.Perspectives {
		if e.Perspectives[i].ID == id {
			return &e.Perspectives[i], true
		}
	}
	return nil, false
}

// LevelFor returns the band that score falls in: the last level whose
// inclusive lower bound the unrounded score reaches.
func (e *Edition) LevelFor(score float64) *Level {
	lv := &e.Levels[0]
	for i := range e.Levels {
		if score >= e.Levels[i].Min {
			lv = &e.Levels[i]
		}
	}
	return lv
}

// LevelLabel is the label of maturity level k, or nil outside the scale.
func (e *Edition) LevelLabel(k int) Text {
	if k < 1 || k > len(e.Levels) {
		return nil
	}
	return e.Levels[k-1].Label
}

// Lang returns lang if the edition or an overlay has texts in it, else the
// edition's first language.
func (e *Edition) Lang(lang string) string {
	if _, ok := e.overlays[lang]; ok || slices.Contains(e.Languages, lang) {
		return lang
	}
	return e.Languages[0]
}
