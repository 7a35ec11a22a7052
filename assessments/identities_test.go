package assessments_test

import (
	"context"
	"errors"
	"testing"

	"github.com/unescap/dmf/assessments"
)

const idpIssuer = "https://id.gov.example/realms/ministry"

func claims(sub, email string, verified bool) assessments.Claims {
	return assessments.Claims{Provider: "gov", Issuer: idpIssuer, Subject: sub, Email: email, EmailVerified: verified, Name: "Aigerim N."}
}

func ssoRefusal(err error) string {
	var r *assessments.SignInRefusedError
	if errors.As(err, &r) {
		return r.Reason
	}
	return ""
}

func auditCount(t *testing.T, w *world, action string) int {
	t.Helper()
	evs, err := w.s.AuditEvents(context.Background(), w.admin, assessments.AuditFilter{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// An admin's link by email is completed by the first sign-in with that
// verified email; later sign-ins go by subject, whatever the email says
// then; an unverified email completes nothing.
func TestIdentityAdminLink(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	from := assessments.Origin{Addr: "192.0.2.1"}
	if _, err := w.s.AddIdentity(ctx, w.a, w.a.UserID, "gov", idpIssuer, "a@justice.kz"); !errors.Is(err, assessments.ErrForbidden) {
		t.Fatalf("a respondent linked an identity: %v", err)
	}
	id, err := w.s.AddIdentity(ctx, w.admin, w.a.UserID, "gov", idpIssuer, "Aigerim@Justice.kz")
	if err != nil || !id.Pending() {
		t.Fatalf("admin link: %v %+v", err, id)
	}
	if _, err := w.s.AddIdentity(ctx, w.admin, w.b.UserID, "gov", idpIssuer, "aigerim@justice.kz"); fieldOf(err, "email") == "" {
		t.Errorf("the same email linked to two accounts: %v", err)
	}
	if _, err := w.s.SignInWithIdentity(ctx, claims("s-1", "aigerim@justice.kz", false), nil, from); ssoRefusal(err) != assessments.RefusedUnverified {
		t.Fatalf("an unverified email completed a link: %v", err)
	}
	u, err := w.s.SignInWithIdentity(ctx, claims("s-1", "aigerim@justice.kz", true), nil, from)
	if err != nil || u.ID != w.a.UserID {
		t.Fatalf("first sign-in: %v %+v", err, u)
	}
	u, err = w.s.SignInWithIdentity(ctx, claims("s-1", "someone.else@mail.example", false), nil, from)
	if err != nil || u.ID != w.a.UserID {
		t.Fatalf("second sign-in by subject: %v", err)
	}
	if u.Role != assessments.RoleRespondent || u.OrganisationID == nil {
		t.Errorf("role or organisation changed: %+v", u)
	}
	if n := auditCount(t, w, "user.signed_in"); n != 2 {
		t.Errorf("%d sign-ins audited, want 2", n)
	}
	ids, _ := w.s.Identities(ctx, w.a.UserID)
	if len(ids) != 1 || ids[0].Pending() || *ids[0].Subject != "s-1" {
		t.Fatalf("identities: %+v", ids)
	}
	// A disabled account cannot sign in with its identity.
	if _, err := w.s.UpdateUser(ctx, w.admin, w.a.UserID, assessments.UserChange{Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.SignInWithIdentity(ctx, claims("s-1", "aigerim@justice.kz", true), nil, from); ssoRefusal(err) != assessments.RefusedDisabled {
		t.Errorf("a disabled account signed in: %v", err)
	}
	if _, err := w.s.UpdateUser(ctx, w.admin, w.a.UserID, assessments.UserChange{Disabled: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	// Unlinked, the identity signs in to nothing.
	if err := w.s.RemoveIdentity(ctx, w.admin, w.a.UserID, ids[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.SignInWithIdentity(ctx, claims("s-1", "aigerim@justice.kz", true), nil, from); ssoRefusal(err) != assessments.RefusedUnlinked {
		t.Errorf("an unlinked identity: %v", err)
	}
	if n := auditCount(t, w, "identity.unlinked"); n != 1 {
		t.Errorf("%d unlinks audited", n)
	}
	if n := auditCount(t, w, "user.sign_in_refused"); n != 3 {
		t.Errorf("%d refusals audited, want 3", n)
	}
}

// A user links an identity while signed in; it must have a verified email
// and belong to no other account.
func TestIdentityUserLink(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.s.LinkIdentity(ctx, w.a, claims("s-2", "a@gmail.example", false)); ssoRefusal(err) != assessments.RefusedUnverified {
		t.Fatalf("unverified link: %v", err)
	}
	if _, err := w.s.LinkIdentity(ctx, w.a, claims("s-2", "a@gmail.example", true)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.LinkIdentity(ctx, w.b, claims("s-2", "a@gmail.example", true)); ssoRefusal(err) != assessments.RefusedLinked {
		t.Errorf("an identity linked to two accounts: %v", err)
	}
	u, err := w.s.SignInWithIdentity(ctx, claims("s-2", "a@gmail.example", true), nil, assessments.Origin{Addr: "192.0.2.1"})
	if err != nil || u.ID != w.a.UserID {
		t.Errorf("sign-in after linking: %v", err)
	}
}

// Auto-creation makes a respondent of the named organisation, only for a
// verified email of an allowed domain, and never takes over an account
// that has the email.
func TestIdentityAutoCreate(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	from := assessments.Origin{Addr: "192.0.2.1"}
	a, _ := w.s.User(ctx, w.a.UserID)
	auto := &assessments.AutoCreate{Domains: []string{"justice.kz"}, OrganisationID: *a.OrganisationID}
	if _, err := w.s.SignInWithIdentity(ctx, claims("s-3", "new@tax.uz", true), auto, from); ssoRefusal(err) != assessments.RefusedUnlinked {
		t.Errorf("another domain created an account: %v", err)
	}
	if _, err := w.s.SignInWithIdentity(ctx, claims("s-3", "new@justice.kz", false), auto, from); ssoRefusal(err) != assessments.RefusedUnverified {
		t.Errorf("an unverified email created an account: %v", err)
	}
	if _, err := w.s.SignInWithIdentity(ctx, claims("s-3", "a@justice.kz", true), auto, from); ssoRefusal(err) != assessments.RefusedExists {
		t.Errorf("an existing account was taken over: %v", err)
	}
	u, err := w.s.SignInWithIdentity(ctx, claims("s-3", "New@justice.kz", true), auto, from)
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "new@justice.kz" || u.Role != assessments.RoleRespondent || u.OrganisationID == nil || *u.OrganisationID != *a.OrganisationID || u.Name != "Aigerim N." {
		t.Errorf("created %+v", u)
	}
	again, err := w.s.SignInWithIdentity(ctx, claims("s-3", "new@justice.kz", true), auto, from)
	if err != nil || again.ID != u.ID {
		t.Errorf("second sign-in: %v", err)
	}
}

// Refused single sign-ons count against the client's address like failed
// passwords: past the limit, the answer is 429 before anything is looked at.
func TestIdentityThrottle(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	from := assessments.Origin{Addr: "192.0.2.9"}
	for range assessments.MaxFailsAddress {
		if err := w.s.SignInFailed(ctx, "gov", idpIssuer, "state", from); ssoRefusal(err) != assessments.RefusedFailed {
			t.Fatal(err)
		}
	}
	if _, err := w.s.SignInWithIdentity(ctx, claims("s-4", "x@justice.kz", true), nil, from); !errors.Is(err, assessments.ErrThrottled) {
		t.Errorf("after %d failures: %v", assessments.MaxFailsAddress, err)
	}
	if ok, err := w.s.SignInThrottled(ctx, from); err != nil || !ok {
		t.Errorf("throttled: %v %v", ok, err)
	}
	if ok, _ := w.s.SignInThrottled(ctx, assessments.Origin{Addr: "192.0.2.10"}); ok {
		t.Error("another address is throttled")
	}
}
