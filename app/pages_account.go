package main

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

type loginForm struct {
	Email     string
	Next      string
	Error     string      // translated, shown above the form
	Providers []ssoButton // single sign-on
}

// showLogin is the sign-in form.
func (s *server) showLogin(c echo.Context) error {
	if userOf(c) != nil {
		return c.Redirect(http.StatusSeeOther, localPath(c.QueryParam("next")))
	}
	if u, _ := s.pendingUser(c); u != nil {
		return c.Redirect(http.StatusSeeOther, "/login/second-factor?next="+url.QueryEscape(localPath(c.QueryParam("next"))))
	}
	v := s.render.view(c, s.msgs.T(langOf(c), "login.title"), &loginForm{Next: c.QueryParam("next"), Providers: s.ssoButtons(langOf(c)), Error: s.ssoMessage(c)})
	v.Notice = s.notice(c) // such as: your answers are kept until you sign in
	return c.Render(http.StatusOK, "login", v)
}

// login signs in with email and password. Wrong and unknown accounts get
// the same answer; too many failures get 429 whatever the password.
func (s *server) login(c echo.Context) error {
	lang := langOf(c)
	f := &loginForm{Email: c.FormValue("email"), Next: c.FormValue("next"), Providers: s.ssoButtons(lang)}
	u, err := s.checkCredentials(c, f.Email, c.FormValue("password"))
	status := http.StatusOK
	switch {
	case errors.Is(err, assessments.ErrBadCredentials):
		status, f.Error = http.StatusUnauthorized, s.msgs.T(lang, "login.failed")
	case errors.Is(err, assessments.ErrThrottled):
		status, f.Error = http.StatusTooManyRequests, s.msgs.T(lang, "login.throttled")
		c.Response().Header().Set("Retry-After", "900")
	case err != nil:
		return err
	}
	if f.Error != "" {
		return c.Render(status, "login", s.render.view(c, s.msgs.T(lang, "login.title"), f))
	}
	return s.startSession(c, u, f.Next)
}

// logout ends the session on the server and in the browser.
func (s *server) logout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := s.store.DeleteSession(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	s.clearSessionCookie(c)
	s.newCSRFToken(c, "")
	return c.Redirect(http.StatusSeeOther, "/")
}

// showPassword is the change-password form; a generated password must be
// replaced here before anything else.
func (s *server) showPassword(c echo.Context) error {
	v := s.render.view(c, s.msgs.T(langOf(c), "password.title"), nil)
	return c.Render(http.StatusOK, "password", v)
}

func (s *server) changePassword(c echo.Context) error {
	lang := langOf(c)
	u := userOf(c)
	next := c.FormValue("password")
	var err error
	if next != c.FormValue("confirm") {
		err = &assessments.ValidationError{Fields: map[string]assessments.Message{"confirm": {Format: "the two new passwords differ"}}}
	} else {
		err = s.store.ChangePassword(c.Request().Context(), u.ID, c.FormValue("current"), next, s.sessionToken(c), s.origin(c, u.Email))
	}
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		v := s.render.view(c, s.msgs.T(lang, "password.title"), nil).withErrors(ve)
		return c.Render(http.StatusUnprocessableEntity, "password", v)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/assessments?notice=password")
}

type tokenRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	OTP      string `json:"otp"` // with a second factor: a code of the app, or a recovery code
	Name     string `json:"name"`
}

type tokenResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// apiCreateToken exchanges an email and password (and, for an account
// with a second factor, a code) for an API token, with the same throttling
// as the sign-in page.
func (s *server) apiCreateToken(c echo.Context) error {
	var req tokenRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Name == "" {
		req.Name = "API token"
	}
	// Checked before the password, so that a bad name costs no attempt.
	if err := assessments.CheckTokenName(req.Name); err != nil {
		return err
	}
	u, err := s.checkCredentials(c, req.Email, req.Password)
	if err != nil {
		return err
	}
	if u.MustChangePassword {
		// The pages send such a user to the password form; a token would
		// let the password someone else chose be used for 30 days.
		return assessments.ErrPasswordChangeRequired
	}
	if u.SecondFactorAt != nil {
		// A token is a sign-in too: the second factor is not skipped.
		if req.OTP == "" {
			return assessments.ErrSecondFactorRequired
		}
		err := s.store.VerifySecondFactor(c.Request().Context(), u.ID, req.OTP, s.origin(c, u.Email))
		s.slowDown(c, err)
		if err != nil {
			return err
		}
	}
	token, t, err := s.store.CreateToken(c.Request().Context(), u.ID, req.Name)
	if err != nil {
		return err
	}
	s.issueDevice(c, u.Email)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, tokenResponse{Token: token, ExpiresAt: t.ExpiresAt})
}

