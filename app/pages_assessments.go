package main

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// loadAssessment reads the assessment of the :id parameter that the user
// may see, with everything its pages show, or answers 404.
func (s *server) loadAssessment(c echo.Context) (*assessments.View, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	return s.store.View(c.Request().Context(), actorOf(c), id)
}

type assessmentsPage struct {
	Assessments []assessments.Assessment
	Status      string
	Statuses    []assessments.Status
	Editions    map[string]*frameworks.Edition
	Pager       *pager
}

// listAssessments lists the assessments the user may see.
func (s *server) listAssessments(c echo.Context) error {
	f := assessments.Filter{Status: assessments.Status(c.QueryParam("status"))}
	lq, err := listQuery(c)
	if err != nil {
		return err
	}
	list, err := s.store.AssessmentPage(c.Request().Context(), actorOf(c), f, lq)
	if err != nil {
		return err
	}
	p := &assessmentsPage{Assessments: list.Items, Status: string(f.Status), Statuses: assessments.Statuses, Editions: map[string]*frameworks.Edition{},
		Pager: newPager(c, list, "updated", "service", "organisation", "period", "status")}
	for _, ed := range s.editions.Editions() {
		p.Editions[ed.Key()] = ed
	}
	v := s.render.view(c, s.msgs.T(langOf(c), "assessments.title"), p)
	v.Notice = s.notice(c)
	return c.Render(http.StatusOK, "assessments", v)
}

type newAssessmentPage struct {
	Services []assessments.Service
	Editions []*frameworks.Edition
	Form     struct {
		ServiceID uint
		Edition   string
		Period    int
	}
}

func (s *server) newAssessmentPage(c echo.Context) (*newAssessmentPage, error) {
	services, err := s.store.Services(c.Request().Context(), actorOf(c))
	if err != nil {
		return nil, err
	}
	p := &newAssessmentPage{Services: services, Editions: s.editions.Editions()}
	p.Form.Period = time.Now().Year()
	if latest := s.editions.Latest(); len(latest) > 0 {
		p.Form.Edition = latest[0].Key()
	}
	return p, nil
}

// showNewAssessment is the form to start an assessment.
func (s *server) showNewAssessment(c echo.Context) error {
	p, err := s.newAssessmentPage(c)
	if err != nil {
		return err
	}
	if id, err := strconv.ParseUint(c.QueryParam("service"), 10, 32); err == nil {
		p.Form.ServiceID = uint(id)
	}
	return c.Render(http.StatusOK, "assessment_new", s.render.view(c, s.msgs.T(langOf(c), "assessment.new"), p))
}

// createAssessment starts a draft and opens it.
func (s *server) createAssessment(c echo.Context) error {
	p, err := s.newAssessmentPage(c)
	if err != nil {
		return err
	}
	sid, _ := strconv.ParseUint(c.FormValue("service"), 10, 32)
	period, perr := strconv.Atoi(c.FormValue("period"))
	if perr != nil {
		period = -1 // reported by the domain as "must be a year"
	}
	edID, edVersion := splitKey(c.FormValue("edition"))
	p.Form.ServiceID, p.Form.Edition, p.Form.Period = uint(sid), c.FormValue("edition"), period
	a, err := s.store.CreateAssessment(c.Request().Context(), actorOf(c), assessments.NewAssessment{ServiceID: uint(sid), FrameworkID: edID, Version: edVersion, Period: period})
	var ve *assessments.ValidationError
	switch {
	case errors.As(err, &ve):
		v := s.render.view(c, s.msgs.T(langOf(c), "assessment.new"), p).withErrors(ve)
		return c.Render(http.StatusUnprocessableEntity, "assessment_new", v)
	case errors.Is(err, assessments.ErrDuplicate):
		v := s.render.view(c, s.msgs.T(langOf(c), "assessment.new"), p).withErrors(&assessments.ValidationError{
			Fields: map[string]assessments.Message{"period": {Format: "this service already has an assessment for this period"}}})
		return c.Render(http.StatusConflict, "assessment_new", v)
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/assessments/%d", a.ID))
}

// splitKey splits "id@version".
func splitKey(key string) (id, version string) {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '@' {
			return key[:i], key[i+1:]
		}
	}
	return key, ""
}

type overviewPage struct {
	*assessments.View
	Editable bool
	Missing  []string // set after a refused submission
}

// Returned is the return the organisation is acting on: the reviewer's
// decision with their overall comment; nil unless the assessment is
// returned.
func (p *overviewPage) Returned() *assessments.Transition {
	if p.Assessment.Status != assessments.StatusReturned {
		return nil
	}
	for i := len(p.History) - 1; i >= 0; i-- {
		if p.History[i].To == assessments.StatusReturned {
			return &p.History[i]
		}
	}
	return nil
}

// fix is one indicator the reviewer commented on when returning.
type fix struct {
	Dim     string
	Ind     *frameworks.Indicator
	Comment string
}

