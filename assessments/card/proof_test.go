package card_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/mr-tron/base58"
	"github.com/unescap/dmf/assessments/card"
)

type vector struct {
	PublicKeyMultibase  string          `json:"publicKeyMultibase"`
	PrivateKeyMultibase string          `json:"privateKeyMultibase"`
	Unsigned            json.RawMessage `json:"unsigned"`
	CanonDocJCS         string          `json:"canonDocJCS"`
	Created             string          `json:"created"`
	DocHashJCS          string          `json:"docHashJCS"`
	Proofs              []struct {
		VerificationMethod string `json:"verificationMethod"`
		ProofCanonJCS      string `json:"proofCanonJCS"`
		ProofHashJCS       string `json:"proofHashJCS"`
		CombinedHashJCS    string `json:"combinedHashJCS"`
		SigHexJCS          string `json:"sigHexJCS"`
		ProofValue         string `json:"proofValue"`
	} `json:"proofs"`
}

func loadVector(t *testing.T) vector {
	t.Helper()
	raw, err := os.ReadFile("testdata/w3c-eddsa-jcs-2022.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestW3CVector reproduces the W3C vc-di-eddsa eddsa-jcs-2022 test vector
// byte for byte: key, canonical document, both hashes and the proofValue.
func TestW3CVector(t *testing.T) {
	v := loadVector(t)
	priv, err := card.ParsePrivateKeyMultibase(v.PrivateKeyMultibase)
	if err != nil {
		t.Fatal(err)
	}
	if got := card.PublicKeyMultibase(priv.Public().(ed25519.PublicKey)); got != v.PublicKeyMultibase {
		t.Fatalf("public key %s, want %s", got, v.PublicKeyMultibase)
	}
	canon, _ := jcs.Transform(v.Unsigned)
	if string(canon) != v.CanonDocJCS {
		t.Fatalf("canonical document:\n%s\nwant\n%s", canon, v.CanonDocJCS)
	}
	if h := sha256.Sum256(canon); hex.EncodeToString(h[:]) != v.DocHashJCS {
		t.Errorf("docHash %x, want %s", h, v.DocHashJCS)
	}
	created, _ := time.Parse(time.RFC3339, v.Created)
	for _, want := range v.Proofs {
		signed, err := card.Sign(v.Unsigned, priv, want.VerificationMethod, created)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Proof map[string]json.RawMessage }
		json.Unmarshal(signed, &doc)
		var pv string
		json.Unmarshal(doc.Proof["proofValue"], &pv)
		delete(doc.Proof, "proofValue")
		config, _ := json.Marshal(doc.Proof)
		configCanon, _ := jcs.Transform(config)
		ph, dh := sha256.Sum256(configCanon), sha256.Sum256(canon)
		if want.ProofCanonJCS != "" && string(configCanon) != want.ProofCanonJCS {
			t.Errorf("proof config:\n%s\nwant\n%s", configCanon, want.ProofCanonJCS)
		}
		if want.ProofHashJCS != "" && hex.EncodeToString(ph[:]) != want.ProofHashJCS {
			t.Errorf("proofHash %x, want %s", ph, want.ProofHashJCS)
		}
		if want.CombinedHashJCS != "" && hex.EncodeToString(append(ph[:], dh[:]...)) != want.CombinedHashJCS {
			t.Errorf("combined hash differs")
		}
		sig, _ := base58.Decode(pv[1:])
		if want.SigHexJCS != "" && hex.EncodeToString(sig) != want.SigHexJCS {
			t.Errorf("signature %x, want %s", sig, want.SigHexJCS)
		}
		if pv != want.ProofValue {
			t.Errorf("%s: proofValue %s, want %s", want.VerificationMethod, pv, want.ProofValue)
		}
		resolve := func(vm string) (ed25519.PublicKey, error) {
			if vm != want.VerificationMethod {
				return nil, errors.New("unknown key")
			}
			return card.ParsePublicKeyMultibase(v.PublicKeyMultibase)
		}
		if _, err := card.VerifyProof(signed, resolve); err != nil {
			t.Errorf("verify own signature: %v", err)
		}
	}
}

func TestVerifyProofRejects(t *testing.T) {
	v := loadVector(t)
	priv, _ := card.ParsePrivateKeyMultibase(v.PrivateKeyMultibase)
	signed, _ := card.Sign(v.Unsigned, priv, v.Proofs[1].VerificationMethod, time.Now())
	resolve := func(string) (ed25519.PublicKey, error) { return priv.Public().(ed25519.PublicKey), nil }
	_, other, _ := ed25519.GenerateKey(nil)
	cases := map[string]struct {
		doc  string
		want error
	}{
		"changed value":     {strings.Replace(string(signed), "The School of Examples", "The School of Forgeries", 1), card.ErrSignature},
		"duplicate key":     {strings.Replace(string(signed), `"name":"Alumni Credential"`, `"name":"Alumni Credential","name":"Other"`, 1), card.ErrMalformed},
		"no proof":          {string(v.Unsigned), card.ErrNoProof},
		"garbage":           {"not json at all", card.ErrMalformed},
		"array":             {"[1,2]", card.ErrMalformed},
		"context reordered": {strings.Replace(string(signed), `"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],"credentialSubject"`, `"@context":["https://www.w3.org/ns/credentials/examples/v2","https://www.w3.org/ns/credentials/v2"],"credentialSubject"`, 1), card.ErrContext},
		"wrong suite":       {strings.Replace(string(signed), `"eddsa-jcs-2022"`, `"eddsa-rdfc-2022"`, 1), card.ErrNoProof},
	}
	for name, tc := range cases {
		if _, err := card.VerifyProof([]byte(tc.doc), resolve); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	foreign, _ := card.Sign(v.Unsigned, other, v.Proofs[1].VerificationMethod, time.Now())
	if _, err := card.VerifyProof(foreign, resolve); !errors.Is(err, card.ErrSignature) {
		t.Errorf("foreign key: %v", err)
	}
	// Key order and whitespace do not matter.
	var m map[string]any
	json.Unmarshal(signed, &m)
	pretty, _ := json.MarshalIndent(m, "", "    ")
	if _, err := card.VerifyProof(pretty, resolve); err != nil {
		t.Errorf("re-formatted: %v", err)
	}
}

// TestIssuedCardIsCanonical: Issue returns the card in its canonical form,
// so that its log leaf is the hash of the bytes issued (the store relies
// on it to skip one canonicalisation per card).
func TestIssuedCardIsCanonical(t *testing.T) {
	signed, _ := fixture(t)
	leaf, err := card.LeafData(signed)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(signed); !bytes.Equal(sum[:], leaf) {
		t.Error("the issued card is not in canonical form")
	}
}
