package main

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

// apiError is the JSON error shape every API client relies on:
// {"error": {"code": "...", "message": "...", "fields": {...}}}.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	Missing []string          `json:"missing,omitempty"` // unanswered indicators, on an incomplete submission
	Changed []string          `json:"changed,omitempty"` // indicators others saved, on a conflict
	Version int               `json:"version,omitempty"` // the current version, on a conflict
}

// statusCodes names each status for the API's error code.
var statusCodes = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusConflict:              "conflict",
	http.StatusRequestEntityTooLarge: "too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusUnprocessableEntity:   "invalid",
	http.StatusTooManyRequests:       "too_many_requests",
	http.StatusServiceUnavailable:    "unavailable",
	http.StatusInternalServerError:   "internal",
}

// handleError is the one place where errors become responses: JSON under
// /api, an error page elsewhere. Unexpected errors are logged and shown
// only as "internal error".
func (s *server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, detail := http.StatusInternalServerError, ""
	body := apiErrorBody{}
	var (
		he *echo.HTTPError
		ve *assessments.ValidationError
		ce *assessments.ConflictError
		ie *assessments.IncompleteError
	)
	switch {
	case errors.As(err, &he):
		status = he.Code
		if m, ok := he.Message.(string); ok && status < 500 {
			detail = m
		}
	case errors.As(err, &ve):
		status, detail = http.StatusUnprocessableEntity, "some fields are not valid"
		body.Fields = map[string]string{}
		for f, m := range ve.Fields {
			body.Fields[f] = s.msgs.Message(apiLang(c), m) // English unless ?lang= asks otherwise
		}
	case errors.As(err, &ce):
		status, detail = http.StatusConflict, ce.Error()
		body.Changed, body.Version = ce.Changed, ce.Current
	case errors.As(err, &ie):
		status, detail = http.StatusUnprocessableEntity, ie.Error()
		body.Missing = ie.Missing
		body.Fields = map[string]string{}
		for _, id := range ie.Missing {
			body.Fields["answers."+id] = "needs an answer"
		}
		for _, id := range ie.Country {
			body.Fields["answers."+id] = "needs an answer from the country's coordinator, for the whole country"
		}
	case errors.Is(err, assessments.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, assessments.ErrForbidden):
		status, detail = http.StatusForbidden, assessments.UserError(err).Error()
	case errors.Is(err, assessments.ErrReadOnly), errors.Is(err, assessments.ErrDuplicate):
		status, detail = http.StatusConflict, assessments.UserError(err).Error()
	case errors.Is(err, assessments.ErrBadCredentials), errors.Is(err, assessments.ErrExpired):
		status, detail = http.StatusUnauthorized, assessments.UserError(err).Error()
	case errors.Is(err, assessments.ErrPasswordChangeRequired):
		status, detail, body.Code = http.StatusForbidden, assessments.UserError(err).Error(), "password_change_required"
	case errors.Is(err, assessments.ErrSecondFactorRequired):
		status, detail, body.Code = http.StatusUnauthorized, assessments.UserError(err).Error(), "otp_required"
	case errors.Is(err, assessments.ErrEnrolmentRequired):
		status, detail, body.Code = http.StatusForbidden, assessments.UserError(err).Error(), "second_factor_required"
	case errors.Is(err, assessments.ErrThrottled):
		status, detail = http.StatusTooManyRequests, assessments.UserError(err).Error()
		c.Response().Header().Set("Retry-After", "900")
	}
	msgKey := "error." + statusCodes[status]
	if status >= 500 {
		s.logOf(c).Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if !s.msgs.has(msgKey) {
		msgKey = "error.generic"
	}
	lang := langOf(c)
	message := s.msgs.T(lang, msgKey)
	var werr error
	switch {
	case c.Request().Method == http.MethodHead:
		werr = c.NoContent(status)
	case strings.HasPrefix(c.Request().URL.Path, "/api/"):
		code := body.Code
		if code == "" {
			code = statusCodes[status]
		}
		if code == "" {
			code = "error"
		}
		if detail != "" && detail != http.StatusText(status) {
			message = detail // API clients get the specific reason
		}
		body.Code, body.Message = code, message
		werr = c.JSON(status, apiError{body})
	default:
		v := s.render.view(c, s.msgs.T(lang, "error.title"), map[string]any{"Status": status, "Message": message})
		werr = c.Render(status, "error", v)
	}
	if werr != nil {
		s.logOf(c).Error("write error response", "err", werr)
	}
}

// apiNotFound answers unknown API paths with JSON instead of a page.
func (s *server) apiNotFound(c echo.Context) error {
	return echo.NewHTTPError(http.StatusNotFound, "no such API endpoint")
}
