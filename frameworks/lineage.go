package frameworks

import (
	"slices"
)

// How an item of a newer edition relates to an older one, as its replaces
// declare (composed along the chain of previous editions).
const (
	LinkSame    = "same"    // continues exactly one item of the same id, which nothing else continues
	LinkRenamed = "renamed" // the same, under a new id
	LinkSplit   = "split"   // continues one item that other new items also continue
	LinkMerged  = "merged"  // continues several items
	LinkAdded   = "added"   // continues nothing
)

// Link is how one dimension or indicator of a newer edition continues the
// older edition's. Only same and renamed items can be compared across the
// two: a split or merged item measures something else than before.
type Link struct {
	ID   string   // in the newer edition
	From []string // ids in the older edition, in the order declared
	Kind string
}

// Comparable reports whether a score of the item can be compared with the
// older edition's score of From[0].
func (l Link) Comparable() bool { return l.Kind == LinkSame || l.Kind == LinkRenamed }

// Mapping relates a newer edition to an older one of the same framework,
// for trends and "change since last year" across editions.
type Mapping struct {
	Old, New   *Edition
	Dimensions map[string]Link // by the newer edition's ids
	Indicators map[string]Link
	// Ids of the older edition that nothing in the newer one continues.
	RemovedDimensions, RemovedIndicators []string
}

// Dimension returns how the newer edition's dimension id relates to the
// older edition.
func (m *Mapping) Dimension(id string) Link { return m.Dimensions[id] }

// Indicator returns how the newer edition's indicator id relates to the
// older edition.
func (m *Mapping) Indicator(id string) Link { return m.Indicators[id] }

// Identity reports whether the two editions are the same one.
func (m *Mapping) Identity() bool { return m.Old == m.New }

// OverallComparable reports whether overall scores of the two editions can
// be compared: every dimension continues exactly one older dimension and
// none is added or removed. (Indicators may change within a dimension;
// the changelog says how.)
func (m *Mapping) OverallComparable() bool {
	if len(m.RemovedDimensions) > 0 {
		return false
	}
	for _, l := range m.Dimensions {
		if !l.Comparable() {
			return false
		}
	}
	return true
}

// Mapping relates the newer edition to an older one it descends from
// through previous, composing each step's replaces; false when old is not
// an ancestor of (or the same as) new in the catalog.
func (c *Catalog) Mapping(old, new *Edition) (*Mapping, bool) {
	if old.ID != new.ID {
		return nil, false
	}
	// Each step maps the newer edition's ids to sets of older ids.
	dims := map[string][]string{}
	inds := map[string][]string{}
	for _, d := range new.Dimensions {
		dims[d.ID] = []string{d.ID}
		for _, ind := range d.Indicators {
			inds[ind.ID] = []string{ind.ID}
		}
	}
	for cur := new; cur != old; {
		prev, ok := c.Previous(cur)
		if !ok {
			return nil, false
		}
		dims = compose(dims, replacesOf(cur, true))
		inds = compose(inds, replacesOf(cur, false))
		cur = prev
	}
	m := &Mapping{Old: old, New: new, Dimensions: map[string]Link{}, Indicators: map[string]Link{}}
	var oldDims, oldInds []string
	for _, d := range old.Dimensions {
		oldDims = append(oldDims, d.ID)
		for _, ind := range d.Indicators {
			oldInds = append(oldInds, ind.ID)
		}
	}
	m.RemovedDimensions = link(m.Dimensions, dims, oldDims)
	m.RemovedIndicators = link(m.Indicators, inds, oldInds)
	return m, true
}

// replacesOf maps an edition's dimension or indicator ids to what they
// replace in its previous edition.
func replacesOf(e *Edition, dimensions bool) map[string][]string {
	out := map[string][]string{}
	for _, d := range e.Dimensions {
		if dimensions {
			out[d.ID] = d.Replaces
			continue
		}
		for _, ind := range d.Indicators {
			out[ind.ID] = ind.Replaces
		}
	}
	return out
}

// compose follows each id's current older ids one edition further back.
func compose(rel map[string][]string, step map[string][]string) map[string][]string {
	out := make(map[string][]string, len(rel))
	for id, mids := range rel {
		var olds []string
		for _, mid := range mids {
			for _, o := range step[mid] {
				if !slices.Contains(olds, o) {
					olds = append(olds, o)
				}
			}
		}
		out[id] = olds
	}
	return out
}

// link classifies each newer id by its older ids and returns the older ids
// that nothing continues, in the older edition's order.
func link(into map[string]Link, rel map[string][]string, olds []string) (removed []string) {
	continuedBy := map[string]int{}
	for _, froms := range rel {
		for _, o := range froms {
			continuedBy[o]++
		}
	}
	for id, froms := range rel {
		l := Link{ID: id, From: froms}
		switch {
		case len(froms) == 0:
			l.Kind = LinkAdded
		case len(froms) > 1:
			l.Kind = LinkMerged
		case continuedBy[froms[0]] > 1:
			l.Kind = LinkSplit
		case froms[0] == id:
			l.Kind = LinkSame
		default:
			l.Kind = LinkRenamed
		}
		into[id] = l
	}
	for _, o := range olds {
		if continuedBy[o] == 0 {
			removed = append(removed, o)
		}
	}
	return removed
}
