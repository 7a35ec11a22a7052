package main

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
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
	status, msgKey, detail := http.StatusInternalServerError, "error.internal", ""
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status = he.Code
		msgKey = "error." + statusCodes[status]
		if m, ok := he.Message.(string); ok && status < 500 {
			detail = m
		}
	}
	if status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
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
		code := statusCodes[status]
		if code == "" {
			code = "error"
		}
		if detail != "" && detail != http.StatusText(status) {
			message = detail // API clients get the specific reason
		}
		werr = c.JSON(status, apiError{apiErrorBody{Code: code, Message: message}})
	default:
		v := s.render.view(c, s.msgs.T(lang, "error.title"), map[string]any{"Status": status, "Message": message})
		werr = c.Render(status, "error", v)
	}
	if werr != nil {
		s.log.Error("write error response", "err", werr)
	}
}

// apiNotFound answers unknown API paths with JSON instead of a page.
func (s *server) apiNotFound(c echo.Context) error {
	return echo.NewHTTPError(http.StatusNotFound, "no such API endpoint")
}
