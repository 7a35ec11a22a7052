package card

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
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

// Check is the outcome of one check. Detail is the technical English
// detail; Format and Args are the same detail before formatting, so that
// the web layer can translate it (Format is the key of the translation),
// and Outcome names what happened ("ok", "bad", "revoked", "expired", …)
// for the plain sentence that leads the line.
type Check struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Detail  string `json:"detail"`
	Outcome string `json:"-"`
	Format  string `json:"-"`
	Args    []any  `json:"-"`
}

// Why a file is not a card at all (Report.NotCard).
const (
	NotJSON       = "json"       // not a JSON object
	NotCredential = "credential" // JSON, but not a W3C credential
)

// Report is the outcome of verifying a card: valid only if every check
// passed.
type Report struct {
	Valid  bool    `json:"valid"`
	Checks []Check `json:"checks"`
	Card   *Card   `json:"-"` // the card's fields, when it could be read
	// NotCard says why the file is not a card (NotJSON, NotCredential);
	// empty when it is one, valid or not.
	NotCard string `json:"-"`
	Revoked bool   `json:"-"` // the issuer's status list says revoked
}

// ErrListElsewhere is what a StatusList function returns for a list it
// cannot fetch because another instance publishes it.
var ErrListElsewhere = errors.New("the list belongs to another instance and cannot be fetched here; verify it with that instance or offline")

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
	// says where (VerifyInclusion does it offline).
	Inclusion func(signedCard []byte) (*ParsedProof, *Checkpoint, error)
	// FrameworkDigest returns the sha384 digestSRI of a known edition.
	FrameworkDigest func(id, version string) (string, bool)
}

// Verify runs every check and never panics on hostile input: each failure
// is a check with a reason.
func (v *Verifier) Verify(data []byte) Report {
	checks := map[string]*Check{}
	order := []string{CheckSignature, CheckIssuer, CheckValidity, CheckRevocation, CheckLog, CheckFramework}
	for _, n := range order {
		checks[n] = &Check{Name: n, Detail: "not checked", Outcome: "unchecked", Format: "not checked"}
	}
	report := func() Report {
		r := Report{Valid: true}
		for _, n := range order {
			r.Checks = append(r.Checks, *checks[n])
			r.Valid = r.Valid && checks[n].OK
		}
		return r
	}
	set := func(name string, ok bool, outcome, format string, args ...any) {
		*checks[name] = Check{Name: name, OK: ok, Outcome: outcome, Format: format, Args: args, Detail: fmt.Sprintf(format, args...)}
	}
	fail := func(name, format string, args ...any) { set(name, false, "bad", format, args...) }
	pass := func(name, format string, args ...any) { set(name, true, "ok", format, args...) }
	notCard := func(why, format string, args ...any) Report {
		set(CheckSignature, false, "bad", format, args...)
		r := report()
		r.NotCard = why
		return r
	}

	// The parser's own words stay an argument: technical detail.
	if _, err := object(data); err != nil {
		return notCard(NotJSON, "not a well-formed JSON credential: %v", strings.TrimPrefix(err.Error(), ErrMalformed.Error()+": "))
	}
	var c Card
	if err := json.Unmarshal(data, &c); err != nil {
		return notCard(NotCredential, "not a well-formed JSON credential: %v", err)
	}
	if len(c.Context) == 0 || c.Context[0] != CredentialsV2 {
		return notCard(NotCredential, "the first @context must be %s", CredentialsV2)
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
	case err != nil && !trusted:
		fail(CheckSignature, "cannot check: no trusted DID document for %q", c.Issuer.ID)
	case errors.Is(err, ErrSignature) && err.Error() == ErrSignature.Error():
		fail(CheckSignature, "the signature does not match the document")
	case err != nil:
		fail(CheckSignature, "%v", err)
	case verified.Proof.Expires != "" && !v.Now.Before(expires):
		set(CheckSignature, false, "expired", "the proof expired on %s", verified.Proof.Expires)
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
		set(CheckValidity, false, "early", "not valid before %s", c.ValidFrom)
	case c.ValidUntil == "":
		pass(CheckValidity, "valid from %s, with no end", c.ValidFrom)
	case !v.Now.Before(until):
		set(CheckValidity, false, "expired", "expired on %s", c.ValidUntil)
	default:
		pass(CheckValidity, "valid from %s until %s", c.ValidFrom, c.ValidUntil)
	}

	// Revocation.
	ok, outcome, format, args := v.revocation(c)
	set(CheckRevocation, ok, outcome, format, args...)
	r0 := outcome == "revoked"

	// Transparency log.
	if v.Inclusion == nil {
		set(CheckLog, false, "none", "no log proof to check")
	} else if p, cp, err := v.Inclusion(data); err != nil {
		fail(CheckLog, "%v", err)
	} else if len(cp.Cosigners) > 0 {
		pass(CheckLog, "entry %d of %s, in the signed tree of size %d, cosigned by %s", p.Index, cp.Origin, cp.Size, strings.Join(cp.Cosigners, ", "))
	} else {
		pass(CheckLog, "entry %d of %s, in the signed tree of size %d", p.Index, cp.Origin, cp.Size)
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
		set(CheckFramework, false, "unknown", "edition %s %s is not known here", fw.Identifier, fw.Version)
	case got != want:
		fail(CheckFramework, "the card pins %q, but edition %s %s has %s", got, fw.Identifier, fw.Version, want)
	default:
		pass(CheckFramework, "edition %s %s, %s", fw.Identifier, fw.Version, want)
	}

	r := report()
	r.Card, r.Revoked = &c, r0
	return r
}

