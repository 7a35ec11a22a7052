package assessments

import (
	"context"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"
)

// audit records a state change inside the transaction that makes it, so
// that the change and its record commit or fail together.
func (s *Store) audit(tx *gorm.DB, by *Actor, action, targetType string, targetID any, before, after any) error {
	ev := AuditEvent{At: s.now(), Action: action, TargetType: targetType, TargetID: fmt.Sprint(targetID)}
	if by != nil && by.UserID != 0 {
		id := by.UserID
		ev.ActorID = &id
	}
	var err error
	if before != nil {
		if ev.Before, err = json.Marshal(before); err != nil {
			return err
		}
	}
	if after != nil {
		if ev.After, err = json.Marshal(after); err != nil {
			return err
		}
	}
	if err := tx.Create(&ev).Error; err != nil {
		return err
	}
	if actions, ok := tx.Statement.Context.Value(auditActionsKey{}).(*[]string); ok {
		*actions = append(*actions, action)
	}
	return nil
}

// auditActionsKey marks, in a write's context, the list that collects the
// audit actions of its transaction for the store's observer.
type auditActionsKey struct{}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	Action     string
	TargetType string
	TargetID   string
	ActorID    uint
	Before     uint // only events with a smaller id: the next page
	Limit      int
}

// AuditEvents returns audit events, newest first. Only administrators read
// the audit log; nobody changes it: the store has no update or delete for
// it.
func (s *Store) AuditEvents(ctx context.Context, by Actor, f AuditFilter) (_ []AuditEvent, err error) {
	defer wrap(&err, "read the audit log")
	if !by.CanAdminister() {
		return nil, ErrForbidden
	}
	q := s.db.WithContext(ctx).Order("id DESC")
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.TargetType != "" {
		q = q.Where("target_type = ?", f.TargetType)
	}
	if f.TargetID != "" {
		q = q.Where("target_id = ?", f.TargetID)
	}
	if f.ActorID != 0 {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.Before != 0 {
		q = q.Where("id < ?", f.Before)
	}
	if f.Limit <= 0 || f.Limit > 10000 {
		f.Limit = 200
	}
	var evs []AuditEvent
	err = q.Limit(f.Limit).Find(&evs).Error
	return evs, err
}

// KeyRotated records that an issuer key was added (by the command line,
// so without a signed-in actor).
func (s *Store) KeyRotated(ctx context.Context, did, keyID string) (err error) {
	defer wrap(&err, "record key rotation %s", keyID)
	return s.audit(s.db.WithContext(ctx), nil, "key.rotated", "key", did+"#"+keyID, nil, map[string]any{"key": keyID})
}
