package assessments

import (
	"math"
	"slices"
	"strconv"

	"github.com/unescap/dmf/frameworks"
)

// Answer is a respondent's answer to one indicator. Which field carries the
// answer depends on the indicator's type: Level for level indicators,
// Selected for checklists and yes/no (option ids), Value for numbers, Text
// for text. NA marks "not applicable", allowed only where the indicator
// allows it and then with a Justification.
type Answer struct {
	Level         *int     `json:"level,omitempty"`
	Selected      []string `json:"selected,omitempty"`
	Value         *float64 `json:"value,omitempty"`
	Text          string   `json:"text,omitempty"`
	NA            bool     `json:"na,omitempty"`
	Justification string   `json:"justification,omitempty"`
	Comment       string   `json:"comment,omitempty"`
	Evidence      []string `json:"evidence,omitempty"`
}

// Answers maps indicator ids to answers.
type Answers map[string]Answer

// Value is a score on the 0–100 scale with its maturity level. Level is 0
// when nothing was scored. The overall level may be held below the band of
// its score by a level gate; CappedBy then says which (nil otherwise, and
// always nil for a dimension).
type Value struct {
	Score    float64
	Level    int
	Scored   bool
	CappedBy *Cap
}

// Cap is why an overall level is below the band its score reaches: the
// gate's dimension is under the level the gate asks for.
type Cap struct {
	Gate           frameworks.Gate
	Uncapped       int // the level of the band the score reaches
	DimensionLevel int // the gated dimension's level; 0 when it has no score
}

// DimensionResult is one dimension's score. Applicable counts the visible
// scored indicators; Answered counts those answered, N/A included; NA
// counts the N/A answers, which leave the denominator.
type DimensionResult struct {
	ID         string
	Value      Value
	Answered   int
	Applicable int
	NA         int
}

// Result is the outcome of scoring a set of answers against an edition.
// Scores are unrounded; round with Round1 for display.
type Result struct {
	Overall      Value
	Dimensions   []DimensionResult
	Answered     int      // scored indicators answered, N/A included
	Applicable   int      // visible scored indicators
	Missing      []string // ids of visible scored indicators without an answer
	Completeness float64  // Answered / Applicable, 0–1; 1 when nothing applies
}

// Complete reports whether every applicable indicator is answered.
func (r Result) Complete() bool { return r.Answered == r.Applicable }

// Score computes per-dimension and overall scores, levels and completeness
// exactly as the DMF scoring rules define them:
//
//   - an indicator scores 0–100 by its type (level: its option's score or
//     100·(k−1)/(L−1); checklist: share of non-exclusive items selected, the
//     exclusive item alone scoring 0; yes/no: 100/0; number: its band);
//     text is never scored;
//   - N/A answers and indicators hidden by their condition leave the
//     denominators; unanswered indicators are missing, not zero;
//   - dimension = Σwᵢsᵢ/Σwᵢ over answered indicators; overall = ΣW·S/ΣW
//     over scored dimensions; the level is the band the unrounded score
//     reaches (means are snapped to nine decimals first, see valueOf);
//   - a level gate {level: L, requires: {dimension: D, min_level: K}} holds
//     the overall level below L while D's level is under K (a D without a
//     score is under every K); the score stays as computed.
//
// Score is pure: no I/O, no clock. Answers that do not fit their indicator
// count as unanswered; saving rejects them before they get here.
func Score(ed *frameworks.Edition, answers Answers) Result {
	res := Result{Dimensions: make([]DimensionResult, len(ed.Dimensions))}
	// visible[ordinal] records each indicator's visibility for the
	// conditions of later indicators; editions are small, so this usually
	// stays on the stack.
	var buf [128]bool
	visible := buf[:0]
	if n := ed.IndicatorCount(); n > len(buf) {
		visible = make([]bool, 0, n)
	}
	var overallSum, overallWeight float64
	for d := range ed.Dimensions {
		dim := &ed.Dimensions[d]
		dr := &res.Dimensions[d]
		dr.ID = dim.ID
		var sum, weight float64
		for i := range dim.Indicators {
			ind := &dim.Indicators[i]
			a, has := answers[ind.ID]
			shown := isVisible(ed, ind, answers, visible)
			visible = append(visible, shown)
			if !shown || !ind.Scored() {
				continue
			}
			dr.Applicable++
			if has && a.NA && ind.NotApplicable {
				dr.Answered++
				dr.NA++
				continue
			}
			s, ok := IndicatorScore(ind, a)
			if !has || !ok {
				res.Missing = append(res.Missing, ind.ID)
				continue
			}
			dr.Answered++
			sum += ind.Weight * s
			weight += ind.Weight
		}
		res.Answered += dr.Answered
		res.Applicable += dr.Applicable
		if weight > 0 {
			dr.Value = valueOf(ed, sum/weight)
			overallSum += dim.Weight * dr.Value.Score
			overallWeight += dim.Weight
		}
	}
	if overallWeight > 0 {
		res.Overall = valueOf(ed, overallSum/overallWeight)
		res.Overall.Level, res.Overall.CappedBy = GateLevel(ed, res.Overall.Level, func(id string) int {
			for _, d := range res.Dimensions {
				if d.ID == id && d.Value.Scored {
					return d.Value.Level
				}
			}
			return 0
		})
	}
	res.Completeness = 1
	if res.Applicable > 0 {
		res.Completeness = float64(res.Answered) / float64(res.Applicable)
	}
	return res
}

