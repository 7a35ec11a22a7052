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

// The coordinator's pages: the country-scope indicators of an edition,
// answered once per country and period, with the questionnaire's answer
// widgets; they work without scripts.

type countryPage struct {
	Country  string
	Editions []*frameworks.Edition      // editions with country indicators, newest first
	Sets     []assessments.CountrySet   // what the country has answered
	Year     int                        // the period the form proposes
	View     *assessments.CountryView   // the chosen edition and period; nil on the list
	Items    []questionItem             // its questions
	Version  int                        // the save the form is based on
	Conflict *assessments.ConflictError // a stale save
}

// countryEditions are the editions whose indicators include country ones.
func (s *server) countryEditions() []*frameworks.Edition {
	var out []*frameworks.Edition
	for _, ed := range s.store.Editions().Editions() {
		if len(ed.CountryIndicators()) > 0 {
			out = append(out, ed)
		}
	}
	return out
}

// showCountry lists the editions and periods the coordinator answers for.
func (s *server) showCountry(c echo.Context) error {
	by := actorOf(c)
	sets, err := s.store.CountrySets(c.Request().Context(), by, by.Country)
	if err != nil {
		return err
	}
	p := &countryPage{Country: by.Country, Editions: s.countryEditions(), Sets: sets, Year: time.Now().UTC().Year()}
	if y, err := strconv.Atoi(c.QueryParam("period")); err == nil {
		p.Year = y
	}
	if chosen := c.QueryParam("edition"); chosen != "" && c.QueryParam("period") != "" {
		// The list's form is a GET: go to the chosen edition and period.
		for _, ed := range p.Editions {
			if ed.ID+"/"+ed.Version == chosen {
				return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/country/%s/%s/%d", ed.ID, ed.Version, p.Year))
			}
		}
		return echo.NewHTTPError(http.StatusNotFound, "no such edition with country indicators")
	}
	page := s.render.view(c, s.msgs.T(langOf(c), "country.title"), p)
	page.Notice = s.notice(c)
	return c.Render(http.StatusOK, "country", page)
}

// countryKey reads the edition and period of the path, for the actor's
// country.
func countryKey(c echo.Context) (assessments.CountryKey, error) {
	period, err := strconv.Atoi(c.Param("period"))
	if err != nil {
		return assessments.CountryKey{}, assessments.ErrNotFound
	}
	return assessments.CountryKey{Country: actorOf(c).Country, FrameworkID: c.Param("framework"), Version: c.Param("version"), Period: period}, nil
}

// countryQuestions builds the form of a country view, showing posted
// answers over the saved ones.
func (s *server) countryQuestions(cv *assessments.CountryView, posted assessments.Answers) ([]questionItem, *frameworks.Dimension) {
	merged := assessments.Answers{}
	for k, a := range cv.Answers {
		merged[k] = a
	}
	for k, a := range posted {
		merged[k] = a
	}
	// One pseudo-dimension holds the country indicators, so that the
	// questionnaire's form reader reads this form too.
	dim := &frameworks.Dimension{}
	var items []questionItem
	for _, ind := range cv.Edition.CountryIndicators() {
		dim.Indicators = append(dim.Indicators, *ind)
		items = append(items, questionItem{Ind: ind, Answer: merged[ind.ID], Visible: assessments.Visible(cv.Edition, ind, merged)})
	}
	return items, dim
}

// showCountryAnswers is the questionnaire of an edition's country
// indicators for one period.
func (s *server) showCountryAnswers(c echo.Context) error {
	k, err := countryKey(c)
	if err != nil {
		return err
	}
	cv, err := s.store.CountryAnswers(c.Request().Context(), actorOf(c), k)
	if err != nil {
		return err
	}
	p := &countryPage{Country: k.Country, View: cv, Version: cv.Version}
	p.Items, _ = s.countryQuestions(cv, nil)
	page := s.render.view(c, s.msgs.T(langOf(c), "country.title"), p)
	page.Notice = s.notice(c)
	return c.Render(http.StatusOK, "country", page)
}

