package assessments_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/card"
)

// fakePeer is another instance's keys, as it would publish them.
type fakePeer struct {
	base string
	keys *card.Keys
	did  string
}

func newFakePeer(t testing.TB, host string) *fakePeer {
	t.Helper()
	keys, err := card.LoadKeys(filepath.Join(t.TempDir(), "keys"), host+"/cards-log", host+"/witness", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &fakePeer{base: "https://" + host, keys: keys, did: "did:web:" + host}
}

// info is what the peer publishes now.
func (p *fakePeer) info(t testing.TB) assessments.PeerInfo {
	t.Helper()
	doc, err := json.Marshal(card.NewDIDDocument(p.did, p.keys.Issuer))
	if err != nil {
		t.Fatal(err)
	}
	origin, _, _ := strings.Cut(p.keys.LogKey, "+")
	return assessments.PeerInfo{BaseURL: p.base, DIDDocument: doc, LogOrigin: origin, LogKey: p.keys.LogKey, WitnessKey: p.keys.WitnessKey}
}

func auditActions(t *testing.T, w *world, targetType string) []string {
	t.Helper()
	evs, err := w.s.AuditEvents(context.Background(), w.admin, assessments.AuditFilter{TargetType: targetType})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		out = append(out, evs[i].Action)
	}
	return out
}

// An admin adds a peer (pending, fingerprints shown), confirms it
// (trusted: its issuer counts as trusted) and ends it; others may not.
func TestPeerLifecycle(t *testing.T) {
	w, _ := newIssuingWorld(t)
	ctx := context.Background()
	kz := newFakePeer(t, "dmf.gov.kz")

	if _, err := w.s.AddPeer(ctx, w.rev, kz.info(t)); !errors.Is(err, assessments.ErrForbidden) {
		t.Fatalf("a reviewer added a peer: %v", err)
	}
	p, err := w.s.AddPeer(ctx, w.admin, kz.info(t))
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != assessments.PeerPending || p.DID != kz.did || len(p.Keys) != 1 || p.LogFingerprint == "" || p.WitnessFingerprint == "" {
		t.Fatalf("added peer: %+v", p)
	}
	if p.Keys[0].Fingerprint != assessments.Fingerprint(card.PublicKeyMultibase(kz.keys.Active().Public())) {
		t.Errorf("the issuer key's fingerprint is not that of the peer's key")
	}
	if trusted, _ := w.s.TrustedIssuers(ctx); len(trusted) != 0 {
		t.Errorf("a pending peer is trusted: %v", trusted)
	}
	if _, err := w.s.AddPeer(ctx, w.admin, kz.info(t)); !errors.Is(err, assessments.ErrDuplicate) {
		t.Errorf("the same peer added twice: %v", err)
	}
	if _, err := w.s.ConfirmPeer(ctx, w.rev, p.ID); !errors.Is(err, assessments.ErrForbidden) {
		t.Errorf("a reviewer confirmed a peer: %v", err)
	}
	if p, err = w.s.ConfirmPeer(ctx, w.admin, p.ID); err != nil || p.Status != assessments.PeerTrusted || p.ConfirmedAt == nil {
		t.Fatalf("confirm: %+v %v", p, err)
	}
	if _, err := w.s.ConfirmPeer(ctx, w.admin, p.ID); !errors.Is(err, assessments.ErrReadOnly) {
		t.Errorf("a trusted peer confirmed again: %v", err)
	}
	trusted, err := w.s.TrustedIssuers(ctx)
	if err != nil || trusted[kz.did] == nil {
		t.Fatalf("the trusted peer's issuer is not trusted: %v %v", trusted, err)
	}
	if _, err := trusted[kz.did].AssertionKey(kz.did + "#" + kz.keys.Active().ID); err != nil {
		t.Errorf("the trusted peer's key: %v", err)
	}
	if _, err := w.s.EndPeer(ctx, w.a, p.ID); !errors.Is(err, assessments.ErrForbidden) {
		t.Errorf("a respondent ended a peer: %v", err)
	}
	if p, err = w.s.EndPeer(ctx, w.admin, p.ID); err != nil || p.Status != assessments.PeerEnded {
		t.Fatalf("end: %+v %v", p, err)
	}
	if trusted, _ := w.s.TrustedIssuers(ctx); len(trusted) != 0 {
		t.Errorf("an ended peer is still trusted")
	}
	// An ended peer can be added again, pending once more.
	if p, err = w.s.AddPeer(ctx, w.admin, kz.info(t)); err != nil || p.Status != assessments.PeerPending {
		t.Errorf("re-add an ended peer: %+v %v", p, err)
	}
	if _, err := w.s.Peers(ctx, w.rev); !errors.Is(err, assessments.ErrForbidden) {
		t.Errorf("a reviewer listed peers: %v", err)
	}
	got := strings.Join(auditActions(t, w, "peer"), " ")
	if got != "peer.added peer.confirmed peer.ended peer.added" {
		t.Errorf("audit: %s", got)
	}
}

