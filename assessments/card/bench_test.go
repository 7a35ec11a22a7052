package card_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments/card"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// memLog is an in-memory tlog, enough to make real inclusion proofs.
type memLog map[int64]tlog.Hash

func (m memLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}

// fixture issues a card with a status list and a one-entry log, and
// returns a verifier that checks all six things offline.
func fixture(tb testing.TB) ([]byte, *card.Verifier) { return fixtureCached(tb, false) }

// fixtureCached is fixture, with the verifier's cache set as the app sets it.
func fixtureCached(tb testing.TB, cached bool) ([]byte, *card.Verifier) {
	tb.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key := card.Key{ID: "key-2026-1", Private: priv}
	did := "did:web:dmf.example"
	iss := card.Issuer{ID: did, Name: "Bench"}
	c := card.Card{
		ID: "https://dmf.example/cards/1", Name: card.Texts{{Value: "Digital maturity business card", Language: "en"}}, Issuer: iss,
		CredentialSubject: card.Subject{ID: "https://dmf.example/services/1", Name: "VAT filing",
			Provider: card.Provider{Name: "Tax Committee", Country: "UZB"},
			Assessment: card.Assessment{ID: "https://dmf.example/assessments/1", Period: 2026, Submitted: "2026-11-01T00:00:00Z", Approved: "2026-11-02T00:00:00Z",
				Framework: card.Framework{Identifier: "escap-dmf-dps-sme", Version: "1.0.0"},
				Overall:   card.Score{Score: 57.5, Level: 3, Label: "Established"}}},
		RelatedResource:  []card.RelatedResource{{ID: "https://dmf.example/f", MediaType: "application/json", DigestSRI: "sha384-x"}},
		CredentialStatus: card.Status{ID: "https://dmf.example/status/1#7", Type: "BitstringStatusListEntry", StatusPurpose: "revocation", StatusListIndex: "7", StatusListCredential: "https://dmf.example/status/1"},
	}
	for i := 0; i < 7; i++ {
		c.CredentialSubject.Assessment.Dimensions = append(c.CredentialSubject.Assessment.Dimensions, card.Dimension{Dimension: fmt.Sprintf("D%d", i), Name: "Dimension", Score: 50, Level: 3, Label: "Established"})
	}
	signed, err := card.Issue(c, "https://dmf.example", key, did, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	list, err := card.IssueStatusList("https://dmf.example/status/1", card.NewBitstring(), iss, key, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	skey, vkey, _ := note.GenerateKey(rand.Reader, "dmf.example/cards-log")
	signer, _ := note.NewSigner(skey)
	leaf, _ := card.LeafData(signed)
	log := memLog{}
	hashes, _ := tlog.StoredHashes(0, leaf, log)
	for i, h := range hashes {
		log[int64(i)] = h
	}
	root, _ := tlog.TreeHash(1, log)
	cp, _ := note.Sign(&note.Note{Text: card.CheckpointBody("dmf.example/cards-log", 1, root)}, signer)
	rp, _ := tlog.ProveRecord(1, 0, log)
	proof := card.FormatProof(0, rp, string(cp))
	doc := card.NewDIDDocument(did, []card.Key{key})
	v := &card.Verifier{
		Trusted:    map[string]*card.DIDDocument{did: &doc},
		Now:        time.Now(),
		StatusList: func(string) ([]byte, error) { return list, nil },
		Inclusion: func(b []byte) (*card.ParsedProof, *card.Checkpoint, error) {
			return card.VerifyInclusion(b, proof, vkey)
		},
		FrameworkDigest: func(string, string) (string, bool) { return "sha384-x", true },
	}
	if cached {
		// As the app verifies: one cache for every verification, and the
		// leaf computed by Verify.
		v.Cache = &card.Cache{}
		v.LeafInclusion = func(leaf []byte) (*card.ParsedProof, *card.Checkpoint, error) {
			return card.VerifyLeafInclusion(leaf, proof, vkey, v.Cache)
		}
	}
	return signed, v
}

func TestFixtureVerifies(t *testing.T) {
	signed, v := fixture(t)
	if r := v.Verify(signed); !r.Valid {
		out, _ := json.Marshal(r)
		t.Fatalf("%s", out)
	}
}

// BenchmarkVerifyCard is one full offline verification: the card's proof,
// the status list's proof and bit, the log proof and checkpoint signature.
func BenchmarkVerifyCard(b *testing.B) {
	signed, v := fixtureCached(b, true)
	b.ReportAllocs()
	for b.Loop() {
		if r := v.Verify(signed); !r.Valid {
			b.Fatal("invalid")
		}
	}
}
