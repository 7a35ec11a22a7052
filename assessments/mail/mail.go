// Package mail sends the domain's mail outbox over SMTP. The domain writes
// a message in the transaction of the event it tells about; a Worker,
// started by the app, claims each due message, sends it and records the
// outcome, retrying with exponential back-off. Claims are leases in the
// database, so several workers, in one process or several instances on
// one PostgreSQL database, never send the same message at once.
package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/unescap/dmf/assessments"
)

// Settings say how to reach the SMTP server.
type Settings struct {
	Host        string
	Port        int
	Username    string
	Password    string // never logged: String leaves it out
	ImplicitTLS bool   // smtps://
}

// String describes the settings for logs, without the password.
func (s Settings) String() string {
	scheme := "smtp"
	if s.ImplicitTLS {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port))}
	if s.Username != "" {
		u.User = url.User(s.Username)
	}
	return u.String()
}

// Loopback reports whether the server is on this machine, the one case
// where mail may go without TLS.
func (s Settings) Loopback() bool {
	if s.Host == "localhost" {
		return true
	}
	ip := net.ParseIP(s.Host)
	return ip != nil && ip.IsLoopback()
}

// ParseURL reads DMF_SMTP_URL: smtp://[user:pass@]host[:port] (STARTTLS,
// port 587 by default) or smtps://[user:pass@]host[:port] (implicit TLS,
// port 465). Its errors never repeat the URL, which may hold a password.
func ParseURL(raw string) (Settings, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Settings{}, errors.New("must be a URL such as smtp://user:password@mail.example.org:587")
	}
	var s Settings
	switch u.Scheme {
	case "smtp":
		s.Port = 587
	case "smtps":
		s.Port, s.ImplicitTLS = 465, true
	default:
		return Settings{}, errors.New("must start with smtp:// or smtps://")
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return Settings{}, errors.New("names no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Settings{}, errors.New("has a port that is not a number from 1 to 65535")
		}
		s.Port = n
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return Settings{}, errors.New("must have no path, query or fragment")
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
		if s.Username == "" {
			return Settings{}, errors.New("has a password but no user name")
		}
	}
	return s, nil
}

// ParseFrom reads DMF_MAIL_FROM: one address, with or without a name.
func ParseFrom(raw string) (string, error) {
	a, err := mail.ParseAddress(raw)
	if err != nil {
		return "", errors.New("must be one address such as \"DMF <dmf@agency.gov>\"")
	}
	return a.String(), nil
}

// Worker sends the outbox.
type Worker struct {
	Store   *assessments.Store
	SMTP    Settings
	From    string
	BaseURL string // links in messages start with it
	Log     *slog.Logger
	// Poll is how long an idle worker waits before looking again.
	Poll time.Duration
	// Backoff is the wait after the first failure; it doubles after each
	// further one, up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// Lease is how long a claim holds; it must outlast a send (Timeout).
	Lease, Timeout time.Duration
	// Sent is told the outcome of every attempt, for metrics; may be nil.
	Sent func(ok bool)
}

func (w *Worker) defaults() {
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	if w.Poll == 0 {
		w.Poll = 2 * time.Second
	}
	if w.Backoff == 0 {
		w.Backoff = 30 * time.Second
	}
	if w.MaxBackoff == 0 {
		w.MaxBackoff = time.Hour
	}
	if w.Timeout == 0 {
		w.Timeout = time.Minute
	}
	if w.Lease == 0 {
		w.Lease = 5 * w.Timeout
	}
}

// Run sends due messages until ctx ends. A message being sent when ctx
// ends is finished and recorded first, so that stopping loses nothing and
// sends nothing twice.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	b := make([]byte, 12)
	rand.Read(b)
	worker := hex.EncodeToString(b)
	for ctx.Err() == nil {
		claim := worker + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		m, err := w.Store.ClaimMail(ctx, claim, w.Lease)
		if err != nil && ctx.Err() == nil {
			w.Log.Error("mail outbox", "err", err)
		}
		if m == nil {
			select {
			case <-ctx.Done():
			case <-time.After(w.Poll):
			}
			continue
		}
		w.deliver(context.WithoutCancel(ctx), m)
	}
}

// deliver sends one claimed message and records what happened.
func (w *Worker) deliver(ctx context.Context, m *assessments.OutboxMail) {
	err := w.send(ctx, m)
	if w.Sent != nil {
		w.Sent(err == nil)
	}
	if err == nil {
		ok, err := w.Store.MailSent(ctx, m.ID, m.Claim)
		if err != nil {
			w.Log.Error("mail sent but not recorded", "mail", m.ID, "err", err)
		} else if !ok {
			w.Log.Warn("mail sent after its claim ran out", "mail", m.ID)
		}
		return
	}
	delay := w.Backoff
	for i := 1; i < m.Attempts && delay < w.MaxBackoff; i++ {
		delay *= 2
	}
	delay = min(delay, w.MaxBackoff)
	w.Log.Warn("mail not sent; will retry", "mail", m.ID, "attempt", m.Attempts, "retry_in", delay.String(), "err", err)
	if err := w.Store.MailFailed(ctx, m.ID, m.Claim, err.Error(), delay); err != nil {
		w.Log.Error("mail outbox", "mail", m.ID, "err", err)
	}
}

// send writes and sends one message.
func (w *Worker) send(ctx context.Context, m *assessments.OutboxMail) error {
	d, err := m.Decode()
	if err != nil {
		return fmt.Errorf("read message data: %w", err)
	}
	subject, body, err := Render(m.Language, m.Kind, d, w.BaseURL)
	if err != nil {
		return err
	}
	msg := gomail.NewMsg()
	if err := msg.From(w.From); err != nil {
		return err
	}
	if err := msg.To(m.To); err != nil {
		return err
	}
	msg.Subject(subject)
	msg.SetDate()
	// One id per outbox message: a receiver that does see a message twice
	// (a send whose success was not recorded) can tell it is the same.
	msg.SetGenHeader(gomail.HeaderMessageID, fmt.Sprintf("<dmf-outbox-%d-%d@%s>", m.ID, m.CreatedAt.Unix(), hostOf(w.BaseURL)))
	msg.SetBodyString(gomail.TypeTextPlain, body)

	opts := []gomail.Option{gomail.WithPort(w.SMTP.Port), gomail.WithTimeout(w.Timeout)}
	switch {
	case w.SMTP.ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case w.SMTP.Loopback():
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if w.SMTP.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(w.SMTP.Username), gomail.WithPassword(w.SMTP.Password))
	}
	c, err := gomail.NewClient(w.SMTP.Host, opts...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	return c.DialAndSendWithContext(ctx, msg)
}

func hostOf(base string) string {
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "dmf.invalid"
}

// Link joins the instance's base URL and a path.
func Link(base, path string) string { return strings.TrimRight(base, "/") + path }
