package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestConformanceServer: dmf conformance announces its issuer and URL in
// one JSON line, issues a credential with a status entry, verifies it,
// refuses what VC Data Model 2.0 forbids, and a status update makes the
// credential fail verification.
func TestConformanceServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"conformance", "-addr", "127.0.0.1:0"}, func(string) string { return "" }, nil, pw, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		go io.Copy(io.Discard, pr)
		if err := <-done; err != nil {
			t.Errorf("conformance server: %v", err)
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var hello struct {
		IssuerID string `json:"issuer_id"`
		BaseURL  string `json:"base_url"`
	}
	if err := json.Unmarshal([]byte(line), &hello); err != nil || !strings.HasPrefix(hello.IssuerID, "did:key:z6Mk") || !strings.HasPrefix(hello.BaseURL, "https://127.0.0.1:") {
		t.Fatalf("first line %q", line)
	}
	// The server's certificate is thrown away on exit; the suites accept any.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	post := func(path string, body any) (int, map[string]any) {
		t.Helper()
		raw, _ := json.Marshal(body)
		resp, err := client.Post(hello.BaseURL+path, "application/json", bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	credential := map[string]any{"@context": []string{"https://www.w3.org/ns/credentials/v2"}, "id": "urn:uuid:1f5c",
		"type": []string{"VerifiableCredential"}, "issuer": hello.IssuerID, "credentialSubject": map[string]any{"id": "did:example:alice"}}
	status, out := post("/credentials/issue", map[string]any{"credential": credential,
		"options": map[string]any{"credentialStatus": map[string]any{"type": "BitstringStatusListEntry"}}})
	vc := out["verifiableCredential"]
	if status != http.StatusCreated || vc == nil {
		t.Fatalf("issue: %d %v", status, out)
	}
	if status, out = post("/credentials/verify", map[string]any{"verifiableCredential": vc}); status != http.StatusOK || out["verified"] != true {
		t.Fatalf("verify: %d %v", status, out)
	}
	credential["issuer"] = "not a URL"
	if status, _ = post("/credentials/issue", map[string]any{"credential": credential}); status != http.StatusBadRequest {
		t.Errorf("a credential VC Data Model 2.0 forbids: %d", status)
	}
	if status, out = post("/credentials/status", map[string]any{"credentialId": "urn:uuid:1f5c",
		"credentialStatus": map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}); status != http.StatusOK {
		t.Fatalf("status update: %d %v", status, out)
	}
	if status, out = post("/credentials/verify", map[string]any{"verifiableCredential": vc}); status != http.StatusBadRequest || out["verified"] != false {
		t.Errorf("revoked credential: %d %v", status, out)
	}
}
