package card

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mr-tron/base58"
)

// Data Integrity proof constants (W3C VC Data Integrity 1.0, vc-di-eddsa).
const (
	ProofType    = "DataIntegrityProof"
	Cryptosuite  = "eddsa-jcs-2022"
	ProofPurpose = "assertionMethod"
)

// Errors of proof verification. A verifier reports which one failed.
var (
	ErrMalformed = errors.New("not a well-formed JSON credential")
	ErrNoProof   = errors.New("no eddsa-jcs-2022 Data Integrity proof")
	ErrContext   = errors.New("the document's @context does not start with the proof's @context")
	ErrSignature = errors.New("the signature does not match the document")
)

// Proof is the proof object of a secured document.
type Proof struct {
	Type               string          `json:"type"`
	Cryptosuite        string          `json:"cryptosuite"`
	Created            string          `json:"created"`
	Expires            string          `json:"expires,omitempty"`
	VerificationMethod string          `json:"verificationMethod"`
	ProofPurpose       string          `json:"proofPurpose"`
	Context            json.RawMessage `json:"@context,omitempty"`
	ProofValue         string          `json:"proofValue,omitempty"`
}

// Sign secures a JSON document with an eddsa-jcs-2022 Data Integrity
// proof made with key, named by the verification method vm. It returns the
// signed document as canonical (RFC 8785) JSON: these are the bytes to
// store and serve, never to be re-marshalled, so that what was signed is
// exactly what others verify.
func Sign(unsecured []byte, key ed25519.PrivateKey, vm string, created time.Time) ([]byte, error) {
	doc, docCanon, err := canonicalObject(unsecured)
	if err != nil {
		return nil, err
	}
	if _, ok := doc["proof"]; ok {
		return nil, errors.New("card: the document already has a proof")
	}
	p := Proof{Type: ProofType, Cryptosuite: Cryptosuite, Created: created.UTC().Format(time.RFC3339),
		VerificationMethod: vm, ProofPurpose: ProofPurpose, Context: doc["@context"]}
	config, err := fields(p)
	if err != nil {
		return nil, err
	}
	hash, err := hashCanonical(docCanon, config)
	if err != nil {
		return nil, err
	}
	config["proofValue"], _ = json.Marshal("z" + base58.Encode(ed25519.Sign(key, hash)))
	if doc["proof"], err = json.Marshal(config); err != nil {
		return nil, err
	}
	return canonical(doc)
}

// Verified is what a valid proof says about a document.
type Verified struct {
	Proof    Proof
	Document map[string]json.RawMessage // the secured document, without its proof
}

// VerifyProof checks a secured document's eddsa-jcs-2022 proof with the
// public key that resolve returns for the proof's verification method. It
// checks only the cryptography; trust in the key, dates and status are the
// caller's policy.
func VerifyProof(secured []byte, resolve func(vm string) (ed25519.PublicKey, error)) (*Verified, error) {
	return verifyProofPurpose(secured, ProofPurpose, resolve)
}

// verifyProofPurpose is VerifyProof for a proof of the given purpose
// (authentication, for a presentation).
func verifyProofPurpose(secured []byte, purpose string, resolve func(vm string) (ed25519.PublicKey, error)) (*Verified, error) {
	doc, err := object(secured)
	if err != nil {
		return nil, err
	}
	return verifyDocument(doc, purpose, resolve)
}

