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

// VerificationResult is the VC-API answer to POST /credentials/verify:
// verified only when there are no errors. Checks names what was checked
// and held; a trusted issuer adds "issuer", an untrusted one a warning, so
// that a valid proof and a trusted issuer stay two questions.
type VerificationResult struct {
	Verified bool      `json:"verified"`
	Checks   []string  `json:"checks"`
	Warnings []Problem `json:"warnings"`
	Errors   []Problem `json:"errors"`
}

// Problem is one error or warning, in the VC-API's ProblemDetails form.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

// Problem types of a verification (Data Integrity and Bitstring Status
// List name these).
const (
	ProblemMalformed    = "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR"
	ProblemProof        = "https://w3id.org/security#PROOF_VERIFICATION_ERROR"
	ProblemValidity     = "https://www.w3.org/TR/vc-data-model#VALIDITY_ERROR"
	ProblemStatus       = "https://www.w3.org/ns/credentials/status-list#STATUS_VERIFICATION_ERROR"
	ProblemUnknownEntry = "https://www.w3.org/ns/credentials/status-list#UNKNOWN_STATUS_ENTRY"
)

// CredentialVerifier checks any eddsa-jcs-2022 credential whose issuer is
// a did:key, or a did:web that ResolveDIDWeb can resolve.
type CredentialVerifier struct {
	Now time.Time
	// ResolveDIDWeb returns the key of a did:web verification method, for
	// the DIDs this instance knows (itself, its pinned peers); nil: none.
	ResolveDIDWeb func(vm string) (ed25519.PublicKey, error)
	// StatusList returns the status list credential at a URL; nil: status
	// entries are not checked and say so in a warning.
	StatusList func(url string) ([]byte, error)
	// Trusted says whether an issuer is trusted here; nil: trust is not
	// asked.
	Trusted func(issuer string) bool
	// UntrustedType is the problem type of an untrusted issuer's warning.
	UntrustedType string
}

func (v *CredentialVerifier) resolve(vm string) (ed25519.PublicKey, error) {
	switch {
	case strings.HasPrefix(vm, "did:key:"):
		return ResolveDIDKey(vm)
	case strings.HasPrefix(vm, "did:web:") && v.ResolveDIDWeb != nil:
		return v.ResolveDIDWeb(vm)
	}
	return nil, fmt.Errorf("verification method %q is neither a did:key nor a did:web known here", vm)
}

// VerifyCredential checks a credential's form, its proof, its validity
// period and its status, each failure an error of its own.
func (v *CredentialVerifier) VerifyCredential(data []byte) VerificationResult {
	r := VerificationResult{Checks: []string{}, Warnings: []Problem{}, Errors: []Problem{}}
	fail := func(typ, title string, err error) {
		r.Errors = append(r.Errors, Problem{Type: typ, Title: title, Detail: err.Error()})
	}
	if err := CheckCredential(data); err != nil {
		fail(ProblemMalformed, "malformed credential", err)
		return r
	}
	doc, _ := object(data)
	issuer := issuerID(doc["issuer"])
	proof, err := v.verifyProof(doc, issuer)
	if err != nil {
		fail(ProblemProof, "proof", err)
	} else {
		r.Checks = append(r.Checks, "proof")
	}
	if err := validity(doc, v.Now); err != nil {
		fail(ProblemValidity, "validity period", err)
	} else {
		r.Checks = append(r.Checks, "validity")
	}
	if proof != nil && proof.Expires != "" {
		// verifyProof has parsed it.
		if exp, _ := time.Parse(time.RFC3339Nano, proof.Expires); !v.Now.Before(exp) {
			fail(ProblemProof, "proof", fmt.Errorf("the proof expired on %s", proof.Expires))
		}
	}
	if raw, ok := doc["credentialStatus"]; ok {
		switch checked, err := v.status(raw, issuer); {
		case err != nil:
			fail(ProblemStatus, "credential status", err)
		case checked:
			r.Checks = append(r.Checks, "credentialStatus")
		default:
			r.Warnings = append(r.Warnings, Problem{Type: ProblemUnknownEntry, Title: "credential status",
				Detail: "the status entry is of a type not checked here"})
		}
	}
	if v.Trusted != nil {
		if v.Trusted(issuer) {
			r.Checks = append(r.Checks, "issuer")
		} else {
			r.Warnings = append(r.Warnings, Problem{Type: v.UntrustedType, Title: "issuer",
				Detail: fmt.Sprintf("the proof is valid, but %s is not an issuer this instance trusts", issuer)})
		}
	}
	r.Verified = len(r.Errors) == 0
	return r
}

