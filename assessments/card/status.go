package card

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// StatusListSize is the number of entries of a status list: the minimum
// that Bitstring Status List v1.0 allows, which hides any one card among
// 131,072.
const StatusListSize = 131072

// Bitstring is a status list's bits; bit 0 is the most significant bit of
// byte 0, as the specification numbers them.
type Bitstring []byte

// NewBitstring returns an all-clear list.
func NewBitstring() Bitstring { return make(Bitstring, StatusListSize/8) }

// Set sets the bit of index i.
func (b Bitstring) Set(i int) { b[i/8] |= 0x80 >> (i % 8) }

// Get reports the bit of index i.
func (b Bitstring) Get(i int) bool { return i >= 0 && i/8 < len(b) && b[i/8]&(0x80>>(i%8)) != 0 }

// Encode is the encodedList form: multibase "u" + base64url (no padding)
// of the GZIP of the bits.
func (b Bitstring) Encode() (string, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// DecodeBitstring reverses Encode and refuses lists shorter than the
// minimum size.
func DecodeBitstring(s string) (Bitstring, error) {
	if len(s) < 2 || s[0] != 'u' {
		return nil, errors.New("card: encodedList is not multibase base64url")
	}
	z, err := base64.RawURLEncoding.DecodeString(s[1:])
	if err != nil {
		return nil, fmt.Errorf("card: encodedList: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, fmt.Errorf("card: encodedList: %w", err)
	}
	// Bound what a hostile list may expand to.
	bits, err := io.ReadAll(io.LimitReader(zr, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("card: encodedList: %w", err)
	}
	if len(bits)*8 < StatusListSize {
		return nil, fmt.Errorf("card: status list has %d entries; the minimum is %d", len(bits)*8, StatusListSize)
	}
	return Bitstring(bits), nil
}

// StatusListCredential is a signed Bitstring Status List.
type StatusListCredential struct {
	Context           []string          `json:"@context"`
	ID                string            `json:"id"`
	Type              []string          `json:"type"`
	Issuer            Issuer            `json:"issuer"`
	ValidFrom         string            `json:"validFrom"`
	CredentialSubject StatusListSubject `json:"credentialSubject"`
}

// StatusListSubject carries the encoded bits.
type StatusListSubject struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	StatusPurpose string `json:"statusPurpose"`
	EncodedList   string `json:"encodedList"`
}

// IssueStatusList signs a revocation status list with the issuer key.
func IssueStatusList(url string, bits Bitstring, issuer Issuer, key Key, now time.Time) ([]byte, error) {
	enc, err := bits.Encode()
	if err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Second)
	c := StatusListCredential{
		Context:   []string{CredentialsV2},
		ID:        url,
		Type:      []string{"VerifiableCredential", "BitstringStatusListCredential"},
		Issuer:    issuer,
		ValidFrom: now.Format(time.RFC3339),
		CredentialSubject: StatusListSubject{
			ID: url + "#list", Type: "BitstringStatusList", StatusPurpose: "revocation", EncodedList: enc,
		},
	}
	unsigned, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return Sign(unsigned, key.Private, issuer.ID+"#"+key.ID, now)
}

// IssueStatusListFor signs a status list of any purpose for an issuer
// named by its DID alone (a string issuer, as a did:key issuer has).
func IssueStatusListFor(url, purpose string, bits Bitstring, did string, key ed25519.PrivateKey, vm string, now time.Time) ([]byte, error) {
	enc, err := bits.Encode()
	if err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Second)
	unsigned, err := json.Marshal(map[string]any{
		"@context": []string{CredentialsV2}, "id": url,
		"type": []string{"VerifiableCredential", "BitstringStatusListCredential"}, "issuer": did,
		"validFrom":         now.Format(time.RFC3339),
		"credentialSubject": StatusListSubject{ID: url + "#list", Type: "BitstringStatusList", StatusPurpose: purpose, EncodedList: enc},
	})
	if err != nil {
		return nil, err
	}
	return Sign(unsigned, key, vm, now)
}
