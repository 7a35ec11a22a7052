package assessments_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments"
)

// newMailWorld is a world of an instance that sends mail and issues cards.
func newMailWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	builtin, _, _ := frameworksEmbedded(t)
	s, err := assessments.Open(ctx, assessments.Options{Database: testDatabase(t, filepath.Join(dir, "dmf.db")), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Editions: builtin, Issuer: testIssuer(t, filepath.Join(dir, "keys")), Mail: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// Like the workflow world, on 1.0.0: who is told does not depend on
	// the edition, and 1.1.0's country indicators need a coordinator.
	ed, _ := s.Editions().Edition("escap-dmf-dps-sme", "1.0.0")
	w := &world{s: s, ed: ed}
	user := func(email string, role assessments.Role, org uint) assessments.Actor {
		u, err := s.CreateUser(ctx, nil, assessments.NewUser{Email: email, Password: testPassword, Role: role, OrganisationID: org})
		if err != nil {
			t.Fatal(err)
		}
		return u.Actor()
	}
	orgA, _ := s.CreateOrganisation(ctx, nil, assessments.Organisation{Name: "Ministry of Justice", Country: "KAZ", Kind: "ministry"})
	orgB, _ := s.CreateOrganisation(ctx, nil, assessments.Organisation{Name: "Tax Committee", Country: "UZB", Kind: "agency"})
	w.a = user("a@justice.kz", assessments.RoleRespondent, orgA.ID)
	w.b = user("b@tax.uz", assessments.RoleRespondent, orgB.ID)
	w.rev = user("reviewer@escap.org", assessments.RoleReviewer, 0)
	w.admin = user("admin@escap.org", assessments.RoleAdmin, 0)
	w.svcA, _ = s.CreateService(ctx, w.a, assessments.Service{Name: "Business registration", Category: "business-registration"})
	return w
}

func kinds(t *testing.T, s *assessments.Store, userID uint) []string {
	t.Helper()
	ns, err := s.Notifications(context.Background(), userID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		out = append(out, n.Kind)
	}
	return out
}

// outboxFor lists the unsent messages to one address.
func outboxFor(t *testing.T, s *assessments.Store, to string) []assessments.OutboxMail {
	t.Helper()
	ms, err := s.Outbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []assessments.OutboxMail
	for _, m := range ms {
		if m.To == to && m.SentAt == nil {
			out = append(out, m)
		}
	}
	return out
}

// Each event tells who is concerned, in the app and by mail, and nobody
// else; a user who turned mail off is told in the app only.
func TestEventsNotifyWhoIsConcerned(t *testing.T) {
	ctx := context.Background()
	w := newMailWorld(t)
	s := w.s
	quiet, err := s.CreateUser(ctx, nil, assessments.NewUser{Email: "quiet@escap.org", Password: testPassword, Role: assessments.RoleReviewer})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetMailOff(ctx, quiet.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLanguage(ctx, w.a.UserID, "ru"); err != nil {
		t.Fatal(err)
	}
	a := w.draft(t)
	if _, err := s.SaveAnswers(ctx, w.a, a.ID, nil, all(w.ed, 3)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Submit(ctx, w.a, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := kinds(t, s, w.rev.UserID); len(got) != 1 || got[0] != assessments.NoticeSubmitted {
		t.Fatalf("reviewer: %v", got)
	}
	if got := kinds(t, s, quiet.ID); len(got) != 1 || len(outboxFor(t, s, "quiet@escap.org")) != 0 {
		t.Fatalf("a reviewer with mail off: %v, %d messages", got, len(outboxFor(t, s, "quiet@escap.org")))
	}
	if got := kinds(t, s, w.a.UserID); len(got) != 0 {
		t.Fatalf("the respondent was told of their own submission: %v", got)
	}
	if ms := outboxFor(t, s, "reviewer@escap.org"); len(ms) != 1 || ms[0].Kind != assessments.NoticeSubmitted || ms[0].Language != "en" {
		t.Fatalf("reviewer's mail: %+v", ms)
	}

	if _, err := s.Review(ctx, w.rev, a.ID, assessments.ReviewInput{Decision: assessments.DecisionReturn, Comment: "Add evidence"}); err != nil {
		t.Fatal(err)
	}
	ns, _ := s.Notifications(ctx, w.a.UserID, 10)
	if len(ns) != 1 || ns[0].Kind != assessments.NoticeReturned || ns[0].Comment != "Add evidence" || ns[0].AssessmentID == nil || *ns[0].AssessmentID != a.ID || ns[0].Read {
		t.Fatalf("respondent: %+v", ns)
	}
	ms := outboxFor(t, s, "a@justice.kz")
	d, _ := ms[0].Decode()
	if len(ms) != 1 || ms[0].Language != "ru" || d.Comment != "Add evidence" || d.Service != "Business registration" || !strings.HasPrefix(d.Link, "/assessments/") {
		t.Fatalf("respondent's mail: %+v %+v", ms, d)
	}
	if got := kinds(t, s, w.b.UserID); len(got) != 0 {
		t.Fatalf("another organisation was told: %v", got)
	}

	if _, err := s.Submit(ctx, w.a, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Review(ctx, w.rev, a.ID, assessments.ReviewInput{Decision: assessments.DecisionApprove, Comment: "Well done"}); err != nil {
		t.Fatal(err)
	}
	rec, err := s.CardOf(ctx, w.a, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revoke(ctx, w.rev, rec.ID, "Issued in error"); err != nil {
		t.Fatal(err)
	}
	ns, _ = s.Notifications(ctx, w.a.UserID, 10)
	if len(ns) != 3 || ns[0].Kind != assessments.NoticeCardRevoked || ns[0].CardID != rec.ID || ns[0].Comment != "Issued in error" || ns[1].Kind != assessments.NoticeApproved {
		t.Fatalf("respondent after approval and revocation: %+v", ns)
	}

	// An account an administrator creates is told so; one made on the
	// command line is not.
	u, err := s.CreateUser(ctx, &w.admin, assessments.NewUser{Email: "new@justice.kz", Password: testPassword, Role: assessments.RoleReviewer})
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(t, s, u.ID); len(got) != 1 || got[0] != assessments.NoticeAccountCreated || len(outboxFor(t, s, "new@justice.kz")) != 1 {
		t.Fatalf("new account: %v", got)
	}
}

// An event that fails tells nobody: the notification and the mail are in
// its transaction.
func TestFailedEventTellsNobody(t *testing.T) {
	ctx := context.Background()
	w := newMailWorld(t)
	a := w.draft(t)
	var ie *assessments.IncompleteError
	if _, err := w.s.Submit(ctx, w.a, a.ID); !errors.As(err, &ie) {
		t.Fatalf("submitting an empty draft: %v", err)
	}
	if got := kinds(t, w.s, w.rev.UserID); len(got) != 0 {
		t.Fatalf("told of a failed submission: %v", got)
	}
	if d, _ := w.s.OutboxDepth(ctx); d != 0 {
		t.Fatalf("outbox after a failed submission: %d", d)
	}
}

func TestMarkRead(t *testing.T) {
	ctx := context.Background()
	w := newMailWorld(t)
	u, _ := w.s.CreateUser(ctx, &w.admin, assessments.NewUser{Email: "x@justice.kz", Password: testPassword, Role: assessments.RoleReviewer})
	ns, _ := w.s.Notifications(ctx, u.ID, 10)
	// Another user's ids are ignored.
	if err := w.s.MarkRead(ctx, w.rev.UserID, []uint{ns[0].ID}); err != nil {
		t.Fatal(err)
	}
	if n, _ := w.s.UnreadNotifications(ctx, u.ID); n != 1 {
		t.Fatal("marked read by another user")
	}
	if err := w.s.MarkRead(ctx, u.ID, []uint{ns[0].ID}); err != nil {
		t.Fatal(err)
	}
	if n, _ := w.s.UnreadNotifications(ctx, u.ID); n != 0 {
		t.Fatal("not marked read")
	}
	var ve *assessments.ValidationError
	if err := w.s.MarkRead(ctx, u.ID, nil); !errors.As(err, &ve) || ve.Fields["ids"].Format == "" {
		t.Fatalf("no ids: %v", err)
	}
	if err := w.s.MarkRead(ctx, u.ID, make([]uint, assessments.MaxMarkRead+1)); !errors.As(err, &ve) {
		t.Fatalf("too many ids: %v", err)
	}
}

// A reset link is mailed only for an existing, enabled account; it works
// once, within 30 minutes, and ends every session and token.
func TestPasswordReset(t *testing.T) {
	ctx := context.Background()
	w := newMailWorld(t)
	s := w.s
	var ve *assessments.ValidationError
	if err := s.RequestPasswordReset(ctx, "not an address"); !errors.As(err, &ve) || ve.Fields["email"].Format == "" {
		t.Fatalf("malformed address: %v", err)
	}
	if err := s.RequestPasswordReset(ctx, "nobody@justice.kz"); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.OutboxDepth(ctx); d != 0 {
		t.Fatalf("mail for an unknown address: %d", d)
	}
	session, _ := s.CreateSession(ctx, w.a.UserID)
	token, _, _ := s.CreateToken(ctx, w.a.UserID, "script")
	link := func() string {
		if err := s.RequestPasswordReset(ctx, " A@Justice.kz "); err != nil {
			t.Fatal(err)
		}
		ms := outboxFor(t, s, "a@justice.kz")
		d, _ := ms[len(ms)-1].Decode()
		if ms[len(ms)-1].Kind != assessments.MailPasswordResetLink || d.ResetToken == "" {
			t.Fatalf("reset mail: %+v", ms)
		}
		return d.ResetToken
	}
	first := link()
	if err := s.ResetPasswordWithLink(ctx, first, "short"); !errors.As(err, &ve) || ve.Fields["password"].Format == "" {
		t.Fatalf("a weak password: %v", err)
	}
	if err := s.ResetPasswordWithLink(ctx, first, "a brand new passphrase"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionUser(ctx, session); !errors.Is(err, assessments.ErrExpired) {
		t.Fatalf("session after reset: %v", err)
	}
	if _, err := s.TokenUser(ctx, token); !errors.Is(err, assessments.ErrExpired) {
		t.Fatalf("token after reset: %v", err)
	}
	if err := s.ResetPasswordWithLink(ctx, first, "another new passphrase"); !errors.As(err, &ve) || ve.Fields["token"].Format == "" {
		t.Fatalf("the link worked twice: %v", err)
	}
	if got := kinds(t, s, w.a.UserID); len(got) != 1 || got[0] != assessments.NoticePasswordReset {
		t.Fatalf("notifications: %v", got)
	}

	late := link()
	s.SetClock(func() time.Time { return time.Now().UTC().Add(assessments.PasswordResetLifetime + time.Second) })
	if err := s.ResetPasswordWithLink(ctx, late, "another new passphrase"); !errors.As(err, &ve) || ve.Fields["token"].Format == "" {
		t.Fatalf("an expired link worked: %v", err)
	}
	s.SetClock(func() time.Time { return time.Now().UTC().Add(assessments.PasswordResetLifetime - time.Minute) })
	if err := s.ResetPasswordWithLink(ctx, late, "another new passphrase"); err != nil {
		t.Fatalf("a link 29 minutes old: %v", err)
	}
}

// Without mail set up, nothing waits in an outbox that nobody sends.
func TestNoMailNoOutbox(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	if err := w.s.RequestPasswordReset(ctx, "a@justice.kz"); err != nil {
		t.Fatal(err)
	}
	w.s.CreateUser(ctx, &w.admin, assessments.NewUser{Email: "x@justice.kz", Password: testPassword, Role: assessments.RoleReviewer})
	if d, _ := w.s.OutboxDepth(ctx); d != 0 {
		t.Fatalf("outbox without mail: %d", d)
	}
}

// A claimed message is not claimed again until its lease ends, and a
// worker whose lease ran out cannot record it.
func TestOutboxClaims(t *testing.T) {
	ctx := context.Background()
	w := newMailWorld(t)
	s := w.s
	s.CreateUser(ctx, &w.admin, assessments.NewUser{Email: "x@justice.kz", Password: testPassword, Role: assessments.RoleReviewer})
	m, err := s.ClaimMail(ctx, "one", time.Minute)
	if err != nil || m == nil || m.Attempts != 1 {
		t.Fatalf("claim: %+v %v", m, err)
	}
	if again, _ := s.ClaimMail(ctx, "two", time.Minute); again != nil {
		t.Fatal("claimed twice within the lease")
	}
	s.SetClock(func() time.Time { return time.Now().UTC().Add(2 * time.Minute) })
	again, _ := s.ClaimMail(ctx, "two", time.Minute)
	if again == nil || again.ID != m.ID || again.Attempts != 2 {
		t.Fatalf("not claimable after the lease: %+v", again)
	}
	if ok, _ := s.MailSent(ctx, m.ID, "one"); ok {
		t.Fatal("a lost claim recorded the message")
	}
	if ok, _ := s.MailSent(ctx, m.ID, "two"); !ok {
		t.Fatal("the claim holder could not record the message")
	}
	if d, _ := s.OutboxDepth(ctx); d != 0 {
		t.Fatalf("depth: %d", d)
	}
	ms, _ := s.Outbox(ctx)
	if ms[0].Data != nil {
		t.Fatal("a sent message keeps its data")
	}
}

// Asking again and again sends at most a few links at a time.
func TestPasswordResetRequestsAreLimited(t *testing.T) {
	ctx := context.Background()
	w := newMailWorld(t)
	for range 10 {
		if err := w.s.RequestPasswordReset(ctx, "a@justice.kz"); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(outboxFor(t, w.s, "a@justice.kz")); got != 3 {
		t.Fatalf("%d links mailed", got)
	}
}
