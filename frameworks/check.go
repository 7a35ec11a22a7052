package frameworks

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"golang.org/x/mod/semver"
)

// checkEdition applies the rules that tags cannot express: unique ids,
// a contiguous scale, options that fit their type, conditions that point
// backwards, and every text in every declared language.
func checkEdition(pl *problemList, e *Edition) {
	langs := e.Languages
	unique(pl, "languages", len(langs), func(i int) string { return langs[i] })
	tx := texts{pl: pl, langs: langs}
	tx.check("title", e.Title)
	tx.check("description", e.Description)
	tx.check("publisher", e.Publisher)

	unique(pl, "perspectives", len(e.Perspectives), func(i int) string { return e.Perspectives[i].ID })
	for i, p := range e.Perspectives {
		at := fmt.Sprintf("perspectives[%d]", i)
		tx.check(at+".title", p.Title)
		tx.check(at+".description", p.Description)
	}

	checkLevels(pl, &tx, e.Levels)

	unique(pl, "dimensions", len(e.Dimensions), func(i int) string { return e.Dimensions[i].ID })
	// Indicator ids are unique across the edition: answers are keyed by them.
	seen := map[string]string{}
	earlier := map[string]*Indicator{}
	for d := range e.Dimensions {
		dim := &e.Dimensions[d]
		at := fmt.Sprintf("dimensions[%d]", d)
		tx.check(at+".title", dim.Title)
		tx.check(at+".description", dim.Description)
		unique(pl, at+".wsis", len(dim.WSIS), func(i int) string { return dim.WSIS[i] })
		unique(pl, at+".perspectives", len(dim.Perspectives), func(i int) string { return dim.Perspectives[i] })
		for i, p := range dim.Perspectives {
			if _, ok := e.Perspective(p); !ok {
				pl.add(fmt.Sprintf("%s.perspectives[%d]", at, i), "perspective %q is not defined under perspectives", p)
			}
		}
		scored := 0
		for i := range dim.Indicators {
			ind := &dim.Indicators[i]
			iat := fmt.Sprintf("%s.indicators[%d]", at, i)
			if ind.ID != "" {
				if first, dup := seen[ind.ID]; dup {
					pl.add(iat+".id", "indicator id %q is already used at %s; indicator ids must be unique in the edition", ind.ID, first)
				} else {
					seen[ind.ID] = iat
				}
			}
			if ind.Scored() {
				scored++
			}
			checkIndicator(pl, &tx, iat, ind, len(e.Levels))
			checkCondition(pl, iat, ind, earlier)
			checkScope(pl, iat, ind, earlier)
			earlier[ind.ID] = ind
		}
		if scored == 0 && len(dim.Indicators) > 0 {
			pl.add(at+".indicators", "a dimension needs at least one scored indicator (all of them are text)")
		}
	}
	checkGates(pl, e)
	checkLineage(pl, e)
	checkWhoEffort(pl, e)
	checkBasket(pl, &tx, e.Basket)
}

// checkGates: a gate names a level it caps and a dimension level it asks
// for, both on the edition's scale, and gates on one dimension agree.
func checkGates(pl *problemList, e *Edition) {
	top := len(e.Levels)
	type key struct {
		dim   string
		level int
	}
	first := map[key]int{}
	for i, g := range e.Gates {
		at := fmt.Sprintf("gates[%d]", i)
		if g.Level < 2 || g.Level > top {
			pl.add(at+".level", "a gate keeps the overall level below this level, so it is between 2 and %d, the edition's top level (found %d)", top, g.Level)
		}
		if r := g.Requires; r.MinLevel < 2 || r.MinLevel > top {
			pl.add(at+".requires.min_level", "min_level is a level between 2 and %d (every dimension reaches level 1, so a gate asking for it never applies) (found %d)", top, r.MinLevel)
		}
		d := g.Requires.Dimension
		if d == "" {
			continue
		}
		if _, ok := e.Dimension(d); !ok {
			pl.add(at+".requires.dimension", "dimension %q is not defined under dimensions", d)
		}
		k := key{d, g.Level}
		if j, dup := first[k]; dup {
			pl.add(at, "gates[%d] already gates level %d on dimension %q; two gates for the same level and dimension contradict each other", j, g.Level, d)
			continue
		}
		first[k] = i
	}
	// A higher level that asks less of a dimension than a lower level does
	// never applies: reaching the higher level already passed the stricter gate.
	for i, g := range e.Gates {
		for j, h := range e.Gates {
			if i != j && g.Requires.Dimension == h.Requires.Dimension && h.Level > g.Level && h.Requires.MinLevel < g.Requires.MinLevel {
				pl.add(fmt.Sprintf("gates[%d].requires.min_level", j),
					"level %d asks for %q at level %d, less than gates[%d] asks for the lower level %d (%d); a higher overall level cannot require less of a dimension",
					h.Level, h.Requires.Dimension, h.Requires.MinLevel, i, g.Level, g.Requires.MinLevel)
			}
		}
	}
}

