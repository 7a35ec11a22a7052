package assessments_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/unescap/dmf/assessments"
)

// enrolTOTP sets up TOTP for a user and returns the secret and the
// recovery codes.
func enrolTOTP(t *testing.T, s *assessments.Store, userID uint) (string, []string) {
	t.Helper()
	ctx := context.Background()
	secret, url, err := s.StartTOTP(ctx, userID, "DMF test")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "otpauth://totp/") || !strings.Contains(url, "secret="+secret) {
		t.Fatalf("otpauth URL %q", url)
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	codes, err := s.ConfirmTOTP(ctx, userID, code)
	if err != nil {
		t.Fatal(err)
	}
	return secret, codes
}

// With TOTP set up, a sign-in is pending until a code is given: a wrong
// code, a code used before and a recovery code used before are refused,
// each counted like a wrong password, and the right ones give a full
// session.
func TestTOTPSignIn(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	s := w.s
	from := assessments.Origin{Addr: "192.0.2.7"}

	// Enrolment: a wrong code is refused and enables nothing.
	secret, _, err := s.StartTOTP(ctx, w.rev.UserID, "DMF test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConfirmTOTP(ctx, w.rev.UserID, "000000"); fieldOf(err, "code") == "" {
		if code, _ := totp.GenerateCode(secret, time.Now()); code != "000000" {
			t.Fatalf("a wrong confirmation code: %v", err)
		}
	}
	if u, _ := s.User(ctx, w.rev.UserID); u.SecondFactorAt != nil {
		t.Fatal("an unconfirmed secret counts as a second factor")
	}
	if _, err := s.SessionUser(ctx, mustSession(t, s, w.rev.UserID)); err != nil {
		t.Fatalf("before confirmation the password alone signs in: %v", err)
	}
	again, _, _ := s.TOTPKeyURL(ctx, w.rev.UserID)
	if again != secret {
		t.Fatal("the unconfirmed secret cannot be shown again")
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	codes, err := s.ConfirmTOTP(ctx, w.rev.UserID, code)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 || len(slices.Compact(slices.Sorted(slices.Values(codes)))) != 10 {
		t.Fatalf("recovery codes %v", codes)
	}
	if _, _, err := s.StartTOTP(ctx, w.rev.UserID, "DMF test"); fieldOf(err, "totp") == "" {
		t.Fatalf("a second TOTP over a confirmed one: %v", err)
	}

	// The confirmation's code is used: it does not sign in.
	pending := mustSession(t, s, w.rev.UserID)
	var pe *assessments.PendingSessionError
	if _, err := s.SessionUser(ctx, pending); !errors.As(err, &pe) {
		t.Fatalf("a session after the password alone: %v", err)
	}
	if _, err := s.CompleteSignIn(ctx, pending, code, from); !errors.Is(err, assessments.ErrBadCredentials) {
		t.Fatalf("the confirmation's code again: %v", err)
	}
	if _, err := s.CompleteSignIn(ctx, pending, "12345", from); !errors.Is(err, assessments.ErrBadCredentials) {
		t.Fatalf("a wrong code: %v", err)
	}
	// The next time step's code (clocks drift) signs in, once.
	next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	full, err := s.CompleteSignIn(ctx, pending, next, from)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := s.SessionUser(ctx, full); err != nil || u.ID != w.rev.UserID {
		t.Fatalf("the full session: %v", err)
	}
	if _, err := s.SessionUser(ctx, pending); !errors.Is(err, assessments.ErrExpired) {
		t.Fatalf("the pending session after sign-in: %v", err)
	}
	pending = mustSession(t, s, w.rev.UserID)
	if _, err := s.CompleteSignIn(ctx, pending, next, from); !errors.Is(err, assessments.ErrBadCredentials) {
		t.Fatalf("a replayed code: %v", err)
	}

	// A recovery code works once, typed in any case and grouping.
	typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))
	if _, err := s.CompleteSignIn(ctx, pending, typed, from); err != nil {
		t.Fatalf("a recovery code: %v", err)
	}
	pending = mustSession(t, s, w.rev.UserID)
	if _, err := s.CompleteSignIn(ctx, pending, codes[3], from); !errors.Is(err, assessments.ErrBadCredentials) {
		t.Fatalf("a recovery code used twice: %v", err)
	}
	if f, _ := s.SecondFactorsOf(ctx, w.rev.UserID); !f.TOTP || f.RecoveryLeft != 9 {
		t.Fatalf("factors %+v", f)
	}

	// Wrong codes count like wrong passwords: the account's tenth failure
	// in the window is the last, then even a right password is refused.
	for range assessments.MaxFailsAccount - 4 { // four failures above
		s.CompleteSignIn(ctx, pending, "999999", from)
	}
	if _, err := s.CompleteSignIn(ctx, pending, codes[4], from); !errors.Is(err, assessments.ErrThrottled) {
		t.Fatalf("after ten wrong codes: %v", err)
	}
	if _, err := s.Authenticate(ctx, "reviewer@escap.org", testPassword, from); !errors.Is(err, assessments.ErrThrottled) {
		t.Fatalf("the password after ten wrong codes: %v", err)
	}
}

