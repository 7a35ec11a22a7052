package card_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/gowebpki/jcs"
	"github.com/unescap/dmf/assessments/card"
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

// FuzzVerifyCredential feeds arbitrary bytes to the VC-API verifier, as a
// credential and as a presentation: it must never panic (hostile JSON-LD
// reaches RDF canonicalisation), and a credential it verifies must be the
// genuine card, proof intact.
func FuzzVerifyCredential(f *testing.F) {
	signed, v := fixture(f)
	f.Add(signed)
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"],"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-rdfc-2022","proofPurpose":"authentication","proofValue":"z1"}}`))
	want, _ := jcs.Transform(signed)
	cv := &card.CredentialVerifier{Now: v.Now, ResolveDIDWeb: func(vm string) (ed25519.PublicKey, error) {
		for _, doc := range v.Trusted {
			return doc.AssertionKey(vm)
		}
		return nil, errors.New("no DID")
	}}
	f.Fuzz(func(t *testing.T, data []byte) {
		if r := cv.VerifyCredential(data); r.Verified {
			if got, err := jcs.Transform(data); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("a credential other than the genuine one verified:\n%s", data)
			}
		}
		cv.VerifyPresentation(data, "", "")
	})
}