// checkLineage: previous is an older version, and replaces is used only
// when there is a previous edition to refer to. Whether the ids exist is
// checked once both editions are loaded (CheckPrevious).
func checkLineage(pl *problemList, e *Edition) {
	if e.Previous != "" && semver.IsValid("v"+e.Previous) && semver.IsValid("v"+e.Version) &&
		semver.Compare("v"+e.Previous, "v"+e.Version) >= 0 {
		pl.add("previous", "must be an older version than this edition's %s (found %s)", e.Version, e.Previous)
	}
	replaces := func(at string, ids []string) {
		unique(pl, at+".replaces", len(ids), func(i int) string { return ids[i] })
		if len(ids) > 0 && e.Previous == "" {
			pl.add(at+".replaces", "replaces refers to the previous edition, but this edition names none; add previous: VERSION at the top")
		}
	}
	for d := range e.Dimensions {
		dim := &e.Dimensions[d]
		at := fmt.Sprintf("dimensions[%d]", d)
		replaces(at, dim.Replaces)
		for i := range dim.Indicators {
			replaces(fmt.Sprintf("%s.indicators[%d]", at, i), dim.Indicators[i].Replaces)
		}
	}
}

// checkWhoEffort: who acts and the effort are optional, but an edition
// that says them for one recommendation says them for all, so a reader
// never has to guess whether a missing one means "unknown".
func checkWhoEffort(pl *problemList, e *Edition) {
	type rec struct {
		at string
		r  *Recommendation
	}
	var all []rec
	who, effort := 0, 0
	for d := range e.Dimensions {
		for i := range e.Dimensions[d].Indicators {
			ind := &e.Dimensions[d].Indicators[i]
			for k := range ind.Recommendations {
				r := &ind.Recommendations[k]
				all = append(all, rec{fmt.Sprintf("dimensions[%d].indicators[%d].recommendations[%d]", d, i, k), r})
				if r.Who != "" {
					who++
				}
				if r.Effort != "" {
					effort++
				}
			}
		}
	}
	for _, x := range all {
		if who > 0 && who < len(all) && x.r.Who == "" {
			pl.add(x.at+".who", "is missing: other recommendations of this edition say who acts (agency, government, regulator or partners), so every one must")
		}
		if effort > 0 && effort < len(all) && x.r.Effort == "" {
			pl.add(x.at+".effort", "is missing: other recommendations of this edition give an effort (low, medium or high), so every one must")
		}
	}
}

// CheckPrevious checks e's replaces against prev, the edition e names as
// previous: every id it replaces exists there, and an id that exists in
// both editions is declared as continued (otherwise a trend would silently
// compare two different questions). Problems are located in e's file.
func CheckPrevious(e, prev *Edition) error {
	pl := &problemList{file: e.file, root: e.root}
	if prev.ID != e.ID || prev.Version != e.Previous {
		pl.add("previous", "names %s@%s, but was checked against %s", e.ID, e.Previous, prev.Key())
		return pl.list
	}
	for d := range e.Dimensions {
		dim := &e.Dimensions[d]
		at := fmt.Sprintf("dimensions[%d]", d)
		for i, id := range dim.Replaces {
			if _, ok := prev.Dimension(id); !ok {
				pl.add(fmt.Sprintf("%s.replaces[%d]", at, i), "%s has no dimension %q", prev.Key(), id)
			}
		}
		if _, ok := prev.Dimension(dim.ID); ok && !slices.Contains(dim.Replaces, dim.ID) {
			pl.add(at+".id", "dimension %q also exists in %s; list it under replaces if this one continues it, or choose a new id", dim.ID, prev.Key())
		}
		for i := range dim.Indicators {
			ind := &dim.Indicators[i]
			iat := fmt.Sprintf("%s.indicators[%d]", at, i)
			for k, id := range ind.Replaces {
				if _, _, ok := prev.Indicator(id); !ok {
					pl.add(fmt.Sprintf("%s.replaces[%d]", iat, k), "%s has no indicator %q", prev.Key(), id)
				}
			}
			if _, _, ok := prev.Indicator(ind.ID); ok && !slices.Contains(ind.Replaces, ind.ID) {
				pl.add(iat+".id", "indicator %q also exists in %s; list it under replaces if this one continues it, or choose a new id", ind.ID, prev.Key())
			}
		}
	}
	if len(pl.list) > 0 {
		return pl.list
	}
	return nil
}

