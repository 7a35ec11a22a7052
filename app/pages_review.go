package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

type reviewQueue struct {
	Assessments []assessments.Assessment
	Countries   *assessments.Countries
	Editions    []*frameworks.Edition
	Statuses    []assessments.Status
	Filter      struct{ Country, Subregion, Edition, Status, Period string }
	Pager       *pager
}

// showReviewQueue lists assessments for reviewers, submitted ones first by
// default, filtered by country, subregion, edition, period and status.
func (s *server) showReviewQueue(c echo.Context) error {
	q := &reviewQueue{Countries: s.store.Countries(), Editions: s.editions.Editions(), Statuses: assessments.Statuses}
	q.Filter.Country = strings.ToUpper(c.QueryParam("country"))
	q.Filter.Subregion = c.QueryParam("subregion")
	q.Filter.Edition = c.QueryParam("edition")
	q.Filter.Status = c.QueryParam("status")
	q.Filter.Period = c.QueryParam("period")
	if _, ok := c.QueryParams()["status"]; !ok {
		q.Filter.Status = string(assessments.StatusSubmitted)
	}
	f := assessments.Filter{Status: assessments.Status(q.Filter.Status), Country: q.Filter.Country}
	var err error
	if f.Period, err = assessments.ParsePeriod(q.Filter.Period); err != nil {
		// No list beside the problem: one that ignored the mistyped year
		// would read as the answer to it.
		var ve *assessments.ValidationError
		errors.As(err, &ve)
		v := s.render.view(c, s.msgs.T(langOf(c), "review.queue"), q).withErrors(ve)
		return c.Render(http.StatusUnprocessableEntity, "review_queue", v)
	}
	if id, version := splitKey(q.Filter.Edition); id != "" {
		f.FrameworkID, f.FrameworkVersion = id, version
	}
	if q.Filter.Subregion != "" {
		if f.Countries = q.Countries.InSubregion(q.Filter.Subregion); len(f.Countries) == 0 {
			f.Countries = []string{"-"} // an unknown subregion matches nothing
		}
	}
	lq, err := listQuery(c)
	if err != nil {
		return err
	}
	list, err := s.store.AssessmentPage(c.Request().Context(), actorOf(c), f, lq)
	if err != nil {
		return err
	}
	q.Assessments = list.Items
	q.Pager = newPager(c, list, "updated", "service", "organisation", "country", "period", "status", "score")
	v := s.render.view(c, s.msgs.T(langOf(c), "review.queue"), q)
	v.Notice = s.notice(c)
	return c.Render(http.StatusOK, "review_queue", v)
}

type reviewPage struct {
	*resultPage
	Form      assessments.ReviewInput
	CanDecide bool
}

func (s *server) reviewPage(c echo.Context) (*reviewPage, error) {
	v, err := s.loadAssessment(c)
	if err != nil {
		return nil, err
	}
	rp, err := s.resultPage(c, v)
	if err != nil {
		return nil, err
	}
	return &reviewPage{resultPage: rp, CanDecide: actorOf(c).CanDecide(v.Assessment)}, nil
}

// showReview shows every answer, justification, comment and evidence link
// of an assessment, with the reviewer's decision form.
func (s *server) showReview(c echo.Context) error {
	p, err := s.reviewPage(c)
	if err != nil {
		return err
	}
	v := s.render.view(c, s.msgs.T(langOf(c), "review.title")+": "+p.Assessment.Service.Name, p)
	return c.Render(http.StatusOK, "review", v)
}

// reviewAssessment records a reviewer's decision: approve, or return with
// an overall comment and comments on single indicators. The page is read
// again only to show a refused decision with its problems.
func (s *server) reviewAssessment(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the form could not be read")
	}
	in := assessments.ReviewInput{Decision: form.Get("decision"), Comment: form.Get("comment"), Indicators: map[string]string{}}
	// The page names each indicator's comment field note.ID; the domain
	// refuses ids the assessment's edition does not have.
	for name, values := range form {
		if ind, ok := strings.CutPrefix(name, "note."); ok && len(values) > 0 && strings.TrimSpace(values[0]) != "" {
			in.Indicators[ind] = values[0]
		}
	}
	if !confirmed(c) && in.Check() == nil {
		p, err := s.reviewPage(c)
		if err != nil {
			return err
		}
		if p.CanDecide {
			lang, a := langOf(c), p.Assessment
			key := "confirm." + in.Decision
			args := []any{a.Service.Name, a.Period, p.Organisation.Name}
			if in.Decision == assessments.DecisionReturn {
				args = append(args, len(in.Indicators))
			}
			return s.askConfirm(c, &confirmPage{
				Title:  s.msgs.T(lang, key+".title"),
				Lead:   s.msgs.T(lang, key+".lead", args...),
				Next:   s.msgs.T(lang, key+".next"),
				Quote:  strings.TrimSpace(in.Comment),
				Action: fmt.Sprintf("/assessments/%d/review", id),
				Button: s.msgs.T(lang, key+".button"),
				Cancel: fmt.Sprintf("/assessments/%d/review", id),
			})
		}
	}
	_, err = s.store.Review(c.Request().Context(), actorOf(c), id, in)
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		p, err := s.reviewPage(c)
		if err != nil {
			return err
		}
		p.Form = in
		v := s.render.view(c, s.msgs.T(langOf(c), "review.title")+": "+p.Assessment.Service.Name, p).withErrors(ve)
		return c.Render(http.StatusUnprocessableEntity, "review", v)
	}
	if err != nil {
		return err
	}
	if in.Decision == assessments.DecisionApprove {
		// The assessment's page links the card the approval issued.
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/assessments/%d?notice=approved", id))
	}
	return c.Redirect(http.StatusSeeOther, "/review?notice=returned")
}
