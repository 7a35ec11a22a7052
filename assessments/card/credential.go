package card

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// ErrInvalidCredential is a document that VC Data Model 2.0 forbids. An
// issuer refuses to sign it and a verifier refuses to accept it.
var ErrInvalidCredential = errors.New("not a conforming VC Data Model 2.0 credential")

// credentialsV2Terms are the terms the base context defines with
// @protected: a later context may not give them another meaning.
var credentialsV2Terms = map[string]bool{
	"VerifiableCredential": true, "VerifiablePresentation": true, "EnvelopedVerifiableCredential": true,
	"EnvelopedVerifiablePresentation": true, "JsonSchemaCredential": true, "JsonSchema": true,
	"BitstringStatusListCredential": true, "BitstringStatusListEntry": true, "BitstringStatusList": true,
	"DataIntegrityProof": true, "RenderMethod": true, "ConfidenceMethod": true,
	"credentialSubject": true, "credentialStatus": true, "credentialSchema": true, "issuer": true,
	"validFrom": true, "validUntil": true, "evidence": true, "termsOfUse": true, "refreshService": true,
	"relatedResource": true, "name": true, "description": true, "proof": true, "holder": true,
	"verifiableCredential": true, "digestSRI": true, "digestMultibase": true, "mediaType": true,
	"id": true, "type": true,
}

// CheckCredential applies the rules of VC Data Model 2.0 that hold for a
// credential as JSON, the form eddsa-jcs-2022 secures: @context, id, type,
// issuer, subject, names and descriptions, validity dates, status,
// schemas, evidence, terms of use, refresh services and related
// resources. It reads inline contexts for the JSON-LD mistakes the model
// forbids (a term that is not an IRI, a protected term redefined, a type
// left undefined) but expands nothing: the JCS proof never needs it.
func CheckCredential(data []byte) error {
	doc, err := object(data)
	if err != nil {
		return err
	}
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
	if !ok || !contains(types, "VerifiableCredential") {
		return bad(`type must include "VerifiableCredential"`)
	}
	for _, t := range types {
		if !ctx.defines(t) {
			return bad("type %q is neither a URL nor a term of the credential's contexts", t)
		}
	}
	if err := checkIssuer(doc["issuer"]); err != nil {
		return bad("%v", err)
	}
	for _, f := range []string{"name", "description"} {
		if raw, ok := doc[f]; ok && !isLanguageValue(raw) {
			return bad("%s must be a string or language value objects", f)
		}
	}
	subjects, ok := objects(doc["credentialSubject"])
	if !ok || len(subjects) == 0 {
		return bad("credentialSubject must be one or more objects")
	}
	for _, s := range subjects {
		if len(s) == 0 {
			return bad("every credentialSubject must make a claim")
		}
		if raw, ok := s["id"]; ok && !isURLValue(raw) {
			return bad("credentialSubject.id must be one URL")
		}
	}
	from, err := dateTimeStamp(doc, "validFrom")
	if err != nil {
		return bad("%v", err)
	}
	until, err := dateTimeStamp(doc, "validUntil")
	if err != nil {
		return bad("%v", err)
	}
	if from != nil && until != nil && until.Before(*from) {
		return bad("validUntil is before validFrom")
	}
	// Objects that must say their type; some also need an id.
	for field, needsID := range map[string]bool{"credentialStatus": false, "credentialSchema": true,
		"evidence": false, "termsOfUse": false, "refreshService": false, "proof": false} {
		raw, present := doc[field]
		if !present {
			continue
		}
		items, ok := objects(raw)
		if !ok || len(items) == 0 {
			return bad("%s must be one or more objects", field)
		}
		for _, it := range items {
			if ts, ok := stringSet(it["type"]); !ok || len(ts) == 0 {
				return bad("every %s must have a type", field)
			}
			if raw, has := it["id"]; (has || needsID) && !isURLValue(raw) {
				return bad("%s.id must be one URL", field)
			}
		}
	}
	if raw, ok := doc["relatedResource"]; ok {
		items, ok := objects(raw)
		if !ok || len(items) == 0 {
			return bad("relatedResource must be one or more objects")
		}
		seen := map[string]bool{}
		for _, it := range items {
			var id string
			if !isURLValue(it["id"]) || json.Unmarshal(it["id"], &id) != nil || seen[id] {
				return bad("every relatedResource needs its own URL id")
			}
			seen[id] = true
			var sri, mb string
			_, hasSRI := it["digestSRI"]
			_, hasMB := it["digestMultibase"]
			if !hasSRI && !hasMB || json.Unmarshal(orNull(it["digestSRI"]), &sri) != nil || json.Unmarshal(orNull(it["digestMultibase"]), &mb) != nil {
				return bad("every relatedResource needs a digestSRI or digestMultibase string")
			}
			if known, ok := knownDigests[id]; ok && (hasSRI && sri != known.sri || hasMB && mb != known.multibase) {
				return bad("relatedResource %s does not have the digest of that resource", id)
			}
		}
	}
	if err := checkStatusEntries(doc); err != nil {
		return bad("%v", err)
	}
	return nil
}

