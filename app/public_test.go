package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestEveryURLInACardResolves fetches, as an anonymous visitor, every URL
// of this instance inside a freshly issued card (its id, the service and
// provider ids, the assessment, the edition, the status list, the context
// and, for the did:web issuer and key, the DID document). None may be
// missing; the public ones must answer 200.
func TestEveryURLInACardResolves(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	ctx := context.Background()
	approved := a.approve(p.actorA, p.actorRev, "Approved service", 2026, func(int) int { return 4 }, true)
	rec, err := a.s.store.CardOf(ctx, p.actorA, approved)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(rec.Data, &doc); err != nil {
		t.Fatal(err)
	}
	base := a.s.cfg.BaseURL
	paths := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case string:
			if p, ok := strings.CutPrefix(v, base); ok {
				p, _, _ = strings.Cut(p, "#")
				paths[p] = true
			}
			if strings.HasPrefix(v, a.s.issuer.DID) { // did:web:HOST resolves to the DID document
				paths["/.well-known/did.json"] = true
			}
		}
	}
	walk(doc)
	subject := doc.(map[string]any)["credentialSubject"].(map[string]any)
	provider, _ := subject["provider"].(map[string]any)["id"].(string)
	public := map[string]bool{"/cards/" + rec.ID: true, strings.TrimPrefix(subject["id"].(string), base): true,
		strings.TrimPrefix(provider, base): true, "/.well-known/did.json": true}
	for p := range public {
		if !paths[p] {
			t.Errorf("the card does not carry %s (provider id %q)", p, provider)
		}
	}
	if len(paths) < 7 {
		t.Errorf("only %d URLs found in the card: %v", len(paths), paths)
	}
	t.Logf("URLs of this instance in the card: %v", paths)
	client := a.browser()
	for p := range paths {
		resp, _ := client.get(p)
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode >= 500 || (public[p] && resp.StatusCode != http.StatusOK) {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
}

// TestPublicServicePages: a service's and its provider's pages show its
// approved cards and link to them; nothing without a card is shown.
func TestPublicServicePages(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	ctx := context.Background()
	approved := a.approve(p.actorA, p.actorRev, "Approved service", 2026, func(int) int { return 4 }, true)
	a.approve(p.actorA, p.actorRev, "Submitted service", 2026, func(int) int { return 3 }, false)
	a.startAssessment(p.actorB) // organisation B has only a draft
	rec, err := a.s.store.CardOf(ctx, p.actorA, approved)
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := a.s.store.ServiceByName(ctx, p.actorA, "Approved service")
	hidden, _ := a.s.store.ServiceByName(ctx, p.actorA, "Submitted service")

	servicePage := fmt.Sprintf("/services/%d", svc.ID)
	orgPage := fmt.Sprintf("/organisations/%d", p.orgA.ID)
	for _, tc := range []struct {
		path     string
		want     []string
		wantNot  []string
		wantCode int
	}{
		{servicePage, []string{"Approved service", "Ministry of Justice", `href="` + orgPage + `"`, `href="/cards/` + rec.ID + `"`, "2026", "75.0"},
			[]string{"Submitted service", "@justice.kz"}, http.StatusOK},
		{orgPage, []string{"Ministry of Justice", "Kazakhstan", "Ministry", `href="` + servicePage + `"`, `href="/cards/` + rec.ID + `"`},
			[]string{"Submitted service", "@justice.kz"}, http.StatusOK},
		{"/cards/" + rec.ID, []string{`href="` + servicePage + `"`, `href="` + orgPage + `"`}, nil, http.StatusOK},
		{fmt.Sprintf("/services/%d", hidden.ID), nil, nil, http.StatusNotFound},
		{fmt.Sprintf("/organisations/%d", p.orgB.ID), nil, nil, http.StatusNotFound},
		{"/services/abc", nil, nil, http.StatusNotFound},
		{"/organisations/999999", nil, nil, http.StatusNotFound},
		{servicePage + "?lang=ru", []string{"Утверждённые оценки", "Открыть карточку зрелости"}, nil, http.StatusOK},
	} {
		rec := a.get(tc.path)
		if rec.Code != tc.wantCode {
			t.Errorf("%s: %d, want %d", tc.path, rec.Code, tc.wantCode)
			continue
		}
		body := rec.Body.String()
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %s", tc.path, w)
			}
		}
		for _, w := range tc.wantNot {
			if strings.Contains(body, w) {
				t.Errorf("%s shows %s", tc.path, w)
			}
		}
		if untranslated.MatchString(body) {
			t.Errorf("%s has untranslated keys: %v", tc.path, untranslated.FindAllString(body, -1))
		}
	}

	// A revoked card stays listed, marked.
	if _, err := a.s.store.Revoke(ctx, p.actorRev, rec.ID, "withdrawn for the test"); err != nil {
		t.Fatal(err)
	}
	if body := a.get(servicePage).Body.String(); !strings.Contains(body, "status-revoked") || strings.Contains(body, "withdrawn for the test") {
		t.Errorf("revoked card is not marked, or its reason is shown")
	}
}