// What a peer publishes must be coherent: a DID document of its own host,
// a log key named by its origin, and not this instance itself.
func TestPeerInfoIsChecked(t *testing.T) {
	w, is := newIssuingWorld(t)
	ctx := context.Background()
	kz := newFakePeer(t, "dmf.gov.kz")
	cases := map[string]func(*assessments.PeerInfo){
		"another host's DID document": func(i *assessments.PeerInfo) { i.BaseURL = "https://dmf.gov.uz" },
		"a log key of another origin": func(i *assessments.PeerInfo) { i.LogOrigin = "elsewhere/log" },
		"not a DID document":          func(i *assessments.PeerInfo) { i.DIDDocument = []byte("<html>") },
		"a base URL with a query":     func(i *assessments.PeerInfo) { i.BaseURL += "?x=1" },
		"this instance itself":        func(i *assessments.PeerInfo) { i.BaseURL = is.BaseURL },
		"not http":                    func(i *assessments.PeerInfo) { i.BaseURL = "ftp://dmf.gov.kz" },
	}
	for name, change := range cases {
		info := kz.info(t)
		change(&info)
		if _, err := w.s.AddPeer(ctx, w.admin, info); fieldOf(err, "base_url") == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
	if base, err := assessments.NormalizePeerURL(" HTTPS://DMF.gov.kz/ "); err != nil || base != "https://dmf.gov.kz" {
		t.Errorf("normalized: %q %v", base, err)
	}
}

// A trusted peer's new issuer key is added and audited; a key that
// disappears or changes, or another log key, is refused and the admins
// are told, once.
func TestPeerKeyChanges(t *testing.T) {
	w, _ := newIssuingWorld(t)
	ctx := context.Background()
	kz := newFakePeer(t, "dmf.gov.kz")
	p, err := w.s.PreconfirmPeer(ctx, kz.info(t))
	if err != nil || p.Status != assessments.PeerTrusted {
		t.Fatalf("preconfirm: %+v %v", p, err)
	}

	// Rotation adds a key: accepted, audited.
	if _, err := kz.keys.Rotate(time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := w.s.RefreshPeer(ctx, p.ID, kz.info(t)); err != nil {
		t.Fatalf("a new key: %v", err)
	}
	if p, _ = w.s.Peer(ctx, w.admin, p.ID); len(p.Keys) != 2 {
		t.Fatalf("the new key was not added: %+v", p.Keys)
	}

	// A key that changes is refused: the confirmed keys stay.
	changed := kz.info(t)
	other := newFakePeer(t, "dmf.gov.kz")
	var doc card.DIDDocument
	json.Unmarshal(changed.DIDDocument, &doc)
	doc.VerificationMethod[0].PublicKeyMultibase = card.PublicKeyMultibase(other.keys.Active().Public())
	changed.DIDDocument, _ = json.Marshal(doc)
	for range 2 { // reported once, however often it is seen
		if err := w.s.RefreshPeer(ctx, p.ID, changed); !errors.Is(err, assessments.ErrPeerChanged) {
			t.Fatalf("a changed key: %v", err)
		}
	}
	trusted, _ := w.s.TrustedIssuers(ctx)
	if got := trusted[kz.did].VerificationMethod[0].PublicKeyMultibase; got != card.PublicKeyMultibase(kz.keys.Issuer[0].Public()) {
		t.Errorf("the changed key replaced the confirmed one")
	}
	ns, _ := w.s.Notifications(ctx, w.admin.UserID, 10)
	if len(ns) != 1 || ns[0].Kind != assessments.NoticePeerKeysRefused || !strings.Contains(ns[0].Comment, "changed") {
		t.Errorf("admins told: %+v", ns)
	}

	// A key that disappears, and another log key, are refused too.
	gone := kz.info(t)
	json.Unmarshal(gone.DIDDocument, &doc)
	doc.VerificationMethod, doc.AssertionMethod = doc.VerificationMethod[1:], doc.AssertionMethod[1:]
	gone.DIDDocument, _ = json.Marshal(doc)
	if err := w.s.RefreshPeer(ctx, p.ID, gone); !errors.Is(err, assessments.ErrPeerChanged) || !strings.Contains(err.Error(), "disappeared") {
		t.Errorf("a key gone: %v", err)
	}
	relogged := kz.info(t)
	relogged.LogKey = other.keys.LogKey
	if err := w.s.RefreshPeer(ctx, p.ID, relogged); !errors.Is(err, assessments.ErrPeerChanged) || !strings.Contains(err.Error(), "log key") {
		t.Errorf("another log key: %v", err)
	}
	if p, _ = w.s.Peer(ctx, w.admin, p.ID); p.LogKey != kz.keys.LogKey || p.Problem == "" {
		t.Errorf("after refusals: %+v", p)
	}
	// Back to what was confirmed: the problem clears.
	if err := w.s.RefreshPeer(ctx, p.ID, kz.info(t)); err != nil {
		t.Fatal(err)
	}
	if p, _ = w.s.Peer(ctx, w.admin, p.ID); p.Problem != "" {
		t.Errorf("problem stays: %q", p.Problem)
	}
	got := strings.Join(auditActions(t, w, "peer"), " ")
	if got != "peer.added peer.keys_added peer.keys_refused peer.keys_refused peer.keys_refused" {
		t.Errorf("audit: %s", got)
	}
}
