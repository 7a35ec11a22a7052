package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/unescap/dmf/assessments"
)

var (
	totpSecretRe   = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)
	recoveryCodeRe = regexp.MustCompile(`<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>`)
)

// enrolByPage sets up TOTP through the account's pages, as a person
// without JavaScript does, and returns the secret and the recovery codes.
func enrolByPage(t *testing.T, b *browser) (string, []string) {
	t.Helper()
	resp, body := b.get("/account/second-factor")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/account/totp"`) {
		t.Fatalf("the second-factor page: %d", resp.StatusCode)
	}
	resp, body = b.post("/account/totp", nil)
	m := totpSecretRe.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(body, `src="data:image/png;base64,`) {
		t.Fatalf("starting TOTP: %d, secret %v, QR code %v", resp.StatusCode, m, strings.Contains(body, "data:image/png"))
	}
	secret := m[1]
	// A wrong first code turns nothing on and shows the QR code again.
	resp, body = b.post("/account/totp/confirm", url.Values{"code": {wrongCode(secret)}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "data:image/png") {
		t.Fatalf("a wrong first code: %d", resp.StatusCode)
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	resp, body = b.post("/account/totp/confirm", url.Values{"code": {code}})
	var codes []string
	for _, m := range recoveryCodeRe.FindAllStringSubmatch(body, -1) {
		codes = append(codes, m[1])
	}
	if resp.StatusCode != http.StatusOK || len(codes) != 10 {
		t.Fatalf("confirming TOTP: %d, %d recovery codes", resp.StatusCode, len(codes))
	}
	// The codes are shown once.
	if _, body := b.get("/account/second-factor"); recoveryCodeRe.MatchString(body) || !strings.Contains(body, "10") {
		t.Fatal("the recovery codes are shown again, or their count is not")
	}
	return secret, codes
}

// wrongCode is a six-digit code that no step around now has.
func wrongCode(secret string) string {
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		ok := false
		for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
			if want, _ := totp.GenerateCode(secret, time.Now().Add(d)); want == c {
				ok = true
			}
		}
		if !ok {
			return c
		}
	}
	panic("no wrong code")
}

