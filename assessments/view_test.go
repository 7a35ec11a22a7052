package assessments_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/unescap/dmf/assessments"
)

// TestViewIsWhatTheActorMaySee: the organisation's respondents, reviewers
// and admins read the whole view; another organisation and anonymous
// callers get ErrNotFound, as for an assessment that does not exist.
func TestViewIsWhatTheActorMaySee(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	a := w.draft(t)
	answers := all(w.ed, 3)
	delete(answers, "SERV.1")
	if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, answers); err != nil {
		t.Fatal(err)
	}
	for name, by := range map[string]assessments.Actor{"respondent": w.a, "reviewer": w.rev, "admin": w.admin} {
		v, err := w.s.View(ctx, by, a.ID)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if v.Assessment.ID != a.ID || v.Assessment.Service.Name != w.svcA.Name || v.Assessment.Version != 2 {
			t.Errorf("%s: assessment %+v", name, v.Assessment)
		}
		if v.Edition != w.ed {
			t.Errorf("%s: edition %s", name, v.Edition.Key())
		}
		if v.Organisation.Name != "Ministry of Justice" || v.Country == nil || v.Country.Code != "KAZ" {
			t.Errorf("%s: organisation %+v, country %+v", name, v.Organisation, v.Country)
		}
		if len(v.Answers) != 25 || !reflect.DeepEqual(v.Result, assessments.Score(w.ed, v.Answers)) {
			t.Errorf("%s: %d answers, result %+v", name, len(v.Answers), v.Result)
		}
		if v.Result.Complete() || v.FirstOpen() != "SERV" || v.Percent() != 96 || v.DimensionOf("SERV.1") != "SERV" || v.Indicator("SERV.1") == nil {
			t.Errorf("%s: first open %s, %d %%", name, v.FirstOpen(), v.Percent())
		}
		if len(v.History) != 1 || v.History[0].To != assessments.StatusDraft || v.History[0].Actor.Email != "a@justice.kz" {
			t.Errorf("%s: history %+v", name, v.History)
		}
		if v.Comments == nil || len(v.Comments) != 0 || v.Card != nil {
			t.Errorf("%s: comments %v, card %v", name, v.Comments, v.Card)
		}
	}
	for name, by := range map[string]assessments.Actor{"other organisation": w.b, "anonymous": {}} {
		if _, err := w.s.View(ctx, by, a.ID); !errors.Is(err, assessments.ErrNotFound) {
			t.Errorf("%s reads the view: %v", name, err)
		}
	}
	if _, err := w.s.View(ctx, w.rev, a.ID+100); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("no such assessment: %v", err)
	}
}

