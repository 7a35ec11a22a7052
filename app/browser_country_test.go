package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/unescap/dmf/assessments"
)

// testCountry checks the pages of edition 1.1's country answers and basket
// in English and Russian, on an instance that also holds the test edition
// with country indicators: the coordinator's list and form (and its error
// state), a service questionnaire with inherited answers, a refused
// submission that names the coordinator, and the comparison's basket.
func (b *browserSuite) testCountry(t *testing.T) {
	_, axe := browserTools(t)
	a := newCountryTestApp(t)
	p := a.seedPeople()
	cb := &browserSuite{root: b.root, a: a, base: serveWithAxe(t, a, axe), p: p}
	ctx := context.Background()
	st := a.s.store
	u, err := st.CreateUser(ctx, nil, assessments.NewUser{Email: "coord@digital.kz", Name: "Aliya Coordinator", Password: pw, Role: assessments.RoleCoordinator, OrganisationID: p.orgA.ID})
	if err != nil {
		t.Fatal(err)
	}
	key := assessments.CountryKey{Country: "KAZ", FrameworkID: "test-country", Version: "1.1.0", Period: 2026}
	if _, err := st.SaveCountryAnswers(ctx, u.Actor(), key, nil, assessments.Answers{"ENAB.1": {Level: ptr(4)}, "ENAB.2": {Selected: []string{"yes"}}}); err != nil {
		t.Fatal(err)
	}
	newDraft := func(name, category string) uint {
		as, err := st.CreateAssessment(ctx, p.actorA, assessments.NewAssessment{
			NewService: &assessments.Service{Name: name, Category: category}, FrameworkID: "test-country", Version: "1.1.0", Period: 2026})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveAnswers(ctx, p.actorA, as.ID, nil, assessments.Answers{"SERV.1": {Level: ptr(3)}, "SERV.2": {Selected: []string{"yes"}}}); err != nil {
			t.Fatal(err)
		}
		return as.ID
	}
	draft := newDraft("Social contributions", "social-contributions")
	approved := newDraft("Company registration", "business-registration")
	if _, err := st.SaveCountryAnswers(ctx, u.Actor(), key, nil, assessments.Answers{"ENAB.3": {Level: ptr(2)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Submit(ctx, p.actorA, approved); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Review(ctx, p.actorRev, approved, assessments.ReviewInput{Decision: assessments.DecisionApprove}); err != nil {
		t.Fatal(err)
	}
	// A year the coordinator has not answered, for the refused submission.
	other, err := st.CreateAssessment(ctx, p.actorA, assessments.NewAssessment{ServiceID: mustService(t, st, p.actorA, "Social contributions"), FrameworkID: "test-country", Version: "1.1.0", Period: 2025})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveAnswers(ctx, p.actorA, other.ID, nil, assessments.Answers{"SERV.1": {Level: ptr(3)}}); err != nil {
		t.Fatal(err)
	}

	form := "/country/test-country/1.1.0/2026"
	states := []pageState{
		{name: "country", who: "coordinator", path: "/country"},
		{name: "country-answers", who: "coordinator", path: form, shot: "en"},
		{name: "country-answers-problem", who: "coordinator", path: form, status: 422, act: func(tb *tab) {
			tb.follow(chromedp.Evaluate[chromedp.Void](`(() => {
				const f = document.querySelector('form.questionnaire');
				f.elements['ENAB.1.comment'].value = 'bad \u0001 text';
				f.submit();
			})()`))
		}},
		{name: "questionnaire-inherited", who: "respondent", path: fmt.Sprintf("/assessments/%d/dimensions/ENAB", draft), shot: "en ru"},
		{name: "overview-country-missing", who: "respondent", path: fmt.Sprintf("/assessments/%d", other.ID), status: 422, act: func(tb *tab) {
			tb.follow(chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action$="/submit"]').submit()`))
		}},
		{name: "compare-basket", who: "reviewer", path: "/compare?framework=test-country&version=1.1.0&period=2026", shot: "en"},
	}
	tabs := map[string]*tab{}
	for who, email := range map[string]string{"coordinator": "coord@digital.kz", "respondent": p.a, "reviewer": p.rev} {
		tabs[who] = cb.newTab(t, who)
		cb.signIn(tabs[who], email)
	}
	for _, lang := range languages {
		t.Run(lang, func(t *testing.T) {
			for _, tb := range tabs {
				tb.t = t
				tb.openOK("/")
				if tb.lang() != lang {
					tb.switchLang(lang)
				}
			}
			for _, ps := range states {
				tb := tabs[ps.who]
				name := fmt.Sprintf("%s (%s)", ps.name, lang)
				want := ps.visit(tb, name)
				cb.checkErrorSummary(tb, name, want == 422)
				shot := ""
				if strings.Contains(ps.shot, lang) {
					shot = fmt.Sprintf("country-%s-%s", ps.name, lang)
				}
				// axe, no sideways scrolling and the header, at 1280 and 375 px.
				cb.checkViews(tb, name, shot)
			}
		})
	}
	// The basket says in words which services are assessed.
	tb := tabs["reviewer"]
	tb.t = t
	tb.open("/lang/en?next=/compare?framework=test-country%26version=1.1.0%26period=2026")
	if tb.count("table.basket td.basket-yes") != 1 || tb.count("table.basket td.basket-no") != 2 {
		t.Errorf("basket matrix: %d assessed, %d not", tb.count("table.basket td.basket-yes"), tb.count("table.basket td.basket-no"))
	}
}

func mustService(t *testing.T, st *assessments.Store, by assessments.Actor, name string) uint {
	t.Helper()
	svc, err := st.ServiceByName(context.Background(), by, name)
	if err != nil {
		t.Fatal(err)
	}
	return svc.ID
}
