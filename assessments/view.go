package assessments

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	"github.com/unescap/dmf/frameworks"
	"gorm.io/gorm"
)

// View is an assessment with everything shown with it: its service,
// edition, answers, organisation and country, its history, the reviewer's
// comments of its last return, its card once issued, and the live scores
// of its answers. Store.View reads it in one transaction, and the writes
// that change an assessment return it from theirs, so that a request
// reads an assessment once and everything it shows agrees.
type View struct {
	Assessment   *Assessment // with its Service
	Edition      *frameworks.Edition
	Organisation *Organisation
	Country      *Country // nil for a code missing from the country list
	Answers      Answers
	History      []Transition             // oldest first, each with its actor's id, name and email
	Comments     map[string]ReviewComment // by indicator, of the last return; empty if never returned
	Card         *CardRecord              // the issued card, without its signed bytes; nil if none
	Result       Result                   // the live scores of Answers
	// CountryAnswers are the answers to the edition's scope: country
	// indicators, which Answers includes: inherited from the country's
	// coordinator while the assessment is editable, as copied at
	// submission since. Nil when the edition has no such indicators.
	CountryAnswers Answers
	CountryBy      string // who last saved the country answers, while they are inherited live
}

// CountryScoped reports whether an indicator's answer is the country's,
// shown read-only in the assessment.
func (v *View) CountryScoped(id string) bool {
	ind, _, ok := v.Edition.Indicator(id)
	return ok && ind.CountryScoped()
}

// Indicator returns an indicator of the assessment's edition, or nil.
func (v *View) Indicator(id string) *frameworks.Indicator {
	ind, _, _ := v.Edition.Indicator(id)
	return ind
}

// DimensionOf returns the id of the dimension an indicator belongs to.
func (v *View) DimensionOf(id string) string {
	_, ref, ok := v.Edition.Indicator(id)
	if !ok {
		return ""
	}
	return v.Edition.Dimensions[ref.Dimension].ID
}

// FirstOpen is the first dimension with an unanswered indicator, or the
// first dimension: where "continue" leads.
func (v *View) FirstOpen() string {
	for _, d := range v.Result.Dimensions {
		if d.Answered < d.Applicable {
			return d.ID
		}
	}
	return v.Edition.Dimensions[0].ID
}

// Percent is the completeness in whole percent, rounded down so that an
// assessment shows 100 only when it is complete.
func (v *View) Percent() int { return int(v.Result.Completeness * 100) }

