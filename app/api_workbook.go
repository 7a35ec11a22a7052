package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

// exportWorkbook downloads an assessment as an XLSX workbook in the
// page's language (the API's ?lang= when given).
func (s *server) exportWorkbook(c echo.Context) error {
	v, err := s.loadAssessment(c)
	if err != nil {
		return err
	}
	lang := langOf(c)
	if l := c.QueryParam("lang"); supported(l) {
		lang = l
	}
	data, err := s.assessmentWorkbook(v, lang)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("dmf-assessment-%d-%d.xlsx", v.Assessment.ID, v.Assessment.Period)
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Blob(http.StatusOK, xlsxMIME, data)
}

// isWorkbook tells an XLSX upload (a ZIP file) from a JSON one by its
// first bytes, whatever the file is called.
func isWorkbook(data []byte) bool { return bytes.HasPrefix(data, []byte("PK\x03\x04")) }

// importWorkbook saves the answers of a filled-in workbook as one save
// based on the version it was exported at: a workbook older than the
// assessment's last save is refused like a stale save, with the
// indicators changed since. Everything is checked before anything is
// saved; answers that are as saved already are not saved again.
func (s *server) importWorkbook(c echo.Context, id uint, data []byte) (*assessments.View, error) {
	by := actorOf(c)
	v, err := s.store.View(c.Request().Context(), by, id)
	if err != nil {
		return nil, err
	}
	switch {
	case !by.CanAssess():
		return nil, fmt.Errorf("%w: only the organisation's respondents change its answers", assessments.ErrForbidden)
	case !v.Assessment.Status.Editable():
		return nil, fmt.Errorf("%w: it is %s", assessments.ErrReadOnly, v.Assessment.Status)
	}
	base, answers, err := readWorkbook(data, v)
	if err != nil {
		return nil, err
	}
	changed := changedAnswers(v.Answers, answers)
	if len(changed) == 0 && base == v.Assessment.Version {
		return v, nil
	}
	if _, err := s.store.SaveAnswers(c.Request().Context(), by, id, &base, changed); err != nil {
		return nil, err
	}
	return s.store.View(c.Request().Context(), by, id)
}

// importProblem explains a refused import on the overview page: the
// problems with the file, or which answers others saved since the
// workbook was exported.
func importProblem(err error) *assessments.ValidationError {
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		return ve
	}
	var ce *assessments.ConflictError
	if errors.As(err, &ce) {
		return &assessments.ValidationError{Fields: map[string]assessments.Message{"file": {
			Format: "the assessment was saved since this workbook was exported (changed: %s); export it again and copy your answers in",
			Args:   []any{strings.Join(ce.Changed, ", ")}}}}
	}
	return nil
}
