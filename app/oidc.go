package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
	"golang.org/x/oauth2"
)

// Single sign-on with OpenID Connect: the authorization code flow with
// PKCE, state and nonce. go-oidc checks the ID token's signature, issuer,
// audience and expiry; the domain decides which account, if any, the
// identity signs in to. A successful sign-in ends in startSession, as a
// password sign-in does, so the second factor is asked for there too.

const (
	ssoCookie   = "dmf_sso"
	ssoPath     = "/login/oidc/"
	ssoLifetime = 10 * time.Minute // to sign in at the provider
)

// ssoProvider is a configured provider and, once discovered, its endpoints
// and keys. Discovery waits for the first sign-in, so that DMF starts, and
// passwords work, while a provider is down.
type ssoProvider struct {
	OIDCProvider
	redirect string // DMF's callback, registered at the provider
	client   *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
}

func newSSO(cfg Config) map[string]*ssoProvider {
	out := map[string]*ssoProvider{}
	for _, p := range cfg.OIDC {
		out[p.Name] = &ssoProvider{OIDCProvider: p, redirect: cfg.BaseURL + ssoPath + p.Name + "/callback", client: &http.Client{Timeout: 15 * time.Second}}
	}
	return out
}

// discover fetches the provider's metadata once. The context it keeps is
// not a request's: the provider's key set refreshes keys with it later.
func (p *ssoProvider) discover() (*oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider != nil {
		return p.provider, nil
	}
	op, err := oidc.NewProvider(oidc.ClientContext(context.Background(), p.client), p.Issuer)
	if err != nil {
		return nil, err
	}
	p.provider = op
	return op, nil
}

func (p *ssoProvider) oauth2(op *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: p.ClientID, ClientSecret: p.ClientSecret, Endpoint: op.Endpoint(), RedirectURL: p.redirect,
		Scopes: []string{oidc.ScopeOpenID, "email", "profile"},
	}
}

func (p *ssoProvider) autoCreate() *assessments.AutoCreate {
	if len(p.AutoCreateDomains) == 0 {
		return nil
	}
	return &assessments.AutoCreate{Domains: p.AutoCreateDomains, OrganisationID: p.AutoCreateOrg}
}

// ssoFlow is what the browser carries between leaving for the provider and
// coming back: signed by the server, HttpOnly, for ten minutes.
type ssoFlow struct {
	Provider string `json:"p"`
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"` // the PKCE code verifier
	Next     string `json:"next,omitempty"`
	LinkUser uint   `json:"u,omitempty"` // linking to this signed-in user, not signing in
	Expires  int64  `json:"e"`
}

// ssoButton is a provider as the sign-in and account pages show it.
type ssoButton struct {
	Name, Label string
}

// providerLabel is a provider's name for people reading lang; a provider
// no longer configured keeps its name from the settings.
func (s *server) providerLabel(name, lang string) string {
	if p, ok := s.sso[name]; ok {
		return p.LabelIn(lang)
	}
	return name
}

// ssoButtons lists the configured providers, labelled in lang.
func (s *server) ssoButtons(lang string) []ssoButton {
	var out []ssoButton
	for _, p := range s.cfg.OIDC {
		out = append(out, ssoButton{Name: p.Name, Label: p.LabelIn(lang)})
	}
	return out
}

// startSSO sends the browser to the provider to sign in. It is a link, not
// a form: browsers check a form's Content-Security-Policy form-action on
// every redirect that follows it, and a government provider often
// redirects on to another (a broker to a ministry's directory). Another
// site starting a sign-in gains nothing: the state cookie binds the
// answer to this browser.
func (s *server) startSSO(c echo.Context) error {
	return s.leaveForProvider(c, 0, c.QueryParam("next"))
}

// startLink sends a signed-in user to the provider to prove an identity
// to link to their account. The link carries the session's form token, so
// another site cannot make a signed-in browser link whatever identity its
// provider session holds.
func (s *server) startLink(c echo.Context) error {
	if _, ok := s.sso[c.Param("provider")]; !ok {
		return echo.ErrNotFound
	}
	sid, _ := c.Get(sessionKey).(string)
	if sid == "" || !s.validCSRF(c.QueryParam("_csrf"), sid) {
		return echo.NewHTTPError(http.StatusForbidden, "invalid CSRF token")
	}
	return s.leaveForProvider(c, userOf(c).ID, "")
}

func (s *server) leaveForProvider(c echo.Context, linkUser uint, next string) error {
	p, ok := s.sso[c.Param("provider")]
	if !ok {
		return echo.ErrNotFound
	}
	throttled, err := s.store.SignInThrottled(c.Request().Context(), assessments.Origin{Addr: c.RealIP()})
	if err != nil {
		return err
	}
	if throttled {
		return s.ssoRefused(c, linkUser, next, "throttled")
	}
	op, err := p.discover()
	if err != nil {
		s.logOf(c).Warn("single sign-on provider unavailable", "provider", p.Name, "err", err)
		return s.ssoRefused(c, linkUser, next, "unavailable")
	}
	f := ssoFlow{Provider: p.Name, State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(),
		Next: localPath(next), LinkUser: linkUser, Expires: time.Now().Add(ssoLifetime).Unix()}
	b, _ := json.Marshal(f)
	payload := base64.RawURLEncoding.EncodeToString(b)
	c.SetCookie(&http.Cookie{
		Name: ssoCookie, Value: payload + "." + s.sign("sso", payload), Path: ssoPath, MaxAge: int(ssoLifetime / time.Second),
		HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode, // Lax: the provider's redirect back is a top-level GET
	})
	to := p.oauth2(op).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier),
		oauth2.SetAuthURLParam("ui_locales", langOf(c)))
	return c.Redirect(http.StatusSeeOther, to)
}