// TestWritesReturnTheView: each write that changes an assessment returns
// its view as a read right after it sees it: the new status, the step in
// the history, the return's comments, the card of an approval.
func TestWritesReturnTheView(t *testing.T) {
	ctx := context.Background()
	w, _ := newIssuingWorld(t)
	a := w.draft(t)
	fresh := func(got *assessments.View) {
		t.Helper()
		want, err := w.s.View(ctx, w.a, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("the write's view differs from a read after it:\n%+v\n%+v", got, want)
		}
	}
	last := func(v *assessments.View) assessments.Transition { return v.History[len(v.History)-1] }

	// The autosave's view is light: the save and its scores, nothing more.
	saved, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, all(w.ed, 4))
	if err != nil {
		t.Fatal(err)
	}
	if saved.Assessment.Version != 2 || len(saved.Answers) != 26 || !reflect.DeepEqual(saved.Result, assessments.Score(w.ed, saved.Answers)) || saved.History != nil {
		t.Errorf("save: %+v", saved)
	}

	v, err := w.s.Submit(ctx, w.a, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Assessment.Status != assessments.StatusSubmitted || last(v).From != assessments.StatusDraft || last(v).To != assessments.StatusSubmitted {
		t.Errorf("submit: status %s, step %+v", v.Assessment.Status, last(v))
	}
	if !reflect.DeepEqual(v.Result, assessments.Score(w.ed, v.Answers)) || v.Result.Overall.Score != 75 {
		t.Errorf("submit: result %+v", v.Result)
	}
	fresh(v)

	v, err = w.s.Review(ctx, w.rev, a.ID, assessments.ReviewInput{Decision: assessments.DecisionReturn, Comment: "Add evidence.",
		Indicators: map[string]string{"SERV.1": "Which statistics?", "DATA.1": "Link the agreement."}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Assessment.Status != assessments.StatusReturned || last(v).Comment != "Add evidence." || last(v).Actor.Email != "reviewer@escap.org" {
		t.Errorf("return: status %s, step %+v", v.Assessment.Status, last(v))
	}
	if len(v.Comments) != 2 || v.Comments["SERV.1"].Comment != "Which statistics?" || v.Comments["DATA.1"].Comment != "Link the agreement." {
		t.Errorf("return: comments %+v", v.Comments)
	}
	fresh(v)

	// The organisation imports its corrected answers and submits again;
	// the comments of the return stay until the next return replaces them.
	ex, err := w.s.Export(ctx, w.a, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := jsonMarshal(ex, func(e *assessments.Export) { e.Answers["SERV.1"] = assessments.Answer{Level: lv(5)} })
	v, err = w.s.Import(ctx, w.a, a.ID, data)
	if err != nil {
		t.Fatal(err)
	}
	if *v.Answers["SERV.1"].Level != 5 || v.Assessment.Version != 3 || len(v.Comments) != 2 || v.Organisation == nil || len(v.History) != 3 {
		t.Errorf("import: version %d, comments %v, history %d", v.Assessment.Version, v.Comments, len(v.History))
	}
	fresh(v)
	if _, err := w.s.Submit(ctx, w.a, a.ID); err != nil {
		t.Fatal(err)
	}
	v, err = w.s.Review(ctx, w.rev, a.ID, assessments.ReviewInput{Decision: assessments.DecisionReturn, Indicators: map[string]string{"INCL.1": "And languages?"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Comments) != 1 || v.Comments["INCL.1"].Comment != "And languages?" {
		t.Errorf("second return: comments %+v", v.Comments)
	}
	if _, err := w.s.Submit(ctx, w.a, a.ID); err != nil {
		t.Fatal(err)
	}

	v, err = w.s.Review(ctx, w.rev, a.ID, assessments.ReviewInput{Decision: assessments.DecisionApprove})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := w.s.CardOf(ctx, w.a, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Assessment.Status != assessments.StatusApproved || v.Card == nil || v.Card.ID != rec.ID || v.Card.RevokedAt != nil || v.Card.Data != nil {
		t.Errorf("approve: status %s, card %+v", v.Assessment.Status, v.Card)
	}
	fresh(v)
	if _, err := w.s.Revoke(ctx, w.rev, rec.ID, "Issued in error."); err != nil {
		t.Fatal(err)
	}
	if v, err := w.s.View(ctx, w.a, a.ID); err != nil || v.Card == nil || v.Card.RevokedAt == nil {
		t.Errorf("after revocation: %v %+v", err, v)
	}
}

// TestWriteErrorsNameTheOperation: the writes say what failed, and their
// errors still match the domain's sentinels and types.
func TestWriteErrorsNameTheOperation(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	a := w.draft(t)
	_, err := w.s.Submit(ctx, w.a, a.ID)
	var inc *assessments.IncompleteError
	if !errors.As(err, &inc) || !strings.HasPrefix(err.Error(), "submit assessment ") {
		t.Errorf("incomplete submission: %v", err)
	}
	if _, err := w.s.Submit(ctx, w.b, a.ID); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("other organisation submits: %v", err)
	}
	_, err = w.s.Review(ctx, w.rev, a.ID, assessments.ReviewInput{Decision: assessments.DecisionApprove})
	if !errors.Is(err, assessments.ErrReadOnly) || !strings.HasPrefix(err.Error(), "review assessment ") {
		t.Errorf("review of a draft: %v", err)
	}
	_, err = w.s.Review(ctx, w.rev, a.ID, assessments.ReviewInput{Decision: "maybe"})
	var ve *assessments.ValidationError
	if !errors.As(err, &ve) || ve.Fields["decision"].Format == "" {
		t.Errorf("bad decision: %v", err)
	}
	if _, err := w.s.Import(ctx, w.b, a.ID, []byte("not json")); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("other organisation imports garbage: %v", err)
	}
	_, err = w.s.SaveAnswers(ctx, w.rev, a.ID, nil, all(w.ed, 1))
	if !errors.Is(err, assessments.ErrForbidden) || !strings.HasPrefix(err.Error(), "save answers of assessment ") {
		t.Errorf("reviewer saves: %v", err)
	}
	// What a person is shown is the reason, without the operation.
	if got := assessments.UserError(err).Error(); strings.Contains(got, "save answers") || !strings.HasPrefix(got, assessments.ErrForbidden.Error()) {
		t.Errorf("the reason shown for a reviewer's save is %q", got)
	}
	// Reads name theirs too, so that a failure in the log says what failed.
	if _, err := w.s.Card(ctx, "no-such-card"); !errors.Is(err, assessments.ErrNotFound) || !strings.HasPrefix(err.Error(), "read card no-such-card: ") {
		t.Errorf("missing card: %v", err)
	}
}

// TestViewLeavesNoTransactionOpen: reads beside writes neither fail nor
// leave a pooled connection inside a transaction, even when their
// request is cancelled; on SQLite a left-open transaction would make the
// next write on that connection fail.
func TestViewLeavesNoTransactionOpen(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	a := w.draft(t)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := w.s.View(cancelled, w.a, a.ID); err == nil {
		t.Error("a cancelled read succeeded")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 4 {
				if (i+j)%4 == 0 {
					if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, assessments.Answers{"SERV.1": {Level: lv(1 + j)}}); err != nil {
						errs <- err
					}
					continue
				}
				if _, err := w.s.View(ctx, w.a, a.ID); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range 20 {
		if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, assessments.Answers{"SERV.2": {Level: lv(1 + i%5)}}); err != nil {
			t.Fatalf("save %d after the reads: %v", i, err)
		}
	}
}

// BenchmarkView reads an assessment's view from parallel requests, as
// every assessment page and GET does.
func BenchmarkView(b *testing.B) {
	ctx := context.Background()
	w := newWorld(b)
	a, err := w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{ServiceID: w.svcA.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, all(w.ed, 3)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := w.s.View(ctx, w.a, a.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}
