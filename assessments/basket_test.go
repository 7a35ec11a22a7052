package assessments_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// approve takes a service's assessment through the workflow; submitOnly
// stops at submission.
func (w *countryWorld) approve(t *testing.T, by assessments.Actor, svc *assessments.Service, submitOnly bool) {
	t.Helper()
	ctx := context.Background()
	a := w.draft(t, by, svc)
	if _, err := w.s.SaveAnswers(ctx, by, a.ID, nil, assessments.Answers{"SERV.1": {Level: lv(3)}, "SERV.2": {Selected: pick("yes")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.Submit(ctx, by, a.ID); err != nil {
		t.Fatal(err)
	}
	if !submitOnly {
		if _, err := w.s.Review(ctx, w.rev, a.ID, assessments.ReviewInput{Decision: assessments.DecisionApprove}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestComparisonBasket: the comparison says which basket services each
// shown country has approved assessments of, and nothing of a country the
// public view suppresses.
func TestComparisonBasket(t *testing.T) {
	w := newCountryWorld(t)
	ctx := context.Background()
	for _, c := range []struct {
		by assessments.Actor
		k  string
	}{{w.coordKZ, "KAZ"}, {w.coordUZ, "UZB"}} {
		if _, err := w.s.SaveCountryAnswers(ctx, c.by, w.key(c.k), nil, assessments.Answers{"ENAB.1": {Level: lv(3)}, "ENAB.2": {Selected: pick("yes")}, "ENAB.3": {Level: lv(2)}}); err != nil {
			t.Fatal(err)
		}
	}
	w.approve(t, w.kz1, w.svcKZ1, false) // business registration
	w.approve(t, w.kz2, w.svcKZ2, false) // social contributions
	other, err := w.s.CreateService(ctx, w.kz2, assessments.Service{Name: "Grants", Category: "other"})
	if err != nil {
		t.Fatal(err)
	}
	w.approve(t, w.kz2, other, false) // in no basket service
	tax, err := w.s.CreateService(ctx, w.kz2, assessments.Service{Name: "Tax returns", Category: "tax"})
	if err != nil {
		t.Fatal(err)
	}
	w.approve(t, w.kz2, tax, true) // submitted only: does not count
	w.approve(t, w.uz, w.svcUZ, false)

	q := assessments.ComparisonQuery{FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026, MinServices: 2}
	public, err := w.s.Comparison(ctx, assessments.Actor{}, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(public.Basket) != 1 || public.Basket[0].Code != "KAZ" {
		t.Fatalf("public basket rows = %+v, want Kazakhstan only (Uzbekistan has one service)", public.Basket)
	}
	kz := public.Basket[0]
	if !kz.Has("business-registration") || !kz.Has("social-contributions") || kz.Has("tax") || kz.Services["social-contributions"] != 1 {
		t.Errorf("Kazakhstan's basket = %v", kz.Services)
	}
	all, err := w.s.Comparison(ctx, w.rev, q)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, r := range all.Basket {
		codes = append(codes, r.Code)
		if r.Code == "UZB" && (!r.Has("tax") || len(r.Services) != 1) {
			t.Errorf("Uzbekistan's basket = %v", r.Services)
		}
	}
	if strings.Join(codes, ",") != "KAZ,UZB" && strings.Join(codes, ",") != "UZB,KAZ" {
		t.Errorf("reviewer's basket rows = %v", codes)
	}
	// An edition without a basket has no matrix.
	old, err := w.s.Comparison(ctx, w.rev, assessments.ComparisonQuery{Period: 2026})
	if err != nil {
		t.Fatal(err)
	}
	if old.Basket != nil {
		t.Errorf("1.0.0 comparison has a basket: %+v", old.Basket)
	}
}

func TestCheckBasketKnowsServiceCategories(t *testing.T) {
	ed := countryEdition(t)
	if err := assessments.CheckBasket(ed); err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(readFile(t, "../frameworks/testdata/country-scope.yaml"), "categories: [tax]", "categories: [taxes]", 1)
	bad, err := frameworks.Parse("bad.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var ps frameworks.Problems
	if err := assessments.CheckBasket(bad); !errors.As(err, &ps) || ps[0].Path != "basket[1].categories[0]" {
		t.Errorf("unknown category: %v", err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