// checkScope: a country-scope indicator is answered once for every service
// of a country, so it cannot depend on one service's answer.
func checkScope(pl *problemList, at string, ind *Indicator, earlier map[string]*Indicator) {
	c := ind.Condition
	if !ind.CountryScoped() || c == nil {
		return
	}
	if target, ok := earlier[c.Indicator]; ok && !target.CountryScoped() {
		pl.add(at+".condition.indicator", "a scope: country indicator is answered once per country, so its condition must point at another scope: country indicator, not at %q, which is answered per service", c.Indicator)
	}
}

// checkBasket: unique ids, titles in every language, and each service
// category in at most one basket service, so a service counts once.
func checkBasket(pl *problemList, tx *texts, basket []BasketService) {
	unique(pl, "basket", len(basket), func(i int) string { return basket[i].ID })
	owner := map[string]string{}
	for i, b := range basket {
		at := fmt.Sprintf("basket[%d]", i)
		tx.check(at+".title", b.Title)
		for j, cat := range b.Categories {
			if first, dup := owner[cat]; dup {
				pl.add(fmt.Sprintf("%s.categories[%d]", at, j), "category %q is already in %s; a category maps to one basket service", cat, first)
				continue
			}
			owner[cat] = at
		}
	}
}

// checkLevels requires levels 1..L in order whose lower bounds start at 0
// and rise strictly below 100, so that every score falls in exactly one band.
func checkLevels(pl *problemList, tx *texts, levels []Level) {
	for i, lv := range levels {
		at := fmt.Sprintf("levels[%d]", i)
		tx.check(at+".label", lv.Label)
		tx.check(at+".description", lv.Description)
		if lv.Level != i+1 {
			pl.add(at+".level", "levels must be numbered 1, 2, 3… in order; expected %d, found %d", i+1, lv.Level)
		}
		switch {
		case i == 0 && lv.Min != 0:
			pl.add(at+".min", "the first level must start at 0 so that every score has a level (found %v)", lv.Min)
		case i > 0 && lv.Min <= levels[i-1].Min:
			pl.add(at+".min", "thresholds must rise: %v is not above the previous level's %v", lv.Min, levels[i-1].Min)
		case lv.Min >= 100:
			pl.add(at+".min", "a level must start below 100 (found %v)", lv.Min)
		}
	}
}

