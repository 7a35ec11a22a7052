package mail_test

import (
	"cmp"
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/mail"
	"github.com/unescap/dmf/frameworks"
)

// received is a message the test SMTP server accepted.
type received struct {
	To, Subject, Body, MessageID string
}

// smtpServer is a real SMTP server on loopback that keeps what it gets.
// It refuses the first refuse messages with a temporary error.
type smtpServer struct {
	mu     sync.Mutex
	got    []received
	refuse int
	arrive chan struct{}
	addr   string
}

func startSMTP(t *testing.T, refuse int) *smtpServer {
	t.Helper()
	ms := &smtpServer{refuse: refuse, arrive: make(chan struct{}, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: ms}, nil }))
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ms
}

func (ms *smtpServer) settings(t *testing.T) mail.Settings {
	s, err := mail.ParseURL("smtp://" + ms.addr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wait returns once n messages have arrived, or fails after a minute.
func (ms *smtpServer) wait(t *testing.T, n int) []received {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		ms.mu.Lock()
		got := append([]received(nil), ms.got...)
		ms.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-ms.arrive:
		case <-deadline:
			t.Fatalf("%d messages arrived, want %d", len(got), n)
		}
	}
}

type smtpSession struct {
	srv *smtpServer
	to  string
}

func (s *smtpSession) Reset()                                    {}
func (s *smtpSession) Logout() error                             { return nil }
func (s *smtpSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = to; return nil }
func (s *smtpSession) Data(r io.Reader) error {
	msg, err := netmail.ReadMessage(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if s.srv.refuse > 0 {
		s.srv.refuse--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	s.srv.got = append(s.srv.got, received{To: s.to, Subject: subject, Body: string(b), MessageID: msg.Header.Get("Message-Id")})
	s.srv.arrive <- struct{}{}
	return nil
}

func openStore(t *testing.T, database string) *assessments.Store {
	t.Helper()
	builtin, _, err := frameworks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	s, err := assessments.Open(context.Background(), assessments.Options{Database: database, Editions: builtin, Mail: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// runWorker runs a worker until the returned stop is called; stop waits
// for it to finish.
func runWorker(store *assessments.Store, srv *smtpServer, t *testing.T) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &mail.Worker{Store: store, SMTP: srv.settings(t), From: "DMF <dmf@example.org>", BaseURL: "https://dmf.example.org",
		Poll: 20 * time.Millisecond, Backoff: 50 * time.Millisecond, Timeout: 10 * time.Second}
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

var admin = &assessments.Actor{UserID: 1, Role: assessments.RoleAdmin}

func addUser(t *testing.T, s *assessments.Store, by *assessments.Actor, email string) *assessments.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), by, assessments.NewUser{Email: email, Password: "correct horse battery staple", Role: assessments.RoleReviewer})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// A password reset asked for by a user whose language is Russian arrives
// in Russian, and its link sets a new password, once.
func TestResetMailArrivesInTheUsersLanguageWithAWorkingLink(t *testing.T) {
	ctx := context.Background()
	srv := startSMTP(t, 0)
	s := openStore(t, filepath.Join(t.TempDir(), "dmf.db"))
	u := addUser(t, s, nil, "olga@agency.example")
	if err := s.SetLanguage(ctx, u.ID, "ru"); err != nil {
		t.Fatal(err)
	}
	if err := s.RequestPasswordReset(ctx, "Olga@Agency.example"); err != nil {
		t.Fatal(err)
	}
	if err := s.RequestPasswordReset(ctx, "nobody@agency.example"); err != nil {
		t.Fatal("an unknown address must get the same answer:", err)
	}
	runWorker(s, srv, t)
	got := srv.wait(t, 1)[0]
	if got.To != "olga@agency.example" || !strings.Contains(got.Subject, "пароль") || !strings.Contains(got.Body, "Здравствуйте") {
		t.Fatalf("mail: %+v", got)
	}
	link := regexp.MustCompile(`https://dmf\.example\.org/password-reset/new\?token=\S+`).FindString(got.Body)
	if link == "" {
		t.Fatalf("no link in %q", got.Body)
	}
	lu, _ := url.Parse(link)
	token := lu.Query().Get("token")
	if err := s.ResetPasswordWithLink(ctx, token, "a brand new passphrase"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, u.Email, "a brand new passphrase", assessments.Origin{Addr: "127.0.0.1"}); err != nil {
		t.Fatal("the new password does not sign in:", err)
	}
	var ve *assessments.ValidationError
	if err := s.ResetPasswordWithLink(ctx, token, "yet another passphrase"); !errors.As(err, &ve) || ve.Fields["token"].Format == "" {
		t.Fatalf("the link worked twice: %v", err)
	}
	// The reset is told about too (in Russian), by mail and in the app.
	got = srv.wait(t, 2)[1]
	if !strings.Contains(got.Subject, "сброшен") {
		t.Fatalf("second mail: %+v", got)
	}
	if n, _ := s.UnreadNotifications(ctx, u.ID); n != 1 {
		t.Fatalf("unread notifications: %d", n)
	}
}

// A server that refuses at first gets the message on a retry; a restart
// of the worker in between loses nothing and sends nothing twice.
func TestRetryAndRestartDeliverOnce(t *testing.T) {
	ctx := context.Background()
	srv := startSMTP(t, 2)
	s := openStore(t, filepath.Join(t.TempDir(), "dmf.db"))
	addUser(t, s, admin, "one@agency.example")
	stop := runWorker(s, srv, t)
	// Wait for the refusals, then stop the worker with the message unsent.
	for {
		ms, err := s.Outbox(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ms[0].Attempts >= 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	addUser(t, s, admin, "two@agency.example")
	runWorker(s, srv, t)
	got := srv.wait(t, 2)
	// Let a further round pass: nothing more arrives.
	if d, _ := s.OutboxDepth(ctx); d != 0 {
		for d != 0 {
			time.Sleep(10 * time.Millisecond)
			d, _ = s.OutboxDepth(ctx)
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.got) != 2 || got[0].To == got[1].To {
		t.Fatalf("delivered: %+v", srv.got)
	}
	for _, g := range got {
		if !strings.Contains(g.Body, "https://dmf.example.org/login") || g.Subject != "Your DMF account" {
			t.Fatalf("mail: %+v", g)
		}
	}
}

// On PostgreSQL, two workers of two instances never send the same
// message.
func TestTwoWorkersOnPostgresSendEachOnce(t *testing.T) {
	// This test is PostgreSQL's alone, so it runs in both of CI's passes:
	// .ci/run sets DMF_POSTGRES_ADMIN for the whole run.
	admin := cmp.Or(os.Getenv("DMF_TEST_POSTGRES"), os.Getenv("DMF_POSTGRES_ADMIN"))
	if admin == "" {
		if os.Getenv("DMF_CI") != "" {
			t.Fatal("DMF_POSTGRES_ADMIN is not set; .ci/run starts PostgreSQL and sets it")
		}
		t.Skip("set DMF_TEST_POSTGRES or DMF_POSTGRES_ADMIN to a postgres:// admin URL to run this test")
	}
	ctx := context.Background()
	dbURL, drop, err := assessments.CreatePostgresDatabase(ctx, admin, "dmf_mail")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { drop(context.Background()) })
	srv := startSMTP(t, 0)
	a, b := openStore(t, dbURL), openStore(t, dbURL)
	const n = 30
	for i := range n {
		addUser(t, a, adminActor, "user"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@agency.example")
	}
	runWorker(a, srv, t)
	runWorker(b, srv, t)
	got := srv.wait(t, n)
	for d, _ := a.OutboxDepth(ctx); d != 0; d, _ = a.OutboxDepth(ctx) {
		time.Sleep(10 * time.Millisecond)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	seen := map[string]bool{}
	for _, g := range srv.got {
		if seen[g.MessageID] {
			t.Fatalf("sent twice: %s", g.MessageID)
		}
		seen[g.MessageID] = true
	}
	if len(got) != n || len(srv.got) != n {
		t.Fatalf("got %d messages, want %d", len(srv.got), n)
	}
}

var adminActor = admin

func TestParseURL(t *testing.T) {
	good := map[string]mail.Settings{
		"smtp://mail.example.org":                {Host: "mail.example.org", Port: 587},
		"smtps://u:p%40ss@mail.example.org":      {Host: "mail.example.org", Port: 465, Username: "u", Password: "p@ss", ImplicitTLS: true},
		"smtp://user:secret@mail.example.org:25": {Host: "mail.example.org", Port: 25, Username: "user", Password: "secret"},
	}
	for raw, want := range good {
		got, err := mail.ParseURL(raw)
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v", raw, got, err)
		}
		if strings.Contains(got.String(), "secret") || strings.Contains(got.String(), "p@ss") {
			t.Errorf("%s: String shows the password: %s", raw, got)
		}
	}
	for _, raw := range []string{"", "http://mail.example.org", "smtp://", "smtp://h:0", "smtp://h:99999", "smtp://h/path", "smtp://:secret@h", "smtp://user:secret@h:x"} {
		_, err := mail.ParseURL(raw)
		if err == nil {
			t.Errorf("%q accepted", raw)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: the error shows the password: %v", raw, err)
		}
	}
}

// Every kind of mail has every language.
func TestEveryMailInEveryLanguage(t *testing.T) {
	for _, lang := range mail.Languages() {
		for _, kind := range assessments.MailKinds {
			subject, body, err := mail.Render(lang, kind, assessments.MailData{Name: "N", Service: "S", Period: 2026, Comment: "C", Link: "/x"}, "https://h")
			if err != nil || subject == "" || !strings.Contains(body, "https://h/x") {
				t.Errorf("%s %s: %q %q %v", lang, kind, subject, body, err)
			}
		}
	}
}
