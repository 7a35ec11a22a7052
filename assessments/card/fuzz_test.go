package card_test

import (
	"bytes"
	"testing"

	"github.com/gowebpki/jcs"
)

// FuzzVerify feeds arbitrary bytes to the card verifier: it must never
// panic, always report all six checks, and call a card valid only if it is
// the genuine card (the same canonical JSON). Seeds: testdata/fuzz/FuzzVerify.
func FuzzVerify(f *testing.F) {
	signed, v := fixture(f)
	f.Add(signed)
	want, _ := jcs.Transform(signed)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := v.Verify(data)
		if len(r.Checks) != 6 {
			t.Fatalf("%d checks", len(r.Checks))
		}
		if r.Valid {
			got, err := jcs.Transform(data)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("a card other than the genuine one verified:\n%s", data)
			}
		}
	})
}
