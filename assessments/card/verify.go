package card

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Names of the checks a verification reports, each on its own line.
const (
	CheckSignature  = "signature"
	CheckIssuer     = "issuer"
	CheckValidity   = "validity"
	CheckRevocation = "revocation"
	CheckLog        = "log"
	CheckFramework  = "framework"
)

// Check is the outcome of one check.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Report is the outcome of verifying a card: valid only if every check
// passed.
type Report struct {
	Valid  bool    `json:"valid"`
	Checks []Check `json:"checks"`
	Card   *Card   `json:"-"` // the card's fields, when it could be read
}

// Verifier checks cards against a policy: whose keys to trust, the time,
// and where to find status lists, log proofs and framework digests. The
// functions let the same checks run online (the app's own database) and
// offline (files given on the command line).
type Verifier struct {
	Trusted map[string]*DIDDocument // issuer DID → pinned DID document
	Now     time.Time
	// StatusList returns the signed status list credential at a URL.
	StatusList func(url string) ([]byte, error)
	// Inclusion checks that the card is in a trusted transparency log and
	// says where.
	Inclusion func(signedCard []byte) (string, error)
	// FrameworkDigest returns the sha384 digestSRI of a known edition.
	FrameworkDigest func(id, version string) (string, bool)
}

// Verify runs every check and never panics on hostile input: each failure
// is a check with a reason.
func (v *Verifier) Verify(data []byte) Report {
	checks := map[string]*Check{}
	order := []string{CheckSignature, CheckIssuer, CheckValidity, CheckRevocation, CheckLog, CheckFramework}
	for _, n := range order {
		checks[n] = &Check{Name: n, Detail: "not checked"}
	}
	report := func() Report {
		r := Report{Valid: true}
		for _, n := range order {
			r.Checks = append(r.Checks, *checks[n])
			r.Valid = r.Valid && checks[n].OK
		}
		return r
	}
	fail := func(name, format string, args ...any) {
		checks[name].OK, checks[name].Detail = false, fmt.Sprintf(format, args...)
	}
	pass := func(name, format string, args ...any) {
		checks[name].OK, checks[name].Detail = true, fmt.Sprintf(format, args...)
	}

	if _, err := object(data); err != nil {
		fail(CheckSignature, "%v", err)
		return report()
	}
	var c Card
	if err := json.Unmarshal(data, &c); err != nil {
		fail(CheckSignature, "%v: %v", ErrMalformed, err)
		return report()
	}
	if len(c.Context) == 0 || c.Context[0] != CredentialsV2 {
		fail(CheckSignature, "the first @context must be %s", CredentialsV2)
		return report()
	}

	// Issuer and signature.
	doc, trusted := v.Trusted[c.Issuer.ID]
	if trusted {
		pass(CheckIssuer, "%s (%s) is a trusted issuer", c.Issuer.ID, c.Issuer.Name)
	} else {
		fail(CheckIssuer, "issuer %q is not in the trust list", c.Issuer.ID)
	}
	verified, err := VerifyProof(singleProof(data), func(vm string) (ed25519.PublicKey, error) {
		if !trusted {
			return nil, fmt.Errorf("cannot check: no trusted DID document for %q", c.Issuer.ID)
		}
		return doc.AssertionKey(vm)
	})
	expires, _ := time.Parse(time.RFC3339Nano, proofExpires(verified))
	switch {
	case err != nil:
		fail(CheckSignature, "%v", err)
	case verified.Proof.Expires != "" && !v.Now.Before(expires):
		fail(CheckSignature, "the proof expired on %s", verified.Proof.Expires)
	default:
		pass(CheckSignature, "eddsa-jcs-2022 proof by %s, created %s", verified.Proof.VerificationMethod, verified.Proof.Created)
	}

	// Validity window; validUntil is optional in VC Data Model 2.0.
	from, err1 := time.Parse(time.RFC3339, c.ValidFrom)
	until, err2 := time.Parse(time.RFC3339, c.ValidUntil)
	switch {
	case err1 != nil || c.ValidUntil != "" && err2 != nil:
		fail(CheckValidity, "validFrom and validUntil must be date-times with a zone")
	case v.Now.Before(from):
		fail(CheckValidity, "not valid before %s", c.ValidFrom)
	case c.ValidUntil == "":
		pass(CheckValidity, "valid from %s, with no end", c.ValidFrom)
	case !v.Now.Before(until):
		fail(CheckValidity, "expired on %s", c.ValidUntil)
	default:
		pass(CheckValidity, "valid from %s until %s", c.ValidFrom, c.ValidUntil)
	}

	// Revocation.
	if detail, err := v.revocation(c); err != nil {
		fail(CheckRevocation, "%v", err)
	} else {
		pass(CheckRevocation, "%s", detail)
	}

	// Transparency log.
	if v.Inclusion == nil {
		fail(CheckLog, "no log proof to check")
	} else if detail, err := v.Inclusion(data); err != nil {
		fail(CheckLog, "%v", err)
	} else {
		pass(CheckLog, "%s", detail)
	}

	// Framework edition.
	fw := c.CredentialSubject.Assessment.Framework
	want, known := "", false
	if v.FrameworkDigest != nil {
		want, known = v.FrameworkDigest(fw.Identifier, fw.Version)
	}
	got := ""
	if len(c.RelatedResource) > 0 {
		got = c.RelatedResource[0].DigestSRI
	}
	switch {
	case !known:
		fail(CheckFramework, "edition %s %s is not known here", fw.Identifier, fw.Version)
	case got != want:
		fail(CheckFramework, "the card pins %q, but edition %s %s has %s", got, fw.Identifier, fw.Version, want)
	default:
		pass(CheckFramework, "edition %s %s, %s", fw.Identifier, fw.Version, want)
	}

	r := report()
	r.Card = &c
	return r
}

