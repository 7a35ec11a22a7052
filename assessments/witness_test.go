package assessments_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tdnote "github.com/transparency-dev/formats/note"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/card"
	"golang.org/x/mod/sumdb/note"
)

// issuerAt is an issuer for the instance at https://host, its keys in dir.
func issuerAt(t testing.TB, host, dir string) *assessments.Issuer {
	t.Helper()
	keys, err := card.LoadKeys(dir, host+"/cards-log", host+"/witness", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &assessments.Issuer{BaseURL: "https://" + host, DID: "did:web:" + host, Name: host, Origin: host + "/cards-log", Keys: keys}
}

// instanceWorld is a world issuing cards as https://host.
func instanceWorld(t testing.TB, host, keys string) (*world, *assessments.Issuer) {
	t.Helper()
	is := issuerAt(t, host, keys)
	return newWorldAt(t, filepath.Join(t.TempDir(), "dmf.db"), is), is
}

// published is what the instance of w publishes, as the peers client
// would fetch it.
func published(t testing.TB, w *world, is *assessments.Issuer) assessments.PeerInfo {
	t.Helper()
	doc, err := w.s.DIDDocument(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(doc)
	return assessments.PeerInfo{BaseURL: is.BaseURL, DIDDocument: data, LogOrigin: is.Origin, LogKey: is.Keys.LogKey, WitnessKey: is.Keys.WitnessKey}
}

// refusal is the reason a witness refused, or "".
func refusal(err error) (string, int64) {
	var r *assessments.WitnessRefusal
	if errors.As(err, &r) {
		return r.Reason, r.Size
	}
	return "", 0
}

// Instance A's log is witnessed by B: B cosigns A's checkpoints as they
// grow, A serves them with B's cosignature, and B refuses what the C2SP
// tlog-witness protocol says to refuse. A fork of A's log (the same keys
// over another history) is refused as inconsistent, kept as evidence and
// reported to B's admins; A's admins are told when B refuses A.
func TestWitnessCosignsAndCatchesAFork(t *testing.T) {
	ctx := context.Background()
	aKeys := filepath.Join(t.TempDir(), "keys")
	a, aIs := instanceWorld(t, "dmf.gov.kz", aKeys)
	b, bIs := instanceWorld(t, "dmf.gov.uz", filepath.Join(t.TempDir(), "keys"))
	if _, err := b.s.PreconfirmPeer(ctx, published(t, a, aIs)); err != nil {
		t.Fatal(err)
	}
	bAtA, err := a.s.PreconfirmPeer(ctx, published(t, b, bIs))
	if err != nil {
		t.Fatal(err)
	}
	// push sends A's latest checkpoint to B as the peers worker would.
	push := func(w *world, old int64) (int64, []byte, error) {
		body, size, err := w.s.WitnessRequest(ctx, bAtA.ID, old)
		if err != nil {
			t.Fatal(err)
		}
		cosig, err := b.s.AddCheckpoint(ctx, body)
		return size, cosig, err
	}

	first := a.approveOne(t, "Business registration 1")
	size, cosig, err := push(a, -1)
	if err != nil || size != 1 {
		t.Fatalf("first cosignature: %d %v", size, err)
	}
	if depth, _ := a.s.WitnessQueueDepth(ctx); depth != 1 {
		t.Errorf("pushes queued by issuing: %d, want 1", depth)
	}
	p, _ := a.s.Peer(ctx, a.admin, bAtA.ID)
	if err := a.s.WitnessCosigned(ctx, &assessments.WitnessPush{ID: 1}, p, size, cosig); err != nil {
		t.Fatal(err)
	}
	if depth, _ := a.s.WitnessQueueDepth(ctx); depth != 0 {
		t.Errorf("pushes left after the cosignature: %d", depth)
	}
	served, _ := a.s.Checkpoint(ctx)
	v, _ := tdnote.NewVerifierForCosignatureV1(bIs.Keys.WitnessKey)
	lv, _ := note.NewVerifier(aIs.Keys.LogKey)
	if n, err := note.Open([]byte(served), note.VerifierList(v, lv)); err != nil || len(n.Sigs) != 2 {
		t.Fatalf("A's checkpoint does not carry B's cosignature: %v\n%s", err, served)
	}
	rec, err := a.s.CardOf(ctx, a.a, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := a.s.CardProof(ctx, rec.ID)
	if _, _, err2 := card.VerifyInclusion(rec.Data, proof, aIs.Keys.LogKey); err != nil || err2 != nil || !strings.Contains(proof, "— dmf.gov.uz/witness ") {
		t.Errorf("the tlog-proof with the cosignature: %v %v\n%s", err, err2, proof)
	}

	// Growing: old is the size B cosigned; a stale old gets 409 with it.
	a.approveOne(t, "Business registration 2")
	a.approveOne(t, "Business registration 3")
	if _, _, err := push(a, 0); !isRefusal(err, assessments.RefusedOldSize, 1) {
		t.Errorf("a stale old size: %v", err)
	}
	if size, cosig, err = push(a, 1); err != nil || size != 3 {
		t.Fatalf("grown to 3: %v", err)
	}
	a.s.WitnessCosigned(ctx, &assessments.WitnessPush{}, p, size, cosig)

	// What the protocol refuses.
	body, _, _ := a.s.WitnessRequest(ctx, bAtA.ID, 3)
	other := issuerAt(t, "dmf.gov.kz", filepath.Join(t.TempDir(), "keys")) // the same origin, another key
	forged, _ := note.Sign(&note.Note{Text: strings.SplitN(string(body), "\n\n", 3)[1] + "\n"}, other.Keys.Log)
	for name, c := range map[string]struct {
		body   string
		reason string
	}{
		"malformed":             {"old x\n\n" + string(body), assessments.RefusedMalformed},
		"no empty line":         {"old 3\n", assessments.RefusedMalformed},
		"signed by another key": {"old 3\n\n" + string(forged), assessments.RefusedSignature},
		"an unknown log":        {strings.ReplaceAll(string(body), "dmf.gov.kz/cards-log", "elsewhere/log"), assessments.RefusedUnknownLog},
		"old beyond the size":   {strings.Replace(string(body), "old 3", "old 4", 1), assessments.RefusedMalformed},
	} {
		if _, err := b.s.AddCheckpoint(ctx, []byte(c.body)); !isRefusal(err, c.reason, -1) {
			t.Errorf("%s: %v, want %s", name, err, c.reason)
		}
	}

	// A fork: A's keys over another database, three other cards. The
	// same size with another root is a split view (409); one more card and
	// the proof from size 3 fails (422). Both are evidence, reported.
	fork := newWorldAt(t, filepath.Join(t.TempDir(), "fork.db"), issuerAt(t, "dmf.gov.kz", aKeys))
	forkB, _ := fork.s.PreconfirmPeer(ctx, published(t, b, bIs))
	for i := range 3 {
		fork.approveOne(t, fmt.Sprintf("Rewritten %d", i))
	}
	forkBody, _, _ := fork.s.WitnessRequest(ctx, forkB.ID, 3)
	if _, err := b.s.AddCheckpoint(ctx, forkBody); !isRefusal(err, assessments.RefusedInconsistent, -1) {
		t.Errorf("a split view: %v", err)
	}
	fork.approveOne(t, "Rewritten 4")
	forkBody, _, _ = fork.s.WitnessRequest(ctx, forkB.ID, 3)
	if _, err := b.s.AddCheckpoint(ctx, forkBody); !isRefusal(err, assessments.RefusedProof, -1) {
		t.Errorf("a rewritten history: %v", err)
	}
	ev, err := b.s.Evidence(ctx, b.admin)
	if err != nil || len(ev) != 2 || ev[1].CosignedSize != 3 || !strings.Contains(ev[1].Request, "old 3") {
		t.Fatalf("evidence: %+v %v", ev, err)
	}
	ns, _ := b.s.Notifications(ctx, b.admin.UserID, 10)
	if len(ns) != 2 || ns[0].Kind != assessments.NoticeSplitView {
		t.Errorf("B's admins told: %+v", ns)
	}
	// B still cosigns A's real log, from the size it cosigned.
	a.approveOne(t, "Business registration 4")
	if _, _, err := push(a, 3); err != nil {
		t.Errorf("A's real log after the fork was caught: %v", err)
	}
	// The fork's side: told that the witness refused it.
	fp, _ := fork.s.Peer(ctx, fork.admin, forkB.ID)
	if err := fork.s.WitnessRefused(ctx, &assessments.WitnessPush{Size: 4}, fp, 4, "422 not consistent"); err != nil {
		t.Fatal(err)
	}
	if ns, _ := fork.s.Notifications(ctx, fork.admin.UserID, 10); len(ns) != 1 || ns[0].Kind != assessments.NoticeSplitView {
		t.Errorf("the log's admins told: %+v", ns)
	}
}

func isRefusal(err error, reason string, size int64) bool {
	r, s := refusal(err)
	return r == reason && (size < 0 || s == size)
}
