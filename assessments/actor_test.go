package assessments_test

import (
	"testing"

	"github.com/unescap/dmf/assessments"
)

// The authorization rules as a table: who may do what, to whose
// assessment, in which status. Every route, page and store method asks
// these, so a change here is a change everywhere.
func TestActorRules(t *testing.T) {
	anon := assessments.Actor{}
	resp := assessments.Actor{UserID: 1, Role: assessments.RoleRespondent, OrganisationID: 7}
	orphan := assessments.Actor{UserID: 2, Role: assessments.RoleRespondent} // no organisation
	rev := assessments.Actor{UserID: 3, Role: assessments.RoleReviewer}
	adm := assessments.Actor{UserID: 4, Role: assessments.RoleAdmin}

	type rules struct{ assess, review, seesOrgs, seesCountries, revoke, admin bool }
	for _, tc := range []struct {
		name string
		a    assessments.Actor
		want rules
	}{
		{"anonymous", anon, rules{}},
		{"respondent", resp, rules{assess: true}},
		{"respondent without organisation", orphan, rules{}},
		{"reviewer", rev, rules{review: true, seesOrgs: true, seesCountries: true, revoke: true}},
		{"admin", adm, rules{seesOrgs: true, seesCountries: true, revoke: true, admin: true}},
	} {
		got := rules{tc.a.CanAssess(), tc.a.CanReview(), tc.a.SeesAllOrganisations(), tc.a.SeesAllCountries(), tc.a.CanRevoke(), tc.a.CanAdminister()}
		if got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}

	own := func(st assessments.Status) *assessments.Assessment {
		return &assessments.Assessment{OrganisationID: 7, Status: st}
	}
	other := &assessments.Assessment{OrganisationID: 8, Status: assessments.StatusDraft}
	for _, tc := range []struct {
		name string
		a    assessments.Actor
		as   *assessments.Assessment
		edit bool
		dec  bool
	}{
		{"respondent, own draft", resp, own(assessments.StatusDraft), true, false},
		{"respondent, own returned", resp, own(assessments.StatusReturned), true, false},
		{"respondent, own submitted", resp, own(assessments.StatusSubmitted), false, false},
		{"respondent, own approved", resp, own(assessments.StatusApproved), false, false},
		{"respondent, another organisation's draft", resp, other, false, false},
		{"reviewer, submitted", rev, own(assessments.StatusSubmitted), false, true},
		{"reviewer, draft", rev, own(assessments.StatusDraft), false, false},
		{"admin, submitted", adm, own(assessments.StatusSubmitted), false, false},
		{"anonymous, draft", anon, own(assessments.StatusDraft), false, false},
	} {
		if got := tc.a.CanEdit(tc.as); got != tc.edit {
			t.Errorf("%s: CanEdit = %v, want %v", tc.name, got, tc.edit)
		}
		if got := tc.a.CanDecide(tc.as); got != tc.dec {
			t.Errorf("%s: CanDecide = %v, want %v", tc.name, got, tc.dec)
		}
	}
}
