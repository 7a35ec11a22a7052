package frameworks

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/semver"
)

// DefaultID is the framework offered when a request names none: the DMF
// for digital public services for SMEs, which every instance carries.
const DefaultID = "escap-dmf-dps-sme"

// Catalog is the set of editions an instance knows, read-only after
// construction and safe for concurrent use.
type Catalog struct {
	editions []*Edition // by id, newest version first
	byKey    map[string]*Edition
}

// NewCatalog indexes editions; an id@version may appear only once.
func NewCatalog(eds ...*Edition) (*Catalog, error) {
	c := &Catalog{byKey: make(map[string]*Edition, len(eds))}
	for _, e := range eds {
		if _, dup := c.byKey[e.Key()]; dup {
			return nil, fmt.Errorf("frameworks: edition %s is defined twice", e.Key())
		}
		c.byKey[e.Key()] = e
		c.editions = append(c.editions, e)
	}
	slices.SortFunc(c.editions, func(a, b *Edition) int {
		if n := strings.Compare(a.ID, b.ID); n != 0 {
			return n
		}
		return semver.Compare("v"+b.Version, "v"+a.Version)
	})
	// An edition that continues another is checked against it here, where
	// both are known.
	var errs []error
	for _, e := range c.editions {
		if e.Previous == "" {
			continue
		}
		prev, ok := c.byKey[e.ID+"@"+e.Previous]
		if !ok {
			pl := &problemList{file: e.file, root: e.root}
			pl.add("previous", "edition %s@%s is not loaded; it must be present beside this one", e.ID, e.Previous)
			errs = append(errs, pl.list)
			continue
		}
		if err := CheckPrevious(e, prev); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// Previous returns the edition that e continues, if e names one and it is
// in the catalog.
func (c *Catalog) Previous(e *Edition) (*Edition, bool) {
	if e.Previous == "" {
		return nil, false
	}
	p, ok := c.byKey[e.ID+"@"+e.Previous]
	return p, ok
}

// Editions returns every edition, grouped by id, newest version first.
func (c *Catalog) Editions() []*Edition { return c.editions }

// Latest returns the newest version of each framework.
func (c *Catalog) Latest() []*Edition {
	var out []*Edition
	for _, e := range c.editions {
		if len(out) == 0 || out[len(out)-1].ID != e.ID {
			out = append(out, e)
		}
	}
	return out
}

// Edition returns the edition id@version, or the newest version of id when
// version is empty.
func (c *Catalog) Edition(id, version string) (*Edition, bool) {
	if version != "" {
		e, ok := c.byKey[id+"@"+version]
		return e, ok
	}
	for _, e := range c.editions {
		if e.ID == id {
			return e, true
		}
	}
	return nil, false
}

// Default returns the newest edition of the default framework.
func (c *Catalog) Default() (*Edition, bool) { return c.Edition(DefaultID, "") }

// Versions returns every version of id, newest first.
func (c *Catalog) Versions(id string) []*Edition {
	var out []*Edition
	for _, e := range c.editions {
		if e.ID == id {
			out = append(out, e)
		}
	}
	return out
}
