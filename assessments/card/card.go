// Package card issues and verifies the maturity business card: a W3C
// Verifiable Credential (VC Data Model 2.0) secured with a Data Integrity
// proof of the eddsa-jcs-2022 cryptosuite, revocable through a Bitstring
// Status List, and logged in an RFC 6962 transparency log whose signed
// checkpoints follow C2SP tlog-checkpoint.
//
// A card is signed once and kept as the exact bytes that were signed
// (canonical JSON); verification works on bytes, never on a re-marshalled
// struct. A signed card looks like this (shortened):
//
//	{"@context":["https://www.w3.org/ns/credentials/v2","https://dmf.example/contexts/maturity-card/v1"],
//	 "credentialStatus":{"id":"https://dmf.example/status/1#94567","statusListCredential":"https://dmf.example/status/1",
//	   "statusListIndex":"94567","statusPurpose":"revocation","type":"BitstringStatusListEntry"},
//	 "credentialSubject":{"id":"https://dmf.example/services/7","type":"DigitalPublicService","name":"VAT filing",
//	   "provider":{"type":"GovernmentOrganization","name":"Tax Committee","country":"UZB"},
//	   "assessment":{"id":"https://dmf.example/assessments/42","type":"MaturityAssessment","period":2026,
//	     "framework":{"identifier":"escap-dmf-dps-sme","version":"1.0.0"},
//	     "overall":{"score":57.5,"level":3,"label":"Established"},"dimensions":[…]}},
//	 "id":"https://dmf.example/cards/0f1c…","issuer":{"id":"did:web:dmf.example","name":"…"},
//	 "relatedResource":[{"digestSRI":"sha384-…","id":"https://dmf.example/api/v1/frameworks/escap-dmf-dps-sme/1.0.0/canonical"}],
//	 "type":["VerifiableCredential","DigitalMaturityCard"],"validFrom":"2026-11-27T10:00:00Z","validUntil":"2028-11-27T10:00:00Z",
//	 "proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-jcs-2022","verificationMethod":"did:web:dmf.example#key-2026-1",…}}
package card

import (
	"bytes"
	"crypto/sha512"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// CredentialsV2 is the first @context of every VC 2.0 credential.
const CredentialsV2 = "https://www.w3.org/ns/credentials/v2"

// ContextPath is where an instance serves the first version of its
// JSON-LD context, relative to its base URL: cards issued before version 2
// name it, so it stays served, byte for byte.
const ContextPath = "/contexts/maturity-card/v1"

// ContextDocument is the first version of the context.
//
//go:embed context.jsonld
var ContextDocument []byte

// ContextV2Path is where an instance serves the context that cards name
// now, pinned in each card by a relatedResource digest. Each version keeps
// its URL and bytes for good; a change is a new version.
const ContextV2Path = "/contexts/maturity-card/v2"

// VocabPath is the page defining every term of the context: each term's
// IRI is VocabPath#Term on the issuing instance.
const VocabPath = "/vocab"

// SchemaPath is where an instance serves the card's JSON Schema.
const SchemaPath = "/schemas/maturity-card/v1"

//go:embed context-v2.jsonld
var contextV2 []byte

//go:embed schema-v1.json
var schemaV1 []byte

// ContextV2 is the context version 2 of the instance at baseURL, its term
// IRIs on that instance's vocabulary page.
func ContextV2(baseURL string) []byte {
	return bytes.ReplaceAll(contextV2, []byte("{{BASE}}"), []byte(baseURL))
}

// SchemaV1 is the card's JSON Schema (2020-12) as the instance at baseURL
// serves it.
func SchemaV1(baseURL string) []byte {
	return bytes.ReplaceAll(schemaV1, []byte("{{BASE}}"), []byte(baseURL))
}

// DigestSRI is the sha384 Subresource Integrity digest of some bytes.
func DigestSRI(b []byte) string {
	sum := sha512.Sum384(b)
	return "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
}

// Card is a maturity business card as issued: the credential without its
// proof.
type Card struct {
	Context           []string          `json:"@context"`
	ID                string            `json:"id"`
	Type              []string          `json:"type"`
	Name              Texts             `json:"name"`
	Description       Texts             `json:"description,omitempty"`
	Image             string            `json:"image,omitempty"` // a picture of the card, served by the issuer
	Issuer            Issuer            `json:"issuer"`
	ValidFrom         string            `json:"validFrom"`
	ValidUntil        string            `json:"validUntil"`
	CredentialSubject Subject           `json:"credentialSubject"`
	CredentialSchema  []Schema          `json:"credentialSchema,omitempty"`
	Evidence          []Evidence        `json:"evidence,omitempty"`
	RelatedResource   []RelatedResource `json:"relatedResource"`
	CredentialStatus  Status            `json:"credentialStatus"`
}

// LanguageValue is a text in one language (a JSON-LD value object).
type LanguageValue struct {
	Value    string `json:"@value"`
	Language string `json:"@language"`
}

// Texts is a name or description in each language of the edition. Cards
// issued before languages were added carry one plain English string,
// which reads as a text without a language.
type Texts []LanguageValue

// UnmarshalJSON reads a plain string, one value object or a list of them.
func (t *Texts) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = Texts{{Value: s}}
		return nil
	}
	var one LanguageValue
	if json.Unmarshal(b, &one) == nil && one.Value != "" {
		*t = Texts{one}
		return nil
	}
	var list []LanguageValue
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*t = list
	return nil
}

