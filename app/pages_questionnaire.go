package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// questionItem is one indicator on a questionnaire page with the answer
// shown in its inputs: the saved one, or the one just posted when the
// save was refused.
type questionItem struct {
	Ind     *frameworks.Indicator
	Answer  assessments.Answer
	Visible bool
}

// Selected reports whether an option id is selected in the answer.
func (q questionItem) Selected(id string) bool {
	for _, s := range q.Answer.Selected {
		if s == id {
			return true
		}
	}
	return false
}

// LevelIs reports whether the answer is level k.
func (q questionItem) LevelIs(k int) bool { return q.Answer.Level != nil && *q.Answer.Level == k }

// Evidence is the answer's links, one per line, for the textarea.
func (q questionItem) Evidence() string { return strings.Join(q.Answer.Evidence, "\n") }

// Value is the number answer as typed.
func (q questionItem) Value() string {
	if q.Answer.Value == nil {
		return ""
	}
	return strconv.FormatFloat(*q.Answer.Value, 'f', -1, 64)
}

type questionnairePage struct {
	*assessments.View
	Dim      *frameworks.Dimension
	Items    []questionItem
	Prev     *frameworks.Dimension
	Next     *frameworks.Dimension
	Version  int
	Editable bool
	Conflict *assessments.ConflictError
	Kept     uint // a form kept while signed out, shown to be saved
	IdleSecs int  // for the script's "stay signed in" offer
}

// questionnaire builds the page of the path's dimension, showing posted
// answers over the saved ones.
func (s *server) questionnaire(c echo.Context, v *assessments.View, posted assessments.Answers) (*questionnairePage, error) {
	dimID := c.Param("dim")
	ed := v.Edition
	p := &questionnairePage{View: v, Version: v.Assessment.Version, Editable: actorOf(c).CanEdit(v.Assessment), IdleSecs: int(assessments.SessionIdle / time.Second)}
	for i := range ed.Dimensions {
		if ed.Dimensions[i].ID == dimID {
			p.Dim = &ed.Dimensions[i]
			if i > 0 {
				p.Prev = &ed.Dimensions[i-1]
			}
			if i+1 < len(ed.Dimensions) {
				p.Next = &ed.Dimensions[i+1]
			}
		}
	}
	if p.Dim == nil {
		return nil, echo.NewHTTPError(http.StatusNotFound, "no such dimension")
	}
	// Visibility follows the saved answers merged with what was posted.
	merged := assessments.Answers{}
	for k, a := range v.Answers {
		merged[k] = a
	}
	for k, a := range posted {
		merged[k] = a
	}
	for i := range p.Dim.Indicators {
		ind := &p.Dim.Indicators[i]
		p.Items = append(p.Items, questionItem{Ind: ind, Answer: merged[ind.ID], Visible: assessments.Visible(ed, ind, merged)})
	}
	return p, nil
}

// loadQuestionnaire reads the assessment and builds the page of the
// path's dimension.
func (s *server) loadQuestionnaire(c echo.Context) (*assessments.View, *questionnairePage, error) {
	v, err := s.loadAssessment(c)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.questionnaire(c, v, nil)
	return v, p, err
}

// showQuestionnaire is one dimension's questions as a form that works
// without scripts.
func (s *server) showQuestionnaire(c echo.Context) error {
	v, p, err := s.loadQuestionnaire(c)
	if err != nil {
		return err
	}
	if kp, err := s.keptPage(c, v, p); err != nil {
		return err
	} else if kp != nil {
		return c.Render(http.StatusOK, "questionnaire", kp)
	}
	page := s.render.view(c, p.Dim.Title.In(langOf(c)), p)
	page.Notice = s.notice(c)
	return c.Render(http.StatusOK, "questionnaire", page)
}

// keptPage is the questionnaire filled in with a form the user posted
// after their session ended (?kept=N), for them to check and save; nil if
// there is no such form of this user for this page. The form keeps the
// version it was based on, so a colleague's change since is a conflict.
func (s *server) keptPage(c echo.Context, v *assessments.View, p *questionnairePage) (*view, error) {
	n, err := strconv.ParseUint(c.QueryParam("kept"), 10, 32)
	if err != nil || !p.Editable {
		return nil, nil
	}
	k, err := s.store.KeptForm(c.Request().Context(), userOf(c).ID, uint(n))
	if errors.Is(err, assessments.ErrNotFound) || (err == nil && (k.AssessmentID != v.Assessment.ID || k.DimensionID != p.Dim.ID)) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(k.Form)
	if err != nil {
		return nil, nil
	}
	posted, base, perr := parseAnswers(form, p.Dim)
	if posted == nil {
		return nil, nil
	}
	kp, err := s.questionnaire(c, v, posted)
	if err != nil {
		return nil, err
	}
	kp.Version, kp.Kept = base, k.ID
	var ve *assessments.ValidationError
	errors.As(perr, &ve)
	page := s.render.view(c, p.Dim.Title.In(langOf(c)), kp).withErrors(ve)
	page.Notice = s.msgs.T(langOf(c), "questionnaire.kept")
	return page, nil
}

