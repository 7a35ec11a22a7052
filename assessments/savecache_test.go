package assessments_test

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/unescap/dmf/assessments"
)

// TestSaveCachesAcrossInstances runs two instances on one database, as a
// region's deployment may. Each keeps what its autosaves reuse (the
// assessment's answers by version, the country's answers by the version
// of their set), and what the other instance changed still shows in the
// next save's answer: its answers, and the coordinator's new country
// answers.
func TestSaveCachesAcrossInstances(t *testing.T) {
	ctx := context.Background()
	db := testDatabase(t, filepath.Join(t.TempDir(), "dmf.db"))
	w := newWorldAt(t, db, nil)
	other := mustOpen(t, db, nil)
	ed, _ := w.s.Editions().Edition("escap-dmf-dps-sme", "1.1.0")
	if len(ed.CountryIndicators()) == 0 {
		t.Fatal("edition 1.1.0 has no country indicators to inherit")
	}
	org, err := w.s.CreateOrganisation(ctx, nil, assessments.Organisation{Name: "Digital development office", Country: "KAZ", Kind: "ministry"})
	if err != nil {
		t.Fatal(err)
	}
	coord, err := w.s.CreateUser(ctx, nil, assessments.NewUser{Email: "coordinator@kaz.example", Password: testPassword, Role: assessments.RoleCoordinator, OrganisationID: org.ID})
	if err != nil {
		t.Fatal(err)
	}
	key := assessments.CountryKey{Country: "KAZ", FrameworkID: ed.ID, Version: ed.Version, Period: 2026}
	country := func(s *assessments.Store, k int) {
		t.Helper()
		answers := assessments.Answers{}
		for _, ind := range ed.CountryIndicators() {
			answers[ind.ID] = assessments.Answer{Level: lv(k)}
		}
		if _, err := s.SaveCountryAnswers(ctx, coord.Actor(), key, nil, answers); err != nil {
			t.Fatal(err)
		}
	}
	country(w.s, 2)

	a, err := w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{ServiceID: w.svcA.ID, FrameworkID: ed.ID, Version: ed.Version, Period: 2026})
	if err != nil {
		t.Fatal(err)
	}
	var own []string
	for id := range serviceAnswers(ed, 1) {
		own = append(own, id)
	}
	save := func(s *assessments.Store, ind string, k int) *assessments.View {
		t.Helper()
		v, err := s.SaveAnswers(ctx, w.a, a.ID, nil, assessments.Answers{ind: {Level: lv(k)}})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	level := func(v *assessments.View, ind string) int {
		if ans, ok := v.Answers[ind]; ok && ans.Level != nil {
			return *ans.Level
		}
		return 0
	}
	save(w.s, own[0], 1)
	save(other, own[1], 2)
	v := save(w.s, own[2], 3)
	if level(v, own[0]) != 1 || level(v, own[1]) != 2 || level(v, own[2]) != 3 {
		t.Fatalf("after saves on both instances, the first answers %s=%d %s=%d %s=%d; want 1, 2 (saved on the other), 3",
			own[0], level(v, own[0]), own[1], level(v, own[1]), own[2], level(v, own[2]))
	}
	ci := ed.CountryIndicators()[0].ID
	if level(v, ci) != 2 {
		t.Fatalf("the save inherits %s=%d, want the country's 2", ci, level(v, ci))
	}
	country(other, 4)
	v = save(w.s, own[0], 5)
	if level(v, ci) != 4 || level(v, own[1]) != 2 {
		t.Fatalf("after the coordinator's save on the other instance, a save answers %s=%d and %s=%d; want 4 and 2", ci, level(v, ci), own[1], level(v, own[1]))
	}
}

// TestSaveAnswersAsStored: a run of autosaves on one instance (setting,
// changing, clearing, several at once) answers each time with exactly the
// answers stored, although only the first decodes them all: the next ones
// decode only what they wrote, over the answers the save before returned.
func TestSaveAnswersAsStored(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	a, err := w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{ServiceID: w.svcA.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for id := range serviceAnswers(w.ed, 1) {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	steps := []assessments.Answers{
		{ids[0]: {Level: lv(1)}},
		{ids[1]: {Level: lv(2)}, ids[2]: {Level: lv(3), Comment: "as published in the register"}},
		{ids[0]: {Level: lv(4)}},
		{ids[1]: {}}, // cleared
		{ids[3]: {Level: lv(5), Comment: "since the 2025 reform"}, ids[2]: {}},
	}
	version := a.Version
	for i, step := range steps {
		v, err := w.s.SaveAnswers(ctx, w.a, a.ID, &version, step)
		if err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
		version = v.Assessment.Version
		stored, err := w.s.Answers(ctx, v.Assessment)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(v.Answers, stored) {
			t.Fatalf("save %d answers %v, but %v is stored", i, v.Answers, stored)
		}
	}
}
