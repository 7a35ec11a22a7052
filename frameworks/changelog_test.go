package frameworks_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/unescap/dmf/frameworks"
)

// TestChanges: the changelog from all-types 0.1.0 to 0.2.0 lists each
// change the newer file's header describes, in the newer edition's order.
func TestChanges(t *testing.T) {
	old := parseTestdata(t, "all-types.yaml")
	next := parseTestdata(t, "all-types-0.2.0.yaml")
	var got []string
	for _, c := range frameworks.Changes(old, next) {
		s := c.Kind + " " + c.Item + " " + c.ID
		if len(c.From) > 0 {
			s += " from " + strings.Join(c.From, ",")
		}
		if len(c.To) > 0 {
			s += " to " + strings.Join(c.To, ",")
		}
		if c.Kind == frameworks.ChangeWeight {
			s += fmt.Sprintf(" %v→%v", c.OldWeight, c.NewWeight)
		}
		if c.Gate != nil {
			s += fmt.Sprintf(" %d %s≥%d", c.Gate.Level, c.Gate.Requires.Dimension, c.Gate.Requires.MinLevel)
		}
		if c.Item != frameworks.ItemGate && c.Title.In("ru") == "" {
			t.Errorf("%s has no Russian title", s)
		}
		got = append(got, s)
	}
	want := []string{
		"weight dimension A 2→3",
		"weight indicator A.1 2→1",
		"split indicator A.2 to A.2a,A.2b",
		"reworded indicator A.3",
		"renamed indicator A.5 from A.4",
		"merged indicator B.4 from B.1,B.3",
		"added dimension C",
		"added indicator C.1",
		"removed indicator B.2",
		"gate-added gate  5 A≥4",
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if cs := frameworks.Changes(old, old); len(cs) != 0 {
		t.Errorf("an edition changed from itself: %+v", cs)
	}
}

// TestMapping: links across one and two editions, and what cannot be
// compared.
func TestMapping(t *testing.T) {
	v1 := parseTestdata(t, "all-types.yaml")
	v2 := parseTestdata(t, "all-types-0.2.0.yaml")
	// 0.3.0 continues every 0.2.0 item under its own id, except A.5 → A.6.
	src := readTestdata(t, "all-types-0.2.0.yaml")
	src = strings.Replace(src, "version: 0.2.0\nprevious: 0.1.0", "version: 0.3.0\nprevious: 0.2.0", 1)
	src = regexp.MustCompile(`(?m)^(\s*)- id: (\S+)\n\s*replaces: \[[^\]]*\]\n`).ReplaceAllString(src, "$1- id: $2\n$1  replaces: [$2]\n")
	src = strings.Replace(src, "  - id: C\n", "  - id: C\n    replaces: [C]\n", 1)
	src = strings.Replace(src, "      - id: C.1\n", "      - id: C.1\n        replaces: [C.1]\n", 1)
	src = strings.Replace(src, "- id: A.5\n        replaces: [A.5]", "- id: A.6\n        replaces: [A.5]", 1)
	v3, err := frameworks.Parse("v3.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := frameworks.NewCatalog(v1, v2, v3)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := cat.Mapping(v1, v2)
	if !ok {
		t.Fatal("no mapping 0.1.0 → 0.2.0")
	}
	for id, want := range map[string]string{"A.1": "same", "A.2a": "split", "A.2b": "split", "A.3": "same", "A.5": "renamed", "B.4": "merged", "C.1": "added"} {
		if l := m.Indicator(id); l.Kind != want {
			t.Errorf("%s: %+v, want %s", id, l, want)
		}
	}
	if l := m.Indicator("A.5"); !l.Comparable() || !slices.Equal(l.From, []string{"A.4"}) {
		t.Errorf("A.5 = %+v, want comparable with A.4", l)
	}
	if m.Indicator("A.2a").Comparable() || m.Indicator("B.4").Comparable() || m.Indicator("C.1").Comparable() {
		t.Error("split, merged and added indicators are not comparable")
	}
	if !slices.Equal(m.RemovedIndicators, []string{"B.2"}) || len(m.RemovedDimensions) != 0 {
		t.Errorf("removed: %v %v", m.RemovedIndicators, m.RemovedDimensions)
	}
	if m.Dimension("A").Kind != frameworks.LinkSame || m.Dimension("C").Kind != frameworks.LinkAdded || m.OverallComparable() {
		t.Errorf("dimensions: A %+v, C %+v, overall comparable %v", m.Dimension("A"), m.Dimension("C"), m.OverallComparable())
	}

	m13, ok := cat.Mapping(v1, v3)
	if !ok {
		t.Fatal("no mapping 0.1.0 → 0.3.0")
	}
	if l := m13.Indicator("A.6"); l.Kind != frameworks.LinkRenamed || !slices.Equal(l.From, []string{"A.4"}) {
		t.Errorf("A.6 across two editions = %+v, want renamed from A.4", l)
	}
	if l := m13.Indicator("B.4"); l.Kind != frameworks.LinkMerged {
		t.Errorf("B.4 across two editions = %+v", l)
	}
	if m23, _ := cat.Mapping(v2, v3); !m23.OverallComparable() || m23.Indicator("C.1").Kind != frameworks.LinkSame {
		t.Errorf("0.2.0 → 0.3.0: overall comparable %v, C.1 %+v", m23.OverallComparable(), m23.Indicator("C.1"))
	}
	same, ok := cat.Mapping(v2, v2)
	if !ok || !same.Identity() || !same.OverallComparable() || same.Indicator("A.2a").Kind != frameworks.LinkSame {
		t.Errorf("identity mapping: %v %+v", ok, same)
	}
	if _, ok := cat.Mapping(v3, v1); ok {
		t.Error("a mapping backwards")
	}
}