// saveQuestionnaire saves one dimension's answers. A refused save shows the
// form again with the posted values and the reasons; nothing saved is
// lost. A save based on an old version is a conflict, never an overwrite.
func (s *server) saveQuestionnaire(c echo.Context) error {
	v, p, err := s.loadQuestionnaire(c)
	if err != nil {
		return err
	}
	id := v.Assessment.ID
	posted, base, perr := parseAnswersForm(c, p.Dim)
	if perr == nil {
		_, err = s.store.SaveAnswers(c.Request().Context(), actorOf(c), id, &base, posted)
	} else {
		err = perr
	}
	var (
		ve *assessments.ValidationError
		ce *assessments.ConflictError
	)
	switch {
	case errors.As(err, &ve), errors.As(err, &ce):
		p, qerr := s.questionnaire(c, v, posted)
		if qerr != nil {
			return qerr
		}
		status := http.StatusUnprocessableEntity
		if ce != nil {
			// Show the colleague's version number so that saving again is a
			// deliberate choice to replace their answers on this page.
			status, p.Conflict, p.Version = http.StatusConflict, ce, ce.Current
		}
		page := s.render.view(c, p.Dim.Title.In(langOf(c)), p).withErrors(ve)
		return c.Render(status, "questionnaire", page)
	case err != nil:
		return err
	}
	if n, err := strconv.ParseUint(c.FormValue("kept"), 10, 32); err == nil {
		// The kept form is saved: forget it.
		if err := s.store.DropKeptForm(c.Request().Context(), userOf(c).ID, uint(n)); err != nil {
			return err
		}
	}
	next := fmt.Sprintf("/assessments/%d/dimensions/%s?notice=saved", id, p.Dim.ID)
	if c.FormValue("action") == "next" && p.Next != nil {
		next = fmt.Sprintf("/assessments/%d/dimensions/%s", id, p.Next.ID)
	} else if c.FormValue("action") == "next" {
		next = fmt.Sprintf("/assessments/%d?notice=saved", id)
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// parseAnswersForm reads the answers of one dimension's form. Each
// indicator listed in "ids" is read whole, so clearing an input clears
// that part of the answer. Textareas arrive with CRLF line breaks, which
// are stored as LF.
func parseAnswersForm(c echo.Context, dim *frameworks.Dimension) (assessments.Answers, int, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, 0, echo.NewHTTPError(http.StatusBadRequest, "the form could not be read")
	}
	return parseAnswers(form, dim)
}

// parseAnswers reads the answers of one dimension's posted fields.
func parseAnswers(form url.Values, dim *frameworks.Dimension) (assessments.Answers, int, error) {
	base, err := strconv.Atoi(form.Get("version"))
	if err != nil {
		return nil, 0, echo.NewHTTPError(http.StatusBadRequest, "the form lacks the version it was based on; reload the page")
	}
	out := assessments.Answers{}
	v := map[string]assessments.Message{}
	for _, id := range form["ids"] {
		ind := findIndicator(dim, id)
		if ind == nil {
			return nil, 0, echo.NewHTTPError(http.StatusBadRequest, "the form names an indicator of another dimension")
		}
		get := func(field string) string { return strings.ReplaceAll(form.Get(id+"."+field), "\r\n", "\n") }
		a := assessments.Answer{
			Selected:      form[id+".selected"],
			Text:          strings.TrimSpace(get("text")),
			NA:            form.Get(id+".na") == "1",
			Justification: strings.TrimSpace(get("justification")),
			Comment:       strings.TrimSpace(get("comment")),
		}
		if lv := form.Get(id + ".level"); lv != "" {
			k, err := strconv.Atoi(lv)
			if err != nil {
				v["answers."+id+".level"] = assessments.Message{Format: "choose one of the levels"}
			}
			a.Level = &k
		}
		if val := strings.TrimSpace(form.Get(id + ".value")); val != "" {
			x, err := strconv.ParseFloat(strings.ReplaceAll(val, ",", "."), 64)
			if err != nil {
				v["answers."+id+".value"] = assessments.Message{Format: "must be a number"}
			}
			a.Value = &x
		}
		for _, line := range strings.Split(get("evidence"), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				a.Evidence = append(a.Evidence, line)
			}
		}
		// A "not applicable" tick wins over a level chosen before it, as
		// the form shows it: the level inputs are then disabled by script.
		if a.NA && ind.NotApplicable {
			a.Level, a.Selected, a.Value, a.Text = nil, nil, nil, ""
		}
		out[id] = a
	}
	if len(v) > 0 {
		return out, base, &assessments.ValidationError{Fields: v}
	}
	return out, base, nil
}

func findIndicator(dim *frameworks.Dimension, id string) *frameworks.Indicator {
	for i := range dim.Indicators {
		if dim.Indicators[i].ID == id {
			return &dim.Indicators[i]
		}
	}
	return nil
}

// readUpload reads one uploaded file of at most max bytes.
func readUpload(c echo.Context, field string, max int64) ([]byte, error) {
	fh, err := c.FormFile(field)
	if err != nil {
		return nil, &assessments.ValidationError{Fields: map[string]assessments.Message{field: {Format: "choose a file to upload"}}}
	}
	if fh.Size > max {
		return nil, &assessments.ValidationError{Fields: map[string]assessments.Message{field: {Format: "is larger than %d bytes", Args: []any{max}}}}
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max+1))
}
