package card

import (
	"crypto/ed25519"
	"fmt"
	"strings"
)

// DIDKey is the did:key identifier of an Ed25519 public key: the key
// itself, so it needs no document to be fetched. The conformance server
// issues with one; any verifier resolves it offline.
func DIDKey(pub ed25519.PublicKey) string { return "did:key:" + PublicKeyMultibase(pub) }

// DIDKeyMethod is the verification method of a did:key: the DID, "#" and
// the key again (W3C did:key, Ed25519 Multikey).
func DIDKeyMethod(pub ed25519.PublicKey) string {
	mb := PublicKeyMultibase(pub)
	return "did:key:" + mb + "#" + mb
}

// ResolveDIDKey returns the public key a did:key verification method names.
func ResolveDIDKey(vm string) (ed25519.PublicKey, error) {
	did, fragment, ok := strings.Cut(vm, "#")
	mb, isKey := strings.CutPrefix(did, "did:key:")
	if !ok || !isKey || fragment != mb {
		return nil, fmt.Errorf("%q is not a did:key verification method", vm)
	}
	return ParsePublicKeyMultibase(mb)
}
