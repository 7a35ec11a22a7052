package assessments_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments"
)

// TestObserverSeesCommittedChanges: the observer hears of each committed
// state change once, by its audit action, and of nothing that failed.
func TestObserverSeesCommittedChanges(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	var events []string
	waits := 0
	w.s.SetObserver(assessments.Observer{
		Event:     func(action string) { events = append(events, action) },
		WriteWait: func(time.Duration) { waits++ },
	})
	a := w.draft(t)
	v := a.Version
	if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, &v, all(w.ed, 4)); err != nil {
		t.Fatal(err)
	}
	// A stale save is refused inside its transaction: nothing to report.
	if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, &v, all(w.ed, 2)); err == nil {
		t.Fatal("stale save accepted")
	}
	if _, err := w.s.Submit(ctx, w.a, a.ID); err != nil {
		t.Fatal(err)
	}
	want := []string{"assessment.created", "answers.saved", "assessment.submitted"}
	if !slices.Equal(events, want) {
		t.Errorf("events %v, want %v", events, want)
	}
	// Only SQLite writers queue (PostgreSQL has row locks).
	if suitePostgres(t) == "" && waits < 4 {
		t.Errorf("%d write waits reported for 4 writes", waits)
	}
}
