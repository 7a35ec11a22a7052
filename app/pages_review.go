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
	list, err := s.store.Assessments(c.Request().Context(), actorOf(c), f)
	if err != nil {
		return err
	}
	q.Assessments = list
	v := s.render.view(c, s.msgs.T(langOf(c), "review.queue"), q)
	v.Notice = s.notice(c)
	return c.Render(http.StatusOK, "review_queue", v)
}

type reviewPage struct {
	*resultPage
	Comments  map[string]assessments.ReviewComment // of the last return
	History   []assessments.Transition
	Form      assessments.ReviewInput
	CanDecide bool
}

func (s *server) reviewPage(c echo.Context) (*reviewPage, error) {
	st, err := s.loadAssessment(c)
	if err != nil {
		return nil, err
	}
	rp, err := s.resultPage(c, st)
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	comments, err := s.store.ReviewComments(ctx, st.A)
	if err != nil {
		return nil, err
	}
	hist, err := s.store.History(ctx, st.A)
	if err != nil {
		return nil, err
	}
	return &reviewPage{resultPage: rp, Comments: comments, History: hist, CanDecide: actorOf(c).CanDecide(st.A)}, nil
}

// showReview shows every answer, justification, comment and evidence link
// of an assessment, with the reviewer's decision form.
func (s *server) showReview(c echo.Context) error {
	p, err := s.reviewPage(c)
	if err != nil {
		return err
	}
	v := s.render.view(c, s.msgs.T(langOf(c), "review.title")+": "+p.A.Service.Name, p)
	return c.Render(http.StatusOK, "review", v)
}

// reviewAssessment records a reviewer's decision: approve, or return with
// an overall comment and comments on single indicators.
func (s *server) reviewAssessment(c echo.Context) error {
	p, err := s.reviewPage(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the form could not be read")
	}
	in := assessments.ReviewInput{Decision: form.Get("decision"), Comment: form.Get("comment"), Indicators: map[string]string{}}
	for _, d := range p.Ed.Dimensions {
		for _, ind := range d.Indicators {
			if text := form.Get("note." + ind.ID); strings.TrimSpace(text) != "" {
				in.Indicators[ind.ID] = text
			}
		}
	}
	_, err = s.store.Review(c.Request().Context(), actorOf(c), p.A.ID, in)
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		p.Form = in
		v := s.render.view(c, s.msgs.T(langOf(c), "review.title")+": "+p.A.Service.Name, p).withErrors(ve)
		return c.Render(http.StatusUnprocessableEntity, "review", v)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/review?notice=%s", map[string]string{
		assessments.DecisionApprove: "approved", assessments.DecisionReturn: "returned"}[in.Decision]))
}

type reviewRequest struct {
	Decision   string            `json:"decision"`
	Comment    string            `json:"comment"`
	Indicators map[string]string `json:"indicators"`
}

// apiReview approves or returns a submitted assessment.
func (s *server) apiReview(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req reviewRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if _, err := s.store.Review(c.Request().Context(), actorOf(c), id, assessments.ReviewInput{Decision: req.Decision, Comment: req.Comment, Indicators: req.Indicators}); err != nil {
		return err
	}
	return s.apiAssessment(c)
}
