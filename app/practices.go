package main

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// practiceCardJSON is the card that attests a practice's level.
type practiceCardJSON struct {
	ID      string `json:"id"`
	URL     string `json:"url"`
	Revoked bool   `json:"revoked"`
}

// practiceJSON is a practice as GET /api/v1/practices/{id} gives it.
type practiceJSON struct {
	ID           uint                       `json:"id"`
	Indicator    string                     `json:"indicator"`
	Dimension    string                     `json:"dimension"`
	Title        string                     `json:"title"`
	Summary      string                     `json:"summary"`
	Links        []string                   `json:"links"`
	Contact      string                     `json:"contact,omitempty"`
	Status       assessments.PracticeStatus `json:"status"`
	Country      string                     `json:"country"`
	Organisation string                     `json:"organisation"`
	Service      string                     `json:"service"`
	Category     string                     `json:"category"`
	Level        int                        `json:"level"`
	Card         *practiceCardJSON          `json:"card"`
	Language     string                     `json:"language"`
	Source       string                     `json:"source"`
	Framework    editionRef                 `json:"framework"`
	PublishedAt  *time.Time                 `json:"published_at,omitempty"`
	// ReviewComment is the reviewer's, shown to the author and reviewers.
	ReviewComment string `json:"review_comment,omitempty"`
}

func (s *server) newPracticeJSON(p *assessments.PracticeView, withComment bool) practiceJSON {
	out := practiceJSON{
		ID: p.ID, Indicator: p.IndicatorID, Dimension: p.DimensionID, Title: p.Title, Summary: p.Summary, Links: p.LinkList(),
		Contact: p.Contact, Status: p.Status, Country: p.Country, Organisation: p.Organisation, Service: p.Service, Category: p.Category,
		Level: p.Level, Language: p.Language, Source: p.Source, Framework: editionRef{ID: p.FrameworkID, Version: p.FrameworkVersion},
		PublishedAt: p.PublishedAt,
	}
	if out.Links == nil {
		out.Links = []string{}
	}
	if p.CardID != "" {
		out.Card = &practiceCardJSON{ID: p.CardID, URL: strings.TrimRight(s.cfg.BaseURL, "/") + "/cards/" + p.CardID, Revoked: p.Revoked}
		if p.Source != assessments.SourceLocal {
			out.Card.URL = p.CardID // a peer's card, named by its address at the peer
		}
	}
	if withComment {
		out.ReviewComment = p.ReviewComment
	}
	return out
}

// practiceFilter reads the filters of the practice list from the query.
// Nothing here is refused: a page number that is not one is page 1.
func practiceFilter(c echo.Context) assessments.PracticeFilter {
	page, _ := strconv.Atoi(c.QueryParam("page"))
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	return assessments.PracticeFilter{
		Q: c.QueryParam("q"), Indicator: c.QueryParam("indicator"), Dimension: c.QueryParam("dimension"),
		Country: c.QueryParam("country"), Subregion: c.QueryParam("subregion"), Category: c.QueryParam("category"),
		Status: assessments.PracticeStatus(c.QueryParam("status")), Page: page, Limit: limit,
	}
}

type practicePageJSON struct {
	Items []practiceJSON `json:"items"`
	Total int64          `json:"total"`
	Page  int            `json:"page"`
	Limit int            `json:"limit"`
}

// apiPractices lists published practices (reviewers may ask for
// ?status=submitted), with search and filters.
func (s *server) apiPractices(c echo.Context) error {
	pg, err := s.store.Practices(c.Request().Context(), actorOf(c), practiceFilter(c))
	if err != nil {
		return err
	}
	out := practicePageJSON{Items: make([]practiceJSON, len(pg.Items)), Total: pg.Total, Page: pg.Page, Limit: pg.Limit}
	for i := range pg.Items {
		out.Items[i] = s.newPracticeJSON(&pg.Items[i], actorOf(c).CanReview())
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) apiPractice(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p, err := s.store.Practice(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.newPracticeJSON(p, p.Status != assessments.PracticePublished))
}

// apiSubmitPractice shares a practice of an approved assessment.
func (s *server) apiSubmitPractice(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in assessments.PracticeInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Language == "" {
		in.Language = apiLang(c)
	}
	p, err := s.store.SubmitPractice(c.Request().Context(), actorOf(c), id, in)
	if err != nil {
		return err
	}
	return s.practiceCreated(c, p.ID)
}

func (s *server) practiceCreated(c echo.Context, id uint) error {
	v, err := s.store.Practice(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.newPracticeJSON(v, true))
}

type practiceReviewRequest struct {
	Decision string `json:"decision"`
	Comment  string `json:"comment"`
}

// apiReviewPractice publishes a practice or returns it to its author.
func (s *server) apiReviewPractice(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req practiceReviewRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if _, err := s.store.ReviewPractice(c.Request().Context(), actorOf(c), id, req.Decision, req.Comment); err != nil {
		return err
	}
	v, err := s.store.Practice(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.newPracticeJSON(v, true))
}

// practicesPage is the public list of practices with its filters.
type practicesPage struct {
	Page       *assessments.Page[assessments.PracticeView]
	Pager      *pager
	Filter     assessments.PracticeFilter
	Edition    *frameworks.Edition // of the latest default edition, for the filters' names
	Countries  *assessments.Countries
	Categories []string
	Review     bool // the reviewer's queue of practices to review
}

func (s *server) practicesPage(c echo.Context, f assessments.PracticeFilter) (*practicesPage, error) {
	pg, err := s.store.Practices(c.Request().Context(), actorOf(c), f)
	if err != nil {
		return nil, err
	}
	ed, _ := s.editions.Default()
	return &practicesPage{Page: pg, Pager: newPager(c, pg), Filter: f, Edition: ed, Countries: s.store.Countries(), Categories: assessments.ServiceCategories}, nil
}

// showPractices is the public list: search, filters, paging.
func (s *server) showPractices(c echo.Context) error {
	f := practiceFilter(c)
	f.Status = assessments.PracticePublished
	p, err := s.practicesPage(c, f)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "practices", s.render.view(c, s.msgs.T(langOf(c), "practices.title"), p))
}

