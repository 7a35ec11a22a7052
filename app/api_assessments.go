package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

// bindJSON decodes a JSON request body strictly: the right content type,
// one value, no unknown fields, and a clear error naming what is wrong.
func bindJSON(c echo.Context, v any) error {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if mt != echo.MIMEApplicationJSON {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the body as application/json")
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the body is too large or could not be read")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("body: more than one JSON value")
	}
	if err == nil {
		return nil
	}
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &se):
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("body: invalid JSON at byte %d: %s", se.Offset, se.Error()))
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return &assessments.ValidationError{Fields: map[string]assessments.Message{field: {Format: "must be %s, not %s", Args: []any{jsonKind(te.Type.String()), te.Value}}}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &assessments.ValidationError{Fields: map[string]assessments.Message{name: {Format: "is not a known field"}}}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return echo.NewHTTPError(http.StatusBadRequest, "body: empty or truncated JSON")
	}
	return echo.NewHTTPError(http.StatusBadRequest, "body: "+err.Error())
}

func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "a number"
	case strings.Contains(goType, "bool"):
		return "true or false"
	case strings.Contains(goType, "string") && strings.HasPrefix(goType, "[]"):
		return "a list of texts"
	case strings.Contains(goType, "string"):
		return "a text"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	}
	return "an object"
}

// pathID parses the :id path parameter; anything but a number is 404.
func pathID(c echo.Context) (uint, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || id == 0 {
		return 0, assessments.ErrNotFound
	}
	return uint(id), nil
}

type editionRef struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Digest  string `json:"digest,omitempty"`
}

type organisationJSON struct {
	ID      uint   `json:"id"`
	Name    string `json:"name"`
	Country string `json:"country"`
}

type historyJSON struct {
	From    assessments.Status `json:"from,omitempty"`
	To      assessments.Status `json:"to"`
	At      time.Time          `json:"at"`
	By      string             `json:"by"`
	Comment string             `json:"comment,omitempty"`
}

