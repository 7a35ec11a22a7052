package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// testCrossOrigin: a page of another site (another port) fetches a card,
// the DID document and the status list from the app, and has the app's
// VC-API verifier check the card: CORS lets it, and the card verifies.
func (b *browserSuite) testCrossOrigin(t *testing.T) {
	id, _ := issued(t, b.a, b.p, "Cross-origin permits")
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><html lang="en"><title>Another site</title><h1>Another site</h1></html>`))
	}))
	t.Cleanup(other.Close)
	tb := b.newTab(t, "a page of another site")
	tb.base = other.URL
	tb.openOK("/")
	type outcome struct {
		DIDType, ListType, CardType string
		Verified                    bool
		Checks                      []string
	}
	got := js[outcome](tb, `(async () => {
	  const app = `+"`"+b.base+"`"+`;
	  const card = await fetch(app + '/api/v1/cards/`+id+`');
	  const did = await fetch(app + '/.well-known/did.json');
	  const list = await fetch(app + '/status/1');
	  const res = await fetch(app + '/credentials/verify', {method: 'POST', headers: {'Content-Type': 'application/json'},
	    body: JSON.stringify({verifiableCredential: await card.json(), options: {checks: ['proof']}})});
	  const r = await res.json();
	  return {DIDType: did.headers.get('content-type'), ListType: list.headers.get('content-type'),
	    CardType: card.headers.get('content-type'), Verified: r.verified, Checks: r.checks};
	})()`)
	if !got.Verified || got.CardType != "application/vc" || got.ListType != "application/vc" || got.DIDType == "" {
		t.Fatalf("cross-origin card: %+v", got)
	}
	for _, c := range []string{"proof", "credentialStatus", "issuer"} {
		found := false
		for _, g := range got.Checks {
			found = found || g == c
		}
		if !found {
			t.Errorf("check %q missing from %v", c, got.Checks)
		}
	}
}