func checkIndicator(pl *problemList, tx *texts, at string, ind *Indicator, scaleLevels int) {
	tx.check(at+".question", ind.Question)
	tx.check(at+".help", ind.Help)
	unique(pl, at+".options", len(ind.Options), func(i int) string { return ind.Options[i].ID })
	for i, o := range ind.Options {
		tx.check(fmt.Sprintf("%s.options[%d].label", at, i), o.Label)
	}
	for i, r := range ind.Recommendations {
		tx.check(fmt.Sprintf("%s.recommendations[%d].text", at, i), r.Text)
	}
	if ind.Scored() && ind.Weight <= 0 {
		pl.add(at+".weight", "a scored indicator needs a positive weight (found %v)", ind.Weight)
	}
	if ind.Type != TypeNumber && len(ind.Bands) > 0 {
		pl.add(at+".bands", "only number indicators have bands")
	}
	switch ind.Type {
	case TypeLevel:
		checkLevelOptions(pl, at, ind)
		checkRecommendations(pl, at, ind, len(ind.Options), true)
	case TypeChecklist:
		checkChecklist(pl, at, ind)
		checkRecommendations(pl, at, ind, scaleLevels, false)
	case TypeYesNo:
		ids := make([]string, len(ind.Options))
		for i, o := range ind.Options {
			ids[i] = o.ID
			if o.Level != 0 || o.Score != nil || o.Exclusive {
				pl.add(fmt.Sprintf("%s.options[%d]", at, i), "yes/no options take only an id and a label (yes scores 100, no scores 0)")
			}
		}
		slices.Sort(ids)
		if !slices.Equal(ids, []string{"no", "yes"}) {
			pl.add(at+".options", "a yesno indicator has exactly two options, with ids yes and no (found %s)", quoteList(ids))
		}
		checkRecommendations(pl, at, ind, scaleLevels, false)
	case TypeNumber:
		if len(ind.Options) > 0 {
			pl.add(at+".options", "a number indicator has bands, not options")
		}
		if len(ind.Bands) == 0 {
			pl.add(at+".bands", "a number indicator needs at least one band {min, score}")
		}
		for i := 1; i < len(ind.Bands); i++ {
			b, prev := ind.Bands[i], ind.Bands[i-1]
			if b.Min <= prev.Min {
				pl.add(fmt.Sprintf("%s.bands[%d].min", at, i), "band minimums must rise: %v is not above %v", b.Min, prev.Min)
			}
			if b.Score < prev.Score {
				pl.add(fmt.Sprintf("%s.bands[%d].score", at, i), "band scores must not fall as values rise: %v is below %v", b.Score, prev.Score)
			}
		}
		checkRecommendations(pl, at, ind, scaleLevels, false)
	case TypeText:
		if len(ind.Options) > 0 {
			pl.add(at+".options", "a text indicator has no options")
		}
		if ind.Weight != 0 {
			pl.add(at+".weight", "a text indicator is not scored; remove its weight")
		}
		if ind.NotApplicable {
			pl.add(at+".not_applicable", "a text indicator is never required, so not_applicable does not apply")
		}
		if len(ind.Recommendations) > 0 {
			pl.add(at+".recommendations", "a text indicator is not scored, so it has no recommendations")
		}
	}
}

// checkLevelOptions requires one option per level 1..n (n ≥ 2) and explicit
// scores that never fall as the level rises, so a better answer never
// scores lower.
func checkLevelOptions(pl *problemList, at string, ind *Indicator) {
	n := len(ind.Options)
	if n < 2 {
		pl.add(at+".options", "a level indicator needs at least two options, one per level (found %d)", n)
		return
	}
	byLevel := map[int]int{}
	for i, o := range ind.Options {
		oat := fmt.Sprintf("%s.options[%d]", at, i)
		if o.Exclusive {
			pl.add(oat+".exclusive", "only checklist items can be exclusive")
		}
		if o.Level < 1 || o.Level > n {
			pl.add(oat+".level", "level must be between 1 and %d, the number of options (found %d)", n, o.Level)
			continue
		}
		if j, dup := byLevel[o.Level]; dup {
			pl.add(oat+".level", "level %d is already used by options[%d]; each level has one option", o.Level, j)
			continue
		}
		byLevel[o.Level] = i
	}
	prev := -1.0
	for k := 1; k <= n; k++ {
		if _, ok := byLevel[k]; !ok {
			return // already reported above
		}
		s, _ := ind.LevelScore(k)
		if s < prev {
			pl.add(fmt.Sprintf("%s.options[%d].score", at, byLevel[k]), "scores must not fall as the level rises: level %d scores %v, below level %d's %v", k, s, k-1, prev)
		}
		prev = s
	}
}

func checkChecklist(pl *problemList, at string, ind *Indicator) {
	exclusive, items := 0, 0
	for i, o := range ind.Options {
		oat := fmt.Sprintf("%s.options[%d]", at, i)
		if o.Level != 0 || o.Score != nil {
			pl.add(oat, "checklist items take no level or score: the score is the share of items selected")
		}
		if o.Exclusive {
			exclusive++
		} else {
			items++
		}
	}
	if items == 0 {
		pl.add(at+".options", "a checklist needs at least one item that is not exclusive")
	}
	if exclusive > 1 {
		pl.add(at+".options", "a checklist has at most one exclusive \"none of these\" item (found %d)", exclusive)
	}
}