// verifyProof checks the one eddsa-jcs-2022 proof (alone or a set of one)
// and that its key belongs to the issuer.
func (v *CredentialVerifier) verifyProof(doc map[string]json.RawMessage, issuer string) (*Proof, error) {
	raw, ok := doc["proof"]
	if !ok {
		return nil, ErrNoProof
	}
	var set []json.RawMessage
	if json.Unmarshal(raw, &set) == nil {
		if len(set) != 1 {
			return nil, fmt.Errorf("%w: a proof set of %d proofs; only a single proof is verified here", ErrNoProof, len(set))
		}
		doc = clone(doc)
		doc["proof"] = set[0]
	}
	resolve := func(vm string) (ed25519.PublicKey, error) {
		if did, _, _ := strings.Cut(vm, "#"); did != issuer {
			return nil, fmt.Errorf("verification method %q is not the issuer's (%s)", vm, issuer)
		}
		return v.resolve(vm)
	}
	var suite struct {
		Cryptosuite string `json:"cryptosuite"`
	}
	if json.Unmarshal(doc["proof"], &suite) == nil && suite.Cryptosuite == CryptosuiteRDFC {
		unsecured := clone(doc)
		delete(unsecured, "proof")
		return verifyRDFC(unsecured, doc["proof"], resolve)
	}
	secured, err := canonical(doc)
	if err != nil {
		return nil, err
	}
	verified, err := VerifyProof(secured, resolve)
	if err != nil {
		return nil, err
	}
	return &verified.Proof, nil
}

func validity(doc map[string]json.RawMessage, now time.Time) error {
	from, _ := dateTimeStamp(doc, "validFrom") // CheckCredential has parsed them
	until, _ := dateTimeStamp(doc, "validUntil")
	switch {
	case from != nil && now.Before(*from):
		return fmt.Errorf("not valid before %s", from.Format(time.RFC3339))
	case until != nil && !now.Before(*until):
		return fmt.Errorf("expired on %s", until.Format(time.RFC3339))
	}
	return nil
}

// status checks every BitstringStatusListEntry: the list must verify, be
// the issuer's, be of the entry's purpose, and have the entry's bit clear.
// It reports false when no entry is of a type it knows.
func (v *CredentialVerifier) status(raw json.RawMessage, issuer string) (bool, error) {
	entries, _ := objects(raw) // CheckCredential has read them
	checked := false
	for _, e := range entries {
		var st struct {
			Type                 string `json:"type"`
			StatusPurpose        string `json:"statusPurpose"`
			StatusListIndex      string `json:"statusListIndex"`
			StatusListCredential string `json:"statusListCredential"`
		}
		if json.Unmarshal(mustMarshal(e), &st) != nil {
			return false, errors.New("a status entry's members are not strings")
		}
		if st.Type != "BitstringStatusListEntry" {
			continue
		}
		idx, err := strconv.Atoi(st.StatusListIndex)
		if err != nil || idx < 0 || strconv.Itoa(idx) != st.StatusListIndex {
			return false, fmt.Errorf("statusListIndex %q is not a base-10 integer", st.StatusListIndex)
		}
		if st.StatusPurpose == "" || !isURL(st.StatusListCredential) {
			return false, errors.New("a BitstringStatusListEntry needs a statusPurpose and a statusListCredential URL")
		}
		if v.StatusList == nil {
			return false, errors.New("status lists cannot be fetched here")
		}
		list, err := v.StatusList(st.StatusListCredential)
		if err != nil {
			return false, fmt.Errorf("status list %s: %v", st.StatusListCredential, err)
		}
		bits, err := v.statusList(list, st.StatusListCredential, st.StatusPurpose, issuer)
		if err != nil {
			return false, fmt.Errorf("status list %s: %v", st.StatusListCredential, err)
		}
		if idx >= len(bits)*8 {
			return false, fmt.Errorf("statusListIndex %d is beyond the list", idx)
		}
		if bits.Get(idx) {
			return false, fmt.Errorf("the %s bit %d of %s is set", st.StatusPurpose, idx, st.StatusListCredential)
		}
		checked = true
	}
	return checked, nil
}

