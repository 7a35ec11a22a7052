package assessments_test

import (
	"context"
	"fmt"
	"path/filepath"
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
// goroutines still give one sequence, one checkpoint per size, each
// consistent with the next.
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
	hasher := rfc6962.DefaultHasher
	for size := int64(1); size < int64(len(ids)); size++ {
		a, err1 := w.s.CheckpointAt(ctx, size)
		b, err2 := w.s.CheckpointAt(ctx, size+1)
		if err1 != nil || err2 != nil {
			t.Fatalf("checkpoint %d or %d missing", size, size+1)
		}
		ca, cb := checkpoint(t, a, is), checkpoint(t, b, is)
		tp, _ := w.s.Consistency(ctx, size, size+1)
		var hashes [][]byte
		for _, h := range tp {
			hashes = append(hashes, append([]byte(nil), h[:]...))
		}
		if err := proof.VerifyConsistency(hasher, ca.Size, cb.Size, hashes, ca.Hash, cb.Hash); err != nil {
			t.Errorf("%d → %d: %v", size, size+1, err)
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

// BenchmarkApproveAndIssue approves submitted assessments one after the
// other: scores stored, country totals updated, the card built and signed,
// appended to the log and a checkpoint signed, in one transaction each.
// Setup makes b.N real submitted assessments first, so run it with a fixed
// count: go test -run XXX -bench ApproveAndIssue -benchtime 400x ./assessments
func BenchmarkApproveAndIssue(b *testing.B) {
	ctx := context.Background()
	w, _ := newIssuingWorld(b)
	ids := make([]uint, b.N)
	for i := range ids {
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
		ids[i] = a.ID
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.s.Review(ctx, w.rev, ids[i], assessments.ReviewInput{Decision: assessments.DecisionApprove}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cards/s")
}
