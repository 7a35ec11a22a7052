package card

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// VerifyPresentation checks a verifiable presentation as the VC-API's
// POST /presentations/verify does: its form (VC Data Model 2.0 §4.13), its
// authentication proof by the holder (eddsa-jcs-2022 or eddsa-rdfc-2022)
// for the verifier's challenge and domain, and every credential in it.
func (v *CredentialVerifier) VerifyPresentation(data []byte, challenge, domain string) VerificationResult {
	r := VerificationResult{Checks: []string{}, Warnings: []Problem{}, Errors: []Problem{}}
	fail := func(typ, title string, err error) {
		r.Errors = append(r.Errors, Problem{Type: typ, Title: title, Detail: err.Error()})
	}
	doc, err := object(data)
	if err == nil {
		err = checkPresentation(doc)
	}
	if err != nil {
		fail(ProblemMalformed, "malformed presentation", err)
		return r
	}
	holder := issuerID(doc["holder"])
	if err := v.presentationProof(doc, holder, challenge, domain); err != nil {
		fail(ProblemProof, "presentation proof", err)
	} else {
		r.Checks = append(r.Checks, "proof")
	}
	creds, _ := objects(doc["verifiableCredential"])
	for i, c := range creds {
		res := v.VerifyCredential(mustMarshal(c))
		for _, e := range res.Errors {
			e.Title = fmt.Sprintf("verifiableCredential[%d]: %s", i, e.Title)
			r.Errors = append(r.Errors, e)
		}
		r.Warnings = append(r.Warnings, res.Warnings...)
	}
	if len(creds) > 0 && len(r.Errors) == 0 {
		r.Checks = append(r.Checks, "verifiableCredential")
	}
	r.Verified = len(r.Errors) == 0
	return r
}

func checkPresentation(doc map[string]json.RawMessage) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidCredential, fmt.Sprintf(format, args...))
	}
	ctx, err := checkContext(doc["@context"])
	if err != nil {
		return bad("%v", err)
	}
	if raw, ok := doc["id"]; ok && !isURLValue(raw) {
		return bad("id must be one URL")
	}
	types, ok := stringSet(doc["type"])
	if !ok || !contains(types, "VerifiablePresentation") {
		return bad(`type must include "VerifiablePresentation"`)
	}
	for _, t := range types {
		if !ctx.defines(t) {
			return bad("type %q is neither a URL nor a term of the presentation's contexts", t)
		}
	}
	if raw, ok := doc["holder"]; ok {
		if err := checkIssuer(raw); err != nil {
			return bad("holder must be a URL or an object whose id is a URL")
		}
	}
	if raw, ok := doc["verifiableCredential"]; ok {
		creds, ok := objects(raw)
		if !ok || len(creds) == 0 {
			return bad("verifiableCredential must be one or more credential objects")
		}
		for _, c := range creds {
			if ts, _ := stringSet(c["type"]); contains(ts, "EnvelopedVerifiableCredential") {
				return bad("enveloped credentials are not verified here")
			}
		}
	}
	return nil
}

// presentationProof checks the presentation's one proof: authentication,
// by the holder when there is one, for this challenge and domain.
func (v *CredentialVerifier) presentationProof(doc map[string]json.RawMessage, holder, challenge, domain string) error {
	raw, ok := doc["proof"]
	if !ok {
		return ErrNoProof
	}
	var set []json.RawMessage
	if json.Unmarshal(raw, &set) == nil {
		if len(set) != 1 {
			return fmt.Errorf("%w: a proof set of %d proofs", ErrNoProof, len(set))
		}
		raw = set[0]
	}
	var p struct {
		Cryptosuite        string `json:"cryptosuite"`
		ProofPurpose       string `json:"proofPurpose"`
		Challenge          string `json:"challenge"`
		Domain             any    `json:"domain"`
		VerificationMethod string `json:"verificationMethod"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("%w: %v", ErrNoProof, err)
	}
	switch {
	case p.ProofPurpose != "authentication":
		return fmt.Errorf("%w: proof purpose %q, want authentication", ErrNoProof, p.ProofPurpose)
	case challenge != "" && p.Challenge != challenge:
		return errors.New("the proof is not for this verifier's challenge")
	case domain != "" && fmt.Sprint(p.Domain) != domain:
		return errors.New("the proof is not for this verifier's domain")
	}
	resolve := func(vm string) (ed25519.PublicKey, error) {
		if did, _, _ := strings.Cut(vm, "#"); holder != "" && did != holder {
			return nil, fmt.Errorf("verification method %q is not the holder's (%s)", vm, holder)
		}
		return v.resolve(vm)
	}
	unsecured := clone(doc)
	delete(unsecured, "proof")
	if p.Cryptosuite == CryptosuiteRDFC {
		_, err := verifyRDFC(graphContainers(unsecured), raw, resolve)
		return err
	}
	unsecured["proof"] = raw
	secured, err := canonical(unsecured)
	if err != nil {
		return err
	}
	_, err = verifyProofPurpose(secured, "authentication", resolve)
	return err
}

// graphContainers writes each credential of a presentation as the graph
// object that the base context's "@container": "@graph" makes of it. The
// JSON-LD expansion is the same; json-gold 0.9.1 needs it spelled out
// because it looks the container up in the term's own scoped context
// ("@context": null) rather than the active one, and would otherwise put
// the credential in the presentation's graph.
func graphContainers(doc map[string]json.RawMessage) map[string]json.RawMessage {
	creds, ok := objects(doc["verifiableCredential"])
	if !ok {
		return doc
	}
	out := clone(doc)
	graphs := make([]any, len(creds))
	for i, c := range creds {
		graphs[i] = map[string]any{"@graph": []any{c}}
	}
	out["verifiableCredential"] = mustMarshal(graphs)
	return out
}
