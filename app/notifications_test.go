package main

import (
	"bufio"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	netmail "net/mail"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/mail"
)

// People are told in the app: reviewers of a submission, the organisation
// of a return with the reviewer's comment, each only their own; they mark
// them read on the page (no script) and through the API.
func TestNotificationsInTheApp(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	ctx := context.Background()
	id := a.approve(p.actorA, p.actorRev, "Notified service", 2026, func(int) int { return 2 }, false)

	rev := a.browser()
	rev.login(p.rev, pw)
	_, body := rev.get("/assessments")
	if !strings.Contains(body, `href="/notifications"`) || !strings.Contains(body, `<span class="badge">1<`) {
		t.Fatalf("the header shows no unread count:\n%s", body)
	}
	_, body = rev.get("/notifications")
	if !strings.Contains(body, "An assessment was submitted for review") || !strings.Contains(body, "/assessments/"+strconv.Itoa(int(id))) {
		t.Fatalf("notifications page:\n%s", body)
	}
	ns, _ := a.s.store.Notifications(ctx, p.actorRev.UserID, 10)
	resp, _ := rev.post("/notifications/read", url.Values{"ids": {strconv.Itoa(int(ns[0].ID))}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("mark read: %d", resp.StatusCode)
	}
	if _, body = rev.get("/assessments"); strings.Contains(body, `class="badge"`) {
		t.Fatal("still counted unread after marking it read")
	}

	if _, err := a.s.store.Review(ctx, p.actorRev, id, assessments.ReviewInput{Decision: assessments.DecisionReturn, Comment: "Attach the evidence for SERV.1"}); err != nil {
		t.Fatal(err)
	}
	apiA := a.api(p.a, pw)
	status, got := apiA.call(http.MethodGet, "/api/v1/notifications", nil)
	list, _ := got["list"].([]any)
	if status != http.StatusOK || len(list) != 1 {
		t.Fatalf("A's notifications: %d %v", status, got)
	}
	n := list[0].(map[string]any)
	if n["kind"] != "assessment.returned" || n["comment"] != "Attach the evidence for SERV.1" || n["assessment_id"] != float64(id) || n["read"] != false {
		t.Fatalf("notification: %v", n)
	}
	// B's organisation is not told, and cannot mark A's notification read.
	apiB := a.api(p.b, pw)
	if _, got := apiB.call(http.MethodGet, "/api/v1/notifications", nil); got["list"] == nil || len(got["list"].([]any)) != 0 {
		t.Fatalf("B was told: %v", got)
	}
	if status, _ := apiB.raw(http.MethodPost, "/api/v1/notifications/read", map[string]any{"ids": []any{n["id"]}}); status != http.StatusNoContent {
		t.Fatalf("B marking: %d", status)
	}
	if unread, _ := a.s.store.UnreadNotifications(ctx, p.actorA.UserID); unread != 1 {
		t.Fatal("B marked A's notification read")
	}
	// Bad input names the field.
	for _, bad := range []string{`{"ids":[]}`, `{"ids":"all"}`, `{"ids":[1],"x":1}`} {
		status, got := apiA.call(http.MethodPost, "/api/v1/notifications/read", bad)
		if status != http.StatusUnprocessableEntity && status != http.StatusBadRequest {
			t.Errorf("%s: %d %v", bad, status, got)
		}
		if f := fieldsOf(got); f["ids"] == "" && f["x"] == "" {
			t.Errorf("%s: no field named: %v", bad, got)
		}
	}
	if status, _ := apiA.raw(http.MethodPost, "/api/v1/notifications/read", map[string]any{"ids": []any{n["id"]}}); status != http.StatusNoContent {
		t.Fatalf("A marking: %d", status)
	}
	_, got = apiA.call(http.MethodGet, "/api/v1/notifications", nil)
	if got["list"].([]any)[0].(map[string]any)["read"] != true {
		t.Fatalf("not read: %v", got)
	}
	// A second respondent of the organisation was told too.
	a2 := a.browser()
	a2.login(p.a2, pw)
	if _, body := a2.get("/notifications"); !strings.Contains(body, "Attach the evidence for SERV.1") {
		t.Fatalf("a2's page:\n%s", body)
	}
	// Without mail set up nothing waits in the outbox.
	if d, _ := a.s.store.OutboxDepth(ctx); d != 0 {
		t.Fatalf("outbox without mail: %d", d)
	}
}

// The forgotten-password journey over HTTP with real mail: the same answer
// for every address, a link in the user's language that works once and
// ends every session and token, and a link that expires after 30 minutes.
func TestPasswordResetByMail(t *testing.T) {
	srv := startTestSMTP(t)
	a := newTestApp(t, func(c *Config) { c.SMTPURL, c.MailFrom = "smtp://"+srv.addr, "DMF <dmf@example.org>" })
	p := a.seedPeople()
	ctx, stop := context.WithCancel(context.Background())
	w := &mail.Worker{Store: a.s.store, SMTP: a.s.cfg.SMTP, From: a.s.cfg.MailFrom, BaseURL: a.server(), Poll: 20 * time.Millisecond, Timeout: 10 * time.Second, Sent: a.s.metrics.mailSent}
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { stop(); <-done })

	// A signs in in Russian, and keeps a session and an API token.
	old := a.browser()
	req, _ := http.NewRequest(http.MethodGet, old.base+"/lang/ru?next=/login", nil)
	old.do(req)
	old.login(p.a, pw)
	token := a.api(p.a, pw)

	anon := &api{t: t, base: a.server()}
	for _, email := range []string{p.a, "nobody@justice.kz"} {
		start := time.Now()
		status, _ := anon.raw(http.MethodPost, "/api/v1/password-reset", map[string]string{"email": email})
		if status != http.StatusAccepted || time.Since(start) < resetAnswerTime {
			t.Fatalf("%s: %d after %v", email, status, time.Since(start))
		}
	}
	status, got := anon.call(http.MethodPost, "/api/v1/password-reset", map[string]string{"email": "not an address"})
	if status != http.StatusUnprocessableEntity || fieldsOf(got)["email"] == "" {
		t.Fatalf("bad address: %d %v", status, got)
	}

	m := srv.wait(t, 1)[0]
	if m.To != p.a || !strings.Contains(m.Subject, "пароль") {
		t.Fatalf("mail: %+v", m)
	}
	link := regexp.MustCompile(regexp.QuoteMeta(a.server()) + `/password-reset/new\?token=\S+`).FindString(m.Body)
	if link == "" {
		t.Fatalf("no link in %q", m.Body)
	}
	path := strings.TrimPrefix(link, a.server())
	b := a.browser()
	resp, body := b.get(path)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="token"`) {
		t.Fatalf("the link's page: %d", resp.StatusCode)
	}
	lu, _ := url.Parse(link)
	form := url.Values{"token": {lu.Query().Get("token")}, "password": {"a brand new passphrase 7"}, "confirm": {"a brand new passphrase 7"}}
	if resp, body := b.post("/password-reset/new", form); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?notice=password-reset" {
		t.Fatalf("set the password: %d %s", resp.StatusCode, body)
	}
	if resp, _ := old.get("/account"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the old session still works: %d", resp.StatusCode)
	}
	if status, _ := token.raw(http.MethodGet, "/api/v1/notifications", nil); status != http.StatusUnauthorized {
		t.Fatalf("the old token still works: %d", status)
	}
	b.login(p.a, "a brand new passphrase 7")
	form.Del("_csrf") // signing in gave a new one
	form.Set("password", "another passphrase 12345")
	form.Set("confirm", "another passphrase 12345")
	if resp, body := b.post("/password-reset/new", form); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "/password-reset\"") {
		t.Fatalf("the link worked twice: %d", resp.StatusCode)
	}

	// A link followed after 30 minutes no longer works.
	if status, _ := anon.raw(http.MethodPost, "/api/v1/password-reset", map[string]string{"email": p.rev}); status != http.StatusAccepted {
		t.Fatal(status)
	}
	var late received
	for _, m := range srv.wait(t, 3) {
		if m.To == p.rev {
			late = m
		}
	}
	lu, _ = url.Parse(regexp.MustCompile(`http://\S+`).FindString(late.Body))
	a.s.store.SetClock(func() time.Time { return time.Now().UTC().Add(assessments.PasswordResetLifetime + time.Minute) })
	defer a.s.store.SetClock(func() time.Time { return time.Now().UTC() })
	form.Set("token", lu.Query().Get("token"))
	if resp, _ := b.post("/password-reset/new", form); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an expired link worked: %d", resp.StatusCode)
	}
	// Mail can be turned off on the account page.
	if _, body := b.get("/account"); !strings.Contains(body, `name="mail" value="on" checked`) {
		t.Fatalf("account page:\n%s", body)
	}
	if resp, _ := b.post("/account/mail", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("mail off: %d", resp.StatusCode)
	}
	if u, _ := a.s.store.User(context.Background(), p.actorA.UserID); !u.MailOff {
		t.Fatal("mail still on")
	}
	if _, body := b.get("/account"); strings.Contains(body, `value="on" checked`) {
		t.Fatal("the account page shows mail on")
	}
	// Metrics count the sends and show the outbox.
	resp, err := http.Get(a.server() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !regexp.MustCompile(`dmf_mail_sends_total\{outcome="sent"\} [1-9]`).Match(metrics) || !strings.Contains(string(metrics), "dmf_mail_outbox_depth ") {
		t.Fatalf("metrics:\n%s", metrics)
	}

	// The HTML form says the same for every address.
	for _, email := range []string{p.b, "nobody@tax.uz"} {
		resp, body := b.post("/password-reset", url.Values{"email": {email}})
		if resp.StatusCode != http.StatusAccepted || !strings.Contains(body, "a link to choose a new password is on its way") {
			t.Fatalf("%s: %d", email, resp.StatusCode)
		}
	}
}

