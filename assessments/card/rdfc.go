package card

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/mr-tron/base58"
	"github.com/piprate/json-gold/ld"
)

// CryptosuiteRDFC is the eddsa-rdfc-2022 cryptosuite: Ed25519 over the RDF
// Dataset Canonicalization of the document. DMF signs with eddsa-jcs-2022
// only; it verifies eddsa-rdfc-2022 for what others send it (the W3C
// suites sign presentations with it).
const CryptosuiteRDFC = "eddsa-rdfc-2022"

// credentialsV2Context is the base context, the copy that Digital Bazaar's
// @digitalbazaar/credentials-context 3.2.0 ships (W3C Software and
// Document License): RDF canonicalisation expands with it, and never
// fetches it.
//
//go:embed credentials-v2.jsonld
var credentialsV2Context []byte

// staticLoader serves the contexts RDFC verification knows, and refuses
// every other URL: verification never goes to the network.
type staticLoader map[string]any

func (l staticLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	doc, ok := l[u]
	if !ok {
		return nil, ld.NewJsonLdError(ld.LoadingDocumentFailed, "context not known here: "+u)
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

func newStaticLoader() (staticLoader, error) {
	v2, err := ld.DocumentFromReader(bytes.NewReader(credentialsV2Context))
	if err != nil {
		return nil, err
	}
	// The examples context of VC Data Model 2.0, whole: one @vocab.
	examples := map[string]any{"@context": map[string]any{"@vocab": "https://www.w3.org/ns/credentials/examples#"}}
	return staticLoader{CredentialsV2: v2, "https://www.w3.org/ns/credentials/examples/v2": examples}, nil
}

// canonizeRDF is the RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD
// document.
func canonizeRDF(doc map[string]json.RawMessage) ([]byte, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	loader, err := newStaticLoader()
	if err != nil {
		return nil, err
	}
	opts := ld.NewJsonLdOptions("")
	opts.Algorithm = ld.AlgorithmURDNA2015
	opts.Format = "application/n-quads"
	opts.DocumentLoader = loader
	opts.SafeMode = true // a term no context defines is an error, not silently dropped
	out, err := ld.NewJsonLdProcessor().Normalize(v, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: RDF canonicalisation: %v", ErrMalformed, err)
	}
	s, _ := out.(string)
	return []byte(s), nil
}

// verifyRDFC checks an eddsa-rdfc-2022 proof (given apart from the
// document, proofValue included) with the key resolve returns.
func verifyRDFC(doc map[string]json.RawMessage, rawProof json.RawMessage, resolve func(vm string) (ed25519.PublicKey, error)) (*Proof, error) {
	var p Proof
	var config map[string]json.RawMessage
	if json.Unmarshal(rawProof, &p) != nil || json.Unmarshal(rawProof, &config) != nil {
		return nil, fmt.Errorf("%w: the proof is not an object of the expected shape", ErrNoProof)
	}
	if p.Type != ProofType || p.Cryptosuite != CryptosuiteRDFC {
		return nil, fmt.Errorf("%w (found type %q, cryptosuite %q)", ErrNoProof, p.Type, p.Cryptosuite)
	}
	sig, err := base58.Decode(trimMultibase(p.ProofValue))
	if err != nil || len(sig) != ed25519.SignatureSize || p.ProofValue[0] != 'z' {
		return nil, fmt.Errorf("%w: proofValue is not a base58btc Ed25519 signature", ErrSignature)
	}
	pub, err := resolve(p.VerificationMethod)
	if err != nil {
		return nil, err
	}
	delete(config, "proofValue")
	config["@context"] = doc["@context"]
	configCanon, err := canonizeRDF(config)
	if err != nil {
		return nil, err
	}
	docCanon, err := canonizeRDF(doc)
	if err != nil {
		return nil, err
	}
	ph, dh := sha256.Sum256(configCanon), sha256.Sum256(docCanon)
	if !ed25519.Verify(pub, append(ph[:], dh[:]...), sig) {
		return nil, ErrSignature
	}
	return &p, nil
}