func mustSession(t *testing.T, s *assessments.Store, userID uint) string {
	t.Helper()
	token, err := s.CreateSession(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// Turning TOTP off needs the password and a code; an admin's reset
// removes every factor, is audited, and tells the user.
func TestTOTPDisableAndAdminReset(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	s := w.s
	from := assessments.Origin{Addr: "192.0.2.8"}
	secret, codes := enrolTOTP(t, s, w.a.UserID)
	code, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if err := s.DisableTOTP(ctx, w.a.UserID, "not the password at all", code, from); fieldOf(err, "password") == "" {
		t.Fatalf("turning off without the password: %v", err)
	}
	if err := s.DisableTOTP(ctx, w.a.UserID, testPassword, "000001", from); fieldOf(err, "code") == "" {
		t.Fatalf("turning off without a code: %v", err)
	}
	if err := s.DisableTOTP(ctx, w.a.UserID, testPassword, codes[0], from); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User(ctx, w.a.UserID); u.SecondFactorAt != nil {
		t.Fatal("still a second factor after turning it off")
	}
	if _, err := s.SessionUser(ctx, mustSession(t, s, w.a.UserID)); err != nil {
		t.Fatalf("the password alone after turning off: %v", err)
	}

	enrolTOTP(t, s, w.b.UserID)
	if _, err := s.AddPasskey(ctx, w.b.UserID, "cred-1", "Laptop", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.ResetSecondFactor(ctx, w.rev, w.b.UserID); !errors.Is(err, assessments.ErrForbidden) {
		t.Fatalf("a reviewer resets a second factor: %v", err)
	}
	if err := s.ResetSecondFactor(ctx, w.admin, w.b.UserID); err != nil {
		t.Fatal(err)
	}
	f, _ := s.SecondFactorsOf(ctx, w.b.UserID)
	if u, _ := s.User(ctx, w.b.UserID); u.SecondFactorAt != nil || f.TOTP || len(f.Passkeys) != 0 || f.RecoveryLeft != 0 {
		t.Fatalf("after the reset: %+v", f)
	}
	ns, _ := s.Notifications(ctx, w.b.UserID, 10)
	if len(ns) == 0 || ns[0].Kind != assessments.NoticeSecondFactorReset {
		t.Fatalf("the user is not told: %+v", ns)
	}
	ev, err := s.AuditEvents(ctx, w.admin, assessments.AuditFilter{Action: "user.second_factor_reset"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ev, func(e assessments.AuditEvent) bool { return e.Action == "user.second_factor_reset" }) {
		t.Fatal("the reset is not in the audit log")
	}
}

// Required enrolment is by role and ends with the first factor.
func TestNeedsSecondFactor(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	required := []assessments.Role{assessments.RoleReviewer, assessments.RoleAdmin}
	rev, _ := w.s.User(ctx, w.rev.UserID)
	resp, _ := w.s.User(ctx, w.a.UserID)
	if !rev.NeedsSecondFactor(required) || resp.NeedsSecondFactor(required) || rev.NeedsSecondFactor(nil) {
		t.Fatal("the requirement does not follow the role")
	}
	if _, err := w.s.AddPasskey(ctx, w.rev.UserID, "cred-2", "Key", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	rev, _ = w.s.User(ctx, w.rev.UserID)
	if rev.NeedsSecondFactor(required) {
		t.Fatal("a passkey does not meet the requirement")
	}
}
