package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/labstack/echo/v4"
	"github.com/skip2/go-qrcode"
	"github.com/unescap/dmf/assessments"
)

// The second factor: the sign-in's second step (/login/second-factor),
// enrolment and management on /account/second-factor, and the passkey
// ceremonies, whose browser half is static/js/passkey.js.

// pendingKey holds the cookie token of a session waiting for its second
// factor (see authenticate).
const pendingKey = "pending"

// enrolmentPaths are the routes a user who must set up a second factor may
// use before doing so (see requireUser).
var enrolmentPaths = map[string]bool{
	"/account/second-factor": true, "/account/totp": true, "/account/totp/confirm": true,
	"/account/passkeys/options": true, "/account/passkeys": true, "/account/password": true,
	"/api/v1/account/totp": true, "/api/v1/account/totp/confirm": true,
}

// newWebAuthn is the passkey relying party of the instance's base URL, or
// nil where passkeys cannot work: WebAuthn names a site by its domain, so
// an instance reached by IP address offers TOTP alone.
func newWebAuthn(cfg Config, log *slog.Logger) *webauthn.WebAuthn {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || net.ParseIP(u.Hostname()) != nil {
		log.Info("passkeys are off: the base URL's host is an IP address, and WebAuthn needs a domain name such as localhost (set DMF_BASE_URL)")
		return nil
	}
	w, err := webauthn.New(&webauthn.Config{
		RPDisplayName: "DMF",
		RPID:          u.Hostname(),
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
	})
	if err != nil {
		log.Warn("passkeys are off", "err", err)
		return nil
	}
	return w
}

// passkeyUser is a user as the WebAuthn library sees one. The user handle
// is the account's number: stable, and no personal data.
type passkeyUser struct {
	u     *assessments.User
	creds []webauthn.Credential
}

func (p *passkeyUser) WebAuthnID() []byte          { return []byte(strconv.FormatUint(uint64(p.u.ID), 10)) }
func (p *passkeyUser) WebAuthnName() string        { return p.u.Email }
func (p *passkeyUser) WebAuthnDisplayName() string { return p.u.Email }
func (p *passkeyUser) WebAuthnCredentials() []webauthn.Credential {
	return p.creds
}

func (s *server) passkeyUser(c echo.Context, u *assessments.User) (*passkeyUser, error) {
	ps, err := s.store.Passkeys(c.Request().Context(), u.ID)
	if err != nil {
		return nil, err
	}
	pu := &passkeyUser{u: u}
	for _, p := range ps {
		var cr webauthn.Credential
		if err := json.Unmarshal(p.Credential, &cr); err != nil {
			return nil, err
		}
		pu.creds = append(pu.creds, cr)
	}
	return pu, nil
}

// startSession ends whatever session the browser had and starts the
// user's, after their first factor was checked (the password here). For a
// user with a second factor the store makes the session pending, and the
// browser goes on to give it; for a user whose role requires one and who
// has none, to set one up.
func (s *server) startSession(c echo.Context, u *assessments.User, next string) error {
	ctx := c.Request().Context()
	// A fresh token each time means a session id planted beforehand is
	// worthless (fixation).
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := s.store.DeleteSession(ctx, ck.Value); err != nil {
			return err
		}
	}
	token, err := s.store.CreateSession(ctx, u.ID)
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	s.newCSRFToken(c, token) // the old one was bound to no session
	// Mail is written in the language the user last used.
	if err := s.store.SetLanguage(ctx, u.ID, langOf(c)); err != nil {
		return err
	}
	s.issueDevice(c, u.Email)
	if u.SecondFactorAt != nil {
		return c.Redirect(http.StatusSeeOther, "/login/second-factor?next="+url.QueryEscape(localPath(next)))
	}
	return s.afterSignIn(c, u, next)
}

