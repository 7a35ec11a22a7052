package main

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/unescap/dmf/assessments/card"
)

// TestCardFeed reads the public feed as a peer does: cards in log order,
// each with its log index and a proof that puts it in the log, in pages
// that continue where the last one ended; bad paging is refused by field.
func TestCardFeed(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	for _, name := range []string{"Feed one", "Feed two", "Feed three"} {
		a.approve(p.actorA, p.actorRev, name, 2026, func(int) int { return 4 }, true)
	}
	var page feedJSON
	read := func(q string) {
		t.Helper()
		rec := a.get("/api/v1/cards" + q)
		if rec.Code != http.StatusOK || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("GET /api/v1/cards%s: %d %s", q, rec.Code, rec.Body)
		}
		page = feedJSON{}
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Fatal(err)
		}
	}
	read("?limit=2")
	if page.Size != 3 || len(page.Cards) != 2 || page.Next != 2 || page.Cards[0].LogIndex != 0 || page.Cards[1].LogIndex != 1 {
		t.Fatalf("first page: size %d next %d cards %d", page.Size, page.Next, len(page.Cards))
	}
	first := page.Cards[0]
	proof := a.get("/api/v1/cards/" + first.ID + "/tlog-proof")
	pp, _, err := card.VerifyInclusion(first.Card, proof.Body.String(), a.s.issuer.Keys.LogKey)
	if err != nil || pp.Index != first.LogIndex {
		t.Fatalf("the feed's card is not at its log index: %v", err)
	}
	if first.Proof != a.s.issuer.BaseURL+"/api/v1/cards/"+first.ID+"/tlog-proof" {
		t.Errorf("proof link %q", first.Proof)
	}
	read("?after=2")
	if len(page.Cards) != 1 || page.Cards[0].LogIndex != 2 || page.Next != 3 {
		t.Fatalf("second page: %+v", page)
	}
	read("?after=3")
	if len(page.Cards) != 0 || page.Next != 3 {
		t.Fatalf("past the end: %+v", page)
	}
	for q, field := range map[string]string{"?after=-1": "after", "?after=x": "after", "?limit=0": "limit", "?limit=201": "limit", "?limit=a": "limit"} {
		rec := a.get("/api/v1/cards" + q)
		var e struct {
			Error struct {
				Fields map[string]string `json:"fields"`
			} `json:"error"`
		}
		json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != http.StatusUnprocessableEntity || e.Error.Fields[field] == "" {
			t.Errorf("GET /api/v1/cards%s: %d %s, want 422 naming %s", q, rec.Code, rec.Body, field)
		}
	}
}
