package frameworks

import (
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
	return c, nil
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
