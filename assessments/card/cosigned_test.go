package card_test

import (
	"crypto/rand"
	"slices"
	"testing"

	tdnote "github.com/transparency-dev/formats/note"
	"github.com/unescap/dmf/assessments/card"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func witness(t *testing.T, name string) (note.Signer, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tdnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		t.Fatal(err)
	}
	cv, err := tdnote.VKeyToCosignatureV1(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, cv
}

// Cosigners counts the witnesses trusted by the caller whose cosignatures
// verify on a checkpoint the log signed, each once; unknown witnesses and
// a checkpoint the log did not sign count for nothing.
func TestCosigners(t *testing.T) {
	skey, vkey, _ := note.GenerateKey(rand.Reader, "a.example/cards-log")
	logSigner, _ := note.NewSigner(skey)
	w1, k1 := witness(t, "b.example/witness")
	w2, k2 := witness(t, "hub.example/witness")
	stranger, _ := witness(t, "stranger.example/witness")
	body := card.CheckpointBody("a.example/cards-log", 3, tlog.Hash{1})
	signed, err := note.Sign(&note.Note{Text: body}, logSigner, w1, w2, stranger)
	if err != nil {
		t.Fatal(err)
	}
	got, err := card.Cosigners(string(signed), vkey, []string{k2, k1, k1})
	if err != nil || !slices.Equal(got, []string{"b.example/witness", "hub.example/witness"}) {
		t.Errorf("cosigners %v, %v", got, err)
	}
	if got, err := card.Cosigners(string(signed), vkey, nil); err != nil || len(got) != 0 {
		t.Errorf("with no trusted witness: %v, %v", got, err)
	}
	onlyWitness, _ := note.Sign(&note.Note{Text: body}, w1)
	if _, err := card.Cosigners(string(onlyWitness), vkey, []string{k1}); err == nil {
		t.Error("a checkpoint the log did not sign was accepted")
	}
}