// GateLevel applies the edition's level gates to an overall level, given
// each dimension's level (0 for none): the result is below every gate's
// level whose dimension falls short, and the cap names the gate that holds
// it lowest (the first such gate in the edition). Scoring and the country
// comparison both use it, so a level is capped the same way everywhere.
func GateLevel(ed *frameworks.Edition, level int, dimLevel func(id string) int) (int, *Cap) {
	var cp *Cap
	capped := level
	for _, g := range ed.Gates {
		if g.Level > level || g.Level-1 >= capped {
			continue // the level does not reach the gate, or it is already lower
		}
		if dl := dimLevel(g.Requires.Dimension); dl < g.Requires.MinLevel {
			capped = g.Level - 1
			cp = &Cap{Gate: g, Uncapped: level, DimensionLevel: dl}
		}
	}
	return capped, cp
}

// valueOf snaps a computed mean to nine decimals before banding it. Binary
// floating point can turn an exact 60 into 59.999999999999986 (with weights
// such as 0.1), which would drop a level; real scores never differ from a
// threshold by less than 1e-9, so snapping removes only that noise.
func valueOf(ed *frameworks.Edition, score float64) Value {
	score = math.Round(score*1e9) / 1e9
	return Value{Score: score, Level: ed.LevelFor(score).Level, Scored: true}
}

// isVisible evaluates an indicator's condition, with the visibility of
// earlier indicators already known. A hidden or N/A target hides its
// dependants.
func isVisible(ed *frameworks.Edition, ind *frameworks.Indicator, answers Answers, visible []bool) bool {
	c := ind.Condition
	if c == nil {
		return true
	}
	target, ref, ok := ed.Indicator(c.Indicator)
	if !ok || ref.Ordinal >= len(visible) || !visible[ref.Ordinal] {
		return false
	}
	return conditionHolds(target, c, answers)
}

// Visible reports whether an indicator is shown for these answers: it has
// no condition, or its condition holds and the indicator it names is
// itself visible.
func Visible(ed *frameworks.Edition, ind *frameworks.Indicator, answers Answers) bool {
	c := ind.Condition
	if c == nil {
		return true
	}
	target, _, ok := ed.Indicator(c.Indicator)
	return ok && Visible(ed, target, answers) && conditionHolds(target, c, answers)
}

func conditionHolds(target *frameworks.Indicator, c *frameworks.Condition, answers Answers) bool {
	a, has := answers[c.Indicator]
	if !has || a.NA {
		return false
	}
	if target.Type == frameworks.TypeLevel {
		if a.Level == nil {
			return false
		}
		o, ok := target.OptionAtLevel(*a.Level)
		return ok && slices.Contains(c.In, o.ID)
	}
	for _, id := range a.Selected {
		if slices.Contains(c.In, id) {
			return true
		}
	}
	return false
}

// IndicatorScore is the 0–100 score of one answer, and false when the
// answer does not answer the indicator (empty, or not one of its options).
func IndicatorScore(ind *frameworks.Indicator, a Answer) (float64, bool) {
	switch ind.Type {
	case frameworks.TypeLevel:
		if a.Level == nil {
			return 0, false
		}
		return ind.LevelScore(*a.Level)
	case frameworks.TypeChecklist:
		return checklistScore(ind, a.Selected)
	case frameworks.TypeYesNo:
		if len(a.Selected) != 1 {
			return 0, false
		}
		switch a.Selected[0] {
		case "yes":
			return 100, true
		case "no":
			return 0, true
		}
		return 0, false
	case frameworks.TypeNumber:
		if a.Value == nil || math.IsNaN(*a.Value) || math.IsInf(*a.Value, 0) {
			return 0, false
		}
		return ind.BandScore(*a.Value)
	}
	return 0, false
}

// checklistScore: share of non-exclusive items selected; the exclusive item
// ("none of these") scores 0 and cannot be combined; an empty selection is
// not an answer.
func checklistScore(ind *frameworks.Indicator, selected []string) (float64, bool) {
	if len(selected) == 0 {
		return 0, false
	}
	items, chosen := 0, 0
	for i := range ind.Options {
		o := &ind.Options[i]
		picked := slices.Contains(selected, o.ID)
		if o.Exclusive {
			if picked {
				return 0, len(selected) == 1
			}
			continue
		}
		items++
		if picked {
			chosen++
		}
	}
	if chosen != len(selected) { // unknown or repeated ids
		return 0, false
	}
	return 100 * float64(chosen) / float64(items), true
}

// LevelOf is the maturity level of one indicator's score, for advice:
// a level indicator's own answer, otherwise the band of its score.
func LevelOf(ed *frameworks.Edition, ind *frameworks.Indicator, a Answer) (level, top int, ok bool) {
	if ind.Type == frameworks.TypeLevel {
		if a.Level == nil {
			return 0, 0, false
		}
		if _, ok := ind.OptionAtLevel(*a.Level); !ok {
			return 0, 0, false
		}
		return *a.Level, len(ind.Options), true
	}
	s, ok := IndicatorScore(ind, a)
	if !ok {
		return 0, 0, false
	}
	return ed.LevelFor(s).Level, len(ed.Levels), true
}

// Round1 rounds half away from zero to one decimal, as displayed and carried
// values are. It rounds the shortest decimal that represents x, so 62.45
// becomes 62.5 even though the nearest float64 is slightly below it.
func Round1(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	dot := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			dot = i
			break
		}
	}
	if dot < 0 || len(s)-dot-1 <= 1 {
		return x // already at most one decimal
	}
	// Truncate to one decimal, then step away from zero if the next digit
	// is 5 or more.
	t, _ := strconv.ParseFloat(s[:dot+2], 64)
	if s[dot+2] >= '5' {
		if x < 0 {
			t -= 0.1
		} else {
			t += 0.1
		}
		t, _ = strconv.ParseFloat(strconv.FormatFloat(t, 'f', 1, 64), 64)
	}
	return t
}
