package main

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// contentSecurityPolicy allows only this origin's own files: no inline
// script or style, no plugins, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *server) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.cfg.Secure() {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		return next(c)
	}
}

// requestID gives every request an id, sent back in X-Request-Id, and a
// logger carrying it, so that every line logged while serving the request
// can be found by it. A caller's or proxy's own id is kept if it is short
// and plain, so that it cannot forge log lines or bloat them.
func (s *server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		id := r.Header.Get(echo.HeaderXRequestID)
		if !plainID(id) {
			id = rand.Text()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		log := s.log.With("request_id", id)
		c.SetRequest(r.WithContext(context.WithValue(r.Context(), loggerKey{}, log)))
		return next(c)
	}
}

// plainID accepts 1 to 64 letters, digits, dots, dashes and underscores.
func plainID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

type loggerKey struct{}

// logOf is the logger of the request being served: the server's, with the
// request's id.
func (s *server) logOf(c echo.Context) *slog.Logger {
	if log, ok := c.Request().Context().Value(loggerKey{}).(*slog.Logger); ok {
		return log
	}
	return s.log
}

// logRequests writes one structured line per request. Query strings are
// left out: they may carry tokens.
func (s *server) logRequests() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod: true, LogURIPath: true, LogStatus: true, LogLatency: true, LogError: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			switch {
			case v.Status >= 500:
				level = slog.LevelError
			case strings.HasPrefix(v.URIPath, "/static/") || v.URIPath == "/healthz":
				level = slog.LevelDebug
			}
			attrs := []slog.Attr{
				slog.String("method", v.Method), slog.String("path", v.URIPath),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency.Round(time.Microsecond)),
			}
			if v.Error != nil && v.Status >= 500 {
				attrs = append(attrs, slog.String("err", v.Error.Error()))
			}
			s.logOf(c).LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}

func (s *server) logPanic(c echo.Context, err error, stack []byte) error {
	s.logOf(c).Error("panic", "path", c.Request().URL.Path, "err", err, "stack", string(stack))
	return err
}

const langCookie = "lang"

// resolveLang picks the interface language: ?lang=, then the cookie set by
// the language switch, then the browser's Accept-Language.
func (s *server) resolveLang(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		lang := c.QueryParam("lang")
		if !supported(lang) {
			lang = ""
			if ck, err := c.Cookie(langCookie); err == nil && supported(ck.Value) {
				lang = ck.Value
			}
		}
		if lang == "" {
			lang = s.msgs.match(c.Request().Header.Get("Accept-Language"))
		}
		c.Set(langCookie, lang)
		c.Response().Header().Set("Content-Language", lang)
		c.Response().Header().Add("Vary", "Accept-Language, Cookie")
		return next(c)
	}
}

func langOf(c echo.Context) string {
	if l, ok := c.Get(langCookie).(string); ok {
		return l
	}
	return languages[0]
}

// switchLang remembers the chosen language in a cookie and returns to the
// page the switch was used on. It is a link, so it works without scripts.
func (s *server) switchLang(c echo.Context) error {
	lang := c.Param("lang")
	if !supported(lang) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	c.SetCookie(&http.Cookie{
		Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode,
	})
	if u := userOf(c); u != nil { // their mail follows
		if err := s.store.SetLanguage(c.Request().Context(), u.ID, lang); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, localPath(c.QueryParam("next")))
}

// localPath keeps a redirect target on this site. Browsers drop tabs and
// newlines from a URL and read \ as /, so "/\t/host" and "/\host" lead to
// another host: a target must be an absolute path with no scheme, host,
// backslash, control, space or invisible character, not starting with //,
// as sent and once percent-decoded. Anything else goes home.
func localPath(p string) string {
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	for _, s := range []string{p, u.Path} {
		if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsRune(s, '\\') || strings.ContainsFunc(s, unsafeInURL) {
			return "/"
		}
	}
	return p
}

func unsafeInURL(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp) || r == utf8.RuneError
}

// parseForm reads a form body before anything else looks at it and refuses
// one that does not parse. FormValue drops the parse error, and with it
// the fields after the bad one: a garbled save read as a cleared answer.
func parseForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
		if r.Method != http.MethodGet && r.Method != http.MethodHead && mt == echo.MIMEApplicationForm {
			if err := r.ParseForm(); err != nil {
				var he *echo.HTTPError
				if errors.As(err, &he) { // the body limit
					return he
				}
				return echo.NewHTTPError(http.StatusBadRequest, "the form could not be read: "+err.Error())
			}
		}
		return next(c)
	}
}

// headAsGet answers HEAD wherever GET is answered, as HTTP requires: the
// request is routed as a GET and its body is dropped.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method == http.MethodHead {
			c.Request().Method = http.MethodGet
			c.Response().Writer = bodyless{c.Response().Writer}
		}
		return next(c)
	}
}

type bodyless struct{ http.ResponseWriter }

func (b bodyless) Write(p []byte) (int, error) { return len(p), nil }