// afterSignIn sends a signed-in user on: to replace a generated password,
// to set up a required second factor, or where they were going.
func (s *server) afterSignIn(c echo.Context, u *assessments.User, next string) error {
	switch {
	case u.MustChangePassword:
		return c.Redirect(http.StatusSeeOther, "/account/password")
	case u.NeedsSecondFactor(s.cfg.RequireMFA):
		return c.Redirect(http.StatusSeeOther, "/account/second-factor")
	}
	next = localPath(next)
	if next == "/" {
		next = "/assessments"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// pendingUser is the user of the browser's pending sign-in, or nil.
func (s *server) pendingUser(c echo.Context) (*assessments.User, string) {
	token, _ := c.Get(pendingKey).(string)
	if token == "" {
		return nil, ""
	}
	u, err := s.store.PendingUser(c.Request().Context(), token)
	if err != nil {
		return nil, ""
	}
	return u, token
}

type secondStepForm struct {
	Next    string
	Error   string // translated
	Passkey bool   // the user has a passkey and the instance can check it
}

// showSecondFactor asks for the second factor after the password.
func (s *server) showSecondFactor(c echo.Context) error {
	u, _ := s.pendingUser(c)
	if u == nil {
		return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(localPath(c.QueryParam("next"))))
	}
	f := &secondStepForm{Next: c.QueryParam("next")}
	if err := s.offerPasskey(c, u, f); err != nil {
		return err
	}
	return c.Render(http.StatusOK, "login_factor", s.render.view(c, s.msgs.T(langOf(c), "factor.title"), f))
}

func (s *server) offerPasskey(c echo.Context, u *assessments.User, f *secondStepForm) error {
	if s.passkeys == nil {
		return nil
	}
	ps, err := s.store.Passkeys(c.Request().Context(), u.ID)
	f.Passkey = len(ps) > 0
	return err
}

// secondFactor checks a code of the authenticator app or a recovery code
// and turns the pending sign-in into a session. Wrong codes are throttled
// and counted with wrong passwords.
func (s *server) secondFactor(c echo.Context) error {
	lang := langOf(c)
	u, pending := s.pendingUser(c)
	if u == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	f := &secondStepForm{Next: c.FormValue("next")}
	token, err := s.store.CompleteSignIn(c.Request().Context(), pending, c.FormValue("code"), s.origin(c, u.Email))
	s.slowDown(c, err)
	status := http.StatusOK
	switch {
	case errors.Is(err, assessments.ErrBadCredentials):
		status, f.Error = http.StatusUnauthorized, s.msgs.T(lang, "factor.failed")
	case errors.Is(err, assessments.ErrThrottled):
		status, f.Error = http.StatusTooManyRequests, s.msgs.T(lang, "login.throttled")
		c.Response().Header().Set("Retry-After", "900")
	case errors.Is(err, assessments.ErrExpired):
		return c.Redirect(http.StatusSeeOther, "/login")
	case err != nil:
		return err
	}
	if f.Error != "" {
		if err := s.offerPasskey(c, u, f); err != nil {
			return err
		}
		return c.Render(status, "login_factor", s.render.view(c, s.msgs.T(lang, "factor.title"), f))
	}
	s.setSessionCookie(c, token)
	s.newCSRFToken(c, token)
	return s.afterSignIn(c, u, f.Next)
}

// passkeyLoginOptions begins the passkey step of a pending sign-in: the
// challenge for navigator.credentials.get.
func (s *server) passkeyLoginOptions(c echo.Context) error {
	u, _ := s.pendingUser(c)
	if u == nil || s.passkeys == nil {
		return echo.NewHTTPError(http.StatusUnauthorized, "sign in with your password first")
	}
	pu, err := s.passkeyUser(c, u)
	if err != nil {
		return err
	}
	if len(pu.creds) == 0 {
		return echo.NewHTTPError(http.StatusNotFound, "this account has no passkey")
	}
	options, sd, err := s.passkeys.BeginLogin(pu)
	if err != nil {
		return err
	}
	if err := s.saveCeremony(c, u.ID, assessments.PasskeyLogin, sd); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, options)
}

// passkeyLogin checks the authenticator's answer and completes the
// sign-in; the script then goes where the answer says.
func (s *server) passkeyLogin(c echo.Context) error {
	u, pending := s.pendingUser(c)
	if u == nil || s.passkeys == nil {
		return echo.NewHTTPError(http.StatusUnauthorized, "sign in with your password first")
	}
	sd, err := s.takeCeremony(c, u.ID, assessments.PasskeyLogin)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(c.Request().Body)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "not a passkey answer")
	}
	pu, err := s.passkeyUser(c, u)
	if err != nil {
		return err
	}
	cred, err := s.passkeys.ValidateLogin(pu, *sd, parsed)
	if err != nil {
		s.metrics.loginRefused(false)
		return echo.NewHTTPError(http.StatusUnauthorized, "the passkey's answer was not accepted")
	}
	data, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	token, err := s.store.CompletePasskeySignIn(c.Request().Context(), pending, base64.RawURLEncoding.EncodeToString(cred.ID), data)
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	s.newCSRFToken(c, token)
	next := "/assessments"
	if n := localPath(c.QueryParam("next")); n != "/" {
		next = n
	}
	if u.MustChangePassword {
		next = "/account/password"
	}
	return c.JSON(http.StatusOK, map[string]string{"next": next})
}

