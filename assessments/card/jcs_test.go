package card

import (
	"bytes"
	"testing"

	"github.com/gowebpki/jcs"
)

// FuzzCanonicalJSON holds canonicalJSON to an independent RFC 8785
// implementation: where gowebpki/jcs canonicalises a text, ours gives the
// same bytes, and where it refuses one, ours does too.
func FuzzCanonicalJSON(f *testing.F) {
	for _, seed := range []string{
		`{"b":[1,2.5,-0,1e21,1e-7,0.000001],"a":{"é":"\u00e9","\u20ac":"€","":null},"c":true}`,
		`[56,{"d":true,"10":null,"1":[]}]`,
		`{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`,
		`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001]}`,
		`{"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"}`,
		`{"a":1,"a":2}`, `"\ud800"`, `1e400`, `-1E+309`, `1e-400`, `{"a":}`, `[1,]`, "\"\xff\"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, werr := jcs.Transform(data)
		got, err := canonicalJSON(data)
		switch {
		case werr == nil && err != nil:
			t.Fatalf("%q: refused (%v), canonical for gowebpki/jcs: %s", data, err, want)
		case werr != nil && err == nil:
			t.Fatalf("%q: canonical %s, refused by gowebpki/jcs (%v)", data, got, werr)
		case err == nil && !bytes.Equal(got, want):
			t.Fatalf("%q: canonical\n%s\nwant\n%s", data, got, want)
		}
	})
}