// View reads an assessment the actor may see, with everything shown with
// it, in one read-only transaction. Others' assessments are ErrNotFound,
// as if they did not exist.
func (s *Store) View(ctx context.Context, by Actor, id uint) (_ *View, err error) {
	defer wrap(&err, "read assessment %d", id)
	var v *View
	err = s.read(ctx, func(tx *gorm.DB) error {
		var err error
		v, err = s.readView(tx, by, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// readView reads the view of an assessment in tx. The writes call it at
// the end of their transaction, so that what they return is exactly what
// a read right after them sees.
func (s *Store) readView(tx *gorm.DB, by Actor, id uint) (*View, error) {
	return s.readViewOf(tx, by, id, nil)
}

// readViewOf is readView completing what the caller knows already: an
// approval has the assessment's service, edition, answers and result (nil:
// read them all). The assessment row itself is read again, as stored.
func (s *Store) readViewOf(tx *gorm.DB, by Actor, id uint, known *View) (*View, error) {
	v := known
	if v != nil {
		a, err := selectVisible(tx, by, id, false, "", nil)
		if err != nil {
			return nil, err
		}
		a.Service = v.Assessment.Service
		v.Assessment = a
	} else {
		a, err := selectVisible(tx, by, id, false, "", nil)
		if err != nil {
			return nil, err
		}
		svc, err := readService(tx, a.ServiceID)
		if err != nil {
			return nil, err
		}
		a.Service = *svc
		v = &View{Assessment: a}
		if v.Edition, err = s.Edition(a); err != nil {
			return nil, err
		}
		if v.Answers, err = loadAnswers(tx, a.ID); err != nil {
			return nil, err
		}
	}
	a := v.Assessment
	v.Comments = map[string]ReviewComment{}
	if err := s.inheritInto(tx, v); err != nil {
		return nil, err
	}
	if known == nil {
		v.Result = Score(v.Edition, v.Answers)
	}
	org, err := readOrganisation(tx, a.OrganisationID)
	if err != nil {
		return nil, err
	}
	v.Organisation = org
	v.Country, _ = s.countries.Country(a.Country)
	if v.History, err = readHistory(tx, a.ID); err != nil {
		return nil, err
	}
	// The comments shown are those of the last return, which the history
	// already names; an assessment never returned has none to read.
	var lastReturn uint
	for _, t := range v.History {
		if t.To == StatusReturned && t.ID > lastReturn {
			lastReturn = t.ID
		}
	}
	if lastReturn != 0 {
		var rcs []ReviewComment
		if err := tx.Where("transition_id = ?", lastReturn).Find(&rcs).Error; err != nil {
			return nil, err
		}
		for _, rc := range rcs {
			v.Comments[rc.IndicatorID] = rc
		}
	}
	// Only approval issues a card. Its signed bytes are served by the
	// card's own routes, so they are left out here.
	if a.Status == StatusApproved {
		var cards []CardRecord
		if err := tx.Omit("Data").Where("assessment_id = ?", a.ID).Limit(1).Find(&cards).Error; err != nil {
			return nil, err
		}
		if len(cards) > 0 {
			v.Card = &cards[0]
		}
	}
	return v, nil
}

// readHistory reads an assessment's transitions, oldest first, each with
// its actor's id, name and email (what the pages and the API show). A
// fixed statement with a join rather than GORM's Preload, which cost a
// tenth of every creation's and submission's CPU.
func readHistory(tx *gorm.DB, id uint) ([]Transition, error) {
	rows, err := querySQL(tx, `SELECT t.id, t."from", t."to", t.actor_id, t.comment, t.at, u.name, u.email `+
		`FROM transitions t LEFT JOIN users u ON u.id = t.actor_id WHERE t.assessment_id = ? ORDER BY t.at, t.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Transition
	for rows.Next() {
		t := Transition{AssessmentID: id}
		var name, email sql.NullString
		if err := rows.Scan(&t.ID, &t.From, &t.To, &t.ActorID, &t.Comment, &t.At, &name, &email); err != nil {
			return nil, err
		}
		t.Actor = User{ID: t.ActorID, Name: name.String, Email: email.String}
		out = append(out, t)
	}
	return out, rows.Err()
}

// read runs fn in one read-only transaction, so that its queries see one
// snapshot of the database. PostgreSQL gets REPEATABLE READ, since READ
// COMMITTED takes a new snapshot per statement. SQLite's transactions
// here all begin IMMEDIATE (see Open), which would take the database's
// one write lock for a read; a deferred BEGIN on one connection reads a
// WAL snapshot and blocks no writer.
func (s *Store) read(ctx context.Context, fn func(tx *gorm.DB) error) error {
	db := s.db.WithContext(ctx)
	if db.Dialector.Name() != "sqlite" {
		return db.Transaction(fn, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	}
	return db.Connection(func(tx *gorm.DB) (err error) {
		tx = tx.Session(&gorm.Session{NewDB: true}) // a fresh statement per query, as s.db gives
		if err := tx.Exec("BEGIN DEFERRED").Error; err != nil {
			return err
		}
		defer func() {
			// The connection goes back to the pool, so the transaction
			// must end even when ctx is done; a connection where it could
			// not end is closed instead of reused.
			if rerr := tx.WithContext(context.WithoutCancel(ctx)).Exec("ROLLBACK").Error; rerr != nil {
				if conn, ok := tx.Statement.ConnPool.(*sql.Conn); ok {
					conn.Raw(func(any) error { return driver.ErrBadConn })
				}
				err = errors.Join(err, rerr)
			}
		}()
		return fn(tx)
	})
}