func TestMailSettings(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DMF_SMTP_URL": "http://u:hunter2@mail.example.org"}, "DMF_SMTP_URL: must start with smtp:// or smtps://"},
		{map[string]string{"DMF_SMTP_URL": "smtp://u:hunter2@mail.example.org:99999", "DMF_MAIL_FROM": "a@b.org"}, "DMF_SMTP_URL: has a port"},
		{map[string]string{"DMF_SMTP_URL": "smtp://u:hunter2@mail.example.org"}, "DMF_MAIL_FROM: required with DMF_SMTP_URL"},
		{map[string]string{"DMF_SMTP_URL": "smtp://mail.example.org", "DMF_MAIL_FROM": "not an address"}, "DMF_MAIL_FROM: must be one address"},
		{map[string]string{"DMF_MAIL_FROM": "dmf@example.org"}, "DMF_MAIL_FROM: set without DMF_SMTP_URL"},
	} {
		_, err := loadConfig("serve", nil, env(tc.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%v: %v, want %q and no password", tc.env, err, tc.want)
		}
	}
	cfg, err := loadConfig("serve", nil, env(map[string]string{"DMF_SMTP_URL": "smtps://u:hunter2@mail.example.org", "DMF_MAIL_FROM": "DMF <dmf@example.org>"}), io.Discard)
	if err != nil || !cfg.SMTP.ImplicitTLS || cfg.SMTP.Port != 465 || strings.Contains(cfg.SMTP.String(), "hunter2") {
		t.Fatalf("%+v %v", cfg.SMTP, err)
	}
}