// revocation reads the card's status entry, fetches and verifies the list
// (same issuer, trusted key), and checks the bit.
func (v *Verifier) revocation(c Card) (string, error) {
	st := c.CredentialStatus
	if st == (Status{}) {
		return "the credential has no status entry: its issuer cannot revoke it", nil
	}
	if st.Type != "BitstringStatusListEntry" || st.StatusPurpose != "revocation" || st.StatusListCredential == "" {
		return "", errors.New("the card has no revocation status entry")
	}
	idx, err := strconv.Atoi(st.StatusListIndex)
	if err != nil || idx < 0 || idx >= StatusListSize {
		return "", fmt.Errorf("bad statusListIndex %q", st.StatusListIndex)
	}
	if v.StatusList == nil {
		return "", errors.New("no status list available to check")
	}
	data, err := v.StatusList(st.StatusListCredential)
	if err != nil {
		return "", fmt.Errorf("status list %s: %v", st.StatusListCredential, err)
	}
	var list StatusListCredential
	if err := json.Unmarshal(data, &list); err != nil {
		return "", fmt.Errorf("status list: %v", err)
	}
	if list.Issuer.ID != c.Issuer.ID || list.ID != st.StatusListCredential {
		return "", errors.New("the status list is not the card's issuer's list")
	}
	doc, ok := v.Trusted[list.Issuer.ID]
	if !ok {
		return "", errors.New("the status list's issuer is not trusted")
	}
	if _, err := VerifyProof(data, doc.AssertionKey); err != nil {
		return "", fmt.Errorf("the status list's signature: %v", err)
	}
	if list.CredentialSubject.StatusPurpose != "revocation" {
		return "", errors.New("the status list is not a revocation list")
	}
	bits, err := DecodeBitstring(list.CredentialSubject.EncodedList)
	if err != nil {
		return "", err
	}
	if bits.Get(idx) {
		return "", fmt.Errorf("revoked (bit %d of %s is set)", idx, st.StatusListCredential)
	}
	return fmt.Sprintf("not revoked (bit %d of %s, list of %s)", idx, st.StatusListCredential, list.ValidFrom), nil
}

// singleProof writes a proof set of one proof as that proof, which Data
// Integrity allows either way; anything else is left for VerifyProof to
// refuse.
func singleProof(data []byte) []byte {
	doc, err := object(data)
	if err != nil {
		return data
	}
	var set []json.RawMessage
	if json.Unmarshal(doc["proof"], &set) != nil || len(set) != 1 {
		return data
	}
	doc["proof"] = set[0]
	out, err := canonical(doc)
	if err != nil {
		return data
	}
	return out
}

func proofExpires(v *Verified) string {
	if v == nil {
		return ""
	}
	return v.Proof.Expires
}
