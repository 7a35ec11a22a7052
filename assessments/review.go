package assessments

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// Review decisions.
const (
	DecisionApprove = "approve"
	DecisionReturn  = "return"
)

// Review approves a submitted assessment or returns it to its organisation
// with a comment. Only reviewers review. Approval stores the scores again
// from the answers, so what was approved is exactly what is stored.
func (s *Store) Review(ctx context.Context, by Actor, id uint, decision, comment string) (*Assessment, error) {
	comment = strings.TrimSpace(strings.ReplaceAll(comment, "\r\n", "\n"))
	v := invalid{}
	if decision != DecisionApprove && decision != DecisionReturn {
		v.add("decision", "must be approve or return")
	}
	if decision == DecisionReturn && comment == "" {
		v.add("comment", "say what the organisation should change")
	}
	checkText(v, "comment", comment)
	if err := v.err(); err != nil {
		return nil, err
	}
	if by.Role != RoleReviewer {
		return nil, fmt.Errorf("%w: only reviewers review assessments", ErrForbidden)
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var a Assessment
		if err := tx.First(&a, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if a.Status != StatusSubmitted {
			return fmt.Errorf("%w: only submitted assessments are reviewed; this one is %s", ErrReadOnly, a.Status)
		}
		now := s.now()
		from := a.Status
		switch decision {
		case DecisionApprove:
			ed, err := s.Edition(&a)
			if err != nil {
				return err
			}
			answers, err := loadAnswers(tx, a.ID)
			if err != nil {
				return err
			}
			if err := s.storeScores(tx, &a, Score(ed, answers)); err != nil {
				return err
			}
			a.Status, a.ApprovedAt = StatusApproved, &now
		case DecisionReturn:
			a.Status = StatusReturned
		}
		if err := tx.Model(&a).Select("status", "approved_at", "score", "level", "updated_at").Updates(&a).Error; err != nil {
			return err
		}
		if err := tx.Create(&Transition{AssessmentID: a.ID, From: from, To: a.Status, ActorID: by.UserID, Comment: comment, At: now}).Error; err != nil {
			return err
		}
		return s.audit(tx, &by, "assessment."+map[string]string{DecisionApprove: "approved", DecisionReturn: "returned"}[decision],
			"assessment", a.ID, map[string]any{"status": from}, map[string]any{"status": a.Status, "comment": comment})
	})
	if err != nil {
		return nil, err
	}
	return s.Assessment(ctx, by, id)
}