func (v *CredentialVerifier) statusList(data []byte, url, purpose, issuer string) (Bitstring, error) {
	inner := &CredentialVerifier{Now: v.Now, ResolveDIDWeb: v.ResolveDIDWeb}
	if res := inner.VerifyCredential(data); !res.Verified {
		return nil, fmt.Errorf("does not verify: %s", res.Errors[0].Detail)
	}
	var list struct {
		ID                string          `json:"id"`
		Type              []string        `json:"type"`
		Issuer            json.RawMessage `json:"issuer"`
		CredentialSubject struct {
			Type          string `json:"type"`
			StatusPurpose string `json:"statusPurpose"`
			EncodedList   string `json:"encodedList"`
		} `json:"credentialSubject"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, err
	}
	switch {
	case list.ID != url || !contains(list.Type, "BitstringStatusListCredential") || list.CredentialSubject.Type != "BitstringStatusList":
		return nil, errors.New("is not a BitstringStatusListCredential with that id")
	case issuerID(list.Issuer) != issuer:
		return nil, errors.New("is not the credential issuer's")
	case list.CredentialSubject.StatusPurpose != purpose:
		return nil, fmt.Errorf("is a %s list, not a %s list", list.CredentialSubject.StatusPurpose, purpose)
	}
	return DecodeBitstring(list.CredentialSubject.EncodedList)
}

// issuerID is the issuer's URL, whether issuer is a string or an object.
func issuerID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &obj)
	return obj.ID
}

// IssueCredential signs a credential as the VC-API issuer does: it must
// conform, name this issuer, and is secured with an eddsa-jcs-2022 proof
// by vm. A proof it already carries stays beside the new one (a proof
// set). status, when not nil, adds a status entry first.
func IssueCredential(credential []byte, key ed25519.PrivateKey, vm string, now time.Time, status func() (json.RawMessage, error)) ([]byte, error) {
	if err := CheckCredential(credential); err != nil {
		return nil, err
	}
	doc, _ := object(credential)
	did, _, _ := strings.Cut(vm, "#")
	if id := issuerID(doc["issuer"]); id != did {
		return nil, fmt.Errorf("%w: the issuer must be %s, not %q", ErrInvalidCredential, did, id)
	}
	if status != nil {
		if _, has := doc["credentialStatus"]; !has {
			entry, err := status()
			if err != nil {
				return nil, err
			}
			doc["credentialStatus"] = entry
		}
	}
	previous, hadProof := doc["proof"]
	delete(doc, "proof")
	unsigned, err := canonical(doc)
	if err != nil {
		return nil, err
	}
	signed, err := Sign(unsigned, key, vm, now)
	if err != nil || !hadProof {
		return signed, err
	}
	out, _ := object(signed)
	var set []json.RawMessage
	if json.Unmarshal(previous, &set) != nil {
		set = []json.RawMessage{previous}
	}
	out["proof"] = mustMarshal(append(set, out["proof"]))
	return canonical(out)
}

func clone(doc map[string]json.RawMessage) map[string]json.RawMessage {
	c := make(map[string]json.RawMessage, len(doc))
	for k, v := range doc {
		c[k] = v
	}
	return c
}

func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps and slices of raw JSON reach here
	}
	return b
}
