package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/card"
)

// The hub part of the federation: two ministries (A for KAZ, B for UZB)
// and ESCAP's hub, each its own dmf process, database and keys (on
// PostgreSQL with DMF_TEST_DATABASE=postgres), every one trusting the
// other two. Status lists are not cached (-status-ttl 0) and the hub
// pulls when its admin asks (-peer-sync 0); the witness quorum is the
// default, 1.

// startFederationWith is startFederation with extra flags per instance.
func startFederationWith(t *testing.T, extra map[string][]string, names ...string) []*fedInstance {
	t.Helper()
	var out []*fedInstance
	for _, name := range names {
		dir := t.TempDir()
		f := &fedInstance{name: name, dataDir: dir, addr: freeAddr(t)}
		f.db = fedDatabase(t, dir)
		f.start(t, extra[name]...)
		out = append(out, f)
	}
	return out
}

// issueAs takes a new assessment of a service by respondent email on f,
// every indicator at level, through to its card, and returns the card.
func (f *fedInstance) issueAs(t *testing.T, email, service string, level int) []byte {
	t.Helper()
	resp := f.token(email)
	_, ed := resp.call(http.MethodGet, "/api/v1/frameworks/escap-dmf-dps-sme", nil)
	answers := map[string]any{}
	for _, id := range answerCountries(t, f.process, ed) {
		answers[id] = map[string]any{"level": level}
	}
	status, got := resp.call(http.MethodPost, "/api/v1/assessments", map[string]any{"framework": "escap-dmf-dps-sme", "period": 2026, "service": map[string]any{"name": service, "category": "tax"}})
	if status != http.StatusCreated {
		t.Fatalf("%s: create: %d %v", f.name, status, got)
	}
	id := int(got["id"].(float64))
	rev := f.token("reviewer@escap.org")
	for _, step := range []struct {
		method, path string
		body         any
		who          *api
	}{
		{http.MethodPut, fmt.Sprintf("/api/v1/assessments/%d/answers", id), map[string]any{"answers": answers}, resp},
		{http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/submit", id), nil, resp},
		{http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/review", id), map[string]any{"decision": "approve"}, rev},
	} {
		if status, got := step.who.call(step.method, step.path, step.body); status != http.StatusOK {
			t.Fatalf("%s: %s %s: %d %v", f.name, step.method, step.path, status, got)
		}
	}
	_, data := resp.raw(http.MethodGet, fmt.Sprintf("/api/v1/assessments/%d/card", id), nil)
	return data
}

// publishPractice has the respondent email write up a practice behind the
// first service indicator of the assessment that card attests, and f's
// reviewer publish it.
func (f *fedInstance) publishPractice(t *testing.T, data []byte, email, title string) {
	t.Helper()
	c, err := card.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	resp := f.token(email)
	_, ed := resp.call(http.MethodGet, "/api/v1/frameworks/escap-dmf-dps-sme", nil)
	ind := answerCountries(t, f.process, ed)[0]
	a := c.CredentialSubject.Assessment.ID[strings.LastIndex(c.CredentialSubject.Assessment.ID, "/")+1:]
	status, got := resp.call(http.MethodPost, "/api/v1/assessments/"+a+"/practices",
		map[string]any{"indicator": ind, "title": title, "summary": "Invoices cross the border once, signed and checked by both tax services.", "links": []string{"https://example.org/guide"}})
	if status != http.StatusCreated {
		t.Fatalf("%s: share a practice: %d %v", f.name, status, got)
	}
	path := fmt.Sprintf("/api/v1/practices/%d/review", int(got["id"].(float64)))
	if status, got := f.token("reviewer@escap.org").call(http.MethodPost, path, map[string]any{"decision": "publish"}); status != http.StatusOK {
		t.Fatalf("%s: publish the practice: %d %v", f.name, status, got)
	}
}

// peerPractice is the only practice f lists for the search q, or nil.
func (f *fedInstance) peerPractice(t *testing.T, q string) map[string]any {
	t.Helper()
	status, got := (&api{t: t, base: f.base}).call(http.MethodGet, "/api/v1/practices?q="+q, nil)
	if status != http.StatusOK {
		t.Fatalf("%s: practices: %d %v", f.name, status, got)
	}
	items := got["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("%s finds %d practices for %q", f.name, len(items), q)
	}
	return items[0].(map[string]any)
}

// peerID is the id f gives to its peer other.
func (f *fedInstance) peerID(t *testing.T, other *fedInstance) int {
	t.Helper()
	_, list := f.admin.call(http.MethodGet, "/api/v1/peers", nil)
	for _, p := range list["list"].([]any) {
		if p := p.(map[string]any); p["base_url"] == other.base && p["status"] == assessments.PeerTrusted {
			return int(p["id"].(float64))
		}
	}
	t.Fatalf("%s does not trust %s", f.name, other.name)
	return 0
}

// sync has f's admin pull other's cards now.
func (f *fedInstance) sync(t *testing.T, other *fedInstance) map[string]any {
	t.Helper()
	status, got := f.admin.call(http.MethodPost, fmt.Sprintf("/api/v1/peers/%d/sync", f.peerID(t, other)), nil)
	if status != http.StatusOK {
		t.Fatalf("%s syncs %s: %d %v", f.name, other.name, status, got)
	}
	return got
}

// verify posts a card to f's verify API.
func (f *fedInstance) verify(t *testing.T, data []byte) verification {
	t.Helper()
	resp, err := http.Post(f.base+"/api/v1/cards/verify", "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v verification
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// compared is a country of f's comparison as the given client sees it.
func (f *fedInstance) compared(t *testing.T, c *api, code string) map[string]any {
	t.Helper()
	_, body := c.call(http.MethodGet, "/api/v1/compare?period=2026", nil)
	for _, row := range body["countries"].([]any) {
		if row := row.(map[string]any); row["code"] == code {
			return row
		}
	}
	return nil
}

// meanScore is the mean overall score of cards, rounded as shown.
func meanScore(t *testing.T, cards ...[]byte) float64 {
	t.Helper()
	var sum float64
	for _, data := range cards {
		c, err := card.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		sum += c.CredentialSubject.Assessment.Overall.Score
	}
	return assessments.Round1(sum / float64(len(cards)))
}

func TestFederationHub(t *testing.T) {
	quick := []string{"-status-ttl", "0"}
	fed := startFederationWith(t, map[string][]string{"A": quick, "B": quick, "hub": append(quick, "-peer-sync", "0")}, "A", "B", "hub")
	a, b, hub := fed[0], fed[1], fed[2]
	for _, f := range fed {
		for _, other := range fed {
			if f != other {
				f.trust(t, other)
			}
		}
	}
	var kaz, uzb [][]byte
	for i, level := range []int{3, 4, 5} {
		kaz = append(kaz, a.issueAs(t, "a@justice.kz", fmt.Sprintf("Kazakh service %d", i), level))
		uzb = append(uzb, b.issueAs(t, "b@tax.uz", fmt.Sprintf("Uzbek service %d", i), level-1))
	}
	eventually(t, "A's checkpoint 3 cosigned by B and the hub", func() bool { return a.cosignedBy(t, 3, b, hub) })
	eventually(t, "B's checkpoint 3 cosigned by A and the hub", func() bool { return b.cosignedBy(t, 3, a, hub) })

	t.Run("a card from A verified on B, a forged one refused", func(t *testing.T) {
		v := b.verify(t, kaz[0])
		if !v.Valid {
			t.Fatalf("A's card on B: %+v", v)
		}
		for name, want := range map[string]string{"revocation": a.base + "/status/", "log": a.addr + "/cards-log"} {
			if ok, detail := v.check(name); !ok || !strings.Contains(detail, want) {
				t.Errorf("%s: %v %q; want it to name %s", name, ok, detail, want)
			}
		}
		if _, detail := v.check("log"); !strings.Contains(detail, "cosigned by") || !strings.Contains(detail, b.addr+"/witness") {
			t.Errorf("the log check does not name the witnesses it relied on: %q", detail)
		}
		forged := b.verify(t, forge(t, kaz[0]))
		if ok, _ := forged.check("signature"); forged.Valid || ok {
			t.Errorf("a card signed by another key under A's DID verified on B: %+v", forged)
		}
	})

	rev := hub.token("reviewer@escap.org")
	anon := &api{t: t, base: hub.base}
	t.Run("the hub's comparison equals the cards' scores", func(t *testing.T) {
		if got := hub.sync(t, a); got["kept"] != 3.0 || got["problem"] != nil {
			t.Fatalf("hub syncs A: %v", got)
		}
		if got := hub.sync(t, b); got["kept"] != 3.0 || got["problem"] != nil {
			t.Fatalf("hub syncs B: %v", got)
		}
		for code, cards := range map[string][][]byte{"KAZ": kaz, "UZB": uzb} {
			source := map[string]string{"KAZ": a.base, "UZB": b.base}[code]
			row := hub.compared(t, rev, code)
			if row == nil || row["services"] != 3.0 || row["overall"].(map[string]any)["score"] != meanScore(t, cards...) || fmt.Sprint(row["sources"]) != "["+source+"]" {
				t.Errorf("%s at the hub: %v; want 3 services, the cards' mean %v, from %s", code, row, meanScore(t, cards...), source)
			}
		}
		if hub.compared(t, anon, "KAZ") == nil {
			t.Errorf("the public does not see KAZ's 3 services")
		}
	})

	kazCard, _ := card.Parse(kaz[2])
	t.Run("a practice published on A is listed at the hub, labelled with A", func(t *testing.T) {
		a.publishPractice(t, kaz[2], "a@justice.kz", "Cross-border e-invoicing")
		if got := hub.sync(t, a); got["practices"] != 1.0 || got["problem"] != nil {
			t.Fatalf("hub syncs A's practice: %v", got)
		}
		p := hub.peerPractice(t, "INVOIC")
		cardOf, _ := p["card"].(map[string]any)
		if p["source"] != a.base || p["title"] != "Cross-border e-invoicing" || p["country"] != "KAZ" || p["level"] != 5.0 ||
			cardOf["id"] != kazCard.ID || cardOf["url"] != kazCard.ID || cardOf["revoked"] != false {
			t.Fatalf("A's practice at the hub: %v", p)
		}
		_, page := anon.raw(http.MethodGet, "/practices?q=invoicing", nil)
		if !strings.Contains(string(page), "Cross-border e-invoicing") || !strings.Contains(string(page), "from "+a.base) ||
			!strings.Contains(string(page), `href="`+kazCard.ID+`"`) {
			t.Errorf("the hub's practices page does not show A's practice from A with its card")
		}
		// A itself lists it as its own.
		if p := a.peerPractice(t, "invoicing"); p["source"] != "local" {
			t.Errorf("on A: %v", p)
		}
	})

	t.Run("a revocation on A is seen on B and leaves the hub's comparison", func(t *testing.T) {
		c, _ := card.Parse(kaz[2])
		id := c.ID[strings.LastIndex(c.ID, "/")+1:]
		if status, got := a.token("reviewer@escap.org").call(http.MethodPost, "/api/v1/cards/"+id+"/revoke", map[string]any{"reason": "superseded"}); status != http.StatusOK {
			t.Fatalf("revoke on A: %d %v", status, got)
		}
		v := b.verify(t, kaz[2])
		if ok, detail := v.check("revocation"); v.Valid || ok || !strings.Contains(detail, "revoked") {
			t.Errorf("B after the revocation on A: %v %q", ok, detail)
		}
		if got := hub.sync(t, a); got["revoked"] != 1.0 {
			t.Fatalf("hub syncs A after the revocation: %v", got)
		}
		row := hub.compared(t, rev, "KAZ")
		if row == nil || row["services"] != 2.0 || row["overall"].(map[string]any)["score"] != meanScore(t, kaz[:2]...) {
			t.Errorf("KAZ at the hub after the revocation: %v; want the 2 cards left", row)
		}
		if hub.compared(t, anon, "KAZ") != nil {
			t.Errorf("the public still sees KAZ with 2 services")
		}
		if p := hub.peerPractice(t, "invoicing"); p["card"].(map[string]any)["revoked"] != true || p["source"] != a.base {
			t.Errorf("A's practice at the hub after its card's revocation: %v", p)
		}
	})
}