// checkCredentials checks credentials and, after repeated failures, waits
// longer and longer before answering, the same for unknown accounts.
func (s *server) checkCredentials(c echo.Context, email, password string) (*assessments.User, error) {
	u, err := s.store.Authenticate(c.Request().Context(), email, password, s.origin(c, email))
	s.slowDown(c, err)
	return u, err
}

// slowDown waits before a failed sign-in is answered, longer after each
// failure.
func (s *server) slowDown(c echo.Context, err error) {
	var bad *assessments.BadCredentialsError
	switch {
	case errors.Is(err, assessments.ErrThrottled):
		s.metrics.loginRefused(true)
	case errors.Is(err, assessments.ErrBadCredentials):
		s.metrics.loginRefused(false)
	}
	if errors.As(err, &bad) {
		select {
		case <-time.After(assessments.LoginDelay(bad.Failures, s.cfg.LoginDelay)):
		case <-c.Request().Context().Done():
		}
	}
}

type passwordRequest struct {
	Email   string `json:"email"` // only without a session or token
	Current string `json:"current"`
	New     string `json:"new"`
}

// apiChangePassword changes the signed-in caller's password or, given an
// email, that account's, checking the current password as a sign-in (an
// account with a one-time password gets no token, so this is its way to
// choose one). Every session and token of the user ends except a session
// making the change.
func (s *server) apiChangePassword(c echo.Context) error {
	var req passwordRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var err error
	switch u := userOf(c); {
	case req.Email != "":
		err = s.store.ChangeSignInPassword(ctx, req.Email, req.Current, req.New, s.origin(c, req.Email))
		s.slowDown(c, err)
	case u != nil:
		err = s.store.ChangePassword(ctx, u.ID, req.Current, req.New, s.sessionToken(c), s.origin(c, u.Email))
	default:
		return echo.NewHTTPError(http.StatusUnauthorized, "sign in, or send the account's email with its current password")
	}
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		if m, ok := ve.Fields["password"]; ok {
			delete(ve.Fields, "password")
			ve.Fields["new"] = m
		}
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type accountPage struct {
	Factor     bool // the user has a second factor
	Tokens     []assessments.APIToken
	Mail       bool // the instance sends mail
	MailOff    bool // the user turned it off
	Identities []assessments.Identity
	Providers  []ssoButton // to link an identity
	SSOError   string      // why linking was refused
	Label      func(provider string) string
}

// showAccount shows the signed-in user's API tokens, to revoke them.
func (s *server) showAccount(c echo.Context) error {
	ts, err := s.store.Tokens(c.Request().Context(), userOf(c).ID)
	if err != nil {
		return err
	}
	ids, err := s.store.Identities(c.Request().Context(), userOf(c).ID)
	if err != nil {
		return err
	}
	v := s.render.view(c, s.msgs.T(langOf(c), "account.title"), &accountPage{Tokens: ts, Mail: s.cfg.Mail(), MailOff: userOf(c).MailOff, Factor: userOf(c).SecondFactorAt != nil,
		Identities: ids, Providers: s.ssoButtons(langOf(c)), SSOError: s.ssoMessage(c),
		Label: func(name string) string { return s.providerLabel(name, langOf(c)) }})
	v.Notice = s.notice(c)
	return c.Render(http.StatusOK, "account", v)
}

// revokeToken revokes one of the user's API tokens from the account page.
func (s *server) revokeToken(c echo.Context) error {
	if err := s.store.RevokeToken(c.Request().Context(), userOf(c).ID, c.FormValue("token")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account?notice=token-revoked")
}

// apiRevokeCurrentToken revokes the bearer token of the request itself.
func (s *server) apiRevokeCurrentToken(c echo.Context) error {
	token, ok := bearerToken(c)
	if !ok {
		return echo.NewHTTPError(http.StatusBadRequest, "send the token to revoke as the bearer token")
	}
	if err := s.store.RevokeToken(c.Request().Context(), userOf(c).ID, token); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// apiSession tells the questionnaire's script who is signed in, the form
// token of this session and how long the session lasts unused. Called
// with POST on /session/refresh it keeps the session alive ("stay signed
// in"): authenticate has already marked it used.
func (s *server) apiSession(c echo.Context) error {
	token, _ := c.Get(csrfKey).(string)
	return c.JSON(http.StatusOK, map[string]any{
		"user_id":      userOf(c).ID,
		"csrf":         token,
		"idle_seconds": int(assessments.SessionIdle / time.Second),
	})
}