func (s *server) saveCeremony(c echo.Context, userID uint, kind string, sd *webauthn.SessionData) error {
	data, err := json.Marshal(sd)
	if err != nil {
		return err
	}
	return s.store.SavePasskeyChallenge(c.Request().Context(), userID, kind, data)
}

func (s *server) takeCeremony(c echo.Context, userID uint, kind string) (*webauthn.SessionData, error) {
	data, err := s.store.TakePasskeyChallenge(c.Request().Context(), userID, kind)
	if errors.Is(err, assessments.ErrExpired) {
		return nil, echo.NewHTTPError(http.StatusConflict, "the passkey request has expired; try again")
	}
	if err != nil {
		return nil, err
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(data, &sd); err != nil {
		return nil, err
	}
	return &sd, nil
}

type factorsPage struct {
	Factors  *assessments.SecondFactors
	Required bool // the user's role must have a second factor
	Passkeys bool // the instance can register passkeys
	// While TOTP is being set up: its secret, for typing in, and its QR code.
	Secret string
	QR     template.URL
	// RecoveryCodes were just made and are shown this once.
	RecoveryCodes []string
}

// showFactors is the second-factor page of the account: what is set up,
// and the forms to add, renew or remove.
func (s *server) showFactors(c echo.Context) error {
	return s.renderFactors(c, http.StatusOK, &factorsPage{}, nil)
}

func (s *server) renderFactors(c echo.Context, status int, p *factorsPage, ve *assessments.ValidationError) error {
	u := userOf(c)
	f, err := s.store.SecondFactorsOf(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	p.Factors, p.Required, p.Passkeys = f, u.NeedsSecondFactor(s.cfg.RequireMFA), s.passkeys != nil
	v := s.render.view(c, s.msgs.T(langOf(c), "factors.title"), p).withErrors(ve)
	v.Notice = s.notice(c)
	return c.Render(status, "factors", v)
}

// totpIssuer names the instance in authenticator apps.
func (s *server) totpIssuer() string {
	if u, err := url.Parse(s.cfg.BaseURL); err == nil {
		return "DMF " + u.Host
	}
	return "DMF"
}

// startTOTP makes a new TOTP secret and shows its QR code and the form
// for the first code.
func (s *server) startTOTP(c echo.Context) error {
	secret, otpURL, err := s.store.StartTOTP(c.Request().Context(), userOf(c).ID, s.totpIssuer())
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		return s.renderFactors(c, http.StatusConflict, &factorsPage{}, ve)
	}
	if err != nil {
		return err
	}
	p, err := enrolling(secret, otpURL)
	if err != nil {
		return err
	}
	return s.renderFactors(c, http.StatusOK, p, nil)
}

// enrolling is the page state while TOTP is set up: the QR code as a PNG
// data URI (the content security policy allows data: images, and the
// secret never lands in a URL or a cache).
func enrolling(secret, otpURL string) (*factorsPage, error) {
	png, err := qrcode.Encode(otpURL, qrcode.Medium, 240)
	if err != nil {
		return nil, err
	}
	return &factorsPage{Secret: secret, QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))}, nil
}

// confirmTOTP turns TOTP on with a first code and shows the recovery
// codes once; a wrong code shows the QR code again.
func (s *server) confirmTOTP(c echo.Context) error {
	ctx := c.Request().Context()
	u := userOf(c)
	codes, err := s.store.ConfirmTOTP(ctx, u.ID, c.FormValue("code"))
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		p := &factorsPage{}
		if secret, otpURL, err := s.store.TOTPKeyURL(ctx, u.ID); err == nil {
			if p, err = enrolling(secret, otpURL); err != nil {
				return err
			}
		}
		return s.renderFactors(c, http.StatusUnprocessableEntity, p, ve)
	}
	if err != nil {
		return err
	}
	return s.renderFactors(c, http.StatusOK, &factorsPage{RecoveryCodes: codes}, nil)
}