// checkRecommendations: a level indicator advises how to leave each level
// below the top, and may advise how to sustain and share the top level;
// other scored types need at least one piece of advice.
func checkRecommendations(pl *problemList, at string, ind *Indicator, top int, everyLevel bool) {
	have := map[int]bool{}
	for i, r := range ind.Recommendations {
		rat := fmt.Sprintf("%s.recommendations[%d].level", at, i)
		switch {
		case r.Level < 1 || r.Level > top:
			pl.add(rat, "a recommendation is advice for an answer at its level, so its level is between 1 and %d (found %d)", top, r.Level)
		case have[r.Level]:
			pl.add(rat, "level %d already has a recommendation", r.Level)
		}
		have[r.Level] = true
	}
	if everyLevel {
		var missing []string
		for k := 1; k < top; k++ {
			if !have[k] {
				missing = append(missing, fmt.Sprint(k))
			}
		}
		if len(missing) > 0 {
			pl.add(at+".recommendations", "missing the recommendation for moving up from level %s", strings.Join(missing, ", "))
		}
	} else if len(ind.Recommendations) == 0 {
		pl.add(at+".recommendations", "needs at least one recommendation for moving up")
	}
}

// checkCondition: a condition may only look back, at an indicator with
// options, and name options that exist; this keeps visibility computable in
// one pass and free of cycles.
func checkCondition(pl *problemList, at string, ind *Indicator, earlier map[string]*Indicator) {
	c := ind.Condition
	if c == nil || c.Indicator == "" {
		return
	}
	target, ok := earlier[c.Indicator]
	if !ok {
		pl.add(at+".condition.indicator", "condition points at %q, which is not an earlier indicator (conditions may only refer to indicators above them)", c.Indicator)
		return
	}
	if len(target.Options) == 0 {
		pl.add(at+".condition.indicator", "condition points at %q, a %s indicator without options", c.Indicator, target.Type)
		return
	}
	for i, id := range c.In {
		if _, ok := target.Option(id); !ok {
			pl.add(fmt.Sprintf("%s.condition.in[%d]", at, i), "indicator %q has no option %q", c.Indicator, id)
		}
	}
}

func checkReference(pl *problemList, r *Reference) {
	tx := texts{pl: pl, langs: r.Languages}
	unique(pl, "languages", len(r.Languages), func(i int) string { return r.Languages[i] })
	tx.check("source.title", r.Source.Title)
	for i, al := range r.ActionLines {
		at := fmt.Sprintf("action_lines[%d]", i)
		if want := fmt.Sprintf("C%d", i+1); i < 11 && al.ID != want {
			pl.add(at+".id", "action lines are listed C1 to C11 in order; expected %s, found %q", want, al.ID)
		}
		tx.check(at+".title", al.Title)
		tx.check(at+".summary", al.Summary)
	}
	unique(pl, "action_lines", len(r.ActionLines), func(i int) string { return r.ActionLines[i].ID })
	unique(pl, "topics", len(r.Topics), func(i int) string { return r.Topics[i].ID })
	for i, t := range r.Topics {
		at := fmt.Sprintf("topics[%d]", i)
		tx.check(at+".title", t.Title)
		tx.check(at+".summary", t.Summary)
		for j, n := range t.Notes {
			tx.check(fmt.Sprintf("%s.notes[%d].text", at, j), n.Text)
		}
		for j, f := range t.Facts {
			fat := fmt.Sprintf("%s.facts[%d]", at, j)
			tx.check(fat+".title", f.Title)
			tx.check(fat+".text", f.Text)
			tx.check(fat+".place", f.Place)
			if f.End != "" && f.End < f.Date {
				pl.add(fat+".end", "ends (%s) before it starts (%s)", f.End, f.Date)
			}
		}
	}
}

// texts checks that each text has every declared language and no other.
type texts struct {
	pl    *problemList
	langs []string
}

func (tx *texts) check(at string, t Text) {
	if len(t) == 0 {
		return // absence is the validator's concern (required or optional)
	}
	var missing, extra []string
	for _, l := range tx.langs {
		if strings.TrimSpace(t[l]) == "" {
			missing = append(missing, l)
		}
	}
	for l := range t {
		if !slices.Contains(tx.langs, l) {
			extra = append(extra, l)
		}
	}
	if len(missing) > 0 {
		tx.pl.add(at, "text missing in %s (the edition declares languages %s)", quoteList(missing), quoteList(tx.langs))
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		tx.pl.add(at, "text in %s, which the file does not declare under languages", quoteList(extra))
	}
}

// unique reports each repeated id in a list.
func unique(pl *problemList, at string, n int, id func(int) string) {
	first := map[string]int{}
	for i := 0; i < n; i++ {
		v := id(i)
		if v == "" {
			continue
		}
		if j, dup := first[v]; dup {
			pl.add(fmt.Sprintf("%s[%d]", at, i), "%q is used twice (first at %s[%d]); ids must be unique", v, at, j)
			continue
		}
		first[v] = i
	}
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
