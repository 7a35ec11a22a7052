package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments/card"
)

// issued approves one assessment and returns its card's id and bytes.
func issued(t *testing.T, a *testApp, p *people, name string) (string, []byte) {
	t.Helper()
	id := a.approve(p.actorA, p.actorRev, name, 2026, func(i int) int { return 1 + i%5 }, true)
	rec, err := a.s.store.CardOf(context.Background(), p.actorA, id)
	if err != nil {
		t.Fatalf("no card after approval: %v", err)
	}
	return rec.ID, rec.Data
}

func TestCardIssuedOnApproval(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id, data := issued(t, a, p, "Company registration")
	anon := &api{t: t, base: a.server()}
	status, raw := anon.raw(http.MethodGet, "/api/v1/cards/"+id, nil)
	if status != http.StatusOK || !bytes.Equal(raw, data) {
		t.Fatalf("public card: %d; the served bytes must be the stored, signed bytes", status)
	}
	var c map[string]any
	json.Unmarshal(raw, &c)
	ctx := c["@context"].([]any)
	base := a.s.cfg.BaseURL
	if ctx[0] != card.CredentialsV2 || ctx[1] != base+card.ContextV2Path || fmt.Sprint(c["type"]) != "[VerifiableCredential DigitalMaturityCard]" {
		t.Errorf("context/type: %v %v", ctx, c["type"])
	}
	if c["id"] != base+"/cards/"+id {
		t.Errorf("id %v", c["id"])
	}
	issuer := c["issuer"].(map[string]any)
	if issuer["id"] != "did:web:127.0.0.1%3A0" {
		t.Errorf("issuer %v", issuer)
	}
	proof := c["proof"].(map[string]any)
	if proof["cryptosuite"] != "eddsa-jcs-2022" || !strings.HasPrefix(proof["verificationMethod"].(string), "did:web:127.0.0.1%3A0#key-") {
		t.Errorf("proof %v", proof)
	}
	subject := c["credentialSubject"].(map[string]any)
	assessment := subject["assessment"].(map[string]any)
	if len(assessment["dimensions"].([]any)) != 7 || assessment["overall"].(map[string]any)["label"] == "" {
		t.Errorf("assessment %v", assessment)
	}
	for _, k := range []string{"validFrom", "validUntil"} {
		if v := c[k].(string); !strings.HasSuffix(v, "Z") {
			t.Errorf("%s %q is not UTC Z", k, v)
		}
	}
	// The pinned edition: the digest covers exactly the served canonical bytes.
	rr := c["relatedResource"].([]any)[0].(map[string]any)
	resURL, _ := url.Parse(rr["id"].(string))
	status, canon := anon.raw(http.MethodGet, resURL.Path, nil)
	sum := sha512.Sum384(canon)
	if status != http.StatusOK || rr["digestSRI"] != "sha384-"+base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("relatedResource digest does not match %s (%d)", rr["id"], status)
	}
	// The DID document lists the key with an absolute id in assertionMethod.
	_, didRaw := anon.raw(http.MethodGet, "/.well-known/did.json", nil)
	doc, err := card.ParseDIDDocument(didRaw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := doc.AssertionKey(proof["verificationMethod"].(string)); err != nil {
		t.Errorf("DID document: %v", err)
	}
	if status, _ := anon.raw(http.MethodGet, card.ContextPath, nil); status != http.StatusOK {
		t.Errorf("context: %d", status)
	}
	// Downloads, and the owner's and a stranger's view of the assessment's card.
	resp, _ := a.browser().get("/api/v1/cards/" + id + "?download=1")
	if !strings.Contains(resp.Header.Get("Content-Disposition"), "dmf-card-"+id+".json") {
		t.Errorf("download header %q", resp.Header.Get("Content-Disposition"))
	}
	assessmentID := int(subjectAssessmentID(t, assessment["id"].(string)))
	if status, _ := a.api(p.a, pw).raw(http.MethodGet, fmt.Sprintf("/api/v1/assessments/%d/card", assessmentID), nil); status != http.StatusOK {
		t.Errorf("owner's card: %d", status)
	}
	if status, _ := a.api(p.b, pw).raw(http.MethodGet, fmt.Sprintf("/api/v1/assessments/%d/card", assessmentID), nil); status != http.StatusNotFound {
		t.Errorf("other organisation's card by assessment: %d", status)
	}
	// The printable card: QR code to the verify page, downloads.
	_, page := a.browser().get("/cards/" + id)
	for _, want := range []string{`src="data:image/png;base64,`, "/verify?card=" + id, "/api/v1/cards/" + id + "/tlog-proof?download=1", "Company registration"} {
		if !strings.Contains(page, want) {
			t.Errorf("card page lacks %q", want)
		}
	}
}

