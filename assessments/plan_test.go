package assessments_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments"
)

func nextYear() string { return time.Now().UTC().AddDate(1, 0, 0).Format("2006-01-02") }

// approvedAt makes and approves an assessment of the world's service A for
// period with every indicator at level k.
func (w *world) approvedAt(t *testing.T, period, k int) *assessments.Assessment {
	t.Helper()
	ctx := context.Background()
	a, err := w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{ServiceID: w.svcA.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: period})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, all(w.ed, k)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.Submit(ctx, w.a, a.ID); err != nil {
		t.Fatal(err)
	}
	v, err := w.s.Review(ctx, w.rev, a.ID, assessments.ReviewInput{Decision: "approve"})
	if err != nil {
		t.Fatal(err)
	}
	return v.Assessment
}

func TestPlanRules(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	a := w.draft(t)
	if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, all(w.ed, 2)); err != nil {
		t.Fatal(err)
	}
	good := assessments.PlanInput{Indicator: "SERV.1", TargetLevel: 4, Actions: "Publish the service standard", Owner: "Digital office", Due: nextYear()}
	p, err := w.s.SavePlan(ctx, w.a, a.ID, []assessments.PlanInput{good})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].TargetLevel != 4 || p.Current["SERV.1"] != 2 || !p.Editable {
		t.Fatalf("saved plan: %+v", p)
	}

	bad := func(in assessments.PlanInput, field string) {
		t.Helper()
		_, err := w.s.SavePlan(ctx, w.a, a.ID, []assessments.PlanInput{good, in})
		if f := fieldsOf(t, err); f[field] == "" {
			t.Errorf("%+v: want a problem with %s, got %v", in, field, f)
		}
	}
	at := func(ind string, level int, due string) assessments.PlanInput {
		return assessments.PlanInput{Indicator: ind, TargetLevel: level, Actions: "Do it", Due: due}
	}
	bad(at("SERV.2", 2, nextYear()), "items[1].target_level")                   // the current level
	bad(at("SERV.2", 1, nextYear()), "items[1].target_level")                   // below it
	bad(at("SERV.2", 6, nextYear()), "items[1].target_level")                   // above the top
	bad(at("SERV.2", 3, "2020-01-01"), "items[1].due")                          // past
	bad(at("SERV.2", 3, time.Now().UTC().Format("2006-01-02")), "items[1].due") // today
	bad(at("SERV.2", 3, "next year"), "items[1].due")
	bad(at("NOPE.1", 3, nextYear()), "items[1].indicator")
	bad(at("SERV.1", 3, nextYear()), "items[1].indicator") // a second target for one indicator
	bad(assessments.PlanInput{Indicator: "SERV.2", TargetLevel: 3, Due: nextYear()}, "items[1].actions")
	bad(assessments.PlanInput{Indicator: "SERV.2", TargetLevel: 3, Actions: "a\u202eb", Due: nextYear()}, "items[1].actions")
	// A refused plan keeps the one saved.
	if p, err := w.s.Plan(ctx, w.rev, a.ID); err != nil || len(p.Items) != 1 || p.Items[0].Actions != good.Actions || p.Editable {
		t.Fatalf("plan after refused saves, as a reviewer reads it: %+v %v", p, err)
	}

	// Others' plans do not exist for them; reviewers read but do not write.
	if _, err := w.s.Plan(ctx, w.b, a.ID); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("another organisation reads: %v", err)
	}
	if _, err := w.s.SavePlan(ctx, w.b, a.ID, nil); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("another organisation writes: %v", err)
	}
	if _, err := w.s.SavePlan(ctx, w.rev, a.ID, nil); !errors.Is(err, assessments.ErrForbidden) {
		t.Errorf("a reviewer writes: %v", err)
	}

	// Editable in any status, every change audited.
	if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, all(w.ed, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.Submit(ctx, w.a, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.SavePlan(ctx, w.a, a.ID, []assessments.PlanInput{good, at("SERV.2", 3, nextYear())}); err != nil {
		t.Fatalf("plan of a submitted assessment: %v", err)
	}
	evs, err := w.s.AuditEvents(ctx, w.admin, assessments.AuditFilter{Action: "plan.saved"})
	if err != nil || len(evs) != 2 {
		t.Fatalf("audit: %v %+v", err, evs)
	}
	var before, after []assessments.PlanInput
	json.Unmarshal(evs[0].Before, &before)
	json.Unmarshal(evs[0].After, &after)
	if len(before) != 1 || len(after) != 2 || after[1].Indicator != "SERV.2" {
		t.Errorf("audit of the second save: %s → %s", evs[0].Before, evs[0].After)
	}
}

// TestPlanCarriesToTheNextYear: the next year's assessment of the service
// reads the plan, per target reached or not, with the change.
func TestPlanCarriesToTheNextYear(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	first := w.approvedAt(t, 2025, 2)
	if _, err := w.s.SavePlan(ctx, w.a, first.ID, []assessments.PlanInput{
		{Indicator: "SERV.1", TargetLevel: 4, Actions: "Single sign-on", Due: nextYear()},
		{Indicator: "SERV.2", TargetLevel: 3, Actions: "Track requests", Due: nextYear()},
	}); err != nil {
		t.Fatal(err)
	}
	next, err := w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{ServiceID: w.svcA.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.SaveAnswers(ctx, w.a, next.ID, nil, assessments.Answers{"SERV.1": {Level: lv(5)}, "SERV.2": {Level: lv(2)}}); err != nil {
		t.Fatal(err)
	}
	for _, who := range []assessments.Actor{w.a, w.rev} {
		v, err := w.s.View(ctx, who, next.ID)
		if err != nil {
			t.Fatal(err)
		}
		prev, err := w.s.Previous(ctx, who, v.Assessment)
		if err != nil {
			t.Fatal(err)
		}
		pp, err := w.s.CarriedPlan(ctx, who, v, prev)
		if err != nil || pp == nil || pp.From.ID != first.ID || len(pp.Items) != 2 {
			t.Fatalf("carried plan: %+v %v", pp, err)
		}
		if s1 := pp.Items[0]; !s1.Reached() || s1.Change() != 3 || s1.Before != 2 || s1.Now != 5 {
			t.Errorf("SERV.1: %+v reached %v change %d", s1, s1.Reached(), s1.Change())
		}
		if s2 := pp.Items[1]; s2.Reached() || s2.Change() != 0 {
			t.Errorf("SERV.2: %+v", s2)
		}
	}
	// The first year's own page carries nothing from before it.
	v, _ := w.s.View(ctx, w.a, first.ID)
	if pp, err := w.s.CarriedPlan(ctx, w.a, v, nil); err != nil || pp != nil {
		t.Errorf("nothing before: %+v %v", pp, err)
	}
}
