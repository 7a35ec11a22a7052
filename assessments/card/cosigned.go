package card

import (
	"fmt"
	"slices"

	tdnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// Cosigners returns the names of the witnesses, among those given by
// their cosignature/v1 verifier keys, whose cosignatures on a checkpoint
// verify, in name order. The log's own signature is checked too: a
// cosignature on a note the log did not sign counts for nothing.
func Cosigners(checkpoint, logKey string, witnessKeys []string) ([]string, error) {
	logV, err := note.NewVerifier(logKey)
	if err != nil {
		return nil, fmt.Errorf("log key: %w", err)
	}
	vs := []note.Verifier{logV}
	witness := map[uint32]string{}
	for _, k := range witnessKeys {
		v, err := tdnote.NewVerifierForCosignatureV1(k)
		if err != nil {
			continue // a peer without a usable witness key cosigns nothing
		}
		if v.Name() == logV.Name() && v.KeyHash() == logV.KeyHash() || witness[v.KeyHash()] == v.Name() {
			continue // the log itself, or a witness listed twice
		}
		vs = append(vs, v)
		witness[v.KeyHash()] = v.Name()
	}
	n, err := note.Open([]byte(checkpoint), note.VerifierList(vs...))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	logSigned := false
	var names []string
	for _, s := range n.Sigs {
		if s.Name == logV.Name() && s.Hash == logV.KeyHash() {
			logSigned = true
			continue
		}
		if name, ok := witness[s.Hash]; ok && name == s.Name && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if !logSigned {
		return nil, fmt.Errorf("checkpoint: not signed by the log key %s", logV.Name())
	}
	slices.Sort(names)
	return names, nil
}
