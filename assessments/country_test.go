package assessments_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
	"pgregory.net/rapid"
)

// countryWorld is a store with the test edition that has country-scope
// indicators: two organisations in Kazakhstan and one in Uzbekistan, a
// respondent in each, a coordinator for each country and a reviewer.
type countryWorld struct {
	s                     *assessments.Store
	ed                    *frameworks.Edition
	kz1, kz2, uz          assessments.Actor // respondents
	coordKZ, coordUZ      assessments.Actor
	rev                   assessments.Actor
	svcKZ1, svcKZ2, svcUZ *assessments.Service
}

func countryEdition(t testing.TB) *frameworks.Edition {
	t.Helper()
	src, err := os.ReadFile("../frameworks/testdata/country-scope.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ed, err := frameworks.Parse("country-scope.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	return ed
}

func newCountryWorld(t testing.TB) *countryWorld {
	t.Helper()
	ctx := context.Background()
	builtin, _, _ := frameworksEmbedded(t)
	cat, err := frameworks.NewCatalog(append(slices.Clone(builtin.Editions()), countryEdition(t))...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := openWith(t, filepath.Join(t.TempDir(), "dmf.db"), cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	ed, _ := s.Editions().Edition("test-country", "1.1.0")
	w := &countryWorld{s: s, ed: ed}
	org := func(name, country string) uint {
		o, err := s.CreateOrganisation(ctx, nil, assessments.Organisation{Name: name, Country: country, Kind: "agency"})
		if err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	user := func(email, name string, role assessments.Role, org uint) assessments.Actor {
		u, err := s.CreateUser(ctx, nil, assessments.NewUser{Email: email, Name: name, Password: testPassword, Role: role, OrganisationID: org})
		if err != nil {
			t.Fatal(err)
		}
		return u.Actor()
	}
	kz1, kz2, uz := org("Ministry of Justice", "KAZ"), org("State Revenue Committee", "KAZ"), org("Tax Committee", "UZB")
	w.kz1 = user("a@justice.kz", "Aigerim", assessments.RoleRespondent, kz1)
	w.kz2 = user("b@kgd.kz", "Bolat", assessments.RoleRespondent, kz2)
	w.uz = user("c@soliq.uz", "Dilshod", assessments.RoleRespondent, uz)
	w.coordKZ = user("coord@digital.kz", "Kazakhstan coordinator", assessments.RoleCoordinator, kz1)
	w.coordUZ = user("coord@digital.uz", "Uzbekistan coordinator", assessments.RoleCoordinator, uz)
	w.rev = user("reviewer@escap.org", "Reviewer", assessments.RoleReviewer, 0)
	svc := func(by assessments.Actor, name, cat string) *assessments.Service {
		sv, err := s.CreateService(ctx, by, assessments.Service{Name: name, Category: cat})
		if err != nil {
			t.Fatal(err)
		}
		return sv
	}
	w.svcKZ1 = svc(w.kz1, "Business registration", "business-registration")
	w.svcKZ2 = svc(w.kz2, "Social contributions", "social-contributions")
	w.svcUZ = svc(w.uz, "VAT filing", "tax")
	return w
}

func (w *countryWorld) draft(t testing.TB, by assessments.Actor, svc *assessments.Service) *assessments.Assessment {
	t.Helper()
	a, err := w.s.CreateAssessment(context.Background(), by, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (w *countryWorld) key(country string) assessments.CountryKey {
	return assessments.CountryKey{Country: country, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026}
}

func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	var ve *assessments.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	out := map[string]string{}
	for f, m := range ve.Fields {
		out[f] = m.String()
	}
	return out
}

func TestCountryActors(t *testing.T) {
	w := newCountryWorld(t)
	if !w.coordKZ.CanAnswerCountry("KAZ") || w.coordKZ.CanAnswerCountry("UZB") || w.coordKZ.Country != "KAZ" {
		t.Errorf("KAZ coordinator: %+v", w.coordKZ)
	}
	if w.coordKZ.CanAssess() || w.kz1.CanAnswerCountry("KAZ") || w.rev.CanAnswerCountry("KAZ") {
		t.Error("a coordinator assesses services, or a respondent or reviewer answers for a country")
	}
	if !w.kz1.SeesCountryAnswers("KAZ") || w.kz1.SeesCountryAnswers("UZB") || !w.rev.SeesCountryAnswers("UZB") {
		t.Error("who reads country answers is wrong")
	}
	_, err := w.s.CreateUser(context.Background(), nil, assessments.NewUser{Email: "x@y.kz", Password: testPassword, Role: assessments.RoleCoordinator})
	if f := fieldsOf(t, err); f["organisation"] == "" {
		t.Errorf("a coordinator without an organisation: %v", f)
	}
}

// TestCountryAnswersAreInherited: what the coordinator answers shows in
// every service assessment of the country, read-only, and scores there.
func TestCountryAnswersAreInherited(t *testing.T) {
	w := newCountryWorld(t)
	ctx := context.Background()
	a := w.draft(t, w.kz1, w.svcKZ1)
	cv, err := w.s.SaveCountryAnswers(ctx, w.coordKZ, w.key("KAZ"), nil, assessments.Answers{
		"ENAB.1": {Level: lv(4)}, "ENAB.2": {Selected: pick("yes")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cv.Version != 1 || cv.UpdatedBy != "Kazakhstan coordinator" || !slices.Equal(cv.Missing, []string{"ENAB.3"}) {
		t.Errorf("country view: version %d by %q missing %v", cv.Version, cv.UpdatedBy, cv.Missing)
	}
	own := assessments.Answers{"SERV.1": {Level: lv(2)}, "SERV.2": {Selected: pick("no")}}
	v, err := w.s.SaveAnswers(ctx, w.kz1, a.ID, nil, own)
	if err != nil {
		t.Fatal(err)
	}
	merged := assessments.Answers{"SERV.1": {Level: lv(2)}, "SERV.2": {Selected: pick("no")}, "ENAB.1": {Level: lv(4)}, "ENAB.2": {Selected: pick("yes")}}
	if !reflect.DeepEqual(v.Result, assessments.Score(w.ed, merged)) {
		t.Errorf("save scored %+v, want the merged answers' %+v", v.Result, assessments.Score(w.ed, merged))
	}
	full, err := w.s.View(ctx, w.kz1, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(full.Answers, merged) || full.CountryBy != "Kazakhstan coordinator" || !full.CountryScoped("ENAB.1") || full.CountryScoped("SERV.1") {
		t.Errorf("view answers %v by %q", full.Answers, full.CountryBy)
	}

	// A service cannot answer for the country, nor the coordinator for a service.
	_, err = w.s.SaveAnswers(ctx, w.kz1, a.ID, nil, assessments.Answers{"ENAB.1": {Level: lv(1)}, "SERV.1": {Level: lv(9)}})
	if f := fieldsOf(t, err); f["answers.ENAB.1"] != "answered for the whole country by the coordinator" || f["answers.SERV.1.level"] == "" {
		t.Errorf("service answer to a country indicator: %v", f)
	}
	_, err = w.s.SaveCountryAnswers(ctx, w.coordKZ, w.key("KAZ"), nil, assessments.Answers{"SERV.1": {Level: lv(1)}})
	if f := fieldsOf(t, err); f["answers.SERV.1"] == "" {
		t.Errorf("country answer to a service indicator: %v", f)
	}
	// Only the country's own coordinator answers for it.
	for _, by := range []assessments.Actor{w.kz1, w.coordUZ, w.rev} {
		if _, err := w.s.SaveCountryAnswers(ctx, by, w.key("KAZ"), nil, assessments.Answers{"ENAB.1": {Level: lv(1)}}); !errors.Is(err, assessments.ErrForbidden) {
			t.Errorf("%s saved Kazakhstan's answers: %v", by.Role, err)
		}
	}
	if _, err := w.s.CountryAnswers(ctx, w.uz, w.key("KAZ")); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("an Uzbek respondent read Kazakhstan's answers: %v", err)
	}
	// A stale save conflicts and names what changed.
	if _, err := w.s.SaveCountryAnswers(ctx, w.coordKZ, w.key("KAZ"), lv(0), assessments.Answers{"ENAB.1": {Level: lv(1)}}); err == nil {
		t.Error("a save based on version 0 after version 1 was accepted")
	} else if ce := new(assessments.ConflictError); !errors.As(err, &ce) || !slices.Contains(ce.Changed, "ENAB.1") {
		t.Errorf("conflict: %v", err)
	}
	// Another country's assessments inherit nothing.
	b := w.draft(t, w.uz, w.svcUZ)
	vb, err := w.s.View(ctx, w.uz, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := vb.Answers["ENAB.1"]; ok {
		t.Error("an Uzbek assessment inherited Kazakhstan's answer")
	}
	events, _ := w.s.AuditEvents(ctx, adminOf(t, w), assessments.AuditFilter{Action: "country_answers.saved"})
	if len(events) != 1 || events[0].TargetID != "KAZ/test-country@1.1.0/2026" {
		t.Errorf("audit: %+v", events)
	}
}

func adminOf(t *testing.T, w *countryWorld) assessments.Actor {
	t.Helper()
	u, err := w.s.CreateUser(context.Background(), nil, assessments.NewUser{Email: "admin@escap.org", Password: testPassword, Role: assessments.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	return u.Actor()
}

// TestSubmissionNeedsCountryAnswers: a missing country answer keeps an
// assessment incomplete and says the coordinator must answer it; once
// approved, an assessment keeps its scores when the country changes an
// answer, while drafts follow it.
func TestSubmissionNeedsCountryAnswers(t *testing.T) {
	w := newCountryWorld(t)
	ctx := context.Background()
	a := w.draft(t, w.kz1, w.svcKZ1)
	d := w.draft(t, w.kz2, w.svcKZ2)
	own := assessments.Answers{"SERV.1": {Level: lv(3)}}
	for _, x := range []struct {
		by assessments.Actor
		id uint
	}{{w.kz1, a.ID}, {w.kz2, d.ID}} {
		if _, err := w.s.SaveAnswers(ctx, x.by, x.id, nil, own); err != nil {
			t.Fatal(err)
		}
	}
	_, err := w.s.Submit(ctx, w.kz1, a.ID)
	var ie *assessments.IncompleteError
	if !errors.As(err, &ie) || !slices.Equal(ie.Country, []string{"ENAB.1", "ENAB.2"}) {
		t.Fatalf("submission without country answers: %v", err)
	}
	if _, err := w.s.SaveCountryAnswers(ctx, w.coordKZ, w.key("KAZ"), nil, assessments.Answers{"ENAB.1": {Level: lv(5)}, "ENAB.2": {Selected: pick("no")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.Submit(ctx, w.kz1, a.ID); err != nil {
		t.Fatal(err)
	}
	approved, err := w.s.Review(ctx, w.rev, a.ID, assessments.ReviewInput{Decision: assessments.DecisionApprove})
	if err != nil {
		t.Fatal(err)
	}
	want := assessments.Score(w.ed, assessments.Answers{"SERV.1": {Level: lv(3)}, "ENAB.1": {Level: lv(5)}, "ENAB.2": {Selected: pick("no")}})
	if *approved.Assessment.Score != want.Overall.Score {
		t.Errorf("approved score %v, want %v", *approved.Assessment.Score, want.Overall.Score)
	}
	before, _ := w.s.View(ctx, w.kz2, d.ID)

	if _, err := w.s.SaveCountryAnswers(ctx, w.coordKZ, w.key("KAZ"), nil, assessments.Answers{"ENAB.1": {Level: lv(1)}}); err != nil {
		t.Fatal(err)
	}
	after, _ := w.s.View(ctx, w.kz2, d.ID)
	if after.Result.Overall.Score >= before.Result.Overall.Score {
		t.Errorf("the draft's live score did not follow the country: %v then %v", before.Result.Overall.Score, after.Result.Overall.Score)
	}
	still, _ := w.s.View(ctx, w.rev, a.ID)
	stored, _ := w.s.StoredScores(ctx, still.Assessment)
	if *still.Assessment.Score != want.Overall.Score || still.Result.Overall.Score != want.Overall.Score || stored["ENAB"] != dim(want, "ENAB").Value.Score {
		t.Errorf("the approved assessment changed with the country: %v / %v / %v", *still.Assessment.Score, still.Result.Overall.Score, stored)
	}
}

// TestInheritedScoringProperty: for any service and country answers, an
// assessment's live score is the score of the merged answer set, and a
// changed country answer moves it as scoring the new merge says.
func TestInheritedScoringProperty(t *testing.T) {
	w := newCountryWorld(t)
	ctx := context.Background()
	a := w.draft(t, w.kz1, w.svcKZ1)
	gen := answersGen(w.ed)
	rapid.Check(t, func(rt *rapid.T) {
		drawn := gen.Draw(rt, "answers")
		country, own := assessments.Answers{}, assessments.Answers{}
		clearCountry, clearOwn := assessments.Answers{}, assessments.Answers{}
		for _, d := range w.ed.Dimensions {
			for _, ind := range d.Indicators {
				ans, ok := drawn[ind.ID]
				switch {
				case ind.CountryScoped() && ok:
					country[ind.ID] = ans
				case ind.CountryScoped():
					clearCountry[ind.ID] = assessments.Answer{}
				case ok:
					own[ind.ID] = ans
				default:
					clearOwn[ind.ID] = assessments.Answer{}
				}
			}
		}
		if _, err := w.s.SaveCountryAnswers(ctx, w.coordKZ, w.key("KAZ"), nil, merge(country, clearCountry)); err != nil {
			rt.Fatal(err)
		}
		v, err := w.s.SaveAnswers(ctx, w.kz1, a.ID, nil, merge(own, clearOwn))
		if err != nil {
			rt.Fatal(err)
		}
		want := assessments.Score(w.ed, merge(own, country))
		if !reflect.DeepEqual(v.Result, want) {
			rt.Fatalf("save scored %+v, want %+v", v.Result, want)
		}
		full, err := w.s.View(ctx, w.kz1, a.ID)
		if err != nil {
			rt.Fatal(err)
		}
		if !reflect.DeepEqual(full.Result, want) {
			rt.Fatalf("view scored %+v, want %+v", full.Result, want)
		}
		if !reflect.DeepEqual(assessments.Score(w.ed, assessments.Inherit(w.ed, own, country)), want) {
			rt.Fatal("Inherit differs from the merge")
		}
	})
}

func merge(sets ...assessments.Answers) assessments.Answers {
	out := assessments.Answers{}
	for _, s := range sets {
		for k, v := range s {
			out[k] = v
		}
	}
	return out
}

// TestFirstCountrySavesQueue: saves based on "nothing saved yet" that race
// each other do not both win: one saves, the others conflict.
func TestFirstCountrySavesQueue(t *testing.T) {
	w := newCountryWorld(t)
	ctx := context.Background()
	const n = 4
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := w.s.SaveCountryAnswers(ctx, w.coordKZ, w.key("KAZ"), lv(0), assessments.Answers{"ENAB.1": {Level: lv(1 + i)}})
			errs <- err
		}()
	}
	saved := 0
	for range n {
		err := <-errs
		var ce *assessments.ConflictError
		switch {
		case err == nil:
			saved++
		case !errors.As(err, &ce):
			t.Errorf("a racing save: %v", err)
		}
	}
	if saved != 1 {
		t.Errorf("%d of %d saves based on version 0 succeeded, want 1", saved, n)
	}
}

// TestAdminMakesCoordinators: an administrator turns a respondent into
// its country's coordinator, keeping the organisation; a coordinator
// without one is refused.
func TestAdminMakesCoordinators(t *testing.T) {
	w := newCountryWorld(t)
	ctx := context.Background()
	admin := adminOf(t, w)
	coord := assessments.RoleCoordinator
	u, err := w.s.UpdateUser(ctx, admin, w.kz2.UserID, assessments.UserChange{Role: &coord})
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != coord || u.OrganisationID == nil {
		t.Errorf("after the change: role %s, organisation %v", u.Role, u.OrganisationID)
	}
	none := uint(0)
	_, err = w.s.UpdateUser(ctx, admin, w.kz2.UserID, assessments.UserChange{OrganisationID: &none})
	if f := fieldsOf(t, err); f["organisation"] == "" {
		t.Errorf("a coordinator without an organisation: %v", f)
	}
	reviewer := assessments.RoleReviewer
	if _, err := w.s.UpdateUser(ctx, admin, w.kz2.UserID, assessments.UserChange{Role: &reviewer, OrganisationID: &none}); err != nil {
		t.Errorf("a coordinator made reviewer: %v", err)
	}
}
