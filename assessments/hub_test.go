package assessments_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/card"
)

// nationalWorld is another state's instance (at https://HOST) whose
// KAZ agency has approved services at the given levels in 2026: the
// cards a hub keeps.
func nationalWorld(t *testing.T, host string, levels ...int) (*world, [][]byte) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	keys, err := card.LoadKeys(filepath.Join(dir, "keys"), host+"/cards-log", host+"/witness", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	is := &assessments.Issuer{BaseURL: "https://" + host, DID: "did:web:" + host, Name: host, Origin: host + "/cards-log", Keys: keys}
	w := newWorldAt(t, filepath.Join(dir, "dmf.db"), is)
	var cards [][]byte
	for i, level := range levels {
		svc, err := w.s.CreateService(ctx, w.a, assessments.Service{Name: fmt.Sprintf("National service %d", i), Category: "tax"})
		if err != nil {
			t.Fatal(err)
		}
		a, err := w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, all(w.ed, level)); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Submit(ctx, w.a, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Review(ctx, w.rev, a.ID, assessments.ReviewInput{Decision: assessments.DecisionApprove}); err != nil {
			t.Fatal(err)
		}
		rec, err := w.s.CardOf(ctx, w.rev, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		cards = append(cards, rec.Data)
	}
	return w, cards
}

// trustNational makes the national instance a trusted peer of the hub.
func trustNational(t *testing.T, hub, national *world) *assessments.Peer {
	t.Helper()
	ctx := context.Background()
	doc, err := national.s.DIDDocument(ctx)
	if err != nil {
		t.Fatal(err)
	}
	info, err := national.s.Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := hub.s.PreconfirmPeer(ctx, assessments.PeerInfo{BaseURL: "https://" + strings.TrimPrefix(doc.ID, "did:web:"),
		DIDDocument: mustJSON(t, doc), LogOrigin: info.Origin, LogKey: info.VKey})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func row(c *assessments.Comparison, code string) *assessments.ComparedCountry {
	for i := range c.Countries {
		if c.Countries[i].Code == code {
			return &c.Countries[i]
		}
	}
	return nil
}

// The hub compares a country that a trusted peer attests from the peer's
// cards alone: its own assessments of that country in that period are
// left out, so no country is counted twice; the country is labelled with
// its source, the minimum-services rule holds, and revoked cards and
// ended peers leave the comparison.
func TestHubComparison(t *testing.T) {
	ctx := context.Background()
	hub, _ := compareWorld(t) // KAZ has 3 local services in 2026 and 1 in 2025
	kz, cards := nationalWorld(t, "dmf.gov.kz", 4, 5, 5)
	peer := trustNational(t, hub, kz)
	for i, data := range cards {
		if _, err := hub.s.KeepPeerCard(ctx, peer.ID, int64(i), data, false); err != nil {
			t.Fatal(err)
		}
	}
	// Kept again (a later sync): still one card each.
	if _, err := hub.s.KeepPeerCard(ctx, peer.ID, 0, cards[0], false); err != nil {
		t.Fatal(err)
	}
	compare := func(by assessments.Actor, period int) *assessments.Comparison {
		t.Helper()
		c, err := hub.s.Comparison(ctx, by, assessments.ComparisonQuery{Version: hub.ed.Version, Period: period, MinServices: minServices})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cardScores := func(data ...[]byte) (overall float64, dims map[string][]float64) {
		dims = map[string][]float64{}
		var sum float64
		for _, d := range data {
			c, err := card.Parse(d)
			if err != nil {
				t.Fatal(err)
			}
			sum += c.CredentialSubject.Assessment.Overall.Score
			for _, dm := range c.CredentialSubject.Assessment.Dimensions {
				dims[dm.Dimension] = append(dims[dm.Dimension], dm.Score)
			}
		}
		return sum / float64(len(data)), dims
	}

	c := compare(hub.rev, 2026)
	r := row(c, "KAZ")
	want, dims := cardScores(cards...)
	if r == nil || r.Services != 3 || !near(r.Overall.Mean, want) || !slices.Equal(r.Sources, []string{"https://dmf.gov.kz"}) {
		t.Fatalf("KAZ at the hub: %+v; want the 3 peer cards' mean %.2f from https://dmf.gov.kz", r, want)
	}
	for id, vs := range dims {
		if got := r.Dimensions[id]; !near(got.Mean, mean(vs...)) || got.Min != slices.Min(vs) || got.Max != slices.Max(vs) {
			t.Errorf("KAZ %s: %+v, want the cards' %v", id, got, vs)
		}
	}
	if u := row(c, "UZB"); u == nil || len(u.Sources) != 0 || u.Services != 4 {
		t.Errorf("UZB, which no peer attests, stays local: %+v", u)
	}
	// 2025: the peer attests nothing, so KAZ's local assessment stays.
	if r := row(compare(hub.rev, 2025), "KAZ"); r == nil || len(r.Sources) != 0 || r.Services != 1 {
		t.Errorf("KAZ 2025: %+v, want the hub's own single service", r)
	}

	// The same minimum for peer-attested countries: one revoked card
	// leaves KAZ with 2, below the public minimum.
	if err := hub.s.MarkPeerCardRevoked(ctx, peer.ID, mustParse(t, cards[2]).ID); err != nil {
		t.Fatal(err)
	}
	c = compare(hub.rev, 2026)
	want, _ = cardScores(cards[:2]...)
	if r := row(c, "KAZ"); r == nil || r.Services != 2 || !near(r.Overall.Mean, want) {
		t.Fatalf("after revocation KAZ is %+v; want the 2 cards left", r)
	}
	if pub := compare(assessments.Actor{}, 2026); row(pub, "KAZ") != nil || !slices.Contains(pub.Suppressed, "KAZ") {
		t.Errorf("the public sees KAZ with 2 peer services: %v suppressed %v", codes(pub.Countries), pub.Suppressed)
	}
	st, err := hub.s.PeerSync(ctx, peer.ID)
	if err != nil || st.Revoked != 1 {
		t.Errorf("sync state %+v, %v; want 1 revoked", st, err)
	}

	// A card that is not the peer's own is refused.
	_, other := nationalWorld(t, "dmf.gov.uz", 3)
	if _, err := hub.s.KeepPeerCard(ctx, peer.ID, 9, other[0], false); !errors.Is(err, assessments.ErrForbidden) {
		t.Errorf("a card of another issuer was kept from dmf.gov.kz: %v", err)
	}

	// Ending the trust takes the peer's cards out; the local ones return.
	if _, err := hub.s.EndPeer(ctx, hub.admin, peer.ID); err != nil {
		t.Fatal(err)
	}
	if r := row(compare(hub.rev, 2026), "KAZ"); r == nil || len(r.Sources) != 0 || r.Services != 3 {
		t.Errorf("after the peer is ended KAZ is %+v; want the hub's own 3", r)
	}
	if _, err := hub.s.KeepPeerCard(ctx, peer.ID, 0, cards[0], false); !errors.Is(err, assessments.ErrReadOnly) {
		t.Errorf("a card was kept from an ended peer: %v", err)
	}
}

// A peer that attests a country in a period the hub has no data for adds
// that period and country; the trend and basket count its cards.
func TestHubAddsPeerOnlyCountry(t *testing.T) {
	ctx := context.Background()
	hub := newWorld(t) // nothing approved locally
	kz, cards := nationalWorld(t, "dmf.gov.kz", 2, 3, 4)
	peer := trustNational(t, hub, kz)
	for i, data := range cards {
		if _, err := hub.s.KeepPeerCard(ctx, peer.ID, int64(i), data, false); err != nil {
			t.Fatal(err)
		}
	}
	c, err := hub.s.Comparison(ctx, assessments.Actor{}, assessments.ComparisonQuery{Version: hub.ed.Version, MinServices: minServices})
	if err != nil {
		t.Fatal(err)
	}
	if c.Period != 2026 || !slices.Equal(c.Periods, []int{2026}) || len(c.Countries) != 1 || c.Countries[0].Code != "KAZ" {
		t.Fatalf("period %d %v, countries %v", c.Period, c.Periods, codes(c.Countries))
	}
	if len(c.Trend) != 1 || len(c.Trend[0].Values) != 1 || !near(c.Trend[0].Values[0], c.Countries[0].Overall.Mean) {
		t.Errorf("trend %+v", c.Trend)
	}
}

func mustParse(t *testing.T, data []byte) *card.Card {
	t.Helper()
	c, err := card.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
