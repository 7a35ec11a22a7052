package assessments

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/unescap/dmf/frameworks"
	"gorm.io/gorm"
)

// An improvement plan: from the result page an organisation sets, for the
// indicators it wants to improve, a target level, the actions, who owns
// them and when they are due. The plan belongs to the assessment it was
// made from and is read back on the next year's assessment of the same
// service, which shows per target whether it was reached.

// PlanItem is one target of an assessment's plan.
type PlanItem struct {
	ID           uint      `gorm:"primaryKey" json:"-"`
	AssessmentID uint      `gorm:"not null;uniqueIndex:ux_plan_item,priority:1" json:"-"`
	Position     int       `gorm:"not null" json:"-"`
	IndicatorID  string    `gorm:"not null;size:64;uniqueIndex:ux_plan_item,priority:2" json:"indicator"`
	TargetLevel  int       `gorm:"not null" json:"target_level"`
	Actions      string    `gorm:"not null;default:''" json:"actions"`
	Owner        string    `gorm:"not null;default:''" json:"owner"`
	Due          string    `gorm:"not null;size:10" json:"due"` // YYYY-MM-DD
	UpdatedByID  uint      `gorm:"not null" json:"-"`
	UpdatedAt    time.Time `gorm:"not null" json:"updated_at"`
}

// PlanInput is one target as a client sends it.
type PlanInput struct {
	Indicator   string `json:"indicator"`
	TargetLevel int    `json:"target_level"`
	Actions     string `json:"actions"`
	Owner       string `json:"owner"`
	Due         string `json:"due"`
}

// MaxPlanOwner bounds the owner field: a name or a unit, not an essay.
const MaxPlanOwner = 200

// dueLayout is how a due date is written, in the API and in forms.
const dueLayout = "2006-01-02"

// Plan is an assessment's plan with the levels its targets start from.
type Plan struct {
	Assessment *Assessment
	Edition    *frameworks.Edition
	Items      []PlanItem
	Current    map[string]int // the assessment's level per planned indicator; 0 when unanswered
	Editable   bool           // the actor may change it
}

// Plan reads an assessment's plan, for its organisation, reviewers and
// admins; others' are ErrNotFound.
func (s *Store) Plan(ctx context.Context, by Actor, id uint) (_ *Plan, err error) {
	defer wrap(&err, "read the plan of assessment %d", id)
	var p *Plan
	err = s.read(ctx, func(tx *gorm.DB) error {
		v, err := s.readView(tx, by, id)
		if err != nil {
			return err
		}
		p, err = s.readPlan(tx, by, v)
		return err
	})
	return p, err
}

func (s *Store) readPlan(tx *gorm.DB, by Actor, v *View) (*Plan, error) {
	p := &Plan{Assessment: v.Assessment, Edition: v.Edition, Current: map[string]int{}, Editable: by.CanPlan(v.Assessment)}
	if err := tx.Where("assessment_id = ?", v.Assessment.ID).Order("position, id").Find(&p.Items).Error; err != nil {
		return nil, err
	}
	for _, it := range p.Items {
		p.Current[it.IndicatorID], _ = levelIn(v.Edition, v.Answers, it.IndicatorID)
	}
	return p, nil
}

// PlanLevels is the level an indicator is at in answers (0 when
// unanswered) and the highest level a target for it may be.
func PlanLevels(ed *frameworks.Edition, answers Answers, id string) (level, top int) {
	return levelIn(ed, answers, id)
}

// levelIn is the level an indicator is at in answers (0 when unanswered
// or not applicable) and the highest level it can reach.
func levelIn(ed *frameworks.Edition, answers Answers, id string) (level, top int) {
	ind, _, ok := ed.Indicator(id)
	if !ok {
		return 0, 0
	}
	top = len(ed.Levels)
	if ind.Type == frameworks.TypeLevel {
		top = len(ind.Options)
	}
	if a, ok := answers[id]; ok && !a.NA {
		if l, _, ok := LevelOf(ed, ind, a); ok {
			level = l
		}
	}
	return level, top
}

