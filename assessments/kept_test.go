package assessments_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments"
)

// TestSessionEndNamesItsAccount: a session that idled out says whose it
// was, for a while, and never works again; one signed out says nothing.
func TestSessionEndNamesItsAccount(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	idled, _ := w.s.CreateSession(ctx, w.a.UserID)
	signedOut, _ := w.s.CreateSession(ctx, w.a.UserID)
	w.s.DeleteSession(ctx, signedOut)
	start := time.Now()
	w.s.SetClock(func() time.Time { return start.Add(assessments.SessionIdle + time.Minute) })
	var ended *assessments.SessionExpiredError
	for range 2 { // and again: the first refusal does not forget the account
		if _, err := w.s.SessionUser(ctx, idled); !errors.Is(err, assessments.ErrExpired) || !errors.As(err, &ended) || ended.UserID != w.a.UserID {
			t.Fatalf("idled-out session: %v", err)
		}
	}
	if _, err := w.s.SessionUser(ctx, signedOut); !errors.Is(err, assessments.ErrExpired) || errors.As(err, &ended) {
		t.Errorf("signed-out session: %v", err)
	}
	w.s.SetClock(func() time.Time {
		return start.Add(assessments.SessionIdle + assessments.KeptFormLifetime + time.Minute)
	})
	if _, err := w.s.SessionUser(ctx, idled); errors.As(err, &ended) {
		t.Errorf("an hour later the session still names its account")
	}
}

// TestKeptForms: a form is kept only for an account that may edit the
// assessment, is given back to that account alone, and only for an hour.
func TestKeptForms(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	a := w.draft(t)
	if _, err := w.s.KeepForm(ctx, w.b.UserID, a.ID, "SERV", "ids=SERV.1"); err == nil {
		t.Errorf("kept a form of another organisation's assessment")
	}
	if _, err := w.s.KeepForm(ctx, w.rev.UserID, a.ID, "SERV", "ids=SERV.1"); !errors.Is(err, assessments.ErrForbidden) {
		t.Errorf("kept a reviewer's form: %v", err)
	}
	id, err := w.s.KeepForm(ctx, w.a.UserID, a.ID, "SERV", "ids=SERV.1&SERV.1.level=4")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.KeptForm(ctx, w.b.UserID, id); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("another account got the kept form: %v", err)
	}
	k, err := w.s.KeptForm(ctx, w.a.UserID, id)
	if err != nil || k.Form != "ids=SERV.1&SERV.1.level=4" || k.AssessmentID != a.ID || k.DimensionID != "SERV" {
		t.Fatalf("kept form: %+v %v", k, err)
	}
	start := time.Now()
	w.s.SetClock(func() time.Time { return start.Add(assessments.KeptFormLifetime + time.Minute) })
	if _, err := w.s.KeptForm(ctx, w.a.UserID, id); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("kept form given back after an hour: %v", err)
	}
	w.s.SetClock(time.Now)
	if err := w.s.DropKeptForm(ctx, w.a.UserID, id); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.KeptForm(ctx, w.a.UserID, id); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("dropped form given back: %v", err)
	}
}
