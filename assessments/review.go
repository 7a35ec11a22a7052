package assessments

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"gorm.io/gorm"
)

// Review decisions.
const (
	DecisionApprove = "approve"
	DecisionReturn  = "return"
)

// ReviewInput is a reviewer's decision on a submitted assessment: an
// overall comment and, when returning it, comments on single indicators.
type ReviewInput struct {
	Decision   string
	Comment    string
	Indicators map[string]string // indicator id → comment
}

// Review approves a submitted assessment or returns it to its organisation
// with comments. Only reviewers review. Approval stores the scores again
// from the answers, so what was approved is exactly what is stored and
// compared. It returns the reviewed assessment's view, with the card an
// approval issued.
func (s *Store) Review(ctx context.Context, by Actor, id uint, in ReviewInput) (_ *View, err error) {
	defer wrap(&err, "review assessment %d", id)
	if !by.CanReview() {
		return nil, fmt.Errorf("review assessment %d: %w: only reviewers review assessments", id, ErrForbidden)
	}
	comments, err := in.check()
	if err != nil {
		return nil, err
	}
	in.Comment = cleanReviewText(in.Comment)
	var pre *signedCard
	if in.Decision == DecisionApprove && s.issuer != nil {
		pre = s.presign(ctx, id)
	}
	var approved *View // what an approval knows of the view it answers with
	// Approvals queue to the batch writer (see batch.go): several cards are
	// appended to the log under one checkpoint, and each answer waits for
	// the commit that holds its card.
	err = s.approvals.do(ctx, id, func(tx *gorm.DB) error {
		locked, err := lockVisible(tx, by, id) // a reviewer sees every organisation's
		if err != nil {
			return err
		}
		a := *locked
		if a.Status != StatusSubmitted {
			return fmt.Errorf("%w: only submitted assessments are reviewed; this one is %s", ErrReadOnly, a.Status)
		}
		ed, err := s.Edition(&a)
		if err != nil {
			return err
		}
		for ind := range comments {
			if _, _, ok := ed.Indicator(ind); !ok {
				return fieldError("indicators."+ind, "unknown indicator: edition %s has no indicator %q", ed.Key(), ind)
			}
		}
		now := s.now()
		from := a.Status
		var svc *Service // read by an approval; nil: notifyAssessment reads it
		var answers Answers
		var res Result
		switch in.Decision {
		case DecisionApprove:
			// The presigned card scored the answers already: a submitted
			// assessment's answers do not change while it is the same
			// submission.
			answers, res = pre.answersOf(&a)
			if answers == nil {
				if answers, err = loadAnswers(tx, a.ID); err != nil {
					return err
				}
				res = Score(ed, answers)
			}
			if err := s.storeScores(tx, &a, res, true); err != nil {
				return err
			}
			if err := addToAggregates(tx, &a, res); err != nil {
				return err
			}
			if svc, err = readService(tx, a.ServiceID); err != nil {
				return err
			}
			if err := addToHistograms(tx, histogramRows(&a, svc.Category, ed, answers, res)); err != nil {
				return err
			}
			if s.issuer != nil {
				if err := s.issueCard(tx, &a, ed, res, pre); err != nil {
					return fmt.Errorf("issue the card: %w", err)
				}
			}
			a.Status, a.ApprovedAt = StatusApproved, &now
		case DecisionReturn:
			a.Status = StatusReturned
		}
		a.UpdatedAt = now
		if err := execSQL(tx, "UPDATE assessments SET status = ?, approved_at = ?, score = ?, level = ?, updated_at = ? WHERE id = ?",
			a.Status, a.ApprovedAt, a.Score, a.Level, a.UpdatedAt, a.ID); err != nil {
			return err
		}
		if in.Decision == DecisionApprove {
			approved = &View{Assessment: &Assessment{Service: *svc}, Edition: ed, Answers: answers, Result: res}
		}
		tr := Transition{AssessmentID: a.ID, From: from, To: a.Status, ActorID: by.UserID, Comment: in.Comment, At: now}
		if err := insertTransition(tx, &tr); err != nil {
			return err
		}
		ids := make([]string, 0, len(comments))
		for ind := range comments {
			ids = append(ids, ind)
		}
		sort.Strings(ids)
		for _, ind := range ids {
			rc := ReviewComment{AssessmentID: a.ID, TransitionID: tr.ID, IndicatorID: ind, Comment: comments[ind], AuthorID: by.UserID, At: now}
			if err := tx.Create(&rc).Error; err != nil {
				return err
			}
		}
		action := map[string]string{DecisionApprove: "assessment.approved", DecisionReturn: "assessment.returned"}[in.Decision]
		if err := s.audit(tx, &by, action, "assessment", a.ID,
			map[string]any{"status": from}, map[string]any{"status": a.Status, "comment": in.Comment, "indicators": comments}); err != nil {
			return err
		}
		return s.notifyAssessment(tx, &a, svc, action, in.Comment)
	})
	if err != nil {
		return nil, err
	}
	return s.readViewOf(s.db.WithContext(ctx), by, id, approved)
}

// insertTransition records a status change and sets its id, in one
// fixed statement (an approval's and a submission's, in the writer's turn).
func insertTransition(tx *gorm.DB, tr *Transition) error {
	return queryOne(tx, `INSERT INTO transitions (assessment_id, "from", "to", actor_id, comment, at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		[]any{tr.AssessmentID, tr.From, tr.To, tr.ActorID, tr.Comment, tr.At}, &tr.ID)
}

func cleanReviewText(t string) string { return strings.TrimSpace(strings.ReplaceAll(t, "\r\n", "\n")) }

// Check reports what is wrong with a decision before it is recorded, as
// Review would, so that a confirmation step can refuse it first.
func (in ReviewInput) Check() error {
	_, err := in.check()
	return err
}

// check validates the decision and returns its non-empty indicator
// comments, cleaned.
func (in ReviewInput) check() (map[string]string, error) {
	clean := cleanReviewText
	in.Comment = clean(in.Comment)
	v := invalid{}
	if in.Decision != DecisionApprove && in.Decision != DecisionReturn {
		v.add("decision", "must be approve or return")
	}
	checkText(v, "comment", in.Comment)
	comments := map[string]string{}
	for ind, c := range in.Indicators {
		if c = clean(c); c != "" {
			comments[ind] = c
			checkText(v, "indicators."+ind, c)
		}
	}
	if in.Decision == DecisionReturn && in.Comment == "" && len(comments) == 0 {
		v.add("comment", "say what the organisation should change")
	}
	if in.Decision == DecisionApprove && len(comments) > 0 {
		v.add("indicators", "comments on indicators go with returning an assessment, not approving it")
	}
	return comments, v.err()
}