// assessmentJSON is GET /api/v1/assessments/{id} (app/openapi.json).
type assessmentJSON struct {
	ID           uint                   `json:"id"`
	Status       assessments.Status     `json:"status"`
	Version      int                    `json:"version"`
	Framework    editionRef             `json:"framework"`
	Service      assessments.Service    `json:"service"`
	Organisation organisationJSON       `json:"organisation"`
	Period       int                    `json:"period"`
	Answers      assessments.Answers    `json:"answers"`
	Completeness float64                `json:"completeness"`
	Scores       assessments.ScoresJSON `json:"scores"`
	History      []historyJSON          `json:"history"`
	// ReviewComments are the reviewer's comments on indicators from the
	// last return, by indicator id.
	ReviewComments map[string]string `json:"review_comments"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	SubmittedAt    *time.Time        `json:"submitted_at,omitempty"`
	ApprovedAt     *time.Time        `json:"approved_at,omitempty"`
	// CountryAnswers names the answers that are the country's (scope:
	// country indicators, answered by its coordinator): read-only here.
	CountryAnswers []string `json:"country_answers,omitempty"`
}

// newAssessmentJSON is the full JSON of an assessment's view, with labels
// in lang.
func newAssessmentJSON(v *assessments.View, lang string) *assessmentJSON {
	a, ed := v.Assessment, v.Edition
	scores := v.Result.JSON(ed, lang)
	out := &assessmentJSON{
		ID: a.ID, Status: a.Status, Version: a.Version, Framework: editionRef{ed.ID, ed.Version, ed.Digest},
		Service: a.Service, Organisation: organisationJSON{v.Organisation.ID, v.Organisation.Name, v.Organisation.Country}, Period: a.Period,
		Answers: v.Answers, Completeness: scores.Completeness, Scores: scores, History: []historyJSON{},
		ReviewComments: make(map[string]string, len(v.Comments)),
		CreatedAt:      a.CreatedAt, UpdatedAt: a.UpdatedAt, SubmittedAt: a.SubmittedAt, ApprovedAt: a.ApprovedAt,
	}
	for _, h := range v.History {
		out.History = append(out.History, historyJSON{From: h.From, To: h.To, At: h.At, By: h.Actor.Email, Comment: h.Comment})
	}
	for id, rc := range v.Comments {
		out.ReviewComments[id] = rc.Comment
	}
	out.CountryAnswers = countryAnswerIDs(v)
	return out
}

type createAssessmentRequest struct {
	Framework string `json:"framework"`
	Version   string `json:"version"`
	ServiceID uint   `json:"service_id"`
	Service   *struct {
		Name      string `json:"name"`
		Category  string `json:"category"`
		LifeEvent string `json:"life_event"`
		URL       string `json:"url"`
	} `json:"service"`
	Period int `json:"period"`
}

// apiCreateAssessment starts a draft. The service is named by id, or by
// name (registered on first use).
func (s *server) apiCreateAssessment(c echo.Context) error {
	var req createAssessmentRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	na := assessments.NewAssessment{ServiceID: req.ServiceID, FrameworkID: req.Framework, Version: req.Version, Period: req.Period}
	if req.ServiceID == 0 && req.Service != nil {
		na.NewService = &assessments.Service{Name: req.Service.Name, Category: req.Service.Category, LifeEvent: req.Service.LifeEvent, URL: req.Service.URL}
	}
	a, err := s.store.CreateAssessment(c.Request().Context(), actorOf(c), na)
	if err != nil {
		return err
	}
	v, err := s.store.View(c.Request().Context(), actorOf(c), a.ID)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, fmt.Sprintf("/api/v1/assessments/%d", a.ID))
	return c.JSON(http.StatusCreated, newAssessmentJSON(v, apiLang(c)))
}

type assessmentSummary struct {
	ID        uint                `json:"id"`
	Status    assessments.Status  `json:"status"`
	Version   int                 `json:"version"`
	Framework editionRef          `json:"framework"`
	Service   assessments.Service `json:"service"`
	Country   string              `json:"country"`
	Period    int                 `json:"period"`
	Score     *float64            `json:"score,omitempty"` // stored at submission
	Level     *int                `json:"level,omitempty"`
	UpdatedAt time.Time           `json:"updated_at"`
}

// apiListAssessments lists what the caller may see: a respondent their
// organisation's, reviewers everything. Filters: status, period,
// framework, service, country.
func (s *server) apiListAssessments(c echo.Context) error {
	f := assessments.Filter{
		Status: assessments.Status(c.QueryParam("status")), FrameworkID: c.QueryParam("framework"),
		Country: strings.ToUpper(c.QueryParam("country")),
	}
	var err error
	if f.Period, err = assessments.ParsePeriod(c.QueryParam("period")); err != nil {
		return err
	}
	if sv := c.QueryParam("service"); sv != "" {
		n, err := strconv.ParseUint(sv, 10, 32)
		if err != nil {
			return &assessments.ValidationError{Fields: map[string]assessments.Message{"service": {Format: "must be a service id"}}}
		}
		f.ServiceID = uint(n)
	}
	lq, err := listQuery(c)
	if err != nil {
		return err
	}
	page, err := s.store.AssessmentPage(c.Request().Context(), actorOf(c), f, lq)
	if err != nil {
		return err
	}
	out := make([]assessmentSummary, len(page.Items))
	for i, a := range page.Items {
		var score *float64
		if a.Score != nil {
			r := assessments.Round1(*a.Score)
			score = &r
		}
		out[i] = assessmentSummary{a.ID, a.Status, a.Version, editionRef{ID: a.FrameworkID, Version: a.FrameworkVersion}, a.Service, a.Country, a.Period, score, a.Level, a.UpdatedAt}
	}
	return sendPage(c, page, out)
}

// apiAssessment returns one assessment with answers, live scores and
// history.
func (s *server) apiAssessment(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	v, err := s.store.View(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newAssessmentJSON(v, apiLang(c)))
}

type saveAnswersRequest struct {
	Version *int                       `json:"version"`
	Answers map[string]json.RawMessage `json:"answers"`
}

// decodeAnswers decodes each answer on its own, so that a type error names
// the indicator: answers.SERV.1.level.
func decodeAnswers(raw map[string]json.RawMessage) (assessments.Answers, error) {
	out := make(assessments.Answers, len(raw))
	problems := map[string]assessments.Message{}
	for id, msg := range raw {
		var a assessments.Answer
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			var te *json.UnmarshalTypeError
			switch {
			case errors.As(err, &te) && te.Field != "":
				problems["answers."+id+"."+te.Field] = assessments.Message{Format: "must be %s, not %s", Args: []any{jsonKind(te.Type.String()), te.Value}}
			case errors.As(err, &te):
				problems["answers."+id] = assessments.Message{Format: "must be %s, not %s", Args: []any{"an object", te.Value}}
			case strings.HasPrefix(err.Error(), "json: unknown field "):
				name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
				problems["answers."+id+"."+name] = assessments.Message{Format: "is not a known field"}
			default:
				problems["answers."+id] = assessments.Message{Format: "is not a valid answer: %s", Args: []any{err.Error()}}
			}
			continue
		}
		out[id] = a
	}
	if len(problems) > 0 {
		return nil, &assessments.ValidationError{Fields: problems}
	}
	return out, nil
}

// readSaveAnswers reads a save's body, {version?, answers}, as both
// assessments and a country's answers take it: at least one answer, each
// decoded and checked for its shape.
func readSaveAnswers(c echo.Context) (base *int, answers assessments.Answers, err error) {
	var req saveAnswersRequest
	if err := bindJSON(c, &req); err != nil {
		return nil, nil, err
	}
	if len(req.Answers) == 0 {
		return nil, nil, &assessments.ValidationError{Fields: map[string]assessments.Message{"answers": {Format: "send at least one answer"}}}
	}
	answers, err = decodeAnswers(req.Answers)
	return req.Version, answers, err
}

// apiSaveAnswers merges answers and returns the assessment with its live
// scores. With "version", a save based on an older version gets 409.
func (s *server) apiSaveAnswers(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	base, answers, err := readSaveAnswers(c)
	if err != nil {
		return err
	}
	v, err := s.store.SaveAnswers(c.Request().Context(), actorOf(c), id, base, answers)
	if err != nil {
		return err
	}
	a := v.Assessment
	scores := v.Result.JSON(v.Edition, apiLang(c))
	return c.JSON(http.StatusOK, savedAnswersJSON{
		ID: a.ID, Status: a.Status, Version: a.Version, UpdatedAt: a.UpdatedAt,
		Answers: v.Answers, Completeness: scores.Completeness, Scores: scores,
	})
}

// savedAnswersJSON answers a save: what the questionnaire needs to carry
// on (the new version, the answers as stored, the live scores) and no
// more, since it answers every autosave. GET has the rest.
type savedAnswersJSON struct {
	ID           uint                   `json:"id"`
	Status       assessments.Status     `json:"status"`
	Version      int                    `json:"version"`
	UpdatedAt    time.Time              `json:"updated_at"`
	Answers      assessments.Answers    `json:"answers"`
	Completeness float64                `json:"completeness"`
	Scores       assessments.ScoresJSON `json:"scores"`
}

// apiSubmit submits a complete assessment; 422 lists what is missing.
func (s *server) apiSubmit(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	v, err := s.store.Submit(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newAssessmentJSON(v, apiLang(c)))
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
	v, err := s.store.Review(c.Request().Context(), actorOf(c), id, assessments.ReviewInput{Decision: req.Decision, Comment: req.Comment, Indicators: req.Indicators})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newAssessmentJSON(v, apiLang(c)))
}

// apiExport returns the assessment as an export file.
func (s *server) apiExport(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ex, err := s.store.Export(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="dmf-assessment-%d-%d.json"`, ex.ID, ex.Period))
	return c.JSON(http.StatusOK, ex)
}

