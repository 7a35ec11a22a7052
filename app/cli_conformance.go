package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments/card"
)

// conformance is the VC-API server that the W3C test suites call (dmf
// conformance): a throw-away did:key issuer with one revocation and one
// suspension status list in memory. It shares the card package with the
// application and is never part of serve.
//
// It speaks HTTPS with a throw-away self-signed certificate because the
// Bitstring Status List suite dereferences status list URLs over https
// only; the suites accept any certificate.
type conformance struct {
	base string
	key  ed25519.PrivateKey
	did  string
	vm   string

	mu      sync.Mutex
	lists   map[string]card.Bitstring // status purpose → bits
	next    int                       // the next free status index, shared by the lists
	indexOf map[string]int            // credential id → its status index
}

func conformanceCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on (HTTPS, throw-away certificate)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	c := &conformance{
		base: "https://" + ln.Addr().String(), key: key, did: card.DIDKey(pub), vm: card.DIDKeyMethod(pub),
		lists: map[string]card.Bitstring{"revocation": card.NewBitstring(), "suspension": card.NewBitstring()}, indexOf: map[string]int{},
	}
	cert, err := throwawayCertificate(ln.Addr().(*net.TCPAddr).IP)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: conformanceRoutes(c), ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	line, _ := json.Marshal(map[string]string{"issuer_id": c.did, "base_url": c.base})
	fmt.Fprintln(stdout, string(line))
	select {
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	case err := <-done:
		return err
	}
}

