package card

import (
	"bytes"
	"crypto/ed25519"
	"errors"

	"github.com/mr-tron/base58"
)

// Multicodec headers of Ed25519 keys in Multikey form.
var (
	ed25519PubHeader  = []byte{0xed, 0x01}
	ed25519PrivHeader = []byte{0x80, 0x26}
)

// PublicKeyMultibase encodes an Ed25519 public key as a Multikey
// publicKeyMultibase ("z6Mk…").
func PublicKeyMultibase(pub ed25519.PublicKey) string {
	return "z" + base58.Encode(append(append([]byte{}, ed25519PubHeader...), pub...))
}

// ParsePublicKeyMultibase decodes a Multikey publicKeyMultibase.
func ParsePublicKeyMultibase(s string) (ed25519.PublicKey, error) {
	b, err := decodeMultibase(s, ed25519PubHeader, ed25519.PublicKeySize)
	return ed25519.PublicKey(b), err
}

// ParsePrivateKeyMultibase decodes a Multikey secretKeyMultibase ("z3u2…")
// holding an Ed25519 seed.
func ParsePrivateKeyMultibase(s string) (ed25519.PrivateKey, error) {
	seed, err := decodeMultibase(s, ed25519PrivHeader, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func decodeMultibase(s string, header []byte, size int) ([]byte, error) {
	if len(s) < 2 || s[0] != 'z' {
		return nil, errors.New("card: not a base58btc multibase value")
	}
	b, err := base58.Decode(s[1:])
	if err != nil || len(b) != len(header)+size || !bytes.Equal(b[:len(header)], header) {
		return nil, errors.New("card: not an Ed25519 Multikey")
	}
	return b[len(header):], nil
}
