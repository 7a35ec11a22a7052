package assessments

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// KeptFormLifetime is how long a questionnaire form posted after its
// session ended waits for the same user to sign in again.
const KeptFormLifetime = time.Hour

// keptMax is how many kept forms one user may have at a time; the oldest
// give way, so a loop of posts cannot fill the database.
const keptMax = 20

// SessionExpiredError is ErrExpired for a session that ended by idling or
// by age, not by signing out: it names the account it belonged to, so a
// form posted with it can be kept for that account alone.
type SessionExpiredError struct{ UserID uint }

func (e *SessionExpiredError) Error() string        { return ErrExpired.Error() }
func (e *SessionExpiredError) Is(target error) bool { return target == ErrExpired }

// keptForm is a questionnaire form posted after its session ended, kept
// for the account of that session until it signs in again.
type keptForm struct {
	ID           uint      `gorm:"primaryKey"`
	UserID       uint      `gorm:"not null;index"`
	AssessmentID uint      `gorm:"not null"`
	DimensionID  string    `gorm:"not null;size:64"`
	Form         string    `gorm:"not null"` // the posted fields, URL-encoded
	CreatedAt    time.Time `gorm:"not null;index"`
}

func (keptForm) TableName() string { return "kept_forms" }

// KeptForm is a kept form as its owner gets it back.
type KeptForm struct {
	ID           uint
	AssessmentID uint
	DimensionID  string
	Form         string
	CreatedAt    time.Time
}

// KeepForm keeps a questionnaire form posted after the session of userID
// ended. It is kept only if that account is still active and may edit the
// assessment, so nothing is kept that could never be saved.
func (s *Store) KeepForm(ctx context.Context, userID, assessmentID uint, dimensionID, form string) (_ uint, err error) {
	defer wrap(&err, "keep a form of assessment %d for user %d", assessmentID, userID)
	u, err := s.liveUser(ctx, userID)
	if err != nil {
		return 0, ErrForbidden
	}
	a, err := s.Assessment(ctx, u.Actor(), assessmentID)
	if err != nil {
		return 0, err
	}
	if !u.Actor().CanEdit(a) {
		return 0, ErrForbidden
	}
	now := s.now()
	k := keptForm{UserID: userID, AssessmentID: assessmentID, DimensionID: dimensionID, Form: form, CreatedAt: now}
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("created_at < ?", now.Add(-KeptFormLifetime)).Delete(&keptForm{}).Error; err != nil {
			return err
		}
		var old []uint
		if err := tx.Model(&keptForm{}).Where("user_id = ?", userID).Order("id DESC").Offset(keptMax-1).Pluck("id", &old).Error; err != nil {
			return err
		}
		if len(old) > 0 {
			if err := tx.Delete(&keptForm{}, old).Error; err != nil {
				return err
			}
		}
		if err := tx.Create(&k).Error; err != nil {
			return err
		}
		by := u.Actor()
		return s.audit(tx, &by, "answers.kept", "assessment", assessmentID, nil, map[string]any{"dimension": dimensionID})
	})
	return k.ID, err
}

// KeptForm returns a kept form to the account it was kept for; to anyone
// else, and once it is older than KeptFormLifetime, it does not exist.
func (s *Store) KeptForm(ctx context.Context, userID, id uint) (_ *KeptForm, err error) {
	defer wrap(&err, "read kept form %d", id)
	var k keptForm
	err = s.db.WithContext(ctx).Where("id = ? AND user_id = ? AND created_at >= ?", id, userID, s.now().Add(-KeptFormLifetime)).First(&k).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &KeptForm{ID: k.ID, AssessmentID: k.AssessmentID, DimensionID: k.DimensionID, Form: k.Form, CreatedAt: k.CreatedAt}, nil
}

// DropKeptForm forgets a kept form of userID once it is saved or discarded.
func (s *Store) DropKeptForm(ctx context.Context, userID, id uint) (err error) {
	defer wrap(&err, "drop kept form %d", id)
	return s.write(ctx, func(tx *gorm.DB) error {
		return tx.Where("id = ? AND user_id = ?", id, userID).Delete(&keptForm{}).Error
	})
}