// flowOf reads and ends the browser's flow: a flow is used once.
func (s *server) flowOf(c echo.Context) (ssoFlow, bool) {
	c.SetCookie(&http.Cookie{Name: ssoCookie, Value: "", Path: ssoPath, MaxAge: -1, HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
	var f ssoFlow
	ck, err := c.Cookie(ssoCookie)
	if err != nil {
		return f, false
	}
	payload, sig, ok := strings.Cut(ck.Value, ".")
	if !ok || subtle.ConstantTimeCompare([]byte(sig), []byte(s.sign("sso", payload))) != 1 {
		return f, false
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(b, &f) != nil || time.Now().Unix() > f.Expires || f.Provider != c.Param("provider") {
		return ssoFlow{}, false
	}
	return f, true
}

// ssoCallback is where the provider sends the browser back with a code.
// The code is exchanged with the PKCE verifier, the ID token checked, and
// its identity signed in to its account (or linked to the signed-in one).
func (s *server) ssoCallback(c echo.Context) error {
	p, ok := s.sso[c.Param("provider")]
	if !ok {
		return echo.ErrNotFound
	}
	f, ok := s.flowOf(c)
	if e := c.QueryParam("error"); e != "" && ok && c.QueryParam("state") == f.State {
		// The person cancelled, or the provider refused them: nothing to count.
		s.logOf(c).Info("single sign-on ended at the provider", "provider", p.Name, "error", e)
		return s.ssoRefused(c, f.LinkUser, f.Next, "cancelled")
	}
	if !ok || subtle.ConstantTimeCompare([]byte(c.QueryParam("state")), []byte(f.State)) != 1 {
		return s.ssoFailed(c, p, f, "the state does not match this browser's sign-in")
	}
	claims, err := s.checkCode(c, p, f)
	if err != nil {
		return s.ssoFailed(c, p, f, err.Error())
	}
	ctx := c.Request().Context()
	if f.LinkUser != 0 {
		u := userOf(c)
		if u == nil || u.ID != f.LinkUser {
			return s.ssoFailed(c, p, f, "linking was started by another session")
		}
		_, err := s.store.LinkIdentity(ctx, u.Actor(), claims)
		var refused *assessments.SignInRefusedError
		if errors.As(err, &refused) {
			return s.ssoRefused(c, f.LinkUser, "", refused.Reason)
		}
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/account?notice=identity-linked")
	}
	u, err := s.store.SignInWithIdentity(ctx, claims, p.autoCreate(), assessments.Origin{Addr: c.RealIP()})
	var refused *assessments.SignInRefusedError
	switch {
	case errors.As(err, &refused):
		s.metrics.loginRefused(false)
		return s.ssoRefused(c, 0, f.Next, refused.Reason)
	case errors.Is(err, assessments.ErrThrottled):
		s.metrics.loginRefused(true)
		return s.ssoRefused(c, 0, f.Next, "throttled")
	case err != nil:
		return err
	}
	return s.startSession(c, u, f.Next)
}

// checkCode exchanges the code and checks the ID token it brings: its
// signature, issuer, audience and expiry (go-oidc), and the nonce this
// browser sent. The email comes from the token, or from the userinfo
// endpoint for providers that put it there only.
func (s *server) checkCode(c echo.Context, p *ssoProvider, f ssoFlow) (assessments.Claims, error) {
	op, err := p.discover()
	if err != nil {
		return assessments.Claims{}, fmt.Errorf("provider unavailable: %w", err)
	}
	ctx := oidc.ClientContext(c.Request().Context(), p.client)
	tok, err := p.oauth2(op).Exchange(ctx, c.QueryParam("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return assessments.Claims{}, fmt.Errorf("code exchange: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return assessments.Claims{}, errors.New("the provider sent no ID token")
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: p.ClientID}).Verify(ctx, raw)
	if err != nil {
		return assessments.Claims{}, fmt.Errorf("ID token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return assessments.Claims{}, errors.New("ID token: the nonce is not this browser's")
	}
	var cl struct {
		Email         string `json:"email"`
		EmailVerified *bool  `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := idt.Claims(&cl); err != nil {
		return assessments.Claims{}, fmt.Errorf("ID token claims: %w", err)
	}
	if cl.Email == "" {
		ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return assessments.Claims{}, fmt.Errorf("userinfo: %w", err)
		}
		if ui.Subject != idt.Subject {
			return assessments.Claims{}, errors.New("userinfo is about another subject")
		}
		cl.Email, cl.EmailVerified = ui.Email, &ui.EmailVerified
		var extra struct {
			Name string `json:"name"`
		}
		if ui.Claims(&extra) == nil && cl.Name == "" {
			cl.Name = extra.Name
		}
	}
	return assessments.Claims{
		Provider: p.Name, Issuer: idt.Issuer, Subject: idt.Subject, Email: cl.Email,
		EmailVerified: cl.EmailVerified != nil && *cl.EmailVerified, Name: cl.Name,
	}, nil
}

// ssoFailed counts and audits a sign-in that failed in the protocol (the
// detail goes to the log and the audit, never to the person) and shows
// the sign-in page's refusal.
func (s *server) ssoFailed(c echo.Context, p *ssoProvider, f ssoFlow, detail string) error {
	s.logOf(c).Warn("single sign-on failed", "provider", p.Name, "detail", detail)
	err := s.store.SignInFailed(c.Request().Context(), p.Name, p.Issuer, detail, assessments.Origin{Addr: c.RealIP()})
	s.metrics.loginRefused(errors.Is(err, assessments.ErrThrottled))
	reason := assessments.RefusedFailed
	switch {
	case errors.Is(err, assessments.ErrThrottled):
		reason = "throttled"
	case !errors.Is(err, assessments.ErrBadCredentials):
		return err
	}
	return s.ssoRefused(c, f.LinkUser, f.Next, reason)
}

// ssoRefused sends the browser back to where the sign-in (or linking)
// started, which says why in the person's language.
func (s *server) ssoRefused(c echo.Context, linkUser uint, next, reason string) error {
	if linkUser != 0 {
		return c.Redirect(http.StatusSeeOther, "/account?sso="+url.QueryEscape(reason))
	}
	q := url.Values{"sso": {reason}}
	if next != "" && next != "/" {
		q.Set("next", next)
	}
	return c.Redirect(http.StatusSeeOther, "/login?"+q.Encode())
}

// ssoMessage is the sign-in or account page's text for a refusal named in
// the query, or "" for none or an unknown one.
func (s *server) ssoMessage(c echo.Context) string {
	key := "sso.refused." + c.QueryParam("sso")
	if c.QueryParam("sso") == "" || !s.msgs.has(key) {
		return ""
	}
	return s.msgs.T(langOf(c), key)
}

// addIdentity is an admin's link of an account to a provider's verified
// email, completed at that person's first sign-in with the provider.
func (s *server) addIdentity(c echo.Context) error {
	p, err := s.userEditPage(c)
	if err != nil {
		return err
	}
	prov, ok := s.sso[c.FormValue("provider")]
	if !ok {
		return s.renderUserEdit(c, http.StatusUnprocessableEntity, p, &assessments.ValidationError{Fields: map[string]assessments.Message{"provider": {Format: "choose one of the providers"}}})
	}
	_, err = s.store.AddIdentity(c.Request().Context(), actorOf(c), p.User.ID, prov.Name, prov.Issuer, c.FormValue("email"))
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		if m, ok := ve.Fields["email"]; ok {
			delete(ve.Fields, "email")
			ve.Fields["identity_email"] = m
		}
		return s.renderUserEdit(c, http.StatusUnprocessableEntity, p, ve)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/users/%d?notice=identity-linked#identities", p.User.ID))
}

// removeIdentity is an admin's unlinking of one of an account's identities.
func (s *server) removeIdentity(c echo.Context) error {
	id, err := s.unlinkIdentity(c)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/users/%d?notice=identity-unlinked#identities", id))
}

// unlinkIdentity removes the identity named by the path from the account
// named by it, and returns the account's id.
func (s *server) unlinkIdentity(c echo.Context) (uint, error) {
	id, err := pathID(c)
	if err != nil {
		return 0, err
	}
	identity, err := strconv.ParseUint(c.Param("identity"), 10, 32)
	if err != nil || identity == 0 {
		return 0, assessments.ErrNotFound
	}
	return id, s.store.RemoveIdentity(c.Request().Context(), actorOf(c), id, uint(identity))
}

// apiIdentities lists an account's identities (administrators).
func (s *server) apiIdentities(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := s.store.User(c.Request().Context(), id); err != nil {
		return err
	}
	ids, err := s.store.Identities(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if ids == nil {
		ids = []assessments.Identity{}
	}
	return c.JSON(http.StatusOK, ids)
}

// apiAddIdentity is addIdentity for programs: {provider, email}.
func (s *server) apiAddIdentity(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req struct {
		Provider string `json:"provider"`
		Email    string `json:"email"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	p, ok := s.sso[req.Provider]
	if !ok {
		return &assessments.ValidationError{Fields: map[string]assessments.Message{"provider": {Format: "choose one of the providers"}}}
	}
	identity, err := s.store.AddIdentity(c.Request().Context(), actorOf(c), id, p.Name, p.Issuer, req.Email)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, identity)
}

// apiRemoveIdentity is removeIdentity for programs.
func (s *server) apiRemoveIdentity(c echo.Context) error {
	if _, err := s.unlinkIdentity(c); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
