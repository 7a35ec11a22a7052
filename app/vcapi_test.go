package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments/card"
)

// postVCAPI sends a VC-API verify request and returns the status and answer.
func postVCAPI(t *testing.T, a *testApp, vc []byte) (int, card.VerificationResult) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"verifiableCredential": json.RawMessage(vc), "options": map[string]any{"checks": []string{"proof"}}})
	resp, err := http.Post(a.server()+"/credentials/verify", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r card.VerificationResult
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("the answer is not a VC-API verification result: %v", err)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Set-Cookie") != "" {
		t.Errorf("POST /credentials/verify must be open to other sites and set no cookie: %v", resp.Header)
	}
	return resp.StatusCode, r
}

// TestCredentialsVerify: the VC-API verifier says whether a proof is valid
// for this instance's cards and for anyone's did:key credential, and keeps
// whether the issuer is trusted a separate answer.
func TestCredentialsVerify(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	_, data := issued(t, a, p, "Business licences")

	status, r := postVCAPI(t, a, data)
	if status != http.StatusOK || !r.Verified || len(r.Errors) != 0 {
		t.Fatalf("own card: %d %+v", status, r)
	}
	for _, c := range []string{"proof", "validity", "credentialStatus", "issuer"} {
		if !slices.Contains(r.Checks, c) {
			t.Errorf("own card: check %q missing from %v", c, r.Checks)
		}
	}

	// Someone else's credential, issued with a did:key: the proof is valid,
	// the issuer is not one this instance trusts.
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	vc, err := card.IssueCredential([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],`+
		`"issuer":"`+card.DIDKey(pub)+`","credentialSubject":{"id":"did:example:alice","name":"Alice"}}`), key, card.DIDKeyMethod(pub), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	status, r = postVCAPI(t, a, vc)
	if status != http.StatusOK || !r.Verified || slices.Contains(r.Checks, "issuer") || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0].Detail, "not an issuer this instance trusts") {
		t.Fatalf("did:key credential: %d %+v", status, r)
	}

	// A changed claim breaks the proof: 400, same shape.
	status, r = postVCAPI(t, a, bytes.Replace(vc, []byte("Alice"), []byte("Mallory"), 1))
	if status != http.StatusBadRequest || r.Verified || len(r.Errors) == 0 || r.Errors[0].Title != "proof" {
		t.Fatalf("tampered credential: %d %+v", status, r)
	}
	// A proof past its expires is refused.
	expired, _ := card.Sign([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"`+card.DIDKey(pub)+
		`","credentialSubject":{"id":"did:example:alice"}}`), key, card.DIDKeyMethod(pub), time.Now())
	var m map[string]any
	json.Unmarshal(expired, &m)
	proof := m["proof"].(map[string]any)
	delete(proof, "proofValue")
	delete(m, "proof")
	proof["expires"] = time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	if status, r = postVCAPI(t, a, resignWithProof(t, m, proof, key)); status != http.StatusBadRequest || !strings.Contains(r.Errors[0].Detail, "expired") {
		t.Fatalf("expired proof: %d %+v", status, r)
	}
}

// resignWithProof signs doc under the given proof options (the same
// eddsa-jcs-2022 hashing as card.Sign, with extra options such as expires).
func resignWithProof(t *testing.T, doc, proof map[string]any, key ed25519.PrivateKey) []byte {
	t.Helper()
	raw, _ := json.Marshal(doc)
	opts, _ := json.Marshal(proof)
	out, err := card.SignWithOptions(raw, opts, key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTrustResourcesShareable: what a third party fetches to check a card
// is readable from any origin, sets no cookie, and a card or status list
// comes as application/vc.
func TestTrustResourcesShareable(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id, _ := issued(t, a, p, "Import permits")
	for _, path := range []string{"/.well-known/did.json", card.ContextPath, "/status/1", "/api/v1/cards/" + id,
		"/api/v1/cards/" + id + "?download=1", "/api/v1/cards/" + id + "/tlog-proof", "/api/v1/log", "/api/v1/log/checkpoint"} {
		req, _ := http.NewRequest(http.MethodGet, a.server()+path, nil)
		req.Header.Set("Origin", "http://elsewhere.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "*" || len(resp.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("%s: %d, Allow-Origin %q, Set-Cookie %q", path, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Values("Set-Cookie"))
		}
		if (path == "/status/1" || strings.HasPrefix(path, "/api/v1/cards/"+id) && !strings.HasSuffix(path, "tlog-proof")) && resp.Header.Get("Content-Type") != "application/vc" {
			t.Errorf("%s: Content-Type %q, want application/vc", path, resp.Header.Get("Content-Type"))
		}
		if strings.HasSuffix(path, "download=1") && !strings.Contains(resp.Header.Get("Content-Disposition"), ".json") {
			t.Errorf("the download keeps a .json name: %q", resp.Header.Get("Content-Disposition"))
		}
	}
}

// TestVerifyAcceptsWhatTheSpecsAllow: the verify page's checks take a
// string issuer, a proof set of one proof, no validUntil and no status
// entry, and refuse a proof past its expires.
func TestVerifyAcceptsWhatTheSpecsAllow(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	_, good := issued(t, a, p, "Land registry")
	plain := resign(t, a, good, func(m map[string]any) {
		m["issuer"] = m["issuer"].(map[string]any)["id"]
		delete(m, "validUntil")
		delete(m, "credentialStatus")
	})
	var m map[string]any
	json.Unmarshal(plain, &m)
	m["proof"] = []any{m["proof"]}
	set, _ := json.Marshal(m)
	_, checks := verifyChecks(t, a, set)
	for _, c := range []string{card.CheckSignature, card.CheckIssuer, card.CheckValidity, card.CheckRevocation} {
		if !checks[c] {
			t.Errorf("check %s failed for a string issuer, a proof set of one, no validUntil, no status: %v", c, checks)
		}
	}
	json.Unmarshal(good, &m)
	proof := m["proof"].(map[string]any)
	delete(m, "proof")
	delete(proof, "proofValue")
	proof["expires"] = time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	if _, checks := verifyChecks(t, a, resignWithProof(t, m, proof, a.s.issuer.Keys.Active().Private)); checks[card.CheckSignature] {
		t.Errorf("a proof past its expires passed: %v", checks)
	}
}
