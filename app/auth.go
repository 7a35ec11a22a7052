package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

const (
	sessionCookie = "dmf_session"
	csrfCookie    = "_csrf"
	userKey       = "user"
	sessionKey    = "session" // the cookie token of a live session
	csrfKey       = "csrf"
	endedKey      = "ended" // the cookie token of a session that just idled out
	endedUserKey  = "endedUser"
)

// authenticate identifies the caller by bearer token or session cookie.
// It never refuses a request itself: requireUser and the domain's checks
// decide what the caller may do.
func (s *server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		if token, ok := bearerToken(c); ok {
			u, err := s.store.TokenUser(ctx, token)
			if err != nil {
				if errors.Is(err, assessments.ErrExpired) {
					return echo.NewHTTPError(http.StatusUnauthorized, "the API token is invalid, expired or revoked")
				}
				return err
			}
			c.Set(userKey, u)
			// Whatever a token-holder reads is private.
			c.Response().Header().Set("Cache-Control", "no-store")
			return next(c)
		}
		if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
			u, err := s.store.SessionUser(ctx, ck.Value)
			switch {
			case err == nil:
				c.Set(userKey, u)
				c.Set(sessionKey, ck.Value)
				// Pages for a signed-in user are not kept by browsers or
				// proxies: they hold an organisation's answers.
				c.Response().Header().Set("Cache-Control", "no-store")
			case errors.Is(err, assessments.ErrExpired):
				s.clearSessionCookie(c)
				// Remember whose session idled out, so that a form it
				// posted can be kept for that account (keepEndedForm).
				var ended *assessments.SessionExpiredError
				if errors.As(err, &ended) {
					c.Set(endedKey, ck.Value)
					c.Set(endedUserKey, ended.UserID)
				}
			case errors.As(err, new(*assessments.PendingSessionError)):
				// Signed in halfway: only the second step sees it.
				c.Set(pendingKey, ck.Value)
				c.Response().Header().Set("Cache-Control", "no-store")
			default:
				return err
			}
		}
		return next(c)
	}
}

func bearerToken(c echo.Context) (string, bool) {
	h := c.Request().Header.Get(echo.HeaderAuthorization)
	token, ok := strings.CutPrefix(h, "Bearer ")
	return strings.TrimSpace(token), ok && strings.TrimSpace(token) != ""
}

// userOf returns the signed-in user, or nil.
func userOf(c echo.Context) *assessments.User {
	u, _ := c.Get(userKey).(*assessments.User)
	return u
}

// actorOf returns the signed-in user as a domain actor; anonymous callers
// are an actor without a role, who may see nothing private.
func actorOf(c echo.Context) assessments.Actor {
	if u := userOf(c); u != nil {
		return u.Actor()
	}
	return assessments.Actor{}
}

// requireUser lets only signed-in users through. Pages send others to the
// sign-in page (or its second step) and back; the API answers 401. A user
// who must change a generated password, or set up the second factor their
// role requires, can do nothing else first.
func (s *server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := userOf(c)
		api := strings.HasPrefix(c.Request().URL.Path, "/api/")
		if u == nil {
			if api || c.Request().Method != http.MethodGet {
				return echo.NewHTTPError(http.StatusUnauthorized, "sign in or send an API token")
			}
			if pending, _ := c.Get(pendingKey).(string); pending != "" {
				return c.Redirect(http.StatusSeeOther, "/login/second-factor?next="+url.QueryEscape(c.Request().URL.RequestURI()))
			}
			return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		if u.MustChangePassword && !api && c.Path() != "/account/password" && c.Path() != "/logout" {
			return c.Redirect(http.StatusSeeOther, "/account/password")
		}
		if u.MustChangePassword && api {
			return assessments.ErrPasswordChangeRequired
		}
		// A role that must use a second factor sets one up before anything else.
		if u.NeedsSecondFactor(s.cfg.RequireMFA) && !enrolmentPaths[c.Path()] {
			if !api && c.Request().Method == http.MethodGet {
				return c.Redirect(http.StatusSeeOther, "/account/second-factor")
			}
			return assessments.ErrEnrolmentRequired
		}
		return next(c)
	}
}

// allow lets through only callers for whom the actor's rule (one of the
// Actor's Can… methods) holds.
func allow(rule func(assessments.Actor) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !rule(actorOf(c)) {
				return echo.NewHTTPError(http.StatusForbidden, "your role does not allow this")
			}
			return next(c)
		}
	}
}