// verifyDocument is verifyProofPurpose for a document already read with
// object; it takes the proof out of doc.
func verifyDocument(doc map[string]json.RawMessage, purpose string, resolve func(vm string) (ed25519.PublicKey, error)) (*Verified, error) {
	rawProof, ok := doc["proof"]
	if !ok {
		return nil, ErrNoProof
	}
	delete(doc, "proof")
	var p Proof
	var config map[string]json.RawMessage // every member, also ones this package does not know
	if json.Unmarshal(rawProof, &p) != nil || json.Unmarshal(rawProof, &config) != nil {
		return nil, fmt.Errorf("%w: the proof is not an object of the expected shape", ErrNoProof)
	}
	if p.Type != ProofType || p.Cryptosuite != Cryptosuite {
		return nil, fmt.Errorf("%w (found type %q, cryptosuite %q)", ErrNoProof, p.Type, p.Cryptosuite)
	}
	if p.ProofPurpose != purpose {
		return nil, fmt.Errorf("%w: proof purpose %q, want %q", ErrNoProof, p.ProofPurpose, purpose)
	}
	// created is optional in Data Integrity; when present, and for
	// expires, it must be a date-time with a zone.
	for name, raw := range map[string]json.RawMessage{"created": config["created"], "expires": config["expires"]} {
		if _, has := config[name]; has {
			if _, err := parseDateTimeStamp(raw); err != nil {
				return nil, fmt.Errorf("%w: %s %s is not a date-time", ErrNoProof, name, raw)
			}
		}
	}
	sig, err := base58.Decode(trimMultibase(p.ProofValue))
	if err != nil || len(sig) != ed25519.SignatureSize || len(p.ProofValue) == 0 || p.ProofValue[0] != 'z' {
		return nil, fmt.Errorf("%w: proofValue is not a base58btc Ed25519 signature", ErrSignature)
	}
	if p.Context != nil {
		if err := contextPrefix(doc["@context"], p.Context); err != nil {
			return nil, err
		}
	}
	pub, err := resolve(p.VerificationMethod)
	if err != nil {
		return nil, err
	}
	delete(config, "proofValue")
	// The unsecured document takes the proof's @context (spec step); the
	// prefix check above makes that a no-op for honest documents.
	unsecured := make(map[string]json.RawMessage, len(doc))
	for k, v := range doc {
		unsecured[k] = v
	}
	if p.Context != nil {
		unsecured["@context"] = p.Context
	}
	hash, err := hashData(unsecured, config)
	if err != nil {
		return nil, err
	}
	if !ed25519.Verify(pub, hash, sig) {
		return nil, ErrSignature
	}
	return &Verified{Proof: p, Document: doc}, nil
}

// hashData is SHA-256(JCS(proof config)) || SHA-256(JCS(document)), the
// 64 bytes that eddsa-jcs-2022 signs, proof config first.
func hashData(doc, config map[string]json.RawMessage) ([]byte, error) {
	docCanon, err := canonical(doc)
	if err != nil {
		return nil, err
	}
	return hashCanonical(docCanon, config)
}

// hashCanonical is hashData for a document already canonical.
func hashCanonical(docCanon []byte, config map[string]json.RawMessage) ([]byte, error) {
	proofCanon, err := canonical(config)
	if err != nil {
		return nil, err
	}
	ph, dh := sha256.Sum256(proofCanon), sha256.Sum256(docCanon)
	return append(ph[:], dh[:]...), nil
}

// object parses a JSON object. Canonicalising first rejects what JCS
// rejects: invalid JSON, duplicate keys, lone surrogates, numbers beyond
// IEEE 754; a document that passes has exactly one meaning.
func object(data []byte) (map[string]json.RawMessage, error) {
	doc, _, err := canonicalObject(data)
	return doc, err
}

// canonicalObject is object that also returns the canonical form it
// checked, from which LeafData's hash is made.
func canonicalObject(data []byte) (map[string]json.RawMessage, []byte, error) {
	canon, err := canonicalJSON(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil || doc == nil {
		return nil, nil, fmt.Errorf("%w: the top level must be an object", ErrMalformed)
	}
	return doc, canon, nil
}

// fields turns a proof into its members.
func fields(p Proof) (map[string]json.RawMessage, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	return m, json.Unmarshal(raw, &m)
}

func canonical(doc map[string]json.RawMessage) ([]byte, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return canonicalJSON(raw)
}

// contextPrefix checks that the document's @context list starts with the
// proof's, item by item, in order.
func contextPrefix(docCtx, proofCtx json.RawMessage) error {
	var d, p []json.RawMessage
	if json.Unmarshal(docCtx, &d) != nil || json.Unmarshal(proofCtx, &p) != nil || len(p) > len(d) {
		return ErrContext
	}
	for i := range p {
		a, err1 := canonicalJSON(d[i])
		b, err2 := canonicalJSON(p[i])
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			return ErrContext
		}
	}
	return nil
}

func trimMultibase(s string) string {
	if len(s) > 0 {
		return s[1:]
	}
	return s
}

// SignWithOptions secures a document under proof options that already
// name the verification method and any extra option (expires, domain…);
// the options' @context, when absent, is the document's.
func SignWithOptions(unsecured, options []byte, key ed25519.PrivateKey) ([]byte, error) {
	doc, err := object(unsecured)
	if err != nil {
		return nil, err
	}
	config, err := object(options)
	if err != nil {
		return nil, err
	}
	if _, ok := config["@context"]; !ok {
		config["@context"] = doc["@context"]
	}
	hash, err := hashData(doc, config)
	if err != nil {
		return nil, err
	}
	config["proofValue"], _ = json.Marshal("z" + base58.Encode(ed25519.Sign(key, hash)))
	if doc["proof"], err = json.Marshal(config); err != nil {
		return nil, err
	}
	return canonical(doc)
}