// SavePlan replaces an assessment's plan with items, for its own
// organisation in any status. Each target must be an indicator of the
// assessment's edition, above the level the assessment reached there and
// not above the indicator's top level, with the actions said and a due
// date after today; a due date already saved for that indicator may stay
// as it is once it has passed, so that an old plan can still be edited.
// A refused plan changes nothing and names each bad field as
// items[N].field.
func (s *Store) SavePlan(ctx context.Context, by Actor, id uint, items []PlanInput) (_ *Plan, err error) {
	defer wrap(&err, "save the plan of assessment %d", id)
	var p *Plan
	err = s.write(ctx, func(tx *gorm.DB) error {
		var a Assessment
		if err := visibleTo(forUpdate(tx), by, "organisation_id").First(&a, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if !by.CanPlan(&a) {
			return fmt.Errorf("%w: only the organisation's respondents change its plan", ErrForbidden)
		}
		v, err := s.readView(tx, by, id)
		if err != nil {
			return err
		}
		var old []PlanItem
		if err := tx.Where("assessment_id = ?", id).Order("position, id").Find(&old).Error; err != nil {
			return err
		}
		oldDue := map[string]string{}
		for _, it := range old {
			oldDue[it.IndicatorID] = it.Due
		}
		rows, err := s.checkPlan(v, items, oldDue)
		if err != nil {
			return err
		}
		if err := tx.Where("assessment_id = ?", id).Delete(&PlanItem{}).Error; err != nil {
			return err
		}
		now := s.now()
		for i := range rows {
			rows[i].AssessmentID, rows[i].Position, rows[i].UpdatedByID, rows[i].UpdatedAt = id, i, by.UserID, now
		}
		if len(rows) > 0 {
			if err := tx.Create(&rows).Error; err != nil {
				return err
			}
		}
		if err := s.audit(tx, &by, "plan.saved", "assessment", id, planAudit(old), planAudit(rows)); err != nil {
			return err
		}
		p, err = s.readPlan(tx, by, v)
		return err
	})
	return p, err
}

// planAudit is what the audit log keeps of a plan: its targets as sent.
func planAudit(items []PlanItem) []PlanInput {
	out := make([]PlanInput, len(items))
	for i, it := range items {
		out[i] = PlanInput{it.IndicatorID, it.TargetLevel, it.Actions, it.Owner, it.Due}
	}
	return out
}

func (s *Store) checkPlan(v *View, items []PlanInput, oldDue map[string]string) ([]PlanItem, error) {
	inv := invalid{}
	ed := v.Edition
	if n := ed.IndicatorCount(); len(items) > n {
		inv.add("items", "has %d targets; the edition has %d indicators", len(items), n)
		return nil, inv.err()
	}
	today := s.now().Format(dueLayout)
	seen := map[string]bool{}
	rows := make([]PlanItem, 0, len(items))
	for i, in := range items {
		at := fmt.Sprintf("items[%d].", i)
		id := strings.TrimSpace(in.Indicator)
		ind, _, ok := ed.Indicator(id)
		switch {
		case id == "":
			inv.add(at+"indicator", "choose an indicator")
		case !ok:
			inv.add(at+"indicator", "unknown indicator: edition %s has no indicator %q", ed.Key(), id)
		case !ind.Scored():
			inv.add(at+"indicator", "indicator %s is not scored, so it has no level to target", id)
		case seen[id]:
			inv.add(at+"indicator", "indicator %s has a target already", id)
		}
		seen[id] = true
		if ok && ind.Scored() {
			current, top := levelIn(ed, v.Answers, id)
			switch {
			case in.TargetLevel > top || in.TargetLevel < 1:
				inv.add(at+"target_level", "must be one of this indicator's levels (1 to %d)", top)
			case in.TargetLevel <= current:
				inv.add(at+"target_level", "must be above the current level, %d", current)
			}
		}
		actions := cleanReviewText(in.Actions)
		owner := strings.TrimSpace(in.Owner)
		checkText(inv, at+"actions", actions)
		if actions == "" {
			inv.add(at+"actions", "say what will be done to reach the target")
		}
		checkText(inv, at+"owner", owner)
		if n := len([]rune(owner)); n > MaxPlanOwner {
			inv.add(at+"owner", "is %d characters long; the limit is %d", n, MaxPlanOwner)
		}
		due := strings.TrimSpace(in.Due)
		if d, err := time.Parse(dueLayout, due); err != nil || d.Format(dueLayout) != due {
			inv.add(at+"due", "must be a date written as YYYY-MM-DD")
		} else if due <= today && oldDue[id] != due {
			inv.add(at+"due", "must be after today, %s", today)
		}
		rows = append(rows, PlanItem{IndicatorID: id, TargetLevel: in.TargetLevel, Actions: actions, Owner: owner, Due: due})
	}
	return rows, inv.err()
}

// PlanProgress is the plan made on an earlier assessment of the same
// service, read against a later one: per target, where it started, where
// it is now and whether the target was reached.
type PlanProgress struct {
	From  *Assessment // the earlier assessment, whose plan this is
	Items []ProgressItem
}

// ProgressItem is one target of a carried plan.
type ProgressItem struct {
	PlanItem
	Before int  // the level when the plan was made; 0 unanswered
	Now    int  // the level in the later assessment; 0 unanswered
	Known  bool // the later assessment's edition has the indicator
}

// Reached reports whether the later assessment reached the target.
func (p ProgressItem) Reached() bool { return p.Known && p.Now >= p.TargetLevel }

// Change is the change of level from the plan's assessment to the later one.
func (p ProgressItem) Change() int { return p.Now - p.Before }

// CarriedPlan returns the plan of prev, the assessment before v of the
// same service (see Previous), read against v. Nil when prev has none.
func (s *Store) CarriedPlan(ctx context.Context, by Actor, v *View, prev *Assessment) (_ *PlanProgress, err error) {
	defer wrap(&err, "read the plan carried to assessment %d", v.Assessment.ID)
	if prev == nil {
		return nil, nil
	}
	var out *PlanProgress
	err = s.read(ctx, func(tx *gorm.DB) error {
		pv, err := s.readView(tx, by, prev.ID)
		if err != nil {
			return err
		}
		var items []PlanItem
		if err := tx.Where("assessment_id = ?", prev.ID).Order("position, id").Find(&items).Error; err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		out = &PlanProgress{From: pv.Assessment}
		for _, it := range items {
			pi := ProgressItem{PlanItem: it}
			pi.Before, _ = levelIn(pv.Edition, pv.Answers, it.IndicatorID)
			_, _, pi.Known = v.Edition.Indicator(it.IndicatorID)
			pi.Now, _ = levelIn(v.Edition, v.Answers, it.IndicatorID)
			out.Items = append(out.Items, pi)
		}
		return nil
	})
	return out, err
}
