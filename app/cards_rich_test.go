package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/unescap/dmf/assessments/card"
)

// TestCardForThirdParties: what a verifier outside DMF reads in a card
// resolves on the instance and matches its pins: the schema (which the
// card passes, checked by a JSON Schema 2020-12 validator), the context
// version, names and descriptions in every language of the edition, the
// image, the evidence, the provider and service pages, and every term of
// the context defined on the vocabulary page.
func TestCardForThirdParties(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	anon := &api{t: t, base: a.server()}
	base := a.s.cfg.BaseURL
	local := func(u string) string {
		path, ok := strings.CutPrefix(u, base)
		if !ok {
			t.Fatalf("%s is not on this instance", u)
		}
		return path
	}
	get := func(u string) []byte {
		t.Helper()
		status, raw := anon.raw(http.MethodGet, local(u), nil)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d", u, status)
		}
		return raw
	}

	// The schema, validated by a maintained JSON Schema library.
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(get(base + card.SchemaPath)))
	if err != nil {
		t.Fatal(err)
	}
	comp := jsonschema.NewCompiler()
	comp.AssertFormat()
	if err := comp.AddResource(base+card.SchemaPath, schemaDoc); err != nil {
		t.Fatal(err)
	}
	schema, err := comp.Compile(base + card.SchemaPath)
	if err != nil {
		t.Fatalf("the served schema does not compile: %v", err)
	}

	for i, name := range []string{"Company registration", "Customs declarations"} {
		_, data := issued(t, a, p, name)
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err := schema.Validate(inst); err != nil {
			t.Errorf("card %d does not validate against its schema: %v", i, err)
		}
		var c struct {
			Context          []string `json:"@context"`
			Name             []card.LanguageValue
			Description      []card.LanguageValue
			Image            string
			CredentialSchema []card.Schema
			Evidence         []card.Evidence
			RelatedResource  []card.RelatedResource
			Subject          card.Subject `json:"credentialSubject"`
		}
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatal(err)
		}
		if len(c.CredentialSchema) != 1 || c.CredentialSchema[0].Type != "JsonSchema" || c.CredentialSchema[0].DigestSRI != card.DigestSRI(get(c.CredentialSchema[0].ID)) {
			t.Errorf("credentialSchema %+v does not pin the served schema", c.CredentialSchema)
		}
		pinned := false
		for _, r := range c.RelatedResource {
			if r.ID == c.Context[1] {
				pinned = r.DigestSRI == card.DigestSRI(get(r.ID))
			}
		}
		if !pinned || c.Context[1] != base+card.ContextV2Path {
			t.Errorf("the context %s is not pinned by its digest: %+v", c.Context[1], c.RelatedResource)
		}
		langs := map[string]bool{}
		for _, v := range append(c.Name, c.Description...) {
			langs[v.Language] = v.Value != "" && !strings.Contains(v.Value, "%!")
		}
		// In each language of the edition and of the interface: a card is
		// read in French and Chinese too.
		if len(c.Name) != len(languages) || len(c.Description) != len(languages) || !strings.Contains(c.Name[1].Value+c.Name[0].Value, name) {
			t.Errorf("name and description in each language: %+v %+v", c.Name, c.Description)
		}
		for _, l := range languages {
			if !langs[l] {
				t.Errorf("no %s name or description: %+v %+v", l, c.Name, c.Description)
			}
		}
		if img := get(c.Image); !bytes.HasPrefix(img, []byte("<svg")) || !bytes.Contains(img, []byte(name)) {
			t.Errorf("image %s: %.80s", c.Image, img)
		}
		for _, u := range []string{c.Evidence[0].ID, c.Subject.ID, c.Subject.Provider.ID} {
			get(u) // public pages
		}
	}

	// Every term of the context is defined on the vocabulary page, at the
	// anchor its IRI names.
	var ctx struct {
		Context map[string]json.RawMessage `json:"@context"`
	}
	json.Unmarshal(get(base+card.ContextV2Path), &ctx)
	var prefix string
	json.Unmarshal(ctx.Context["dmf"], &prefix)
	if prefix != base+card.VocabPath+"#" {
		t.Fatalf("terms are not on the vocabulary page: %q", prefix)
	}
	_, page := a.browser().get(card.VocabPath)
	for term := range ctx.Context {
		if strings.HasPrefix(term, "@") || term == "dmf" || term == "xsd" {
			continue
		}
		if !regexp.MustCompile(`id="` + term + `"`).MatchString(page) {
			t.Errorf("term %s has no definition on %s", term, card.VocabPath)
		}
	}
	// Cards issued before version 2 name version 1, which stays served as it was.
	if status, raw := anon.raw(http.MethodGet, card.ContextPath, nil); status != http.StatusOK || !bytes.Equal(raw, card.ContextDocument) {
		t.Errorf("context v1: %d", status)
	}
}