// In returns the text in lang, else the first one.
func (t Texts) In(lang string) string {
	for _, v := range t {
		if v.Language == lang {
			return v.Value
		}
	}
	if len(t) > 0 {
		return t[0].Value
	}
	return ""
}

// Schema is a credentialSchema entry: a JSON Schema the card validates
// against, pinned by digest.
type Schema struct {
	ID        string `json:"id"`
	Type      string `json:"type"` // JsonSchema
	DigestSRI string `json:"digestSRI"`
}

// Evidence points to what the card's claims rest on: the assessment's
// public summary.
type Evidence struct {
	ID   string   `json:"id"`
	Type []string `json:"type"`
}

// Issuer names the instance that issued a card.
type Issuer struct {
	ID   string `json:"id"` // did:web:HOST
	Name string `json:"name"`
}

// UnmarshalJSON also reads an issuer given as its URL alone, which VC
// Data Model 2.0 allows.
func (is *Issuer) UnmarshalJSON(b []byte) error {
	var id string
	if json.Unmarshal(b, &id) == nil {
		*is = Issuer{ID: id}
		return nil
	}
	type plain Issuer
	return json.Unmarshal(b, (*plain)(is))
}

// Subject is the digital public service the card is about.
type Subject struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"`
	Name       string     `json:"name"`
	Category   string     `json:"category,omitempty"`
	Provider   Provider   `json:"provider"`
	Assessment Assessment `json:"assessment"`
}

// Provider is the agency that runs the service. Its id (a page of the
// issuing instance) is absent on cards issued before it was added.
type Provider struct {
	ID      string `json:"id,omitempty"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	Country string `json:"country"` // ISO 3166-1 alpha-3
}

// Assessment is the approved assessment behind the card.
type Assessment struct {
	ID         string      `json:"id"`
	Type       string      `json:"type"`
	Period     int         `json:"period"`
	Submitted  string      `json:"submitted"`
	Approved   string      `json:"approved"`
	Framework  Framework   `json:"framework"`
	Overall    Score       `json:"overall"`
	Dimensions []Dimension `json:"dimensions"`
}

// Framework names the edition the assessment used.
type Framework struct {
	Identifier string `json:"identifier"`
	Version    string `json:"version"`
	Title      string `json:"title,omitempty"`
}

// Score is a score on the 0–100 scale, rounded to one decimal, with its
// maturity level.
type Score struct {
	Score float64 `json:"score"`
	Level int     `json:"level"`
	Label string  `json:"label"`
}

// Dimension is one dimension's score.
type Dimension struct {
	Dimension string  `json:"dimension"`
	Name      string  `json:"name"`
	Score     float64 `json:"score"`
	Level     int     `json:"level"`
	Label     string  `json:"label"`
}

// RelatedResource pins the framework edition by digest.
type RelatedResource struct {
	ID        string `json:"id"`
	MediaType string `json:"mediaType,omitempty"`
	DigestSRI string `json:"digestSRI"`
}

// Status is the card's entry in a Bitstring Status List.
type Status struct {
	ID                   string `json:"id"`
	Type                 string `json:"type"`
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
}

// Validity is how long a card is valid after issuance; a service is
// expected to be assessed again within it.
const Validity = 2 * 365 * 24 * time.Hour

// Issue signs a card with key at time now. The validity window and the
// context are set here, so that every card has them the same way.
func Issue(c Card, baseURL string, key Key, did string, now time.Time) ([]byte, error) {
	now = now.UTC().Truncate(time.Second)
	c.Context = []string{CredentialsV2, baseURL + ContextV2Path}
	c.CredentialSchema = []Schema{{ID: baseURL + SchemaPath, Type: "JsonSchema", DigestSRI: DigestSRI(SchemaV1(baseURL))}}
	c.RelatedResource = append(c.RelatedResource, RelatedResource{ID: baseURL + ContextV2Path,
		MediaType: "application/ld+json", DigestSRI: DigestSRI(ContextV2(baseURL))})
	c.Type = []string{"VerifiableCredential", "DigitalMaturityCard"}
	c.ValidFrom = now.Format(time.RFC3339)
	c.ValidUntil = now.Add(Validity).Format(time.RFC3339)
	c.CredentialSubject.Type = "DigitalPublicService"
	c.CredentialSubject.Provider.Type = "GovernmentOrganization"
	c.CredentialSubject.Assessment.Type = "MaturityAssessment"
	unsigned, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("card: %w", err)
	}
	return Sign(unsigned, key.Private, did+"#"+key.ID, now)
}

// Parse reads a card's fields from its JSON, for display. It does not
// verify anything.
func Parse(data []byte) (*Card, error) {
	var c Card
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return &c, nil
}