func subjectAssessmentID(t *testing.T, u string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscanf(u[strings.LastIndex(u, "/")+1:], "%d", &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// verifyChecks posts a card to the verify endpoint and returns its checks.
func verifyChecks(t *testing.T, a *testApp, body []byte) (bool, map[string]bool) {
	t.Helper()
	resp, err := http.Post(a.server()+"/api/v1/cards/verify", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("verify: %d %s", resp.StatusCode, raw)
	}
	var r card.Report
	json.NewDecoder(resp.Body).Decode(&r)
	checks := map[string]bool{}
	for _, c := range r.Checks {
		checks[c.Name] = c.OK
	}
	return r.Valid, checks
}

// resign edits a card and signs it again with this instance's real key:
// the signature is then fine, so the other checks must catch the edit.
func resign(t *testing.T, a *testApp, data []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	json.Unmarshal(data, &m)
	delete(m, "proof")
	edit(m)
	raw, _ := json.Marshal(m)
	k := a.s.issuer.Keys.Active()
	out, err := card.Sign(raw, k.Private, a.s.issuer.DID+"#"+k.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestVerifyNamesTheFailingCheck: each kind of bad card fails exactly the
// check a user would expect, with 200 and never a 500.
func TestVerifyNamesTheFailingCheck(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	_, good := issued(t, a, p, "Customs declarations")
	if ok, checks := verifyChecks(t, a, good); !ok {
		t.Fatalf("the issued card does not verify: %v", checks)
	}
	_, foreignKey, _ := ed25519.GenerateKey(nil)
	var m map[string]any
	json.Unmarshal(good, &m)
	delete(m, "proof")
	unsigned, _ := json.Marshal(m)
	foreign, _ := card.Sign(unsigned, foreignKey, a.s.issuer.DID+"#"+a.s.issuer.Keys.Active().ID, time.Now())
	unknownKey, _ := card.Sign(unsigned, foreignKey, a.s.issuer.DID+"#key-1999-1", time.Now())
	otherIssuer, _ := card.Sign(bytes.Replace(unsigned, []byte(a.s.issuer.DID), []byte("did:web:elsewhere.example"), -1), foreignKey, "did:web:elsewhere.example#key-2026-1", time.Now())

	cases := []struct {
		name string
		body []byte
		fail string // the check that must fail
	}{
		{"changed score", bytes.Replace(good, []byte(`"overall":{"label":`), []byte(`"overall":{"extra":1,"label":`), 1), card.CheckSignature},
		{"missing proof", unsigned, card.CheckSignature},
		{"foreign proof with our key id", foreign, card.CheckSignature},
		{"unknown key", unknownKey, card.CheckSignature},
		{"issuer not trusted", otherIssuer, card.CheckIssuer},
		{"context order", bytes.Replace(good, []byte(`["https://www.w3.org/ns/credentials/v2","`+a.s.cfg.BaseURL+card.ContextV2Path+`"]`), []byte(`["`+a.s.cfg.BaseURL+card.ContextV2Path+`","https://www.w3.org/ns/credentials/v2"]`), 1), card.CheckSignature},
		{"duplicate keys", bytes.Replace(good, []byte(`{"@context"`), []byte(`{"name":"x","@context"`), 1), card.CheckSignature},
		{"expired", resign(t, a, good, func(m map[string]any) { m["validUntil"] = "2020-01-01T00:00:00Z" }), card.CheckValidity},
		{"not yet valid", resign(t, a, good, func(m map[string]any) {
			m["validFrom"] = "2099-01-01T00:00:00Z"
			m["validUntil"] = "2100-01-01T00:00:00Z"
		}), card.CheckValidity},
		{"not in the log", resign(t, a, good, func(m map[string]any) { m["name"] = "A card never issued" }), card.CheckLog},
		{"framework digest", resign(t, a, good, func(m map[string]any) {
			m["relatedResource"].([]any)[0].(map[string]any)["digestSRI"] = "sha384-AAAA"
		}), card.CheckFramework},
		{"garbage", []byte("\x00\xffnot a card"), card.CheckSignature},
		{"empty", []byte(""), card.CheckSignature},
		{"array", []byte(`[1,2,3]`), card.CheckSignature},
		{"deeply nested", []byte(strings.Repeat("[", 10000) + strings.Repeat("]", 10000)), card.CheckSignature},
	}
	for _, tc := range cases {
		ok, checks := verifyChecks(t, a, tc.body)
		if ok || checks[tc.fail] {
			t.Errorf("%s: valid=%v, %s ok=%v (%v)", tc.name, ok, tc.fail, checks[tc.fail], checks)
		}
	}
}

func TestRevocation(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id, data := issued(t, a, p, "Licence renewal")
	if status, _ := a.api(p.a, pw).call(http.MethodPost, "/api/v1/cards/"+id+"/revoke", map[string]string{"reason": "mine"}); status != http.StatusForbidden {
		t.Errorf("respondent revokes: %d", status)
	}
	rev := a.api(p.rev, pw)
	if status, _ := rev.call(http.MethodPost, "/api/v1/cards/"+id+"/revoke", map[string]string{"reason": ""}); status != http.StatusUnprocessableEntity {
		t.Errorf("revoke without a reason: %d", status)
	}
	if status, body := rev.call(http.MethodPost, "/api/v1/cards/"+id+"/revoke", map[string]string{"reason": "Evidence for SERV.1 was withdrawn."}); status != http.StatusOK || body["revoked_at"] == nil {
		t.Fatalf("revoke: %d %v", status, body)
	}
	ok, checks := verifyChecks(t, a, data)
	if ok || checks[card.CheckRevocation] || !checks[card.CheckSignature] || !checks[card.CheckLog] {
		t.Errorf("revoked card: %v", checks)
	}
	if status, _ := rev.call(http.MethodPost, "/api/v1/cards/"+id+"/revoke", map[string]string{"reason": "again"}); status != http.StatusConflict {
		t.Errorf("second revocation: %d", status)
	}
	// Revoking never deletes: the card and its proof are still served.
	if status, raw := rev.raw(http.MethodGet, "/api/v1/cards/"+id, nil); status != http.StatusOK || !bytes.Equal(raw, data) {
		t.Errorf("revoked card download: %d", status)
	}
	_, page := a.browser().get("/cards/" + id)
	if !strings.Contains(page, "This card is revoked") {
		t.Error("card page does not say it is revoked")
	}
}

func TestLogAPI(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id, data := issued(t, a, p, "One")
	issued(t, a, p, "Two")
	anon := &api{t: t, base: a.server()}
	status, info := anon.call(http.MethodGet, "/api/v1/log", nil)
	if status != http.StatusOK || info["size"].(float64) != 2 || !strings.HasPrefix(info["vkey"].(string), info["origin"].(string)+"+") {
		t.Fatalf("log: %d %v", status, info)
	}
	_, proof := anon.raw(http.MethodGet, "/api/v1/cards/"+id+"/tlog-proof", nil)
	if _, cp, err := card.VerifyInclusion(data, string(proof), info["vkey"].(string)); err != nil || cp.Size != 2 {
		t.Errorf("tlog-proof: %v", err)
	}
	if status, cp := anon.raw(http.MethodGet, "/api/v1/log/checkpoint", nil); status != http.StatusOK || !strings.Contains(string(cp), "\n2\n") {
		t.Errorf("checkpoint: %d %s", status, cp)
	}
	if status, _ := anon.raw(http.MethodGet, "/api/v1/log/consistency?old=1&new=2", nil); status != http.StatusOK {
		t.Errorf("consistency: %d", status)
	}
	if status, _ := anon.raw(http.MethodGet, "/api/v1/log/consistency?old=2&new=9", nil); status != http.StatusUnprocessableEntity {
		t.Errorf("consistency past the end: %d", status)
	}
}

// TestKeyRotation: after "keys rotate" new cards use the new key, the DID
// document lists both, and old cards still verify.
func TestKeyRotation(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	_, old := issued(t, a, p, "Before rotation")
	cfg := a.s.cfg
	var out bytes.Buffer
	if err := run(context.Background(), []string{"keys", "rotate", "-database", cfg.Database, "-data-dir", cfg.DataDir, "-addr", cfg.Addr}, env(nil), nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "#key-") {
		t.Errorf("rotate output: %s", out.String())
	}
	// A restarted server over the same database and data directory.
	s2, err := newApp(context.Background(), cfg, a.s.log)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.store.Close()
	b := &testApp{t: t, s: s2, e: s2.routes()}
	if len(s2.issuer.Keys.Issuer) != 2 {
		t.Fatalf("%d keys after rotation", len(s2.issuer.Keys.Issuer))
	}
	id := b.approve(p.actorA, p.actorRev, "After rotation", 2026, func(int) int { return 4 }, true)
	rec, _ := s2.store.CardOf(context.Background(), p.actorA, id)
	var c struct {
		Proof struct{ VerificationMethod string }
	}
	json.Unmarshal(rec.Data, &c)
	if !strings.HasSuffix(c.Proof.VerificationMethod, s2.issuer.Keys.Active().ID) || s2.issuer.Keys.Active().ID == a.s.issuer.Keys.Active().ID {
		t.Errorf("new card signed with %s", c.Proof.VerificationMethod)
	}
	for _, data := range [][]byte{old, rec.Data} {
		if ok, checks := verifyChecks(t, b, data); !ok {
			t.Errorf("after rotation: %v", checks)
		}
	}
}

func TestVerifyPage(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id, data := issued(t, a, p, "Page")
	b := a.browser()
	_, body := b.get("/verify?card=" + id)
	if !strings.Contains(body, "The card is valid") || strings.Count(body, `class="check-ok"`) != 6 {
		t.Errorf("verify by link: %d checks passed", strings.Count(body, `class="check-ok"`))
	}
	resp, body := b.post("/verify", url.Values{"card": {strings.Replace(string(data), `"period":2026`, `"period":2027`, 1)}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "The card is not valid") || !strings.Contains(body, `class="check-bad"`) {
		t.Errorf("tampered card on the page: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/verify", url.Values{"card": {""}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("empty form: %d", resp.StatusCode)
	}
}

// TestCardsVerifyCommand checks a card offline from files.
func TestCardsVerifyCommand(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id, data := issued(t, a, p, "Offline")
	dir := t.TempDir()
	anon := &api{t: t, base: a.server()}
	files := map[string]string{"card.json": "/api/v1/cards/" + id, "did.json": "/.well-known/did.json", "status.json": "/status/1", "card.tlog-proof": "/api/v1/cards/" + id + "/tlog-proof"}
	for name, path := range files {
		_, raw := anon.raw(http.MethodGet, path, nil)
		os.WriteFile(filepath.Join(dir, name), raw, 0o644)
	}
	_, info := anon.call(http.MethodGet, "/api/v1/log", nil)
	args := []string{"cards", "verify", "-did", filepath.Join(dir, "did.json"), "-status", filepath.Join(dir, "status.json"),
		"-proof", filepath.Join(dir, "card.tlog-proof"), "-log-key", info["vkey"].(string)}
	var out bytes.Buffer
	if err := run(context.Background(), append(args, filepath.Join(dir, "card.json")), env(nil), nil, &out, io.Discard); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if strings.Count(out.String(), "ok  ") != 6 {
		t.Errorf("output:\n%s", out.String())
	}
	os.WriteFile(filepath.Join(dir, "bad.json"), bytes.Replace(data, []byte(`"period":2026`), []byte(`"period":2025`), 1), 0o644)
	out.Reset()
	if err := run(context.Background(), append(args, filepath.Join(dir, "bad.json")), env(nil), nil, &out, io.Discard); exitCode(err) != 1 || !strings.Contains(out.String(), "FAIL signature") {
		t.Errorf("tampered card: exit %d\n%s", exitCode(err), out.String())
	}
}

// TestIndependentVerifier checks issued cards with Digital Bazaar's
// standard VC libraries (installed by .ci/run), offline: a valid card, a
// tampered one (must fail) and a revoked one (status bit set).
func TestIndependentVerifier(t *testing.T) {
	modules := filepath.Join("..", ".ci", "verifier", "node_modules")
	if _, err := os.Stat(modules); err != nil {
		if os.Getenv("DMF_CI") != "" {
			t.Fatalf("the independent verifier is not installed (%v); .ci/run installs it", err)
		}
		t.Skip("run .ci/run (or npm ci in .ci/verifier) to install the independent verifier")
	}
	a := newTestApp(t)
	p := a.seedPeople()
	id, data := issued(t, a, p, "Independent")
	dir := t.TempDir()
	anon := &api{t: t, base: a.server()}
	save := func(name, path string) string {
		_, raw := anon.raw(http.MethodGet, path, nil)
		f := filepath.Join(dir, name)
		os.WriteFile(f, raw, 0o644)
		return f
	}
	cardFile, didFile := save("card.json", "/api/v1/cards/"+id), save("did.json", "/.well-known/did.json")
	// The app's context as it serves it, so that the verifier processes the
	// real one.
	contextArg := a.s.cfg.BaseURL + card.ContextPath + "=" + save("context.jsonld", card.ContextPath)
	run := func(cardPath, statusPath string) map[string]any {
		out, err := exec.Command("node", filepath.Join("..", ".ci", "verifier", "verify.mjs"), "--context", contextArg, cardPath, didFile, statusPath).CombinedOutput()
		if err != nil {
			t.Fatalf("node: %v\n%s", err, out)
		}
		var r map[string]any
		if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
			t.Fatalf("node output: %s", out)
		}
		return r
	}
	if r := run(cardFile, save("status.json", "/status/1")); r["verified"] != true || r["revoked"] != false {
		t.Errorf("valid card: %v", r)
	}
	tampered := filepath.Join(dir, "tampered.json")
	os.WriteFile(tampered, bytes.Replace(data, []byte(`"name":"Independent"`), []byte(`"name":"Forged"`), 1), 0o644)
	if r := run(tampered, filepath.Join(dir, "status.json")); r["verified"] != false {
		t.Errorf("tampered card accepted: %v", r)
	}
	if status, _ := a.api(p.rev, pw).call(http.MethodPost, "/api/v1/cards/"+id+"/revoke", map[string]string{"reason": "test"}); status != http.StatusOK {
		t.Fatal(status)
	}
	if r := run(cardFile, save("status-revoked.json", "/status/1")); r["revoked"] != true {
		t.Errorf("revoked card: %v", r)
	}
}