// apiImport merges the answers of an export file sent as the body.
func (s *server) apiImport(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if mt != echo.MIMEApplicationJSON && mt != xlsxMIME {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the export file as application/json, or the workbook as "+xlsxMIME)
	}
	data, err := io.ReadAll(io.LimitReader(c.Request().Body, assessments.MaxImportSize+1))
	if err != nil {
		return err
	}
	var v *assessments.View
	if mt == xlsxMIME {
		v, err = s.importWorkbook(c, id, data)
	} else {
		v, err = s.store.Import(c.Request().Context(), actorOf(c), id, data)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newAssessmentJSON(v, apiLang(c)))
}

// apiServices lists the services the caller may see.
func (s *server) apiServices(c echo.Context) error {
	lq, err := listQuery(c)
	if err != nil {
		return err
	}
	page, err := s.store.ServicePage(c.Request().Context(), actorOf(c), lq)
	if err != nil {
		return err
	}
	return sendPage(c, page, page.Items)
}

// serviceRequest is what a client may say about a new service; its id,
// organisation and timestamps are the server's, and a body that sends
// them is refused as having unknown fields.
type serviceRequest struct {
	Name        string `json:"name"`
	Category    string `json:"category"`
	LifeEvent   string `json:"life_event"`
	URL         string `json:"url"`
	Description string `json:"description"`
}

// apiCreateService registers a service of the respondent's organisation.
func (s *server) apiCreateService(c echo.Context) error {
	var req serviceRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	svc, err := s.store.CreateService(c.Request().Context(), actorOf(c), assessments.Service{
		Name: req.Name, Category: req.Category, LifeEvent: req.LifeEvent, URL: req.URL, Description: req.Description,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, svc)
}

// countryAnswerIDs lists, in edition order, the answers of a view that are
// its country's.
func countryAnswerIDs(v *assessments.View) []string {
	var out []string
	for _, ind := range v.Edition.CountryIndicators() {
		if _, ok := v.CountryAnswers[ind.ID]; ok {
			out = append(out, ind.ID)
		}
	}
	return out
}