// knownDigests are the digests of resources whose content is fixed for
// good, so that a relatedResource naming one is checked without fetching
// it: the base context as www.w3.org serves it (VC Data Model 2.0 asks
// implementations to pin that context rather than load it). The values are
// the ones the W3C data model test suite states for that copy; they differ
// from the npm copy embedded for RDF canonicalisation only in layout.
var knownDigests = map[string]struct{ sri, multibase string }{
	CredentialsV2: {sri: "sha384-NSOcNpmdIVUxIJGvGUoe22FjTWrXiaXlsZ8q6912LdnR3KraQO2n75Ica4wK4Qeg",
		multibase: "uJKGMkOmFbVJhEfKTduMC2XCyvRAYLjOVmZWwIH1wQ7k"},
}

func orNull(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return json.RawMessage("null")
	}
	return raw
}

// checkStatusEntries refuses a malformed BitstringStatusListEntry wherever
// it sits among the credential's members (Bitstring Status List §3.2:
// MALFORMED_VALUE_ERROR).
func checkStatusEntries(doc map[string]json.RawMessage) error {
	for _, raw := range doc {
		items, ok := objects(raw)
		if !ok {
			continue
		}
		for _, e := range items {
			if ts, _ := stringSet(e["type"]); !contains(ts, "BitstringStatusListEntry") {
				continue
			}
			var purpose, index, list string
			if json.Unmarshal(orNull(e["statusPurpose"]), &purpose) != nil || purpose == "" ||
				json.Unmarshal(orNull(e["statusListIndex"]), &index) != nil || !baseTen(index) ||
				json.Unmarshal(orNull(e["statusListCredential"]), &list) != nil || !isURL(list) {
				return errors.New("a BitstringStatusListEntry needs a statusPurpose, a base-10 statusListIndex string and a statusListCredential URL")
			}
			if raw, ok := e["id"]; ok && (!isURLValue(raw) || string(raw) == string(e["statusListCredential"])) {
				return errors.New("a status entry's id must be a URL other than its list's")
			}
		}
	}
	return nil
}