// showPracticeReview is the reviewers' queue of submitted practices.
func (s *server) showPracticeReview(c echo.Context) error {
	f := practiceFilter(c)
	f.Status = assessments.PracticeSubmitted
	p, err := s.practicesPage(c, f)
	if err != nil {
		return err
	}
	p.Review = true
	v := s.render.view(c, s.msgs.T(langOf(c), "practices.review.title"), p)
	v.Notice = s.notice(c)
	return c.Render(http.StatusOK, "practices_review", v)
}

// showPractice shows one practice.
func (s *server) showPractice(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p, err := s.store.Practice(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	ed, _ := s.editions.Edition(p.FrameworkID, p.FrameworkVersion)
	v := s.render.view(c, p.Title, map[string]any{"P": p, "Edition": ed, "Indicator": indicatorOf(ed, p.IndicatorID)})
	return c.Render(http.StatusOK, "practice", v)
}

func indicatorOf(ed *frameworks.Edition, id string) *frameworks.Indicator {
	if ed == nil {
		return nil
	}
	ind, _, _ := ed.Indicator(id)
	return ind
}

// practiceReviewField names a field of one practice's form in the
// reviewers' queue, which has a form per practice.
var practiceReviewField = regexp.MustCompile(`^p\d+\.(decision|comment)$`)

// reviewPractice records a reviewer's decision from the queue's form.
func (s *server) reviewPractice(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	decision := c.FormValue("decision")
	_, err = s.store.ReviewPractice(c.Request().Context(), actorOf(c), id, decision, c.FormValue("comment"))
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		f := practiceFilter(c)
		f.Status = assessments.PracticeSubmitted
		p, perr := s.practicesPage(c, f)
		if perr != nil {
			return perr
		}
		p.Review = true
		fields := map[string]assessments.Message{}
		for k, m := range ve.Fields {
			fields[fmt.Sprintf("p%d.%s", id, k)] = m
		}
		v := s.render.view(c, s.msgs.T(langOf(c), "practices.review.title"), p).withErrors(&assessments.ValidationError{Fields: fields})
		return c.Render(http.StatusUnprocessableEntity, "practices_review", v)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/review/practices?notice=practice-"+map[string]string{"publish": "published", "return": "returned"}[decision])
}

// practiceForm is the page where an organisation writes up a practice.
type practiceForm struct {
	View     *assessments.View
	Ind      *frameworks.Indicator
	Level    int
	Form     assessments.PracticeInput
	Existing *assessments.Practice // a returned practice, with the reviewer's comment
}

func (s *server) practiceForm(c echo.Context, in assessments.PracticeInput) (*practiceForm, error) {
	v, err := s.loadAssessment(c)
	if err != nil {
		return nil, err
	}
	ind := v.Indicator(in.Indicator)
	if ind == nil {
		return nil, echo.NewHTTPError(http.StatusNotFound, "no such indicator")
	}
	level, _ := assessments.PlanLevels(v.Edition, v.Answers, ind.ID)
	f := &practiceForm{View: v, Ind: ind, Level: level, Form: in}
	mine, err := s.store.PracticesOf(c.Request().Context(), actorOf(c), v.Assessment.ID)
	if err != nil {
		return nil, err
	}
	if p, ok := mine[ind.ID]; ok {
		f.Existing = &p
		if f.Form.Title == "" && f.Form.Summary == "" {
			f.Form = assessments.PracticeInput{Indicator: ind.ID, Title: p.Title, Summary: p.Summary, Contact: p.Contact, Links: p.LinkList(), Language: p.Language}
		}
	}
	return f, nil
}

// showNewPractice is the form for sharing a practice behind an indicator.
func (s *server) showNewPractice(c echo.Context) error {
	f, err := s.practiceForm(c, assessments.PracticeInput{Indicator: c.QueryParam("indicator"), Language: langOf(c)})
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "practice_new", s.render.view(c, s.msgs.T(langOf(c), "practice.new.title"), f))
}

// submitPractice shares a practice from the form.
func (s *server) submitPractice(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the form could not be read")
	}
	in := assessments.PracticeInput{
		Indicator: form.Get("indicator"), Title: form.Get("title"), Summary: form.Get("summary"), Contact: form.Get("contact"),
		Links: strings.Split(strings.ReplaceAll(form.Get("links"), "\r\n", "\n"), "\n"), Language: form.Get("language"),
	}
	_, err = s.store.SubmitPractice(c.Request().Context(), actorOf(c), id, in)
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		f, ferr := s.practiceForm(c, in)
		if ferr != nil {
			return ferr
		}
		return c.Render(http.StatusUnprocessableEntity, "practice_new", s.render.view(c, s.msgs.T(langOf(c), "practice.new.title"), f).withErrors(ve))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/assessments/%d/result?notice=practice#strengths-h", id))
}
