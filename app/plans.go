package main

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// planItemJSON is one target of GET/PUT /api/v1/assessments/{id}/plan.
type planItemJSON struct {
	Indicator    string     `json:"indicator"`
	TargetLevel  int        `json:"target_level"`
	CurrentLevel int        `json:"current_level"`
	Actions      string     `json:"actions"`
	Owner        string     `json:"owner"`
	Due          string     `json:"due"`
	UpdatedAt    *time.Time `json:"updated_at,omitempty"`
}

type planJSON struct {
	Assessment uint           `json:"assessment"`
	Editable   bool           `json:"editable"`
	Items      []planItemJSON `json:"items"`
}

func newPlanJSON(p *assessments.Plan) *planJSON {
	out := &planJSON{Assessment: p.Assessment.ID, Editable: p.Editable, Items: []planItemJSON{}}
	for _, it := range p.Items {
		at := it.UpdatedAt
		out.Items = append(out.Items, planItemJSON{it.IndicatorID, it.TargetLevel, p.Current[it.IndicatorID], it.Actions, it.Owner, it.Due, &at})
	}
	return out
}

// apiPlan returns an assessment's improvement plan.
func (s *server) apiPlan(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p, err := s.store.Plan(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPlanJSON(p))
}

type savePlanRequest struct {
	Items []assessments.PlanInput `json:"items"`
}

// apiSavePlan replaces an assessment's plan; 422 names items[N].field.
func (s *server) apiSavePlan(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req savePlanRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	p, err := s.store.SavePlan(c.Request().Context(), actorOf(c), id, req.Items)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPlanJSON(p))
}

// planRow is one row of the plan form: a saved or sent target, or a blank
// one to add.
type planRow struct {
	N int
	assessments.PlanInput
}

// planForm is the plan section of the result page.
type planForm struct {
	Plan    *assessments.Plan
	Rows    []planRow
	Choices []planChoice // the indicators a target can be set for
	Min     string       // the earliest due date, for the date inputs
}

// planChoice is an indicator offered in the plan form, with its level now.
type planChoice struct {
	Ind     *frameworks.Indicator
	Current int
	Top     int
}

// blankPlanRows is how many empty rows the form offers for new targets:
// without JavaScript, rows cannot be added on the page.
const blankPlanRows = 3

func (s *server) planForm(c echo.Context, v *assessments.View, sent []planRow) (*planForm, error) {
	p, err := s.store.Plan(c.Request().Context(), actorOf(c), v.Assessment.ID)
	if err != nil {
		return nil, err
	}
	f := &planForm{Plan: p, Rows: sent, Min: time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")}
	if sent == nil {
		for i, it := range p.Items {
			f.Rows = append(f.Rows, planRow{i, assessments.PlanInput{Indicator: it.IndicatorID, TargetLevel: it.TargetLevel, Actions: it.Actions, Owner: it.Owner, Due: it.Due}})
		}
		for i := range blankPlanRows {
			f.Rows = append(f.Rows, planRow{N: len(p.Items) + i})
		}
	}
	for _, dim := range v.Edition.Dimensions {
		for j := range dim.Indicators {
			ind := &dim.Indicators[j]
			if !ind.Scored() {
				continue
			}
			cur, top := assessments.PlanLevels(v.Edition, v.Answers, ind.ID)
			f.Choices = append(f.Choices, planChoice{ind, cur, top})
		}
	}
	return f, nil
}

var planField = regexp.MustCompile(`^plan\.(\d+)\.(indicator|target_level|actions|owner|due)$`)

// savePlan saves the plan form of the result page. Rows without an
// indicator are left out, so a blank row adds nothing and clearing a
// row's indicator removes its target. A refused plan is shown again as
// sent, each problem next to its field.
func (s *server) savePlan(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the form could not be read")
	}
	rows := map[int]*planRow{}
	maxRow := -1
	for name, values := range form {
		m := planField.FindStringSubmatch(name)
		if m == nil || len(values) == 0 {
			continue
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 500 {
			continue
		}
		r := rows[n]
		if r == nil {
			r = &planRow{N: n}
			rows[n] = r
		}
		maxRow = max(maxRow, n)
		switch m[2] {
		case "indicator":
			r.Indicator = values[0]
		case "target_level":
			r.TargetLevel, _ = strconv.Atoi(values[0])
		case "actions":
			r.Actions = values[0]
		case "owner":
			r.Owner = values[0]
		case "due":
			r.Due = values[0]
		}
	}
	var sent []planRow
	var items []assessments.PlanInput
	for n := 0; n <= maxRow; n++ {
		if r := rows[n]; r != nil {
			sent = append(sent, *r)
			if r.Indicator != "" {
				items = append(items, r.PlanInput)
			}
		}
	}
	_, err = s.store.SavePlan(c.Request().Context(), actorOf(c), id, items)
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		// items[K] is the K-th row with an indicator; the page names its
		// fields by row.
		var kept []int
		for _, r := range sent {
			if r.Indicator != "" {
				kept = append(kept, r.N)
			}
		}
		fields := map[string]assessments.Message{}
		for f, m := range ve.Fields {
			var k int
			var field string
			if _, err := fmt.Sscanf(f, "items[%d].%s", &k, &field); err == nil && k < len(kept) {
				f = fmt.Sprintf("plan.%d.%s", kept[k], field)
			}
			fields[f] = m
		}
		return s.renderResultWith(c, "result", http.StatusUnprocessableEntity, sent, &assessments.ValidationError{Fields: fields})
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/assessments/%d/result?notice=plan#plan-h", id))
}
