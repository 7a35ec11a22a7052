package frameworks

import (
	"maps"
	"reflect"
	"slices"
)

// Kinds of change between two editions.
const (
	ChangeAdded         = "added"         // a new dimension or indicator
	ChangeRemoved       = "removed"       // nothing continues it
	ChangeSplit         = "split"         // one older indicator became several
	ChangeMerged        = "merged"        // several older ones became one
	ChangeRenamed       = "renamed"       // continued under a new id
	ChangeReworded      = "reworded"      // its texts changed
	ChangeRescaled      = "rescaled"      // its type, options, scores or bands changed
	ChangeWeight        = "weight"        // its weight changed
	ChangeApplicability = "applicability" // "not applicable" or its condition changed
	ChangeGateAdded     = "gate-added"
	ChangeGateRemoved   = "gate-removed"
)

// Items a change is about.
const (
	ItemDimension = "dimension"
	ItemIndicator = "indicator"
	ItemGate      = "gate"
)

// Change is one entry of the changelog between two editions. ID is the
// newer edition's id, except for removed and split items, where it is the
// older id (To then lists the newer ids of a split). Title is the newer
// dimension title or indicator question (the older one when removed).
type Change struct {
	Kind      string
	Item      string
	ID        string
	From      []string
	To        []string
	Title     Text
	OldWeight float64
	NewWeight float64
	Gate      *Gate
}

// Changes lists what changed from old to new, as new's replaces declare:
// added, removed, split, merged and renamed items, reworded or rescaled
// ones, weight and applicability changes, and gates added or removed. It
// is pure: the framework page renders it in each language of the edition.
// Dimensions and their indicators come in the newer edition's order, then
// removed items in the older edition's order, then gates.
//
// Texts are compared as the pinned editions have them: an overlay adds a
// language, which is no change of the edition; titles come from the
// editions as given, with their overlays, for the reader's language.
func Changes(old, new *Edition) []Change {
	if old.Key() == new.Key() {
		return nil
	}
	out := changes(old.Pinned(), new.Pinned())
	for i := range out {
		c := &out[i]
		from := new
		if c.Kind == ChangeRemoved || c.Kind == ChangeSplit {
			from = old
		}
		switch c.Item {
		case ItemDimension:
			if d, ok := from.Dimension(c.ID); ok {
				c.Title = d.Title
			}
		case ItemIndicator:
			if ind, _, ok := from.Indicator(c.ID); ok {
				c.Title = ind.Question
			}
		}
	}
	return out
}

func changes(old, new *Edition) []Change {
	var out []Change
	dims := map[string]Link{}
	inds := map[string]Link{}
	var oldDims, oldInds []string
	for _, d := range old.Dimensions {
		oldDims = append(oldDims, d.ID)
		for _, ind := range d.Indicators {
			oldInds = append(oldInds, ind.ID)
		}
	}
	removedDims := link(dims, replacesOf(new, true), oldDims)
	removedInds := link(inds, replacesOf(new, false), oldInds)
	splitDone := map[string]bool{}
	for d := range new.Dimensions {
		dim := &new.Dimensions[d]
		l := dims[dim.ID]
		if l.Kind == LinkSplit {
			if o := l.From[0]; !splitDone["dimension "+o] {
				splitDone["dimension "+o] = true
				od, _ := old.Dimension(o)
				out = append(out, Change{Kind: ChangeSplit, Item: ItemDimension, ID: o, To: continuingDims(dims, o, new), Title: od.Title})
			}
		}
		out = append(out, linkChange(ItemDimension, l, dim.Title)...)
		if l.Comparable() {
			od, _ := old.Dimension(l.From[0])
			if !reflect.DeepEqual(od.Title, dim.Title) || !reflect.DeepEqual(od.Description, dim.Description) {
				out = append(out, Change{Kind: ChangeReworded, Item: ItemDimension, ID: dim.ID, Title: dim.Title})
			}
			if od.Weight != dim.Weight {
				out = append(out, Change{Kind: ChangeWeight, Item: ItemDimension, ID: dim.ID, Title: dim.Title, OldWeight: od.Weight, NewWeight: dim.Weight})
			}
		}
		for i := range dim.Indicators {
			ind := &dim.Indicators[i]
			l := inds[ind.ID]
			if l.Kind == LinkSplit {
				if o := l.From[0]; !splitDone[o] {
					splitDone[o] = true // indicator ids never look like "dimension X"
					oi, _, _ := old.Indicator(o)
					out = append(out, Change{Kind: ChangeSplit, Item: ItemIndicator, ID: o, To: continuing(inds, o, new), Title: oi.Question})
				}
				continue
			}
			out = append(out, linkChange(ItemIndicator, l, ind.Question)...)
			if l.Comparable() {
				oi, _, _ := old.Indicator(l.From[0])
				out = append(out, indicatorChanges(oi, ind)...)
			}
		}
	}
	for _, id := range removedDims {
		od, _ := old.Dimension(id)
		out = append(out, Change{Kind: ChangeRemoved, Item: ItemDimension, ID: id, Title: od.Title})
	}
	for _, id := range removedInds {
		oi, _, _ := old.Indicator(id)
		out = append(out, Change{Kind: ChangeRemoved, Item: ItemIndicator, ID: id, Title: oi.Question})
	}
	for i := range new.Gates {
		if !slices.Contains(old.Gates, new.Gates[i]) {
			out = append(out, Change{Kind: ChangeGateAdded, Item: ItemGate, Gate: &new.Gates[i]})
		}
	}
	for i := range old.Gates {
		if !slices.Contains(new.Gates, old.Gates[i]) {
			out = append(out, Change{Kind: ChangeGateRemoved, Item: ItemGate, Gate: &old.Gates[i]})
		}
	}
	return out
}

