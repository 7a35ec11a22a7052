package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments"
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

// servedAppWith is servedApp with settings.
func servedAppWith(t *testing.T, settings ...func(*Config)) *testApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	a := newTestApp(t, append([]func(*Config){func(c *Config) { c.BaseURL = base }}, settings...)...)
	srv := httptest.NewUnstartedServer(a.e)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	a.url = base
	return a
}

// trust makes peer a trusted peer of a, as DMF_PEERS does.
func (a *testApp) trust(peer *testApp) *assessments.Peer {
	a.t.Helper()
	ctx := context.Background()
	info, err := a.s.peers.Fetch(ctx, peer.url)
	if err != nil {
		a.t.Fatal(err)
	}
	p, err := a.s.store.PreconfirmPeer(ctx, info)
	if err != nil {
		a.t.Fatal(err)
	}
	return p
}

// noWitness is for tests of what does not depend on witnessing: a
// peer's checkpoints need no cosignature, and status lists are not cached.
func noWitness(c *Config) { c.WitnessQuorum, c.StatusTTL = 0, 0 }

// forge signs a card's content again with a key that is not the issuer's,
// under the issuer's own verification method.
func forge(t *testing.T, signed []byte) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(signed, &doc); err != nil {
		t.Fatal(err)
	}
	vm := doc["proof"].(map[string]any)["verificationMethod"].(string)
	delete(doc, "proof")
	unsigned, _ := json.Marshal(doc)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	out, err := card.Sign(unsigned, key, vm, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type verification struct {
	Valid  bool `json:"valid"`
	Checks []struct {
		Name   string `json:"name"`
		OK     bool   `json:"ok"`
		Detail string `json:"detail"`
	} `json:"checks"`
}

func (v verification) check(name string) (bool, string) {
	for _, c := range v.Checks {
		if c.Name == name {
			return c.OK, c.Detail
		}
	}
	return false, "no such check"
}

func verifyOn(t *testing.T, a *testApp, data []byte) verification {
	t.Helper()
	rec := a.do(http.MethodPost, "/api/v1/cards/verify", bytes.NewReader(data), "Content-Type", "application/json")
	var v verification
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("verify: %d %s", rec.Code, rec.Body)
	}
	return v
}

// A card issued by trusted peer A verifies on B: A's signature, A's
// status list (fetched from A, its proof checked) and inclusion in A's
// log, each check naming A; a card claiming A's DID but signed by another
// key fails, and a revocation on A is seen on B at once with a TTL of 0.
func TestPeerCardVerifies(t *testing.T) {
	a := servedAppWith(t)
	b := newTestApp(t, noWitness)
	pa := a.seedPeople()
	id := a.approve(pa.actorA, pa.actorRev, "Business registration", 2026, func(int) int { return 4 }, true)
	rec, err := a.s.store.CardOf(context.Background(), pa.actorRev, id)
	if err != nil {
		t.Fatal(err)
	}
	if v := verifyOn(t, b, rec.Data); v.Valid {
		t.Fatalf("B verified A's card before trusting A: %+v", v)
	}
	b.trust(a)
	v := verifyOn(t, b, rec.Data)
	if !v.Valid {
		t.Fatalf("A's card on B: %+v", v)
	}
	host := strings.TrimPrefix(a.url, "http://")
	for name, want := range map[string]string{"issuer": "did:web:" + strings.ReplaceAll(host, ":", "%3A"), "revocation": a.url + "/status/", "log": host + "/cards-log"} {
		if ok, detail := v.check(name); !ok || !strings.Contains(detail, want) {
			t.Errorf("%s: %v %q; want it to name %s", name, ok, detail, want)
		}
	}

	forged := verifyOn(t, b, forge(t, rec.Data))
	if ok, _ := forged.check("signature"); forged.Valid || ok {
		t.Errorf("a card signed by another key under A's DID verified: %+v", forged)
	}

	// The verify page, with a pasted card, says the same and tells how to
	// check it offline against A.
	br := b.browser()
	resp0, body := br.post("/verify", url.Values{"card": {string(rec.Data)}})
	if resp0.StatusCode != http.StatusOK || !strings.Contains(body, "curl -o did.json "+a.url+"/.well-known/did.json") {
		t.Errorf("the verify page on B: %d, offline commands not against A", resp0.StatusCode)
	}

	// VC-API: the proof verifies and the issuer is trusted.
	resp := b.do(http.MethodPost, "/credentials/verify", strings.NewReader(`{"verifiableCredential":`+string(rec.Data)+`}`), "Content-Type", "application/json")
	if resp.Code != http.StatusOK || !strings.Contains(resp.Body.String(), `"verified":true`) || strings.Contains(resp.Body.String(), "not trusted") {
		t.Errorf("VC-API on B: %d %s", resp.Code, resp.Body)
	}

	if _, err := a.s.store.Revoke(context.Background(), pa.actorRev, rec.ID, "superseded"); err != nil {
		t.Fatal(err)
	}
	v = verifyOn(t, b, rec.Data)
	if ok, detail := v.check("revocation"); v.Valid || ok || !strings.Contains(detail, "revoked") {
		t.Errorf("after revocation on A, B says %v: %q", ok, detail)
	}
}