// received is a message the test SMTP server accepted.
type received struct{ To, Subject, Body string }

// testSMTP is a real SMTP server on loopback keeping what it receives.
type testSMTP struct {
	mu     sync.Mutex
	got    []received
	arrive chan struct{}
	addr   string
}

func startTestSMTP(t *testing.T) *testSMTP {
	t.Helper()
	ms := &testSMTP{arrive: make(chan struct{}, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &testSMTPSession{srv: ms}, nil }))
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

func (ms *testSMTP) wait(t *testing.T, n int) []received {
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

type testSMTPSession struct {
	srv *testSMTP
	to  string
}

func (s *testSMTPSession) Reset()                                    {}
func (s *testSMTPSession) Logout() error                             { return nil }
func (s *testSMTPSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *testSMTPSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = to; return nil }
func (s *testSMTPSession) Data(r io.Reader) error {
	msg, err := netmail.ReadMessage(r)
	if err != nil {
		return err
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
	s.srv.mu.Lock()
	s.srv.got = append(s.srv.got, received{To: s.to, Subject: subject, Body: string(b)})
	s.srv.mu.Unlock()
	s.srv.arrive <- struct{}{}
	return nil
}

// lockedBuffer collects a server's log while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serve with DMF_SMTP_URL runs the mail worker: a reset asked for over
// HTTP arrives by mail, and the server still stops when asked.
func TestServeSendsMail(t *testing.T) {
	srv := startTestSMTP(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var log lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-database", filepath.Join(dir, "dmf.db")},
			env(map[string]string{"DMF_SMTP_URL": "smtp://" + srv.addr, "DMF_MAIL_FROM": "dmf@example.org"}), nil, pw, &log)
		pw.Close()
	}()
	out := bufio.NewReader(pr)
	var addr string
	for addr == "" {
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if rest, ok := strings.CutPrefix(line, "DMF is listening on "); ok {
			addr = strings.Fields(rest)[0]
		}
	}
	go io.Copy(io.Discard, pr)
	if !strings.Contains(log.String(), "sending mail") {
		t.Errorf("the start does not say mail is sent:\n%s", log.String())
	}
	resp, err := http.Post(addr+"/api/v1/password-reset", "application/json", strings.NewReader(`{"email":"admin@localhost"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("reset: %d", resp.StatusCode)
	}
	if m := srv.wait(t, 1)[0]; m.To != "admin@localhost" || !strings.Contains(m.Body, "/password-reset/new?token=") {
		t.Fatalf("mail: %+v", m)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop")
	}
}