// linkChange is the added, merged or renamed entry of one item.
func linkChange(item string, l Link, title Text) []Change {
	switch l.Kind {
	case LinkAdded:
		return []Change{{Kind: ChangeAdded, Item: item, ID: l.ID, Title: title}}
	case LinkMerged:
		return []Change{{Kind: ChangeMerged, Item: item, ID: l.ID, From: l.From, Title: title}}
	case LinkRenamed:
		return []Change{{Kind: ChangeRenamed, Item: item, ID: l.ID, From: l.From, Title: title}}
	}
	return nil
}

// continuing lists, in the newer edition's order, the indicators that
// continue the older indicator id.
func continuing(inds map[string]Link, id string, new *Edition) []string {
	var out []string
	for _, d := range new.Dimensions {
		for _, ind := range d.Indicators {
			if slices.Contains(inds[ind.ID].From, id) {
				out = append(out, ind.ID)
			}
		}
	}
	return out
}

// continuingDims lists the dimensions that continue the older dimension id.
func continuingDims(dims map[string]Link, id string, new *Edition) []string {
	var out []string
	for _, d := range new.Dimensions {
		if slices.Contains(dims[d.ID].From, id) {
			out = append(out, d.ID)
		}
	}
	return out
}

// indicatorChanges compares an indicator with the one it continues.
func indicatorChanges(o, n *Indicator) []Change {
	var out []Change
	add := func(kind string) {
		out = append(out, Change{Kind: kind, Item: ItemIndicator, ID: n.ID, Title: n.Question, OldWeight: o.Weight, NewWeight: n.Weight})
	}
	labels := func(ind *Indicator) []Text {
		var ts []Text
		for _, op := range ind.Options {
			ts = append(ts, op.Label)
		}
		return ts
	}
	if !maps.Equal(o.Question, n.Question) || !maps.Equal(o.Help, n.Help) || !reflect.DeepEqual(labels(o), labels(n)) {
		add(ChangeReworded)
	}
	type scale struct {
		id    string
		level int
		score *float64
		excl  bool
	}
	scales := func(ind *Indicator) []scale {
		var ss []scale
		for _, op := range ind.Options {
			ss = append(ss, scale{op.ID, op.Level, op.Score, op.Exclusive})
		}
		return ss
	}
	if o.Type != n.Type || !reflect.DeepEqual(scales(o), scales(n)) || !slices.Equal(o.Bands, n.Bands) {
		add(ChangeRescaled)
	}
	if o.Weight != n.Weight {
		add(ChangeWeight)
	}
	if o.NotApplicable != n.NotApplicable || !reflect.DeepEqual(o.Condition, n.Condition) {
		add(ChangeApplicability)
	}
	return out
}
