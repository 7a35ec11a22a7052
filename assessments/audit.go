package assessments

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

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
	// One fixed statement rather than GORM's Create, which reflects on the
	// struct and reads the new id back: every save writes one.
	if err := execSQL(tx, insertAudit, ev.At, ev.ActorID, ev.Action, ev.TargetType, ev.TargetID, ev.Before, ev.After); err != nil {
		return err
	}
	if actions, ok := tx.Statement.Context.Value(auditActionsKey{}).(*[]string); ok {
		*actions = append(*actions, action)
	}
	return nil
}

const insertAudit = `INSERT INTO audit_events (at, actor_id, action, target_type, target_id, "before", "after") VALUES (?, ?, ?, ?, ?, ?, ?)`

// auditActionsKey marks, in a write's context, the list that collects the
// audit actions of its transaction for the store's observer.
type auditActionsKey struct{}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	Action     string
	TargetType string
	TargetID   string
	ActorID    uint
	Actor      string    // part of the actor's email or name
	From, To   time.Time // events at or after From and before To; zero is open
	Before     uint      // only events with a smaller id: the next page
	Limit      int
}

func (f AuditFilter) apply(q *gorm.DB) *gorm.DB {
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
	if a := strings.TrimSpace(f.Actor); a != "" {
		pattern := "%" + likeEscaper.Replace(strings.ToLower(a)) + "%"
		q = q.Where("actor_id IN (SELECT id FROM users WHERE LOWER(email) LIKE ? ESCAPE '\\' OR LOWER(name) LIKE ? ESCAPE '\\')", pattern, pattern)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From)
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To)
	}
	if f.Before != 0 {
		q = q.Where("id < ?", f.Before)
	}
	return q
}

// AuditEvents returns audit events, newest first. Only administrators read
// the audit log; nobody changes it: the store has no update or delete for
// it.
func (s *Store) AuditEvents(ctx context.Context, by Actor, f AuditFilter) (_ []AuditEvent, err error) {
	defer wrap(&err, "read the audit log")
	if !by.CanAdminister() {
		return nil, ErrForbidden
	}
	if f.Limit <= 0 || f.Limit > 10000 {
		f.Limit = 200
	}
	var evs []AuditEvent
	err = f.apply(s.db.WithContext(ctx)).Order("id DESC").Limit(f.Limit).Find(&evs).Error
	return evs, err
}

// AuditEntry is an audit event with who made it and what it is about in
// words: the actor's name and email, and the target's name where the
// target still exists (a user's email, a service's or organisation's
// name, an assessment's service and period).
type AuditEntry struct {
	AuditEvent
	ActorName  string `json:"actor_name,omitempty"`
	ActorEmail string `json:"actor_email,omitempty"`
	TargetName string `json:"target_name,omitempty"`
}

var auditSorts = sortable{"at": "audit_events.at", "action": "audit_events.action"}

// AuditPage returns a page of the audit log, newest first unless sorted
// otherwise, with names for actors and targets.
func (s *Store) AuditPage(ctx context.Context, by Actor, f AuditFilter, q ListQuery) (_ *Page[AuditEntry], err error) {
	defer wrap(&err, "read the audit log")
	if !by.CanAdminister() {
		return nil, ErrForbidden
	}
	if err := q.check(auditSorts, "-at"); err != nil {
		return nil, err
	}
	var out *Page[AuditEntry]
	err = s.read(ctx, func(tx *gorm.DB) error {
		evs, err := paginate[AuditEvent](f.apply(tx.Model(&AuditEvent{})), q, func(db *gorm.DB) *gorm.DB {
			return q.order(db, auditSorts, "audit_events.id")
		})
		if err != nil {
			return err
		}
		out = &Page[AuditEntry]{Total: evs.Total, Page: evs.Page, Limit: evs.Limit, Sort: evs.Sort, Items: make([]AuditEntry, len(evs.Items))}
		for i, e := range evs.Items {
			out.Items[i].AuditEvent = e
		}
		return nameAuditEntries(tx, out.Items)
	})
	return out, err
}

// nameAuditEntries fills in actor and target names, one query per kind.
func nameAuditEntries(tx *gorm.DB, es []AuditEntry) error {
	ids := map[string][]string{}
	var actors []uint
	for _, e := range es {
		if e.ActorID != nil {
			actors = append(actors, *e.ActorID)
		}
		ids[e.TargetType] = append(ids[e.TargetType], e.TargetID)
	}
	var users []User
	if err := tx.Where("id IN ?", append(actors, idsOf(ids["user"])...)).Find(&users).Error; err != nil {
		return err
	}
	byUser := map[uint]User{}
	for _, u := range users {
		byUser[u.ID] = u
	}
	names := map[string]string{}
	for _, u := range users {
		names["user:"+fmt.Sprint(u.ID)] = u.Email
	}
	var orgs []Organisation
	if err := tx.Where("id IN ?", idsOf(ids["organisation"])).Find(&orgs).Error; err != nil {
		return err
	}
	for _, o := range orgs {
		names["organisation:"+fmt.Sprint(o.ID)] = o.Name + " (" + o.Country + ")"
	}
	var svcs []Service
	if err := tx.Where("id IN ?", idsOf(ids["service"])).Find(&svcs).Error; err != nil {
		return err
	}
	for _, v := range svcs {
		names["service:"+fmt.Sprint(v.ID)] = v.Name
	}
	var as []Assessment
	if err := tx.Preload("Service").Where("id IN ?", idsOf(ids["assessment"])).Find(&as).Error; err != nil {
		return err
	}
	for _, a := range as {
		names["assessment:"+fmt.Sprint(a.ID)] = fmt.Sprintf("%s, %d", a.Service.Name, a.Period)
	}
	for i, e := range es {
		if e.ActorID != nil {
			u := byUser[*e.ActorID]
			es[i].ActorName, es[i].ActorEmail = u.Name, u.Email
		}
		es[i].TargetName = names[e.TargetType+":"+e.TargetID]
	}
	return nil
}

// idsOf keeps the numeric ids of a list of target ids; never empty, so
// that "IN ?" stays valid SQL.
func idsOf(ss []string) []uint {
	out := []uint{0}
	for _, s := range ss {
		if n, err := strconv.ParseUint(s, 10, 32); err == nil {
			out = append(out, uint(n))
		}
	}
	return out
}

// KeyRotated records that an issuer key was added (by the command line,
// so without a signed-in actor).
func (s *Store) KeyRotated(ctx context.Context, did, keyID string) (err error) {
	defer wrap(&err, "record key rotation %s", keyID)
	return s.audit(s.db.WithContext(ctx), nil, "key.rotated", "key", did+"#"+keyID, nil, map[string]any{"key": keyID})
}
