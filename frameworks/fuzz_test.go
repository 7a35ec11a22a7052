package frameworks_test

import (
	"errors"
	"testing"

	"github.com/unescap/dmf/frameworks"
)

// FuzzParse feeds arbitrary bytes to the edition loader: it must return an
// edition or Problems, never panic, and an edition it accepts must have a
// digest and a consistent index. Seeds: testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		ed, err := frameworks.Parse("fuzz.yaml", data)
		if err != nil {
			var ps frameworks.Problems
			if !errors.As(err, &ps) && ed != nil {
				t.Fatalf("error %v with an edition", err)
			}
			return
		}
		if ed.Digest == "" || ed.DigestSRI() == "sha384-" {
			t.Fatal("accepted edition without a digest")
		}
		n := 0
		for _, d := range ed.Dimensions {
			for _, ind := range d.Indicators {
				if got, _, ok := ed.Indicator(ind.ID); !ok || got.ID != ind.ID {
					t.Fatalf("index lost %s", ind.ID)
				}
				n++
			}
		}
		if n != ed.IndicatorCount() {
			t.Fatalf("count %d, index %d", n, ed.IndicatorCount())
		}
	})
}
