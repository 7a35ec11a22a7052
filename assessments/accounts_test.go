package assessments_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/unescap/dmf/assessments"
)

func ptr[T any](v T) *T { return &v }

// fieldOf returns the message of a field of a validation error, or "".
func fieldOf(err error, field string) string {
	var ve *assessments.ValidationError
	if !errors.As(err, &ve) {
		return ""
	}
	m, ok := ve.Fields[field]
	if !ok {
		return ""
	}
	return m.String()
}

// A disabled account is out at once, session and token, and back in only
// with a new sign-in once re-enabled; its history stays.
func TestDisabledUserIsOutAtOnce(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	a := w.draft(t) // history made by the user
	session, err := w.s.CreateSession(ctx, w.a.UserID)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := w.s.CreateToken(ctx, w.a.UserID, "script")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.UpdateUser(ctx, w.a, w.a.UserID, assessments.UserChange{Disabled: ptr(true)}); !errors.Is(err, assessments.ErrForbidden) {
		t.Fatalf("a respondent disabled an account: %v", err)
	}
	u, err := w.s.UpdateUser(ctx, w.admin, w.a.UserID, assessments.UserChange{Disabled: ptr(true)})
	if err != nil || u.DisabledAt == nil {
		t.Fatalf("disable: %v", err)
	}
	if _, err := w.s.SessionUser(ctx, session); !errors.Is(err, assessments.ErrExpired) {
		t.Errorf("session of a disabled user: %v", err)
	}
	if _, err := w.s.TokenUser(ctx, token); !errors.Is(err, assessments.ErrExpired) {
		t.Errorf("token of a disabled user: %v", err)
	}
	if _, err := w.s.Authenticate(ctx, "a@justice.kz", testPassword, assessments.Origin{Addr: "10.0.0.9"}); !errors.Is(err, assessments.ErrBadCredentials) {
		t.Errorf("a disabled user signed in: %v", err)
	}
	if v, err := w.s.View(ctx, w.admin, a.ID); err != nil || v.Assessment.CreatedByID != w.a.UserID {
		t.Errorf("the disabled user's assessment: %v", err)
	}
	// A session made while disabled (a race with sign-in) is refused too.
	late, _ := w.s.CreateSession(ctx, w.a.UserID)
	if _, err := w.s.SessionUser(ctx, late); !errors.Is(err, assessments.ErrExpired) {
		t.Errorf("new session of a disabled user: %v", err)
	}

	if _, err := w.s.UpdateUser(ctx, w.admin, w.a.UserID, assessments.UserChange{Disabled: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.TokenUser(ctx, token); !errors.Is(err, assessments.ErrExpired) {
		t.Errorf("re-enabling revived an old token: %v", err)
	}
	if _, err := w.s.Authenticate(ctx, "a@justice.kz", testPassword, assessments.Origin{Addr: "10.0.0.9"}); err != nil {
		t.Errorf("re-enabled user cannot sign in: %v", err)
	}
	evs, _ := w.s.AuditEvents(ctx, w.admin, assessments.AuditFilter{TargetType: "user", TargetID: strconv.Itoa(int(w.a.UserID))})
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
	}
	if len(actions) < 3 || actions[0] != "user.updated" || actions[1] != "user.disabled" || actions[2] != "user.updated" {
		t.Errorf("audit: %v", actions)
	}
	if evs[0].Before == nil || evs[0].After == nil || *evs[0].ActorID != w.admin.UserID {
		t.Errorf("audit row without before, after or who: %+v", evs[0])
	}
}

func TestOnlyAdminsCreateAccounts(t *testing.T) {
	w := newWorld(t)
	if _, err := w.s.CreateUser(context.Background(), &w.rev, assessments.NewUser{Email: "x@escap.org", Password: testPassword, Role: assessments.RoleAdmin}); !errors.Is(err, assessments.ErrForbidden) {
		t.Errorf("a reviewer created an admin: %v", err)
	}
}

func TestLastActiveAdmin(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.s.UpdateUser(ctx, w.admin, w.admin.UserID, assessments.UserChange{Role: ptr(assessments.RoleReviewer)}); fieldOf(err, "role") == "" {
		t.Errorf("the last admin demoted themselves: %v", err)
	}
	if _, err := w.s.UpdateUser(ctx, w.admin, w.admin.UserID, assessments.UserChange{Disabled: ptr(true)}); fieldOf(err, "disabled") == "" {
		t.Errorf("the last admin disabled themselves: %v", err)
	}
	if u, _ := w.s.User(ctx, w.admin.UserID); u.Role != assessments.RoleAdmin || u.DisabledAt != nil {
		t.Fatalf("a refused change changed the admin: %+v", u)
	}
	// With a second admin, one may go; then the other is the last again.
	second, err := w.s.UpdateUser(ctx, w.admin, w.rev.UserID, assessments.UserChange{Role: ptr(assessments.RoleAdmin)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.UpdateUser(ctx, w.admin, w.admin.UserID, assessments.UserChange{Disabled: ptr(true)}); err != nil {
		t.Fatalf("disable one of two admins: %v", err)
	}
	by := second.Actor()
	if _, err := w.s.UpdateUser(ctx, by, second.ID, assessments.UserChange{Role: ptr(assessments.RoleRespondent), OrganisationID: ptr(uint(1))}); fieldOf(err, "role") == "" {
		t.Errorf("the last active admin demoted: %v", err)
	}
	// A disabled admin does not count as active.
	if _, err := w.s.UpdateUser(ctx, by, w.admin.UserID, assessments.UserChange{Disabled: ptr(false)}); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateUserValidates(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for name, ch := range map[string]assessments.UserChange{
		"name":         {Name: ptr("bad\u202ename")},
		"role":         {Role: ptr(assessments.Role("king"))},
		"organisation": {OrganisationID: ptr(uint(999))},
	} {
		if _, err := w.s.UpdateUser(ctx, w.admin, w.a.UserID, ch); fieldOf(err, name) == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A reviewer belongs to no organisation; a respondent to one.
	if _, err := w.s.UpdateUser(ctx, w.admin, w.rev.UserID, assessments.UserChange{Role: ptr(assessments.RoleRespondent)}); fieldOf(err, "organisation") == "" {
		t.Errorf("respondent without organisation: %v", err)
	}
	if _, err := w.s.UpdateUser(ctx, w.admin, w.a.UserID, assessments.UserChange{OrganisationID: ptr(uint(0))}); fieldOf(err, "organisation") == "" {
		t.Errorf("respondent taken out of its organisation: %v", err)
	}
	if _, err := w.s.UpdateUser(ctx, w.admin, 999, assessments.UserChange{Name: ptr("x")}); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	u, err := w.s.UpdateUser(ctx, w.admin, w.a.UserID, assessments.UserChange{Name: ptr("  Aigerim  "), Role: ptr(assessments.RoleReviewer)})
	if err != nil || u.Name != "Aigerim" || u.Role != assessments.RoleReviewer || u.OrganisationID != nil {
		t.Errorf("respondent made reviewer: %+v %v", u, err)
	}
}

func TestResetPasswordEndsAccess(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	session, _ := w.s.CreateSession(ctx, w.b.UserID)
	token, _, _ := w.s.CreateToken(ctx, w.b.UserID, "script")
	if _, err := w.s.ResetPassword(ctx, w.rev, w.b.UserID); !errors.Is(err, assessments.ErrForbidden) {
		t.Fatalf("a reviewer reset a password: %v", err)
	}
	pw, err := w.s.ResetPassword(ctx, w.admin, w.b.UserID)
	if err != nil || len(pw) < 16 {
		t.Fatalf("reset: %q %v", pw, err)
	}
	if _, err := w.s.SessionUser(ctx, session); !errors.Is(err, assessments.ErrExpired) {
		t.Errorf("session after reset: %v", err)
	}
	if _, err := w.s.TokenUser(ctx, token); !errors.Is(err, assessments.ErrExpired) {
		t.Errorf("token after reset: %v", err)
	}
	if _, err := w.s.Authenticate(ctx, "b@tax.uz", testPassword, assessments.Origin{Addr: "10.0.0.7"}); !errors.Is(err, assessments.ErrBadCredentials) {
		t.Errorf("old password after reset: %v", err)
	}
	u, err := w.s.Authenticate(ctx, "b@tax.uz", pw, assessments.Origin{Addr: "10.0.0.7"})
	if err != nil || !u.MustChangePassword {
		t.Errorf("the one-time password must be changed at sign-in: %+v %v", u, err)
	}
	if _, err := w.s.ResetPassword(ctx, w.admin, 999); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	// The user is told that an administrator reset the password.
	notes, err := w.s.Notifications(ctx, w.b.UserID, 10)
	if err != nil || len(notes) == 0 || notes[0].Kind != assessments.NoticePasswordReset {
		t.Errorf("notifications after an admin's reset: %+v %v", notes, err)
	}
}

func TestRetiredServiceKeepsItsAssessments(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	old := w.draft(t)
	if _, err := w.s.UpdateService(ctx, w.a, w.svcA.ID, assessments.ServiceChange{Retired: ptr(true)}); !errors.Is(err, assessments.ErrForbidden) {
		t.Fatalf("a respondent retired a service: %v", err)
	}
	svc, err := w.s.UpdateService(ctx, w.admin, w.svcA.ID, assessments.ServiceChange{Retired: ptr(true), Name: ptr("Business registration (old)")})
	if err != nil || svc.RetiredAt == nil {
		t.Fatalf("retire: %v", err)
	}
	_, err = w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{ServiceID: w.svcA.ID, FrameworkID: w.ed.ID, Period: 2027})
	if fieldOf(err, "service") == "" {
		t.Errorf("new assessment of a retired service: %v", err)
	}
	_, err = w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{NewService: &assessments.Service{Name: "Business registration (old)", Category: "tax"}, FrameworkID: w.ed.ID, Period: 2027})
	if fieldOf(err, "service.name") == "" {
		t.Errorf("new assessment of a retired service named: %v", err)
	}
	if v, err := w.s.View(ctx, w.a, old.ID); err != nil || v.Assessment.Service.Name != "Business registration (old)" {
		t.Errorf("the old assessment: %v", err)
	}
	for field, ch := range map[string]assessments.ServiceChange{
		"name":     {Name: ptr("")},
		"category": {Category: ptr("weather")},
		"url":      {URL: ptr("javascript:alert(1)")},
	} {
		if _, err := w.s.UpdateService(ctx, w.admin, w.svcA.ID, ch); fieldOf(err, field) == "" {
			t.Errorf("%s: %v", field, err)
		}
	}
	if _, err := w.s.UpdateService(ctx, w.admin, w.svcA.ID, assessments.ServiceChange{Retired: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{ServiceID: w.svcA.ID, FrameworkID: w.ed.ID, Period: 2027}); err != nil {
		t.Errorf("assessment of a service back in use: %v", err)
	}
}

func TestUpdateOrganisation(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	orgA := w.a.OrganisationID
	if _, err := w.s.UpdateOrganisation(ctx, w.rev, orgA, assessments.OrganisationChange{Name: ptr("X")}); !errors.Is(err, assessments.ErrForbidden) {
		t.Fatalf("a reviewer edited an organisation: %v", err)
	}
	o, err := w.s.UpdateOrganisation(ctx, w.admin, orgA, assessments.OrganisationChange{Name: ptr("Ministry of Justice and Digital"), Kind: ptr("agency"), Country: ptr("uzb")})
	if err != nil || o.Name != "Ministry of Justice and Digital" || o.Kind != "agency" || o.Country != "UZB" {
		t.Fatalf("edit: %+v %v", o, err)
	}
	for field, ch := range map[string]assessments.OrganisationChange{
		"name":    {Name: ptr("Tax Committee")}, // taken in UZB
		"country": {Country: ptr("DEU")},
		"kind":    {Kind: ptr("guild")},
	} {
		if _, err := w.s.UpdateOrganisation(ctx, w.admin, orgA, ch); fieldOf(err, field) == "" {
			t.Errorf("%s: %v", field, err)
		}
	}
	w.draft(t)
	if _, err := w.s.UpdateOrganisation(ctx, w.admin, orgA, assessments.OrganisationChange{Country: ptr("KAZ")}); fieldOf(err, "country") == "" {
		t.Errorf("country changed under an assessment: %v", err)
	}
	if o, _ := w.s.Organisation(ctx, orgA); o.Country != "UZB" {
		t.Errorf("a refused change changed the country: %s", o.Country)
	}
}

// Two admins disabling each other at the same moment: one wins, the other
// is told it would leave no administrator, and one admin stays active.
func TestAdminsDisablingEachOther(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	second, err := w.s.UpdateUser(ctx, w.admin, w.rev.UserID, assessments.UserChange{Role: ptr(assessments.RoleAdmin)})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	go func() {
		_, err := w.s.UpdateUser(ctx, w.admin, second.ID, assessments.UserChange{Disabled: ptr(true)})
		errs <- err
	}()
	go func() {
		_, err := w.s.UpdateUser(ctx, second.Actor(), w.admin.UserID, assessments.UserChange{Disabled: ptr(true)})
		errs <- err
	}()
	var refused int
	for range 2 {
		if err := <-errs; fieldOf(err, "disabled") != "" {
			refused++
		} else if err != nil {
			t.Errorf("unexpected: %v", err)
		}
	}
	one, _ := w.s.User(ctx, w.admin.UserID)
	two, _ := w.s.User(ctx, second.ID)
	if refused != 1 || (one.DisabledAt == nil) == (two.DisabledAt == nil) {
		t.Errorf("refused %d; disabled: first %v, second %v", refused, one.DisabledAt != nil, two.DisabledAt != nil)
	}
}

// TestEndedAccessStopsOnEveryInstance: two instances (stores) on one
// database, each having just authenticated a session and a token (so that
// both are in its cache): revoking the token, disabling the account or
// changing its password on one ends them on the other at its next request.
func TestEndedAccessStopsOnEveryInstance(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dmf.db")
	w := newWorldAt(t, path, nil)
	other := mustOpen(t, path, nil)
	live := func(step string) (session, token string) {
		t.Helper()
		session, _ = w.s.CreateSession(ctx, w.a.UserID)
		token, _, _ = w.s.CreateToken(ctx, w.a.UserID, "script "+step)
		for _, s := range []*assessments.Store{w.s, other} {
			for range 2 { // the second from the cache
				if _, err := s.SessionUser(ctx, session); err != nil {
					t.Fatalf("%s: session: %v", step, err)
				}
				if _, err := s.TokenUser(ctx, token); err != nil {
					t.Fatalf("%s: token: %v", step, err)
				}
			}
		}
		return session, token
	}
	ended := func(step, session, token string) {
		t.Helper()
		if _, err := other.SessionUser(ctx, session); !errors.Is(err, assessments.ErrExpired) {
			t.Errorf("%s: the session still works on the other instance: %v", step, err)
		}
		if _, err := other.TokenUser(ctx, token); !errors.Is(err, assessments.ErrExpired) {
			t.Errorf("%s: the token still works on the other instance: %v", step, err)
		}
	}

	session, token := live("revoke")
	if err := w.s.RevokeToken(ctx, w.a.UserID, token); err != nil {
		t.Fatal(err)
	}
	if _, err := other.TokenUser(ctx, token); !errors.Is(err, assessments.ErrExpired) {
		t.Errorf("a revoked token works on the other instance: %v", err)
	}
	if err := w.s.DeleteSession(ctx, session); err != nil {
		t.Fatal(err)
	}
	if _, err := other.SessionUser(ctx, session); err == nil {
		t.Error("a signed-out session works on the other instance")
	}

	session, token = live("disable")
	if _, err := w.s.UpdateUser(ctx, w.admin, w.a.UserID, assessments.UserChange{Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	ended("disable", session, token)
	if _, err := w.s.UpdateUser(ctx, w.admin, w.a.UserID, assessments.UserChange{Disabled: ptr(false)}); err != nil {
		t.Fatal(err)
	}

	session, token = live("password")
	if err := w.s.ChangePassword(ctx, w.a.UserID, testPassword, "a new pass phrase for 2027", "", assessments.Origin{Addr: "10.0.0.9"}); err != nil {
		t.Fatal(err)
	}
	ended("password", session, token)
}