// saveCountryAnswers saves the form; a refused save shows it again with
// the posted values and the reasons.
func (s *server) saveCountryAnswers(c echo.Context) error {
	k, err := countryKey(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cv, err := s.store.CountryAnswers(ctx, actorOf(c), k)
	if err != nil {
		return err
	}
	_, dim := s.countryQuestions(cv, nil)
	posted, base, err := parseAnswersForm(c, dim)
	if err == nil {
		_, err = s.store.SaveCountryAnswers(ctx, actorOf(c), k, &base, posted)
	}
	var (
		ve *assessments.ValidationError
		ce *assessments.ConflictError
	)
	switch {
	case errors.As(err, &ve), errors.As(err, &ce):
		p := &countryPage{Country: k.Country, View: cv, Version: cv.Version}
		p.Items, _ = s.countryQuestions(cv, posted)
		status := http.StatusUnprocessableEntity
		if ce != nil {
			status, p.Conflict, p.Version = http.StatusConflict, ce, ce.Current
		}
		page := s.render.view(c, s.msgs.T(langOf(c), "country.title"), p).withErrors(ve)
		return c.Render(status, "country", page)
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/country/%s/%s/%d?notice=saved", cv.Key.FrameworkID, cv.Key.Version, cv.Key.Period))
}

// countryAnswersJSON is GET and PUT /api/v1/countries/{code}/answers.
type countryAnswersJSON struct {
	Country   string              `json:"country"`
	Framework editionRef          `json:"framework"`
	Period    int                 `json:"period"`
	Version   int                 `json:"version"`
	Answers   assessments.Answers `json:"answers"`
	Missing   []string            `json:"missing"`
	UpdatedBy string              `json:"updated_by,omitempty"`
	UpdatedAt *time.Time          `json:"updated_at,omitempty"`
}

func newCountryAnswersJSON(cv *assessments.CountryView) countryAnswersJSON {
	out := countryAnswersJSON{
		Country: cv.Key.Country, Framework: editionRef{cv.Edition.ID, cv.Edition.Version, cv.Edition.Digest}, Period: cv.Key.Period,
		Version: cv.Version, Answers: cv.Answers, Missing: cv.Missing, UpdatedBy: cv.UpdatedBy, UpdatedAt: cv.UpdatedAt,
	}
	if out.Missing == nil {
		out.Missing = []string{}
	}
	return out
}

// apiCountryKey reads GET/PUT /api/v1/countries/{code}/answers?framework=&version=&period=.
func apiCountryKey(c echo.Context) (assessments.CountryKey, error) {
	k := assessments.CountryKey{Country: c.Param("code"), FrameworkID: c.QueryParam("framework"), Version: c.QueryParam("version")}
	if k.FrameworkID == "" {
		k.FrameworkID = frameworks.DefaultID
	}
	period, err := strconv.Atoi(c.QueryParam("period"))
	if err != nil {
		return k, &assessments.ValidationError{Fields: map[string]assessments.Message{"period": {Format: "must be a year between %d and %d", Args: []any{assessments.MinPeriod, assessments.MaxPeriod}}}}
	}
	k.Period = period
	return k, nil
}

func (s *server) apiCountryAnswers(c echo.Context) error {
	k, err := apiCountryKey(c)
	if err != nil {
		return err
	}
	cv, err := s.store.CountryAnswers(c.Request().Context(), actorOf(c), k)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newCountryAnswersJSON(cv))
}

func (s *server) apiSaveCountryAnswers(c echo.Context) error {
	k, err := apiCountryKey(c)
	if err != nil {
		return err
	}
	base, answers, err := readSaveAnswers(c)
	if err != nil {
		return err
	}
	cv, err := s.store.SaveCountryAnswers(c.Request().Context(), actorOf(c), k, base, answers)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newCountryAnswersJSON(cv))
}