// disableTOTP turns the authenticator app off with the password and a code.
func (s *server) disableTOTP(c echo.Context) error {
	u := userOf(c)
	err := s.store.DisableTOTP(c.Request().Context(), u.ID, c.FormValue("password"), c.FormValue("code"), s.origin(c, u.Email))
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		return s.renderFactors(c, http.StatusUnprocessableEntity, &factorsPage{}, ve)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account/second-factor?notice=totp-off")
}

// renewRecoveryCodes replaces the recovery codes and shows the new ones once.
func (s *server) renewRecoveryCodes(c echo.Context) error {
	codes, err := s.store.NewRecoveryCodes(c.Request().Context(), userOf(c).ID)
	if err != nil {
		return err
	}
	return s.renderFactors(c, http.StatusOK, &factorsPage{RecoveryCodes: codes}, nil)
}

// passkeyRegisterOptions begins registering a passkey: the options for
// navigator.credentials.create.
func (s *server) passkeyRegisterOptions(c echo.Context) error {
	if s.passkeys == nil {
		return echo.NewHTTPError(http.StatusNotFound, "passkeys need the instance to be reached by a domain name (DMF_BASE_URL)")
	}
	u := userOf(c)
	pu, err := s.passkeyUser(c, u)
	if err != nil {
		return err
	}
	exclude := make([]protocol.CredentialDescriptor, len(pu.creds))
	for i, cr := range pu.creds {
		exclude[i] = cr.Descriptor()
	}
	options, sd, err := s.passkeys.BeginRegistration(pu,
		webauthn.WithExclusions(exclude),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred))
	if err != nil {
		return err
	}
	if err := s.saveCeremony(c, u.ID, assessments.PasskeyRegister, sd); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, options)
}

// registerPasskey checks the new credential and keeps it under the name
// the user gave (?name=). For a first second factor the answer carries
// the recovery codes, shown this once.
func (s *server) registerPasskey(c echo.Context) error {
	if s.passkeys == nil {
		return echo.NewHTTPError(http.StatusNotFound, "passkeys need the instance to be reached by a domain name (DMF_BASE_URL)")
	}
	u := userOf(c)
	name := c.QueryParam("name")
	if err := assessments.CheckPasskeyName(name); err != nil {
		return err
	}
	sd, err := s.takeCeremony(c, u.ID, assessments.PasskeyRegister)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBody(c.Request().Body)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "not a passkey registration")
	}
	pu, err := s.passkeyUser(c, u)
	if err != nil {
		return err
	}
	cred, err := s.passkeys.CreateCredential(pu, *sd, parsed)
	if err != nil {
		return &assessments.ValidationError{Fields: map[string]assessments.Message{"passkey": {Format: "the passkey could not be checked; try again"}}}
	}
	data, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	codes, err := s.store.AddPasskey(c.Request().Context(), u.ID, base64.RawURLEncoding.EncodeToString(cred.ID), name, data)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"recovery_codes": codes})
}

// removePasskey deletes one of the user's passkeys.
func (s *server) removePasskey(c echo.Context) error {
	if err := s.store.RemovePasskey(c.Request().Context(), userOf(c).ID, c.FormValue("id")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account/second-factor?notice=passkey-removed")
}

// resetSecondFactor is the admin's help for a lost phone or key.
func (s *server) resetSecondFactor(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.store.ResetSecondFactor(c.Request().Context(), actorOf(c), id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+c.Param("id")+"?notice=second-factor-reset")
}

type totpStart struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
}

// apiStartTOTP begins TOTP for the caller: the secret and its otpauth://
// URL, for an authenticator app.
func (s *server) apiStartTOTP(c echo.Context) error {
	secret, otpURL, err := s.store.StartTOTP(c.Request().Context(), userOf(c).ID, s.totpIssuer())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, totpStart{Secret: secret, OTPAuthURL: otpURL})
}

type totpConfirm struct {
	Code string `json:"code"`
}

// apiConfirmTOTP turns TOTP on with a first code; the recovery codes are
// in the answer, this once.
func (s *server) apiConfirmTOTP(c echo.Context) error {
	var req totpConfirm
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	codes, err := s.store.ConfirmTOTP(c.Request().Context(), userOf(c).ID, req.Code)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]string{"recovery_codes": codes})
}

// apiResetSecondFactor removes a user's second factors (admins).
func (s *server) apiResetSecondFactor(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.store.ResetSecondFactor(c.Request().Context(), actorOf(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
