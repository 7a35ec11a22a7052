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
	_ "embed"
	"encoding/json"
	"fmt"
	"time"
)

// CredentialsV2 is the first @context of every VC 2.0 credential.
const CredentialsV2 = "https://www.w3.org/ns/credentials/v2"

// ContextPath is where an instance serves its JSON-LD context, relative
// to its base URL.
const ContextPath = "/contexts/maturity-card/v1"

// ContextDocument is the JSON-LD context defining every term a card uses.
// JCS verification never loads it; it is there for conformance and for
// verifiers that expand the card.
//
//go:embed context.jsonld
var ContextDocument []byte

// Card is a maturity business card as issued: the credential without its
// proof.
type Card struct {
	Context           []string          `json:"@context"`
	ID                string            `json:"id"`
	Type              []string          `json:"type"`
	Name              string            `json:"name"`
	Description       string            `json:"description,omitempty"`
	Issuer            Issuer            `json:"issuer"`
	ValidFrom         string            `json:"validFrom"`
	ValidUntil        string            `json:"validUntil"`
	CredentialSubject Subject           `json:"credentialSubject"`
	RelatedResource   []RelatedResource `json:"relatedResource"`
	CredentialStatus  Status            `json:"credentialStatus"`
}

// Issuer names the instance that issued a card.
type Issuer struct {
	ID   string `json:"id"` // did:web:HOST
	Name string `json:"name"`
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
	MediaType string `json:"mediaType"`
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
	c.Context = []string{CredentialsV2, baseURL + ContextPath}
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
