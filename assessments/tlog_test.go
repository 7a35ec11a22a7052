package assessments_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/card"
	"golang.org/x/mod/sumdb/note"
)

// testIssuer is an issuer with the keys in dir, made there if missing.
func testIssuer(t testing.TB, dir string) *assessments.Issuer {
	t.Helper()
	keys, err := card.LoadKeys(dir, "dmf.example/cards-log", "dmf.example/witness", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &assessments.Issuer{BaseURL: "https://dmf.example", DID: "did:web:dmf.example", Name: "Test issuer", Origin: "dmf.example/cards-log", Keys: keys}
}

// newIssuingWorld is a world whose approvals issue cards.
func newIssuingWorld(t testing.TB) (*world, *assessments.Issuer) {
	t.Helper()
	dir := t.TempDir()
	is := testIssuer(t, filepath.Join(dir, "keys"))
	return newWorldAt(t, filepath.Join(dir, "dmf.db"), is), is
}

// approveOne takes a new assessment of a new service to approval.
func (w *world) approveOne(t *testing.T, name string) *assessments.Assessment {
	t.Helper()
	ctx := context.Background()
	svc, err := w.s.CreateService(ctx, w.a, assessments.Service{Name: name, Category: "tax"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, all(w.ed, 3)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.Submit(ctx, w.a, a.ID); err != nil {
		t.Fatal(err)
	}
	v, err := w.s.Review(ctx, w.rev, a.ID, assessments.ReviewInput{Decision: assessments.DecisionApprove})
	if err != nil {
		t.Fatal(err)
	}
	return v.Assessment
}

// checkpoint parses a stored checkpoint with transparency-dev/formats, an
// implementation independent of the one that wrote it.
func checkpoint(t *testing.T, signed string, is *assessments.Issuer) *log.Checkpoint {
	t.Helper()
	v, err := note.NewVerifier(is.Keys.LogKey)
	if err != nil {
		t.Fatal(err)
	}
	cp, _, _, err := log.ParseCheckpoint([]byte(signed), is.Origin, v)
	if err != nil {
		t.Fatalf("checkpoint does not parse: %v\n%s", err, signed)
	}
	return cp
}

// TestLogProofsVerifyIndependently: every card's inclusion proof and the
// consistency proofs between tree sizes verify with transparency-dev/merkle,
// although the log is written with golang.org/x/mod/sumdb/tlog; and the log
// continues across a restart.
func TestLogProofsVerifyIndependently(t *testing.T) {
	ctx := context.Background()
	w, is := newIssuingWorld(t)
	var cards []*assessments.CardRecord
	for i := 0; i < 11; i++ {
		a := w.approveOne(t, "Service "+string(rune('A'+i)))
		rec, err := w.s.CardOf(ctx, w.rev, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		cards = append(cards, rec)
	}
	latest, _ := w.s.Checkpoint(ctx)
	cp := checkpoint(t, latest, is)
	if cp.Size != 11 {
		t.Fatalf("log size %d, want 11", cp.Size)
	}
	hasher := rfc6962.DefaultHasher
	for _, rec := range cards {
		text, err := w.s.CardProof(ctx, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		p, err := card.ParseProof(text)
		if err != nil {
			t.Fatal(err)
		}
		var hashes [][]byte
		for _, h := range p.Proof {
			hashes = append(hashes, append([]byte(nil), h[:]...))
		}
		leaf, _ := card.LeafData(rec.Data)
		if err := proof.VerifyInclusion(hasher, uint64(p.Index), cp.Size, hasher.HashLeaf(leaf), hashes, cp.Hash); err != nil {
			t.Errorf("card %s (entry %d): inclusion does not verify independently: %v", rec.ID, p.Index, err)
		}
	}
	for _, sizes := range [][2]int64{{1, 11}, {7, 11}, {10, 11}, {3, 8}} {
		old, _ := w.s.CheckpointAt(ctx, sizes[0])
		newer, _ := w.s.CheckpointAt(ctx, sizes[1])
		c1, c2 := checkpoint(t, old, is), checkpoint(t, newer, is)
		tp, err := w.s.Consistency(ctx, sizes[0], sizes[1])
		if err != nil {
			t.Fatal(err)
		}
		var hashes [][]byte
		for _, h := range tp {
			hashes = append(hashes, append([]byte(nil), h[:]...))
		}
		if err := proof.VerifyConsistency(hasher, c1.Size, c2.Size, hashes, c1.Hash, c2.Hash); err != nil {
			t.Errorf("consistency %v does not verify independently: %v", sizes, err)
		}
	}
	if _, err := w.s.Consistency(ctx, 5, 99); err == nil {
		t.Error("consistency beyond the log's size accepted")
	}
}

// TestConcurrentApprovalsKeepOneLog: approvals racing from several
// goroutines still give one sequence: each card at its own index, and the
// checkpoints signed along the way (one per batch of approvals, so not
// necessarily one per size) each consistent with the next, the last one
// covering every card.
func TestConcurrentApprovalsKeepOneLog(t *testing.T) {
	ctx := context.Background()
	w, is := newIssuingWorld(t)
	var ids []uint
	for i := 0; i < 8; i++ {
		svc, _ := w.s.CreateService(ctx, w.a, assessments.Service{Name: "Parallel " + string(rune('A'+i)), Category: "tax"})
		a, _ := w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026})
		w.s.SaveAnswers(ctx, w.a, a.ID, nil, all(w.ed, 4))
		if _, err := w.s.Submit(ctx, w.a, a.ID); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(ids))
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.s.Review(ctx, w.rev, id, assessments.ReviewInput{Decision: assessments.DecisionApprove})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	indexes := map[int64]bool{}
	for _, id := range ids {
		rec, err := w.s.CardOf(ctx, w.rev, id)
		if err != nil {
			t.Fatal(err)
		}
		if indexes[rec.LogIndex] || rec.LogIndex < 0 || rec.LogIndex >= int64(len(ids)) {
			t.Errorf("card of %d at log index %d: taken or out of range", id, rec.LogIndex)
		}
		indexes[rec.LogIndex] = true
	}
	hasher := rfc6962.DefaultHasher
	var signed []int64
	for size := int64(1); size <= int64(len(ids)); size++ {
		if _, err := w.s.CheckpointAt(ctx, size); err == nil {
			signed = append(signed, size)
		}
	}
	if len(signed) == 0 || signed[len(signed)-1] != int64(len(ids)) {
		t.Fatalf("signed sizes %v: the last must be %d", signed, len(ids))
	}
	for i := 1; i < len(signed); i++ {
		old, new := signed[i-1], signed[i]
		a, _ := w.s.CheckpointAt(ctx, old)
		b, _ := w.s.CheckpointAt(ctx, new)
		ca, cb := checkpoint(t, a, is), checkpoint(t, b, is)
		tp, _ := w.s.Consistency(ctx, old, new)
		var hashes [][]byte
		for _, h := range tp {
			hashes = append(hashes, append([]byte(nil), h[:]...))
		}
		if err := proof.VerifyConsistency(hasher, ca.Size, cb.Size, hashes, ca.Hash, cb.Hash); err != nil {
			t.Errorf("%d → %d: %v", old, new, err)
		}
	}
}

// TestLogContinuesAfterRestart: a new process on the same database and
// keys extends the same log.
func TestLogContinuesAfterRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	is := testIssuer(t, filepath.Join(dir, "keys"))
	w := newWorldAt(t, filepath.Join(dir, "dmf.db"), is)
	w.approveOne(t, "Before restart 1")
	w.approveOne(t, "Before restart 2")
	before, _ := w.s.Checkpoint(ctx)
	w.s.Close()

	is2 := testIssuer(t, filepath.Join(dir, "keys"))
	s2 := mustOpen(t, filepath.Join(dir, "dmf.db"), is2)
	if is2.Keys.LogKey != is.Keys.LogKey || is2.Keys.Active().ID != is.Keys.Active().ID {
		t.Fatal("keys changed across the restart")
	}
	w.s = s2
	w.approveOne(t, "After restart")
	after, _ := s2.Checkpoint(ctx)
	c1, c2 := checkpoint(t, before, is), checkpoint(t, after, is2)
	if c1.Size != 2 || c2.Size != 3 {
		t.Fatalf("sizes %d → %d", c1.Size, c2.Size)
	}
	tp, _ := s2.Consistency(ctx, 2, 3)
	var hashes [][]byte
	for _, h := range tp {
		hashes = append(hashes, append([]byte(nil), h[:]...))
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, 2, 3, hashes, c1.Hash, c2.Hash); err != nil {
		t.Errorf("log forked across the restart: %v", err)
	}
	if !strings.HasPrefix(after, is.Origin+"\n3\n") {
		t.Errorf("checkpoint: %q", after)
	}
}

// BenchmarkApproveAndIssue approves submitted assessments from 32
// reviewers at once, as under load: scores stored, country totals updated,
// the card built and signed and appended to the log, the checkpoint signed
// (once per batch of approvals committed together). Setup makes b.N real
// submitted assessments first, so run it with a fixed count:
// go test -run XXX -bench ApproveAndIssue -benchtime 1000x ./assessments
func BenchmarkApproveAndIssue(b *testing.B) {
	ctx := context.Background()
	w, _ := newIssuingWorld(b)
	ids := make(chan uint, b.N)
	for i := range b.N {
		svc, err := w.s.CreateService(ctx, w.a, assessments.Service{Name: fmt.Sprintf("Bench %d", i), Category: "tax"})
		if err != nil {
			b.Fatal(err)
		}
		a, err := w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, all(w.ed, 1+i%5)); err != nil {
			b.Fatal(err)
		}
		if _, err := w.s.Submit(ctx, w.a, a.ID); err != nil {
			b.Fatal(err)
		}
		ids <- a.ID
	}
	close(ids)
	b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	defer reportWritten(b, written())
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := w.s.Review(ctx, w.rev, <-ids, assessments.ReviewInput{Decision: assessments.DecisionApprove}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cards/s")
}
