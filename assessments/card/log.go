package card

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ProofHeader starts a C2SP tlog-proof.
const ProofHeader = "c2sp.org/tlog-proof@v1"

// LeafData is what the log records for a card: the SHA-256 of the card's
// canonical (RFC 8785) form, so that any formatting of the same card finds
// the same entry.
func LeafData(signedCard []byte) ([]byte, error) {
	canon, err := canonicalJSON(signedCard)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	sum := sha256.Sum256(canon)
	return sum[:], nil
}

// CheckpointBody is a C2SP tlog-checkpoint body: origin, tree size and the
// base64 root hash, one per line.
func CheckpointBody(origin string, size int64, root tlog.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

// Checkpoint is a verified checkpoint.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	Note   string // the signed note as served
	// Cosigners are the witnesses trusted by the verifier whose
	// cosignatures on the checkpoint were checked (see Cosigners).
	Cosigners []string
}

// OpenCheckpoint verifies a signed checkpoint with the log's verifier key
// (in signed-note form) and reads it. Cosignatures of witnesses unknown to
// the verifier are allowed.
func OpenCheckpoint(signed, vkey string) (*Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("log key: %w", err)
	}
	n, err := note.Open([]byte(signed), note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("checkpoint signature: %w", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 || lines[0] != v.Name() {
		return nil, errors.New("checkpoint: origin does not match the log key's name")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return nil, errors.New("checkpoint: bad tree size")
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return nil, errors.New("checkpoint: bad root hash")
	}
	c := &Checkpoint{Origin: lines[0], Size: size, Note: signed}
	copy(c.Root[:], root)
	return c, nil
}

// FormatProof writes a C2SP tlog-proof: the entry's index, its inclusion
// proof from the leaf's sibling up, a blank line and the checkpoint.
func FormatProof(index int64, proof tlog.RecordProof, checkpoint string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nindex %d\n", ProofHeader, index)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n" + checkpoint)
	return b.String()
}

// ParsedProof is a tlog-proof's parts.
type ParsedProof struct {
	Index      int64
	Proof      tlog.RecordProof
	Checkpoint string
}

// ParseProof reads a C2SP tlog-proof.
func ParseProof(text string) (*ParsedProof, error) {
	head, checkpoint, ok := strings.Cut(text, "\n\n")
	if !ok {
		return nil, errors.New("tlog-proof: no blank line before the checkpoint")
	}
	sc := bufio.NewScanner(strings.NewReader(head))
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) < 2 || lines[0] != ProofHeader {
		return nil, errors.New("tlog-proof: missing the c2sp.org/tlog-proof@v1 header")
	}
	i := 1
	if strings.HasPrefix(lines[i], "extra ") {
		i++
	}
	idx, ok := strings.CutPrefix(lines[i], "index ")
	p := &ParsedProof{Checkpoint: checkpoint}
	var err error
	if p.Index, err = strconv.ParseInt(idx, 10, 64); !ok || err != nil || p.Index < 0 || (len(idx) > 1 && idx[0] == '0') {
		return nil, errors.New("tlog-proof: bad index line")
	}
	for _, l := range lines[i+1:] {
		h, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(h) != tlog.HashSize {
			return nil, errors.New("tlog-proof: bad proof hash")
		}
		var hash tlog.Hash
		copy(hash[:], h)
		p.Proof = append(p.Proof, hash)
	}
	return p, nil
}

// VerifyInclusion checks offline that a card is in the log: the proof's
// checkpoint is signed by the log key, and the inclusion proof leads from
// the card's leaf to the checkpoint's root.
func VerifyInclusion(signedCard []byte, proofText, vkey string) (*ParsedProof, *Checkpoint, error) {
	p, cp, err := openProof(proofText, vkey, nil)
	if err != nil {
		return nil, nil, err
	}
	leaf, err := LeafData(signedCard)
	if err != nil {
		return nil, nil, err
	}
	if err := checkInclusion(p, cp, leaf); err != nil {
		return nil, nil, err
	}
	return p, cp, nil
}

// VerifyLeafInclusion is VerifyInclusion for a card whose LeafData is
// known, with the checkpoint opened through cache (nil: no cache).
func VerifyLeafInclusion(leaf []byte, proofText, vkey string, cache *Cache) (*ParsedProof, *Checkpoint, error) {
	p, cp, err := openProof(proofText, vkey, cache)
	if err != nil {
		return nil, nil, err
	}
	if err := checkInclusion(p, cp, leaf); err != nil {
		return nil, nil, err
	}
	return p, cp, nil
}

// openProof parses a tlog-proof and verifies its checkpoint.
func openProof(proofText, vkey string, cache *Cache) (*ParsedProof, *Checkpoint, error) {
	p, err := ParseProof(proofText)
	if err != nil {
		return nil, nil, err
	}
	cp, err := cache.OpenCheckpoint(p.Checkpoint, vkey)
	if err != nil {
		return nil, nil, err
	}
	return p, cp, nil
}

// checkInclusion checks that the proof leads from leaf to the root.
func checkInclusion(p *ParsedProof, cp *Checkpoint, leaf []byte) error {
	if p.Index >= cp.Size {
		return fmt.Errorf("tlog-proof: index %d is outside the tree of size %d", p.Index, cp.Size)
	}
	if err := tlog.CheckRecord(p.Proof, cp.Size, cp.Root, p.Index, tlog.RecordHash(leaf)); err != nil {
		return fmt.Errorf("the inclusion proof does not lead to the checkpoint's root: %w", err)
	}
	return nil
}
