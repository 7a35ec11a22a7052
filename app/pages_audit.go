package main

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

// auditForm is the audit log's filters as the page's form holds them.
type auditForm struct {
	Action, TargetType, TargetID, Actor, From, To string
}

// auditFilter reads the audit log's filters from the query: actor (an id,
// or part of an email or name), action, target type and id, and a date
// range from..to, both days included.
func auditFilter(c echo.Context) (assessments.AuditFilter, auditForm, error) {
	form := auditForm{Action: c.QueryParam("action"), TargetType: c.QueryParam("target_type"), TargetID: c.QueryParam("target_id"),
		Actor: c.QueryParam("actor"), From: c.QueryParam("from"), To: c.QueryParam("to")}
	f := assessments.AuditFilter{Action: form.Action, TargetType: form.TargetType, TargetID: form.TargetID}
	if n, err := strconv.ParseUint(form.Actor, 10, 32); err == nil {
		f.ActorID = uint(n)
	} else {
		f.Actor = form.Actor
	}
	bad := map[string]assessments.Message{}
	day := func(name, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			bad[name] = assessments.Message{Format: "must be a date such as 2026-03-31"}
		}
		return t
	}
	f.From = day("from", form.From)
	if f.To = day("to", form.To); !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1)
	}
	if n, err := strconv.ParseUint(c.QueryParam("before"), 10, 32); err == nil {
		f.Before = uint(n)
	}
	if len(bad) > 0 {
		return f, form, &assessments.ValidationError{Fields: bad}
	}
	return f, form, nil
}

type auditPage struct {
	Events  []assessments.AuditEntry
	Form    auditForm
	Actions []string
	Targets []string
	Query   string
	Pager   *pager
}

// auditActions and auditTargets are what the audit log records, for the
// filter's choices and their translations (audit.action.*, audit.target.*).
var (
	auditActions = []string{"user.created", "user.password_changed", "token.created", "token.revoked", "organisation.created",
		"service.created", "assessment.created", "answers.saved", "assessment.submitted", "assessment.approved",
		"assessment.returned", "card.issued", "card.revoked", "key.rotated"}
	auditTargets = []string{"user", "token", "organisation", "service", "assessment", "card", "key"}
)

// showAudit lets administrators browse the audit log, newest first.
func (s *server) showAudit(c echo.Context) error {
	f, form, err := auditFilter(c)
	if err != nil {
		return err
	}
	lq, err := listQuery(c)
	if err != nil {
		return err
	}
	page, err := s.store.AuditPage(c.Request().Context(), actorOf(c), f, lq)
	if err != nil {
		return err
	}
	p := &auditPage{Events: page.Items, Form: form, Actions: auditActions, Targets: auditTargets, Query: c.QueryString(), Pager: newPager(c, page, "at", "action")}
	return c.Render(http.StatusOK, "admin_audit", s.render.view(c, s.msgs.T(langOf(c), "admin.audit"), p))
}

// auditRows is the audit log as a table for CSV: the raw ids, codes and
// values for tools, and beside them the names a person reads.
func (s *server) auditRows(c echo.Context) ([][]any, error) {
	f, _, err := auditFilter(c)
	if err != nil {
		return nil, err
	}
	lang := langOf(c)
	rows := [][]any{{"id", "at", "actor_id", "actor_email", "actor_name", "action", "action_text", "target_type", "target_id", "target_name", "before", "after"}}
	// Read in pages so that a long log is exported whole, not cut.
	for n := 1; ; n++ {
		page, err := s.store.AuditPage(c.Request().Context(), actorOf(c), f, assessments.ListQuery{Page: n, Limit: assessments.MaxPageSize})
		if err != nil {
			return nil, err
		}
		for _, e := range page.Items {
			actor := ""
			if e.ActorID != nil {
				actor = strconv.FormatUint(uint64(*e.ActorID), 10)
			}
			rows = append(rows, []any{e.ID, e.At.UTC().Format(time.RFC3339), actor, e.ActorEmail, e.ActorName, e.Action, s.auditAction(lang, e.Action),
				e.TargetType, e.TargetID, e.TargetName, string(e.Before), string(e.After)})
		}
		if !page.HasNext() {
			return rows, nil
		}
	}
}

// auditAction is an action in words, or its code when it has none.
func (s *server) auditAction(lang, action string) string {
	return translatedOr(s.msgs, lang, "audit.action."+action, action)
}

// AuditAction and AuditTarget put an audit entry's codes in words, for
// the audit page.
func (v *view) AuditAction(action string) string {
	return translatedOr(v.r.msgs, v.Lang, "audit.action."+action, action)
}
func (v *view) AuditTarget(target string) string {
	return translatedOr(v.r.msgs, v.Lang, "audit.target."+target, target)
}

func translatedOr(c *catalog, lang, key, fallback string) string {
	if t, ok := c.msgs[lang][key]; ok {
		return t
	}
	return fallback
}

// exportAudit downloads the audit log (filtered as the page) as CSV.
func (s *server) exportAudit(c echo.Context) error {
	rows, err := s.auditRows(c)
	if err != nil {
		return err
	}
	return sendCSV(c, "dmf-audit.csv", rows)
}

// apiAudit returns audit events as JSON, for administrators, a page at a
// time (X-Total-Count and Link headers say how many and where the next
// page is), with actor and target names beside the raw ids.
func (s *server) apiAudit(c echo.Context) error {
	f, _, err := auditFilter(c)
	if err != nil {
		return err
	}
	lq, err := listQuery(c)
	if err != nil {
		return err
	}
	page, err := s.store.AuditPage(c.Request().Context(), actorOf(c), f, lq)
	if err != nil {
		return err
	}
	return sendPage(c, page, page.Items)
}