// revocation reads the card's status entry, fetches and verifies the list
// (same issuer, trusted key), and checks the bit. It returns the check's
// result, outcome and detail.
func (v *Verifier) revocation(c Card) (ok bool, outcome, format string, args []any) {
	bad := func(format string, args ...any) (bool, string, string, []any) { return false, "bad", format, args }
	st := c.CredentialStatus
	if st == (Status{}) {
		return true, "none", "the credential has no status entry: its issuer cannot revoke it", nil
	}
	if st.Type != "BitstringStatusListEntry" || st.StatusPurpose != "revocation" || st.StatusListCredential == "" {
		return bad("the card has no revocation status entry")
	}
	idx, err := strconv.Atoi(st.StatusListIndex)
	if err != nil || idx < 0 || idx >= StatusListSize {
		return bad("bad statusListIndex %q", st.StatusListIndex)
	}
	if v.StatusList == nil {
		return false, "unchecked", "no status list available to check", nil
	}
	data, err := v.StatusList(st.StatusListCredential)
	if errors.Is(err, ErrListElsewhere) {
		return false, "elsewhere", "status list %s is published by another instance", []any{st.StatusListCredential}
	}
	if err != nil {
		return false, "unchecked", "status list %s: %v", []any{st.StatusListCredential, err}
	}
	var list StatusListCredential
	if err := json.Unmarshal(data, &list); err != nil {
		return bad("status list: %v", err)
	}
	if list.Issuer.ID != c.Issuer.ID || list.ID != st.StatusListCredential {
		return bad("the status list is not the card's issuer's list")
	}
	doc, trusted := v.Trusted[list.Issuer.ID]
	if !trusted {
		return bad("the status list's issuer is not trusted")
	}
	if _, err := VerifyProof(data, doc.AssertionKey); err != nil {
		return bad("the status list's signature: %v", err)
	}
	if list.CredentialSubject.StatusPurpose != "revocation" {
		return bad("the status list is not a revocation list")
	}
	bits, err := DecodeBitstring(list.CredentialSubject.EncodedList)
	if err != nil {
		return bad("%v", err)
	}
	if bits.Get(idx) {
		return false, "revoked", "revoked (bit %d of %s is set)", []any{idx, st.StatusListCredential}
	}
	return true, "ok", "not revoked (bit %d of %s, list of %s)", []any{idx, st.StatusListCredential, list.ValidFrom}
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