// A respondent sets up TOTP on the account pages; from then on the
// password opens only the second step, which takes a current code once,
// a recovery code once, and nothing else.
func TestSecondFactorSignIn(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	b := a.browser()
	b.login(p.a, pw)
	secret, codes := enrolByPage(t, b)
	b.post("/logout", nil)

	// The password alone: a pending sign-in that grants nothing.
	resp, _ := b.post("/login", url.Values{"email": {p.a}, "password": {pw}, "next": {"/services"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login/second-factor?next=%2Fservices") {
		t.Fatalf("after the password: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := b.get("/assessments"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login/second-factor") {
		t.Fatalf("a signed-in page while pending: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := b.get("/login"); !strings.HasPrefix(resp.Header.Get("Location"), "/login/second-factor") {
		t.Fatalf("/login while pending: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := b.get("/api/v1/session"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the API while pending: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/account/mail", url.Values{"mail": {"on"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a form while pending: %d", resp.StatusCode)
	}
	resp, body := b.get("/login/second-factor?next=%2Fservices")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="code"`) || strings.Contains(body, "data-passkey-login") {
		t.Fatalf("the second step: %d", resp.StatusCode)
	}

	// A wrong code, then the right one.
	resp, body = b.post("/login/second-factor", url.Values{"code": {wrongCode(secret)}, "next": {"/services"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not right") {
		t.Fatalf("a wrong code: %d", resp.StatusCode)
	}
	// The confirmation used this time step's code; the next step's is
	// accepted (clocks drift by a step).
	code, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	resp, _ = b.post("/login/second-factor", url.Values{"code": {code}, "next": {"/services"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/services" {
		t.Fatalf("the right code: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := b.get("/assessments"); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed in: %d", resp.StatusCode)
	}
	b.post("/logout", nil)

	// The same code again (seen over a shoulder, or replayed) is refused.
	b.login(p.a, pw)
	if resp, body := b.post("/login/second-factor", url.Values{"code": {code}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a replayed code: %d %s", resp.StatusCode, body)
	}
	// A recovery code works once.
	if resp, _ := b.post("/login/second-factor", url.Values{"code": {codes[0]}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a recovery code: %d", resp.StatusCode)
	}
	b.post("/logout", nil)
	b.login(p.a, pw)
	if resp, _ := b.post("/login/second-factor", url.Values{"code": {codes[0]}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a recovery code twice: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/login/second-factor", url.Values{"code": {codes[1]}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another recovery code: %d", resp.StatusCode)
	}

	// Wrong codes count like wrong passwords: this browser has had three
	// failures; at five, its device cookie's limit, even a right code is
	// refused, while other clients still get in.
	b.post("/logout", nil)
	b.login(p.a, pw)
	for range assessments.MaxFailsDevice - 3 {
		if resp, _ := b.post("/login/second-factor", url.Values{"code": {wrongCode(secret)}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a wrong code: %d", resp.StatusCode)
		}
	}
	if resp, _ := b.post("/login/second-factor", url.Values{"code": {codes[2]}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a sixth attempt from one browser: %d", resp.StatusCode)
	}
	b = a.browser()
	b.login(p.a, pw)
	if resp, _ := b.post("/login/second-factor", url.Values{"code": {codes[2]}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another browser: %d", resp.StatusCode)
	}

	// Turning the app off needs the password and a code (the app's codes
	// of this minute are used up: a recovery code).
	if resp, _ := b.post("/account/totp/disable", url.Values{"password": {"not the password"}, "code": {codes[3]}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("turning off without the password: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/account/totp/disable", url.Values{"password": {pw}, "code": {wrongCode(secret)}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("turning off without a code: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/account/totp/disable", url.Values{"password": {pw}, "code": {codes[3]}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("turning off: %d", resp.StatusCode)
	}
	b.post("/logout", nil)
	b.login(p.a, pw)
	if resp, _ := b.get("/assessments"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the password alone after turning off: %d", resp.StatusCode)
	}
}

// For an account with a second factor an API token needs a code too:
// 401 otp_required without one, 401 with a wrong one, and wrong codes
// count towards the sign-in throttle like wrong passwords.
func TestSecondFactorTokenAPI(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	c := a.api(p.b, pw)
	status, body := c.call(http.MethodPost, "/api/v1/account/totp", nil)
	secret, _ := body["secret"].(string)
	otpURL, _ := body["otpauth_url"].(string)
	if status != http.StatusOK || secret == "" || !strings.HasPrefix(otpURL, "otpauth://totp/") {
		t.Fatalf("POST /api/v1/account/totp: %d %v", status, body)
	}
	if status, body := c.call(http.MethodPost, "/api/v1/account/totp/confirm", map[string]string{"code": wrongCode(secret)}); status != http.StatusUnprocessableEntity || body["error"].(map[string]any)["fields"] == nil {
		t.Fatalf("a wrong confirmation code: %d %v", status, body)
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	status, body = c.call(http.MethodPost, "/api/v1/account/totp/confirm", map[string]string{"code": code})
	if codes, _ := body["recovery_codes"].([]any); status != http.StatusOK || len(codes) != 10 {
		t.Fatalf("confirming: %d %v", status, body)
	}

	anon := &api{t: t, base: a.server()}
	errCode := func(body map[string]any) string {
		e, _ := body["error"].(map[string]any)
		s, _ := e["code"].(string)
		return s
	}
	status, body = anon.call(http.MethodPost, "/api/v1/tokens", map[string]string{"email": p.b, "password": pw})
	if status != http.StatusUnauthorized || errCode(body) != "otp_required" {
		t.Fatalf("a token without otp: %d %v", status, body)
	}
	status, body = anon.call(http.MethodPost, "/api/v1/tokens", map[string]string{"email": p.b, "password": pw, "otp": code})
	if status != http.StatusUnauthorized || errCode(body) == "otp_required" {
		t.Fatalf("a token with the confirmation's code, used: %d %v", status, body)
	}
	next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	status, body = anon.call(http.MethodPost, "/api/v1/tokens", map[string]string{"email": p.b, "password": pw, "otp": next})
	if status != http.StatusCreated || body["token"] == nil {
		t.Fatalf("a token with a code: %d %v", status, body)
	}

	// One wrong code so far; nine more reach the account's limit, and then
	// even the right password and a fresh code get 429.
	for i := range assessments.MaxFailsAccount - 1 {
		if status, _ := anon.call(http.MethodPost, "/api/v1/tokens", map[string]string{"email": p.b, "password": pw, "otp": wrongCode(secret)}); status != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d", i+2, status)
		}
	}
	later, _ := totp.GenerateCode(secret, time.Now().Add(60*time.Second))
	if status, _ := anon.call(http.MethodPost, "/api/v1/tokens", map[string]string{"email": p.b, "password": pw, "otp": later}); status != http.StatusTooManyRequests {
		t.Fatalf("after ten wrong codes: %d", status)
	}
}

// With the default DMF_REQUIRE_MFA (reviewer,admin), a reviewer without a
// second factor can only set one up: pages redirect, forms and the API get
// 403, public pages stay open. Respondents are not asked.
func TestSecondFactorRequiredByDefault(t *testing.T) {
	def, err := loadConfig("serve", nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(def.RequireMFA, []assessments.Role{assessments.RoleReviewer, assessments.RoleAdmin}) {
		t.Fatalf("the default DMF_REQUIRE_MFA: %v", def.RequireMFA)
	}
	a := newTestApp(t, func(c *Config) { c.RequireMFA = def.RequireMFA })
	p := a.seedPeople()

	b := a.browser()
	resp, _ := b.post("/login", url.Values{"email": {p.rev}, "password": {pw}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/second-factor" {
		t.Fatalf("a reviewer's sign-in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, path := range []string{"/assessments", "/review", "/account", "/notifications"} {
		if resp, _ := b.get(path); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/second-factor" {
			t.Errorf("GET %s before enrolment: %d %s", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp, _ := b.post("/account/mail", url.Values{"mail": {"on"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a form before enrolment: %d", resp.StatusCode)
	}
	for _, path := range []string{"/", "/compare", "/frameworks"} {
		if resp, _ := b.get(path); resp.StatusCode != http.StatusOK {
			t.Errorf("public %s: %d", path, resp.StatusCode)
		}
	}
	_, body := b.get("/account/second-factor")
	if !strings.Contains(body, "Your role must sign in with a second factor") {
		t.Error("the page does not say why")
	}
	enrolByPage(t, b)
	if resp, _ := b.get("/review"); resp.StatusCode != http.StatusOK {
		t.Fatalf("after enrolment: %d", resp.StatusCode)
	}

	// The API: a token is issued (it is how an API-only admin enrols), but
	// it opens only enrolment until then.
	c := a.api(p.adm, pw)
	status, body2 := c.call(http.MethodGet, "/api/v1/users", nil)
	if e, _ := body2["error"].(map[string]any); status != http.StatusForbidden || e["code"] != "second_factor_required" {
		t.Fatalf("the API before enrolment: %d %v", status, body2)
	}
	status, body2 = c.call(http.MethodPost, "/api/v1/account/totp", nil)
	secret, _ := body2["secret"].(string)
	if status != http.StatusOK {
		t.Fatalf("starting TOTP by API: %d %v", status, body2)
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	if status, body2 := c.call(http.MethodPost, "/api/v1/account/totp/confirm", map[string]string{"code": code}); status != http.StatusOK {
		t.Fatalf("confirming by API: %d %v", status, body2)
	}
	if status, _ := c.call(http.MethodGet, "/api/v1/users", nil); status != http.StatusOK {
		t.Fatalf("the API after enrolment: %d", status)
	}

	// Respondents are not in the default list.
	rb := a.browser()
	rb.login(p.a, pw)
	if resp, _ := rb.get("/assessments"); resp.StatusCode != http.StatusOK {
		t.Fatalf("a respondent: %d", resp.StatusCode)
	}
}

// DMF_REQUIRE_MFA: none turns it off, the demo runs without it unless it
// is set, and a list of roles is checked.
func TestRequireMFASetting(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		env  map[string]string
		args []string
		want []assessments.Role
	}{
		{"serve", nil, nil, []assessments.Role{assessments.RoleReviewer, assessments.RoleAdmin}},
		{"serve", map[string]string{"DMF_REQUIRE_MFA": "none"}, nil, nil},
		{"serve", nil, []string{"-require-mfa", "admin, respondent"}, []assessments.Role{assessments.RoleAdmin, assessments.RoleRespondent}},
		{"demo", nil, nil, nil},
		{"serve", nil, []string{"-demo"}, nil},
		{"demo", map[string]string{"DMF_REQUIRE_MFA": "admin"}, nil, []assessments.Role{assessments.RoleAdmin}},
	} {
		cfg, err := loadConfig(tc.cmd, tc.args, env(tc.env), io.Discard)
		if err != nil || !slices.Equal(cfg.RequireMFA, tc.want) {
			t.Errorf("%s %v %v: %v %v, want %v", tc.cmd, tc.env, tc.args, err, cfg.RequireMFA, tc.want)
		}
	}
}

// An admin removes a user's second factor: audited, and the user is told
// in the app and by mail.
func TestAdminResetsSecondFactor(t *testing.T) {
	a := newTestApp(t, func(c *Config) { c.SMTPURL, c.MailFrom = "smtp://127.0.0.1:2525", "DMF <dmf@example.org>" })
	p := a.seedPeople()
	ctx := context.Background()
	st := a.s.store
	secret, _, err := st.StartTOTP(ctx, p.actorRev.UserID, "test")
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	if _, err := st.ConfirmTOTP(ctx, p.actorRev.UserID, code); err != nil {
		t.Fatal(err)
	}
	adm := a.browser()
	adm.login(p.adm, pw)
	page := "/admin/users/" + itoa(p.actorRev.UserID)
	if _, body := adm.get(page); !strings.Contains(body, "/reset-second-factor") {
		t.Fatal("the user's page offers no reset")
	}
	resp, _ := adm.post(page+"/reset-second-factor", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", resp.StatusCode)
	}
	if _, body := adm.get(resp.Header.Get("Location")); !strings.Contains(body, "the user is told") || strings.Contains(body, "/reset-second-factor") {
		t.Fatal("the page after the reset")
	}
	u, _ := st.User(ctx, p.actorRev.UserID)
	if u.SecondFactorAt != nil {
		t.Fatal("the factor is still there")
	}
	rb := a.browser()
	rb.login(p.rev, pw)
	if resp, _ := rb.get("/notifications"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the reviewer signs in with the password alone: %d", resp.StatusCode)
	}
	if _, body := rb.get("/notifications"); !strings.Contains(body, "removed the second factor") {
		t.Fatal("the reviewer is not told in the app")
	}
	out, _ := st.Outbox(ctx)
	if !slices.ContainsFunc(out, func(m assessments.OutboxMail) bool {
		return m.Kind == assessments.NoticeSecondFactorReset && m.To == p.rev
	}) {
		t.Fatal("no mail to the reviewer")
	}
	ev, _ := st.AuditEvents(ctx, p.actorRev, assessments.AuditFilter{Action: "user.second_factor_reset"})
	if len(ev) != 0 {
		t.Fatal("a reviewer reads the audit log")
	}
	adminUser, _ := st.UserByEmail(ctx, p.adm)
	ev, _ = st.AuditEvents(ctx, adminUser.Actor(), assessments.AuditFilter{Action: "user.second_factor_reset"})
	if len(ev) != 1 {
		t.Fatalf("audit: %v", ev)
	}
	// By API, too.
	c := a.api(p.adm, pw)
	if status, _ := c.raw(http.MethodPost, "/api/v1/users/"+itoa(p.actorA.UserID)+"/reset-second-factor", nil); status != http.StatusNoContent {
		t.Fatalf("reset by API: %d", status)
	}
}
