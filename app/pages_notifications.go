package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

// notificationsShown is how many of the newest notifications the page and
// the API list.
const notificationsShown = 200

type notificationsPage struct {
	Notifications []assessments.Notification
	Unread        int
}

// showNotifications lists the user's notifications, newest first, with a
// form to mark them as read that works without scripts.
func (s *server) showNotifications(c echo.Context) error {
	ns, err := s.store.Notifications(c.Request().Context(), userOf(c).ID, notificationsShown)
	if err != nil {
		return err
	}
	p := &notificationsPage{Notifications: ns}
	for _, n := range ns {
		if !n.Read {
			p.Unread++
		}
	}
	v := s.render.view(c, s.msgs.T(langOf(c), "notifications.title"), p)
	v.Notice = s.notice(c)
	return c.Render(http.StatusOK, "notifications", v)
}

// markNotificationsRead marks the ticked notifications as read, or all of
// them with the "all" button.
func (s *server) markNotificationsRead(c echo.Context) error {
	ctx := c.Request().Context()
	u := userOf(c)
	var ids []uint
	if c.FormValue("all") != "" {
		ns, err := s.store.Notifications(ctx, u.ID, assessments.MaxMarkRead)
		if err != nil {
			return err
		}
		for _, n := range ns {
			if !n.Read {
				ids = append(ids, n.ID)
			}
		}
		if len(ids) == 0 {
			return c.Redirect(http.StatusSeeOther, "/notifications")
		}
	} else {
		form, err := c.FormParams()
		if err != nil {
			return err
		}
		for _, raw := range form["ids"] {
			id, err := strconv.ParseUint(raw, 10, 32)
			if err != nil || id == 0 {
				return &assessments.ValidationError{Fields: map[string]assessments.Message{"ids": {Format: "must be notification ids"}}}
			}
			ids = append(ids, uint(id))
		}
	}
	if err := s.store.MarkRead(ctx, u.ID, ids); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/notifications?notice=notifications-read")
}

// apiNotifications lists the caller's notifications, newest first.
func (s *server) apiNotifications(c echo.Context) error {
	ns, err := s.store.Notifications(c.Request().Context(), userOf(c).ID, notificationsShown)
	if err != nil {
		return err
	}
	if ns == nil {
		ns = []assessments.Notification{}
	}
	return c.JSON(http.StatusOK, ns)
}

type markReadRequest struct {
	IDs []uint `json:"ids"`
}

// apiMarkRead marks some of the caller's notifications as read.
func (s *server) apiMarkRead(c echo.Context) error {
	var req markReadRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if err := s.store.MarkRead(c.Request().Context(), userOf(c).ID, req.IDs); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// setMailPreference turns the user's mail on or off from the account page.
func (s *server) setMailPreference(c echo.Context) error {
	off := c.FormValue("mail") != "on"
	if err := s.store.SetMailOff(c.Request().Context(), userOf(c).ID, off); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account?notice=mail-preference")
}

// resetAnswerTime is how long a password-reset request takes at least,
// whether or not the account exists, so that timing tells nothing either.
const resetAnswerTime = 300 * time.Millisecond

// requestPasswordReset asks the domain for a reset link and answers no
// sooner than resetAnswerTime. Only a malformed address is an error.
func (s *server) requestPasswordReset(ctx context.Context, email string) error {
	start := time.Now()
	err := s.store.RequestPasswordReset(ctx, email)
	var ve *assessments.ValidationError
	if err != nil && !errors.As(err, &ve) {
		// Logged, not shown: the answer must not differ for accounts that exist.
		s.log.Error("password reset", "err", err)
		err = nil
	}
	select {
	case <-time.After(resetAnswerTime - time.Since(start)):
	case <-ctx.Done():
	}
	return err
}

type resetRequest struct {
	Email string `json:"email"`
}

// apiPasswordReset answers 202 to any well-formed address.
func (s *server) apiPasswordReset(c echo.Context) error {
	var req resetRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if err := s.requestPasswordReset(c.Request().Context(), req.Email); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]string{"status": "accepted"})
}

type resetPage struct {
	Email string
	Sent  bool   // the request was taken
	Token string // on the page the link opens
	Mail  bool   // the instance sends mail
	// Expired says why the link no longer works; it is no form field to
	// correct, so it is shown apart from the form's problems.
	Expired *assessments.Message
}

// showForgotPassword asks for the account's email.
func (s *server) showForgotPassword(c echo.Context) error {
	v := s.render.view(c, s.msgs.T(langOf(c), "reset.title"), &resetPage{Mail: s.cfg.Mail()})
	return c.Render(http.StatusOK, "password_reset", v)
}

// forgotPassword takes the form and says the same for every address.
func (s *server) forgotPassword(c echo.Context) error {
	p := &resetPage{Email: c.FormValue("email"), Mail: s.cfg.Mail()}
	err := s.requestPasswordReset(c.Request().Context(), p.Email)
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		v := s.render.view(c, s.msgs.T(langOf(c), "reset.title"), p).withErrors(ve)
		return c.Render(http.StatusUnprocessableEntity, "password_reset", v)
	}
	if err != nil {
		return err
	}
	p.Sent = true
	return c.Render(http.StatusAccepted, "password_reset", s.render.view(c, s.msgs.T(langOf(c), "reset.title"), p))
}

// showNewPassword is the page a reset link opens.
func (s *server) showNewPassword(c echo.Context) error {
	v := s.render.view(c, s.msgs.T(langOf(c), "reset.new.title"), &resetPage{Token: c.QueryParam("token")})
	return c.Render(http.StatusOK, "password_reset_new", v)
}

// setNewPassword sets the password with the link's token; every session
// and token of the account ends, so the user signs in afresh.
func (s *server) setNewPassword(c echo.Context) error {
	p := &resetPage{Token: c.FormValue("token")}
	next := c.FormValue("password")
	var err error
	if next != c.FormValue("confirm") {
		err = &assessments.ValidationError{Fields: map[string]assessments.Message{"confirm": {Format: "the two new passwords differ"}}}
	} else {
		err = s.store.ResetPasswordWithLink(c.Request().Context(), p.Token, next)
	}
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		if m, ok := ve.Fields["token"]; ok {
			p.Expired = &m
			delete(ve.Fields, "token")
		}
		v := s.render.view(c, s.msgs.T(langOf(c), "reset.new.title"), p).withErrors(ve)
		return c.Render(http.StatusUnprocessableEntity, "password_reset_new", v)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login?notice=password-reset")
}