func baseTen(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// contextInfo is what the inline contexts say about terms.
type contextInfo struct {
	terms   map[string]bool
	vocab   bool // an @vocab maps every other term
	remotes bool // a context beyond the base one, which may define anything
}

func (c contextInfo) defines(term string) bool {
	return isURL(term) || credentialsV2Terms[term] || c.terms[term] || c.vocab || c.remotes
}

func checkContext(raw json.RawMessage) (contextInfo, error) {
	info := contextInfo{terms: map[string]bool{}, vocab: true}
	var items []json.RawMessage
	if raw == nil || json.Unmarshal(raw, &items) != nil || len(items) == 0 {
		return info, errors.New("@context must be an ordered set")
	}
	var first string
	if json.Unmarshal(items[0], &first) != nil || first != CredentialsV2 {
		return info, fmt.Errorf("the first @context must be %s", CredentialsV2)
	}
	protected := map[string]string{}
	for k := range credentialsV2Terms {
		protected[k] = "base"
	}
	for _, it := range items[1:] {
		var s string
		if json.Unmarshal(it, &s) == nil {
			if !isURL(s) {
				return info, fmt.Errorf("@context %q is not a URL", s)
			}
			info.remotes = true
			continue
		}
		var inline map[string]json.RawMessage
		if json.Unmarshal(it, &inline) != nil || inline == nil {
			return info, errors.New("every @context must be a URL or an object")
		}
		var isProtected bool
		_ = json.Unmarshal(inline["@protected"], &isProtected)
		for term, def := range inline {
			if term == "@vocab" {
				info.vocab = string(def) != "null"
				continue
			}
			if strings.HasPrefix(term, "@") {
				continue
			}
			iri := def
			var expanded map[string]json.RawMessage
			if json.Unmarshal(def, &expanded) == nil && expanded != nil {
				iri = expanded["@id"]
			}
			var s string
			if iri != nil && (json.Unmarshal(iri, &s) != nil || (!isURL(s) && !strings.HasPrefix(s, "@") && !strings.Contains(s, ":"))) {
				return info, fmt.Errorf("term %q does not map to an IRI", term)
			}
			if strings.ContainsAny(s, " \t\n") {
				return info, fmt.Errorf("term %q does not map to an IRI", term)
			}
			if _, ok := protected[term]; ok {
				return info, fmt.Errorf("term %q is protected and cannot be redefined", term)
			}
			if isProtected {
				protected[term] = s
			}
			info.terms[term] = true
		}
	}
	return info, nil
}

func checkIssuer(raw json.RawMessage) error {
	if raw == nil {
		return errors.New("issuer is required")
	}
	if isURLValue(raw) {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil || !isURLValue(obj["id"]) {
		return errors.New("issuer must be a URL or an object whose id is a URL")
	}
	for _, f := range []string{"name", "description"} {
		if v, ok := obj[f]; ok && !isLanguageValue(v) {
			return fmt.Errorf("issuer.%s must be a string or language value objects", f)
		}
	}
	return nil
}

// isLanguageValue is a string, a language value object ({"@value",
// "@language", "@direction"} and nothing else), or a list of them.
func isLanguageValue(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return true
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		for _, v := range list {
			if !isLanguageObject(v) {
				return false
			}
		}
		return len(list) > 0
	}
	return isLanguageObject(raw)
}

func isLanguageObject(raw json.RawMessage) bool {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return false
	}
	var s string
	if json.Unmarshal(obj["@value"], &s) != nil {
		return false
	}
	for k, v := range obj {
		switch k {
		case "@value":
		case "@language", "@direction":
			if json.Unmarshal(v, &s) != nil {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// dateTimeStampRE is XML Schema's dateTimeStamp: a date-time with a zone.
var dateTimeStampRE = regexp.MustCompile(`^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)

func dateTimeStamp(doc map[string]json.RawMessage, field string) (*time.Time, error) {
	raw, ok := doc[field]
	if !ok {
		return nil, nil
	}
	t, err := parseDateTimeStamp(raw)
	if err != nil {
		return nil, fmt.Errorf("%s must be a dateTimeStamp", field)
	}
	return &t, nil
}

func parseDateTimeStamp(raw json.RawMessage) (time.Time, error) {
	var s string
	if json.Unmarshal(raw, &s) != nil || !dateTimeStampRE.MatchString(s) {
		return time.Time{}, errors.New("not a dateTimeStamp")
	}
	return time.Parse(time.RFC3339Nano, s)
}

// isURL is an absolute URL: a scheme, then no spaces (URLs and DIDs).
func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && !strings.ContainsAny(s, " \t\r\n") && len(s) > len(u.Scheme)+1
}

func isURLValue(raw json.RawMessage) bool {
	var s string
	return raw != nil && json.Unmarshal(raw, &s) == nil && isURL(s)
}

// stringSet reads a string or a list of strings.
func stringSet(raw json.RawMessage) ([]string, bool) {
	if raw == nil {
		return nil, false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, true
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		return nil, false
	}
	return list, true
}

// objects reads an object or a list of objects.
func objects(raw json.RawMessage) ([]map[string]json.RawMessage, bool) {
	if raw == nil {
		return nil, false
	}
	var one map[string]json.RawMessage
	if json.Unmarshal(raw, &one) == nil && one != nil {
		return []map[string]json.RawMessage{one}, true
	}
	var list []map[string]json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return nil, false
	}
	for _, o := range list {
		if o == nil {
			return nil, false
		}
	}
	return list, true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
