package card

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// DIDWeb derives the did:web identifier of an instance from its base URL:
// did:web:HOST, with a port encoded as %3A.
func DIDWeb(baseURL string) (string, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("card: base URL %q has no host", baseURL)
	}
	return "did:web:" + strings.ReplaceAll(u.Host, ":", "%3A"), nil
}

// DIDDocument is the part of a DID document that verification needs.
type DIDDocument struct {
	Context            []string             `json:"@context"`
	ID                 string               `json:"id"`
	VerificationMethod []VerificationMethod `json:"verificationMethod"`
	AssertionMethod    []string             `json:"assertionMethod"`
}

// VerificationMethod is a Multikey public key of a DID.
type VerificationMethod struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	Controller         string `json:"controller"`
	PublicKeyMultibase string `json:"publicKeyMultibase"`
}

// NewDIDDocument lists every issuer key, retired ones included, as
// absolute Multikey verification methods in assertionMethod.
func NewDIDDocument(did string, keys []Key) DIDDocument {
	doc := DIDDocument{
		Context: []string{"https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"},
		ID:      did,
	}
	for _, k := range keys {
		id := did + "#" + k.ID
		doc.VerificationMethod = append(doc.VerificationMethod, VerificationMethod{ID: id, Type: "Multikey", Controller: did, PublicKeyMultibase: PublicKeyMultibase(k.Public())})
		doc.AssertionMethod = append(doc.AssertionMethod, id)
	}
	return doc
}

// ParseDIDDocument reads a pinned DID document, as another instance
// publishes it at /.well-known/did.json.
func ParseDIDDocument(data []byte) (*DIDDocument, error) {
	var doc DIDDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("card: DID document: %w", err)
	}
	if !strings.HasPrefix(doc.ID, "did:") {
		return nil, errors.New("card: DID document has no did: id")
	}
	return &doc, nil
}

// AssertionKey returns the public key of a verification method that the
// document lists for assertions. Relative references (#key-1) are refused:
// standard verifiers reject them, so cards never use them.
func (d *DIDDocument) AssertionKey(vm string) (ed25519.PublicKey, error) {
	return d.assertionKey(vm, nil)
}

// assertionKey is AssertionKey with the key parsed through cache.
func (d *DIDDocument) assertionKey(vm string, cache *Cache) (ed25519.PublicKey, error) {
	if !strings.HasPrefix(vm, d.ID+"#") {
		return nil, fmt.Errorf("verification method %q does not belong to %s", vm, d.ID)
	}
	listed := false
	for _, a := range d.AssertionMethod {
		listed = listed || a == vm
	}
	if !listed {
		return nil, fmt.Errorf("%s is not an assertion method of %s", vm, d.ID)
	}
	for _, m := range d.VerificationMethod {
		if m.ID == vm && m.Controller == d.ID {
			if m.Type != "Multikey" {
				return nil, fmt.Errorf("%s is a %s, not a Multikey", vm, m.Type)
			}
			return cache.publicKey(m.PublicKeyMultibase)
		}
	}
	return nil, fmt.Errorf("%s has no verification method %q", d.ID, vm)
}