// Fixes is the reviewer's indicator comments of the last return, in the
// questionnaire's order: what to fix.
func (p *overviewPage) Fixes() []fix {
	var out []fix
	if p.Assessment.Status != assessments.StatusReturned {
		return nil
	}
	for _, d := range p.Edition.Dimensions {
		for i := range d.Indicators {
			if c := p.Comments[d.Indicators[i].ID].Comment; c != "" {
				out = append(out, fix{Dim: d.ID, Ind: &d.Indicators[i], Comment: c})
			}
		}
	}
	return out
}

// CommentsIn is how many of a dimension's indicators the reviewer
// commented on when returning the assessment.
func (p *overviewPage) CommentsIn(dim string) int {
	n := 0
	for _, f := range p.Fixes() {
		if f.Dim == dim {
			n++
		}
	}
	return n
}

// NextStep is what the overview's main button offers, as it really is:
// "begin" (nothing answered), "fix" (returned with indicator comments),
// "continue" (answers missing) or "submit" (complete); NextHref is where
// it leads.
func (p *overviewPage) NextStep() string {
	switch {
	case p.Result.Answered == 0:
		return "begin"
	case len(p.Fixes()) > 0:
		return "fix"
	case p.Result.Answered < p.Result.Applicable:
		return "continue"
	}
	return "submit"
}

func (p *overviewPage) NextHref() string {
	base := fmt.Sprintf("/assessments/%d", p.Assessment.ID)
	switch p.NextStep() {
	case "fix":
		f := p.Fixes()[0]
		return base + "/dimensions/" + f.Dim + "#ind-" + f.Ind.ID
	case "submit":
		return "#submit"
	}
	return base + "/dimensions/" + p.FirstOpen()
}

// showAssessment is an assessment's home: progress per dimension, live
// scores, what is missing, its history, and the actions allowed now.
func (s *server) showAssessment(c echo.Context) error {
	v, err := s.loadAssessment(c)
	if err != nil {
		return err
	}
	return s.renderOverview(c, v, http.StatusOK, nil, nil)
}

// renderOverview renders an assessment's home, after a refused
// submission with what is missing, after a refused import with why.
func (s *server) renderOverview(c echo.Context, v *assessments.View, status int, missing []string, problems *assessments.ValidationError) error {
	p := &overviewPage{View: v, Editable: actorOf(c).CanEdit(v.Assessment), Missing: missing}
	page := s.render.view(c, v.Assessment.Service.Name, p).withErrors(problems)
	page.Notice = s.notice(c)
	return c.Render(status, "assessment", page)
}

// submitAssessment sends a complete assessment for review; an incomplete
// one comes back with the list of what is missing.
func (s *server) submitAssessment(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if !confirmed(c) {
		v, err := s.loadAssessment(c)
		if err != nil {
			return err
		}
		// Only a step that would succeed is asked about; anything else
		// goes on to Submit, which says why not.
		if actorOf(c).CanEdit(v.Assessment) {
			if !v.Result.Complete() {
				return s.renderOverview(c, v, http.StatusUnprocessableEntity, v.Result.Missing, nil)
			}
			lang := langOf(c)
			return s.askConfirm(c, &confirmPage{
				Title:  s.msgs.T(lang, "confirm.submit.title"),
				Lead:   s.msgs.T(lang, "confirm.submit.lead", v.Assessment.Service.Name, v.Assessment.Period),
				Next:   s.msgs.T(lang, "confirm.submit.next"),
				Action: fmt.Sprintf("/assessments/%d/submit", id),
				Button: s.msgs.T(lang, "assessment.submit"),
				Cancel: fmt.Sprintf("/assessments/%d", id),
			})
		}
	}
	_, err = s.store.Submit(c.Request().Context(), actorOf(c), id)
	var ie *assessments.IncompleteError
	if errors.As(err, &ie) {
		// The refused submission changed nothing; show what there is.
		v, err := s.loadAssessment(c)
		if err != nil {
			return err
		}
		return s.renderOverview(c, v, http.StatusUnprocessableEntity, ie.Missing, nil)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/assessments/%d/result?notice=submitted", id))
}

// exportAssessment downloads the assessment as a JSON file.
func (s *server) exportAssessment(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ex, err := s.store.Export(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("dmf-assessment-%d-%d.json", ex.ID, ex.Period)
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.JSONPretty(http.StatusOK, ex, "  ")
}

// importAssessment merges the answers of an uploaded export file.
func (s *server) importAssessment(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	data, err := readUpload(c, "file", assessments.MaxImportSize)
	if err == nil && isWorkbook(data) {
		_, err = s.importWorkbook(c, id, data)
	} else if err == nil {
		_, err = s.store.Import(c.Request().Context(), actorOf(c), id, data)
	}
	if ve := importProblem(err); ve != nil {
		v, err2 := s.loadAssessment(c)
		if err2 != nil {
			return err2
		}
		status := http.StatusUnprocessableEntity
		var ce *assessments.ConflictError
		if errors.As(err, &ce) {
			status = http.StatusConflict
		}
		return s.renderOverview(c, v, status, nil, ve)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/assessments/%d?notice=imported", id))
}
