package main

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

// auditFilter reads the audit log's filters from the query.
func auditFilter(c echo.Context, limit int) assessments.AuditFilter {
	f := assessments.AuditFilter{Action: c.QueryParam("action"), TargetType: c.QueryParam("target_type"), TargetID: c.QueryParam("target_id"), Limit: limit}
	if n, err := strconv.ParseUint(c.QueryParam("actor"), 10, 32); err == nil {
		f.ActorID = uint(n)
	}
	if n, err := strconv.ParseUint(c.QueryParam("before"), 10, 32); err == nil {
		f.Before = uint(n)
	}
	return f
}

type auditPage struct {
	Events []assessments.AuditEvent
	Filter assessments.AuditFilter
	Query  string
	Next   uint // id for the next page, 0 at the end
}

// showAudit lets administrators browse the audit log, newest first.
func (s *server) showAudit(c echo.Context) error {
	f := auditFilter(c, 100)
	evs, err := s.store.AuditEvents(c.Request().Context(), actorOf(c), f)
	if err != nil {
		return err
	}
	p := &auditPage{Events: evs, Filter: f, Query: c.QueryString()}
	if len(evs) == f.Limit {
		p.Next = evs[len(evs)-1].ID
	}
	return c.Render(http.StatusOK, "admin_audit", s.render.view(c, s.msgs.T(langOf(c), "admin.audit"), p))
}

// auditRows is the audit log as a table for CSV and XLSX.
func (s *server) auditRows(c echo.Context) ([][]any, error) {
	evs, err := s.store.AuditEvents(c.Request().Context(), actorOf(c), auditFilter(c, 10000))
	if err != nil {
		return nil, err
	}
	rows := [][]any{{"id", "at", "actor_id", "action", "target_type", "target_id", "before", "after"}}
	for _, e := range evs {
		actor := ""
		if e.ActorID != nil {
			actor = strconv.FormatUint(uint64(*e.ActorID), 10)
		}
		rows = append(rows, []any{e.ID, e.At.UTC().Format(time.RFC3339), actor, e.Action, e.TargetType, e.TargetID, string(e.Before), string(e.After)})
	}
	return rows, nil
}

// exportAudit downloads the audit log (filtered as the page) as CSV.
func (s *server) exportAudit(c echo.Context) error {
	rows, err := s.auditRows(c)
	if err != nil {
		return err
	}
	return sendCSV(c, "dmf-audit.csv", rows)
}

// apiAudit returns audit events as JSON, for administrators.
func (s *server) apiAudit(c echo.Context) error {
	evs, err := s.store.AuditEvents(c.Request().Context(), actorOf(c), auditFilter(c, 1000))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, evs)
}