// csrf protects forms. Browsers that send Sec-Fetch-Site are checked by
// it: same-origin passes, cross-site is refused. Others must send the
// token of the _csrf cookie in the _csrf form field or the X-CSRF-Token
// header, and the token must be signed for the caller's session (OWASP's
// signed double-submit cookie), so a cookie planted by an attacker, or a
// token from another session, is worthless. API calls with a bearer token,
// or without any session cookie, carry no ambient authority and are not
// checked.
func (s *server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if isTrustResource(c.Path()) {
			// Public and read-only (the verifier only reads): no ambient
			// authority to protect, and no cookie for third parties.
			return next(c)
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			if _, ok := bearerToken(c); ok {
				return next(c)
			}
			if _, err := c.Cookie(sessionCookie); err != nil {
				return next(c)
			}
		}
		sid, _ := c.Get(sessionKey).(string)
		if sid == "" {
			// The second step of a sign-in posts with the pending session's token.
			sid, _ = c.Get(pendingKey).(string)
		}
		sent, ended := "", ""
		if ck, err := c.Cookie(csrfCookie); err == nil && s.validCSRF(ck.Value, sid) {
			sent = ck.Value
		} else if old, _ := c.Get(endedKey).(string); err == nil && sid == "" && old != "" && s.validCSRF(ck.Value, old) {
			// A form of the session that has just idled out: its token
			// still proves the form came from this site's page, so the
			// form can be kept for sign-in; the new token is for no session.
			ended = ck.Value
		}
		if sent == "" {
			s.newCSRFToken(c, sid)
		} else {
			c.Set(csrfKey, sent)
		}
		c.Response().Header().Add(echo.HeaderVary, echo.HeaderCookie)
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
			return next(c)
		}
		switch r.Header.Get("Sec-Fetch-Site") {
		case "same-origin", "none":
			return next(c)
		case "cross-site":
			return echo.NewHTTPError(http.StatusForbidden, "cross-site request blocked by CSRF protection")
		}
		form := r.Header.Get("X-CSRF-Token")
		if form == "" {
			form = c.FormValue("_csrf")
		}
		if form == "" {
			return echo.NewHTTPError(http.StatusBadRequest, "missing CSRF token")
		}
		if (sent == "" || subtle.ConstantTimeCompare([]byte(form), []byte(sent)) != 1) &&
			(ended == "" || subtle.ConstantTimeCompare([]byte(form), []byte(ended)) != 1) {
			return echo.NewHTTPError(http.StatusForbidden, "invalid CSRF token")
		}
		return next(c)
	}
}

// newCSRFToken gives the client a form token for the session sid, in the
// cookie and for the page being rendered.
func (s *server) newCSRFToken(c echo.Context, sid string) {
	token := s.csrfToken(sid, rand.Text())
	c.SetCookie(&http.Cookie{
		Name: csrfCookie, Value: token, Path: "/", MaxAge: 86400, HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode,
	})
	c.Set(csrfKey, token)
}

// csrfToken is a form token for a session (sid is its cookie token, or ""
// before sign-in): a nonce and the server's signature of both.
func (s *server) csrfToken(sid, nonce string) string {
	return nonce + "." + s.sign("csrf", sid, nonce)
}

func (s *server) validCSRF(token, sid string) bool {
	nonce, _, ok := strings.Cut(token, ".")
	return ok && nonce != "" && hmac.Equal([]byte(token), []byte(s.csrfToken(sid, nonce)))
}

func (s *server) setSessionCookie(c echo.Context, token string) {
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.cfg.Secure(),
		SameSite: http.SameSiteLaxMode, MaxAge: int(assessments.SessionLifetime / time.Second),
	})
}

// sessionToken is the caller's session cookie token, or "" for callers
// with a bearer token or none.
func (s *server) sessionToken(c echo.Context) string {
	if _, ok := bearerToken(c); ok {
		return ""
	}
	if ck, err := c.Cookie(sessionCookie); err == nil {
		return ck.Value
	}
	return ""
}

func (s *server) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// canEdit guards the routes that change an assessment's answers or state:
// the assessment must be visible to the caller (others' are 404, as if
// they did not exist) and the caller a respondent (reviewers and admins
// get 403), before any input is read.
func (s *server) canEdit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		if _, err := s.store.Assessment(c.Request().Context(), actorOf(c), id); err != nil {
			return err
		}
		if !actorOf(c).CanAssess() {
			return echo.NewHTTPError(http.StatusForbidden, "only the organisation's respondents change its assessments")
		}
		return next(c)
	}
}

// maxKeptForm bounds a kept form: one dimension's answers are far
// smaller, and a user may have several kept at once.
const maxKeptForm = 256 << 10

// keepEndedForm keeps a questionnaire form posted after its session idled
// out, for the account of that session only, and sends the browser to sign
// in; afterwards the questionnaire shows the kept answers to be saved (see
// showQuestionnaire). The csrf check has already run, so a cross-site post
// is refused before it gets here, and the store keeps nothing the account
// may not edit. Anything else goes on to requireUser's 401.
func (s *server) keepEndedForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		uid, _ := c.Get(endedUserKey).(uint)
		dim := c.Param("dim")
		if userOf(c) != nil || uid == 0 || dim == "" || len(dim) > 64 {
			return next(c)
		}
		id, err := pathID(c)
		if err != nil {
			return next(c)
		}
		form, err := c.FormParams()
		if err != nil {
			return next(c)
		}
		form.Del("_csrf")
		enc := form.Encode()
		if len(enc) > maxKeptForm {
			return next(c)
		}
		kept, err := s.store.KeepForm(c.Request().Context(), uid, id, dim, enc)
		if err != nil {
			return next(c)
		}
		back := fmt.Sprintf("/assessments/%d/dimensions/%s?kept=%d", id, url.PathEscape(dim), kept)
		return c.Redirect(http.StatusSeeOther, "/login?notice=kept&next="+url.QueryEscape(back))
	}
}
