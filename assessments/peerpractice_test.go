package assessments_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments"
)

// A trusted peer's published practices are kept at the hub when each
// cites a card of that peer kept here, at level 4 or 5, with texts that
// follow the local rules; they are listed, searched, filtered and counted
// beside the local ones with the peer as source, follow their card's
// revocation, are replaced at each sync in place, and leave with the peer.
func TestHubPeerPractices(t *testing.T) {
	ctx := context.Background()
	hub := newWorld(t)
	searchWorld(t, hub.s) // six local practices, among them a "registration portal" in KAZ
	kz, cards := nationalWorld(t, "dmf.gov.kz", 5, 5)
	peer := trustNational(t, hub, kz)
	for i, data := range cards {
		if _, err := hub.s.KeepPeerCard(ctx, peer.ID, int64(i), data, false); err != nil {
			t.Fatal(err)
		}
	}
	card0, card1 := mustParse(t, cards[0]).ID, mustParse(t, cards[1]).ID
	ind := hub.ed.Dimensions[0].Indicators[0].ID
	ind2 := hub.ed.Dimensions[1].Indicators[0].ID
	published := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	good := func(id uint, card, indicator, title string) assessments.PeerPractice {
		return assessments.PeerPractice{ID: id, CardID: card, Indicator: indicator, Title: title,
			Summary: "Exporters file once; customs and tax share the registration record.", Links: []string{"https://dmf.gov.kz/guide"},
			Language: "en", Level: 5, FrameworkID: hub.ed.ID, FrameworkVersion: hub.ed.Version, PublishedAt: &published}
	}
	bad := []assessments.PeerPractice{
		good(2, "https://dmf.gov.kz/cards/not-kept", ind, "A card never kept here"),
		good(3, "https://other.example/cards/x", ind, "Another instance's card"),
		good(4, card0, "no-such-indicator", "An indicator of no edition"),
		good(5, card1, ind, "Hidden \u202e text"),
		good(6, card1, ind, "A script link"),
		good(7, card1, ind, "Level three"),
		good(8, card1, ind, "Another edition"),
		good(1, card1, ind, "The same id twice"),
	}
	bad[4].Links = []string{"javascript:alert(1)"}
	bad[5].Level = 3
	bad[6].FrameworkVersion = "0.9"
	counts := func() map[string]assessments.PracticeCount {
		t.Helper()
		c, err := hub.s.PracticeCounts(ctx, hub.ed.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	in := append([]assessments.PeerPractice{good(1, card0, ind, "Single window for exporters")}, bad...)
	local := counts()
	kept, refused, err := hub.s.ReplacePeerPractices(ctx, peer.ID, in)
	if err != nil || kept != 1 || refused != len(bad) {
		t.Fatalf("kept %d refused %d: %v", kept, refused, err)
	}

	list := func(f assessments.PracticeFilter) []assessments.PracticeView {
		t.Helper()
		f.Limit = 100
		pg, err := hub.s.Practices(ctx, assessments.Actor{}, f)
		if err != nil {
			t.Fatal(err)
		}
		return pg.Items
	}
	fromPeer := func(ps []assessments.PracticeView) []assessments.PracticeView {
		return slices.DeleteFunc(slices.Clone(ps), func(p assessments.PracticeView) bool { return p.Source == assessments.SourceLocal })
	}
	all := list(assessments.PracticeFilter{})
	if len(all) != 7 || len(fromPeer(all)) != 1 {
		t.Fatalf("listed %d, from the peer %d", len(all), len(fromPeer(all)))
	}
	p := fromPeer(all)[0]
	if p.Source != "https://dmf.gov.kz" || p.CardID != card0 || p.Revoked || p.Service != "National service 0" || p.Country != "KAZ" ||
		p.Level != 5 || p.IndicatorID != ind || p.DimensionID != hub.ed.Dimensions[0].ID || !p.PublishedAt.Equal(published) {
		t.Fatalf("peer practice %+v", p)
	}
	// Search and filters reach it like a local one.
	if got := found(t, hub.s, "registration"); !slices.Equal(got, []string{"One-stop registration portal", "Single window for exporters"}) {
		t.Errorf("search registration: %v", got)
	}
	if got := fromPeer(list(assessments.PracticeFilter{Q: "EXPORT", Country: "kaz", Indicator: ind, Dimension: hub.ed.Dimensions[0].ID})); len(got) != 1 {
		t.Errorf("filtered search found %d of the peer's", len(got))
	}
	if got := list(assessments.PracticeFilter{Q: "exporters", Country: "UZB"}); len(got) != 0 {
		t.Errorf("another country's filter found %d", len(got))
	}
	one, err := hub.s.Practice(ctx, assessments.Actor{}, p.ID)
	if err != nil || one.Source != "https://dmf.gov.kz" {
		t.Fatalf("read one: %+v %v", one, err)
	}
	if n := counts()[ind].Services; n != local[ind].Services+1 {
		t.Errorf("%s: %d services, %d of them local", ind, n, local[ind].Services)
	}

	// The peer revokes the card: the practice stays, marked.
	if err := hub.s.MarkPeerCardRevoked(ctx, peer.ID, card0); err != nil {
		t.Fatal(err)
	}
	if got := fromPeer(list(assessments.PracticeFilter{Q: "exporters"})); len(got) != 1 || !got[0].Revoked {
		t.Fatalf("after revocation: %+v", got)
	}

	// The next sync: the practice changed, another added; the changed
	// one keeps its address here.
	changed := good(1, card0, ind, "Single window for all exporters")
	if kept, _, err = hub.s.ReplacePeerPractices(ctx, peer.ID, []assessments.PeerPractice{changed, good(9, card1, ind2, "Open customs data")}); err != nil || kept != 2 {
		t.Fatalf("second sync kept %d: %v", kept, err)
	}
	got := fromPeer(list(assessments.PracticeFilter{}))
	titles := []string{got[0].Title, got[1].Title}
	slices.Sort(titles)
	if len(got) != 2 || !slices.Equal(titles, []string{"Open customs data", "Single window for all exporters"}) {
		t.Fatalf("after the second sync: %v", titles)
	}
	if again, err := hub.s.Practice(ctx, assessments.Actor{}, p.ID); err != nil || again.Title != "Single window for all exporters" {
		t.Fatalf("the changed practice at its address: %+v %v", again, err)
	}
	if got := found(t, hub.s, "open customs"); !slices.Equal(got, []string{"Open customs data"}) {
		t.Errorf("the added practice: found %v", got)
	}
	if c := counts(); c[ind2].Services != local[ind2].Services+1 || c[ind].Services != local[ind].Services+1 {
		t.Errorf("counts %v, local %v", c, local)
	}

	// Unpublished at the peer: gone here.
	if kept, _, err = hub.s.ReplacePeerPractices(ctx, peer.ID, []assessments.PeerPractice{good(9, card1, ind2, "Open customs data")}); err != nil || kept != 1 {
		t.Fatalf("third sync kept %d: %v", kept, err)
	}
	if got := found(t, hub.s, "window"); len(got) != 0 {
		t.Errorf("an unpublished practice is still found: %v", got)
	}
	if _, err := hub.s.Practice(ctx, assessments.Actor{}, p.ID); err == nil {
		t.Errorf("an unpublished practice is still readable")
	}

	// The peer is ended: its practices leave the lists and the counts.
	if _, err := hub.s.EndPeer(ctx, hub.admin, peer.ID); err != nil {
		t.Fatal(err)
	}
	if got := fromPeer(list(assessments.PracticeFilter{})); len(got) != 0 {
		t.Errorf("an ended peer's practices are listed: %d", len(got))
	}
	if n := counts()[ind2].Services; n != local[ind2].Services {
		t.Errorf("an ended peer's practice is counted: %d", n)
	}
	if _, _, err := hub.s.ReplacePeerPractices(ctx, peer.ID, nil); err == nil {
		t.Errorf("an ended peer's practices were replaced")
	}
}