// With a witness quorum, a peer's card verifies only under a checkpoint
// that enough witnesses trusted here cosigned; A's uncosigned checkpoint
// is not enough, and the check says how many it has.
func TestPeerCardNeedsWitnesses(t *testing.T) {
	a := servedAppWith(t)
	b := newTestApp(t, func(c *Config) { c.WitnessQuorum, c.StatusTTL = 1, 0 })
	pa := a.seedPeople()
	id := a.approve(pa.actorA, pa.actorRev, "Business registration", 2026, func(int) int { return 4 }, true)
	rec, _ := a.s.store.CardOf(context.Background(), pa.actorRev, id)
	b.trust(a)
	v := verifyOn(t, b, rec.Data)
	if ok, detail := v.check("log"); v.Valid || ok || !strings.Contains(detail, "0 of the 1 witness cosignatures") {
		t.Errorf("log check of an uncosigned checkpoint: %v %q", ok, detail)
	}
	if ok, _ := v.check("signature"); !ok {
		t.Errorf("the signature check failed too: %+v", v)
	}
}

// The hub pulls a trusted peer's cards through its feed when an admin
// asks; its comparison then shows the peer's country from those cards,
// labelled with the peer, and a card revoked on the peer leaves it at the
// next sync.
func TestHubSync(t *testing.T) {
	a := servedAppWith(t)
	hub := newTestApp(t, noWitness)
	pa := a.seedPeople()
	var ids []uint
	for i, level := range []int{3, 4, 5} {
		ids = append(ids, a.approve(pa.actorA, pa.actorRev, fmt.Sprintf("Service %d", i), 2026, func(int) int { return level }, true))
	}
	hub.seedPeople()
	peer := hub.trust(a)
	admin := hub.api("admin@escap.org", pw)
	sync := func() map[string]any {
		t.Helper()
		status, body := admin.call(http.MethodPost, fmt.Sprintf("/api/v1/peers/%d/sync", peer.ID), nil)
		if status != http.StatusOK {
			t.Fatalf("sync: %d %v", status, body)
		}
		return body
	}
	if got := sync(); got["kept"] != 3.0 || got["after"] != 3.0 || got["problem"] != nil {
		t.Fatalf("first sync: %v", got)
	}
	if got := sync(); got["kept"] != 0.0 || got["revoked"] != 0.0 {
		t.Fatalf("second sync, nothing new: %v", got)
	}
	rev := hub.api("reviewer@escap.org", pw)
	kaz := func() map[string]any {
		t.Helper()
		_, body := rev.call(http.MethodGet, "/api/v1/compare?period=2026", nil)
		for _, c := range body["countries"].([]any) {
			if c := c.(map[string]any); c["code"] == "KAZ" {
				return c
			}
		}
		return nil
	}
	mean := func(ids ...uint) float64 {
		var sum float64
		for _, id := range ids {
			rec, _ := a.s.store.CardOf(context.Background(), pa.actorRev, id)
			c, _ := card.Parse(rec.Data)
			sum += c.CredentialSubject.Assessment.Overall.Score
		}
		return assessments.Round1(sum / float64(len(ids)))
	}
	k := kaz()
	if k == nil || k["services"] != 3.0 || k["overall"].(map[string]any)["score"] != mean(ids...) || fmt.Sprint(k["sources"]) != "["+a.url+"]" {
		t.Fatalf("KAZ at the hub: %v; want the 3 cards' mean %v from %s", k, mean(ids...), a.url)
	}
	// The page, CSV and XLSX name the source too.
	br := hub.browser()
	br.login("reviewer@escap.org", pw)
	if resp, body := br.get("/compare?period=2026"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "from the verified cards of "+a.url) {
		t.Errorf("the comparison page does not name KAZ's source: %d", resp.StatusCode)
	}
	_, csvData := rev.raw(http.MethodGet, "/api/v1/compare.csv?period=2026", nil)
	lines := strings.Split(strings.TrimSpace(string(csvData)), "\n")
	if !strings.HasSuffix(lines[0], ",source") || !strings.HasSuffix(lines[1], ","+a.url) {
		t.Errorf("CSV:\n%s", csvData)
	}
	rec, _ := a.s.store.CardOf(context.Background(), pa.actorRev, ids[2])
	if _, err := a.s.store.Revoke(context.Background(), pa.actorRev, rec.ID, "superseded"); err != nil {
		t.Fatal(err)
	}
	if got := sync(); got["revoked"] != 1.0 {
		t.Fatalf("sync after a revocation: %v", got)
	}
	if k := kaz(); k == nil || k["services"] != 2.0 || k["overall"].(map[string]any)["score"] != mean(ids[:2]...) {
		t.Fatalf("KAZ after the revocation: %v", k)
	}
}

// A sync stops at a card that cannot be checked yet (here: A's checkpoint
// has no cosignature of a witness the hub trusts) and keeps nothing past
// it, saying why; it reads on once the card can be checked.
func TestHubSyncWaitsForWitnesses(t *testing.T) {
	a := servedAppWith(t)
	hub := newTestApp(t, func(c *Config) { c.WitnessQuorum, c.StatusTTL = 1, 0 })
	pa := a.seedPeople()
	a.approve(pa.actorA, pa.actorRev, "Business registration", 2026, func(int) int { return 4 }, true)
	hub.seedPeople()
	peer := hub.trust(a)
	admin := hub.api("admin@escap.org", pw)
	status, got := admin.call(http.MethodPost, fmt.Sprintf("/api/v1/peers/%d/sync", peer.ID), nil)
	if status != http.StatusOK || got["kept"] != 0.0 || got["after"] != 0.0 || !strings.Contains(fmt.Sprint(got["problem"]), "witness cosignatures") {
		t.Fatalf("sync of an unwitnessed log: %d %v", status, got)
	}
	hub.s.hub.Quorum = 0 // as DMF_WITNESS_QUORUM=0
	if status, got := admin.call(http.MethodPost, fmt.Sprintf("/api/v1/peers/%d/sync", peer.ID), nil); status != http.StatusOK || got["kept"] != 1.0 || got["problem"] != nil {
		t.Fatalf("sync once the card can be checked: %d %v", status, got)
	}
}