// throwawayCertificate is a self-signed certificate for the listening IP,
// made at start and never stored.
func throwawayCertificate(ip net.IP) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{ip, net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func (c *conformance) listURL(purpose string) string { return c.base + "/status/" + purpose }

// issue is VC-API POST /credentials/issue: 201 {verifiableCredential} or
// 400 for a credential VC Data Model 2.0 forbids. options.credentialStatus
// asks for a status entry.
func (c *conformance) issue(e echo.Context) error {
	var req struct {
		Credential json.RawMessage `json:"credential"`
		Options    struct {
			CredentialStatus *struct {
				Type          string `json:"type"`
				StatusPurpose string `json:"statusPurpose"`
			} `json:"credentialStatus"`
		} `json:"options"`
	}
	if err := json.NewDecoder(e.Request().Body).Decode(&req); err != nil || req.Credential == nil {
		return e.JSON(http.StatusBadRequest, map[string]string{"error": "the body must be {credential, options}"})
	}
	var status func() (json.RawMessage, error)
	if o := req.Options.CredentialStatus; o != nil {
		purpose := o.StatusPurpose
		if purpose == "" {
			purpose = "revocation"
		}
		if _, ok := c.lists[purpose]; !ok || o.Type != "BitstringStatusListEntry" {
			return e.JSON(http.StatusBadRequest, map[string]string{"error": "only BitstringStatusListEntry for revocation or suspension"})
		}
		status = func() (json.RawMessage, error) { return c.statusEntry(req.Credential, purpose) }
	}
	vc, err := card.IssueCredential(req.Credential, c.key, c.vm, time.Now(), status)
	if err != nil {
		return e.JSON(http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
	return e.JSON(http.StatusCreated, map[string]json.RawMessage{"verifiableCredential": vc})
}

// statusEntry takes the next index and remembers it under the
// credential's id, for status updates.
func (c *conformance) statusEntry(credential json.RawMessage, purpose string) (json.RawMessage, error) {
	var cred struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(credential, &cred)
	c.mu.Lock()
	idx := c.next
	if idx >= card.StatusListSize {
		c.mu.Unlock()
		return nil, errors.New("the status lists are full")
	}
	c.next++
	if cred.ID != "" {
		c.indexOf[cred.ID] = idx
	}
	c.mu.Unlock()
	list := c.listURL(purpose)
	return json.Marshal(card.Status{ID: list + "#" + strconv.Itoa(idx), Type: "BitstringStatusListEntry",
		StatusPurpose: purpose, StatusListIndex: strconv.Itoa(idx), StatusListCredential: list})
}

// verify is VC-API POST /credentials/verify for did:key credentials.
func (c *conformance) verify(e echo.Context) error {
	v := &card.CredentialVerifier{Now: time.Now(), StatusList: c.statusListFor}
	return vcapiVerify(e, v)
}

// verifyPresentation is VC-API POST /presentations/verify.
func (c *conformance) verifyPresentation(e echo.Context) error {
	var req struct {
		VerifiablePresentation json.RawMessage `json:"verifiablePresentation"`
		Options                struct {
			Challenge string `json:"challenge"`
			Domain    string `json:"domain"`
		} `json:"options"`
	}
	v := &card.CredentialVerifier{Now: time.Now(), StatusList: c.statusListFor}
	if err := json.NewDecoder(e.Request().Body).Decode(&req); err != nil || req.VerifiablePresentation == nil {
		return e.JSON(http.StatusBadRequest, card.VerificationResult{Checks: []string{}, Warnings: []card.Problem{},
			Errors: []card.Problem{{Type: card.ProblemMalformed, Title: "request", Detail: "the body must be {verifiablePresentation, options}"}}})
	}
	r := v.VerifyPresentation(req.VerifiablePresentation, req.Options.Challenge, req.Options.Domain)
	if !r.Verified {
		return e.JSON(http.StatusBadRequest, r)
	}
	return e.JSON(http.StatusOK, r)
}

// vcapiVerify answers a VC-API verify request with v: 200 when verified,
// 400 with the same shape when not.
func vcapiVerify(e echo.Context, v *card.CredentialVerifier) error {
	var req struct {
		VerifiableCredential json.RawMessage `json:"verifiableCredential"`
	}
	if err := json.NewDecoder(e.Request().Body).Decode(&req); err != nil || req.VerifiableCredential == nil {
		return e.JSON(http.StatusBadRequest, card.VerificationResult{Checks: []string{}, Warnings: []card.Problem{},
			Errors: []card.Problem{{Type: card.ProblemMalformed, Title: "request", Detail: "the body must be {verifiableCredential, options}"}}})
	}
	r := v.VerifyCredential(req.VerifiableCredential)
	if !r.Verified {
		return e.JSON(http.StatusBadRequest, r)
	}
	return e.JSON(http.StatusOK, r)
}

// statusListFor serves the verifier its own lists without a network trip.
func (c *conformance) statusListFor(url string) ([]byte, error) {
	for purpose := range c.lists {
		if url == c.listURL(purpose) {
			return c.signedList(purpose)
		}
	}
	return nil, fmt.Errorf("not a status list of this server")
}

func (c *conformance) signedList(purpose string) ([]byte, error) {
	c.mu.Lock()
	bits := append(card.Bitstring(nil), c.lists[purpose]...)
	c.mu.Unlock()
	return card.IssueStatusListFor(c.listURL(purpose), purpose, bits, c.did, c.key, c.vm, time.Now())
}

func (c *conformance) showStatusList(e echo.Context) error {
	purpose := e.Param("purpose")
	if _, ok := c.lists[purpose]; !ok {
		return e.NoContent(http.StatusNotFound)
	}
	list, err := c.signedList(purpose)
	if err != nil {
		return err
	}
	return sendVC(e, list)
}

// updateStatus is VC-API POST /credentials/status: set the bit of a
// credential this server issued.
func (c *conformance) updateStatus(e echo.Context) error {
	var req struct {
		CredentialID     string `json:"credentialId"`
		CredentialStatus struct {
			Type          string `json:"type"`
			StatusPurpose string `json:"statusPurpose"`
		} `json:"credentialStatus"`
	}
	if err := json.NewDecoder(e.Request().Body).Decode(&req); err != nil {
		return e.JSON(http.StatusBadRequest, map[string]string{"error": "bad request body"})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	idx, ok := c.indexOf[req.CredentialID]
	bits, known := c.lists[req.CredentialStatus.StatusPurpose]
	if !ok || !known {
		return e.JSON(http.StatusNotFound, map[string]string{"error": "no such credential or status purpose"})
	}
	bits.Set(idx)
	return e.JSON(http.StatusOK, map[string]string{"credentialId": req.CredentialID})
}

// publishStatusList is a no-op: lists are signed afresh on every read.
func (c *conformance) publishStatusList(e echo.Context) error {
	if _, ok := c.lists[e.Param("purpose")]; !ok {
		return e.NoContent(http.StatusNotFound)
	}
	return e.NoContent(http.StatusNoContent)
}
