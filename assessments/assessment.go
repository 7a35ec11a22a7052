package assessments

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/unescap/dmf/frameworks"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Period limits: an assessment is of a year the service existed in.
const (
	MinPeriod = 2000
	MaxPeriod = 2100
)

// NewAssessment is what it takes to start an assessment.
type NewAssessment struct {
	ServiceID   uint
	NewService  *Service // instead of ServiceID: the service by name, registered if new
	FrameworkID string
	Version     string // empty: the newest version
	Period      int
}

// CreateAssessment starts a draft assessment of one of the respondent's
// services. The edition it uses becomes immutable.
func (s *Store) CreateAssessment(ctx context.Context, by Actor, na NewAssessment) (_ *Assessment, err error) {
	defer wrap(&err, "create assessment")
	if !by.CanAssess() {
		return nil, ErrForbidden
	}
	v := invalid{}
	var svc *Service
	switch {
	case na.NewService != nil:
		// Everything is checked before anything is written, so a refused
		// request registers no service either.
		svc, err = s.ServiceByName(ctx, by, na.NewService.Name)
		if errors.Is(err, ErrNotFound) {
			svc = &Service{OrganisationID: by.OrganisationID, Name: strings.TrimSpace(na.NewService.Name), Category: na.NewService.Category,
				LifeEvent: na.NewService.LifeEvent, URL: strings.TrimSpace(na.NewService.URL)}
			if verr := validateService(*svc); verr != nil {
				var ve *ValidationError
				errors.As(verr, &ve)
				for f, m := range ve.Fields {
					v.addMessage("service."+f, m)
				}
			}
		} else if err != nil {
			return nil, err
		} else if svc.RetiredAt != nil {
			v.add("service.name", "this service is retired: it keeps its assessments and cards but gets no new ones")
		}
	default:
		svc, err = s.Service(ctx, by, na.ServiceID)
		if errors.Is(err, ErrNotFound) {
			v.add("service", "no such service in your organisation")
		} else if err != nil {
			return nil, err
		} else if svc.RetiredAt != nil {
			v.add("service", "this service is retired: it keeps its assessments and cards but gets no new ones")
		}
	}
	ed, ok := s.editions.Edition(na.FrameworkID, na.Version)
	if !ok {
		v.add("framework", "no framework edition %q %s", na.FrameworkID, na.Version)
	}
	if na.Period < MinPeriod || na.Period > MaxPeriod {
		v.add("period", "must be a year between %d and %d", MinPeriod, MaxPeriod)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	org, err := s.Organisation(ctx, svc.OrganisationID)
	if err != nil {
		return nil, err
	}
	a := &Assessment{
		OrganisationID: svc.OrganisationID, Country: org.Country,
		FrameworkID: ed.ID, FrameworkVersion: ed.Version, Period: na.Period,
		Status: StatusDraft, Version: 1, CreatedByID: by.UserID,
	}
	// Fixed statements (see execSQL), as a save's: a respondent starts an
	// assessment for every service, and this holds SQLite's write lock.
	err = s.write(ctx, func(tx *gorm.DB) error {
		now := s.now()
		if svc.ID == 0 {
			svc.CreatedAt, svc.UpdatedAt = now, now
			err := queryOne(tx, "INSERT INTO services (organisation_id, name, category, life_event, url, description, created_at, updated_at) "+
				"VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
				[]any{svc.OrganisationID, svc.Name, svc.Category, svc.LifeEvent, svc.URL, svc.Description, svc.CreatedAt, svc.UpdatedAt}, &svc.ID)
			if err := translated(tx, err); err != nil {
				if errors.Is(err, gorm.ErrDuplicatedKey) {
					return fieldError("service.name", "your organisation already has a service with this name")
				}
				return err
			}
			if err := s.audit(tx, &by, "service.created", "service", svc.ID, nil, svc); err != nil {
				return err
			}
		}
		a.ServiceID, a.CreatedAt, a.UpdatedAt = svc.ID, now, now
		err := queryOne(tx, "INSERT INTO assessments (service_id, organisation_id, country, framework_id, framework_version, period, status, version, created_by_id, created_at, updated_at) "+
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
			[]any{a.ServiceID, a.OrganisationID, a.Country, a.FrameworkID, a.FrameworkVersion, a.Period, a.Status, a.Version, a.CreatedByID, a.CreatedAt, a.UpdatedAt}, &a.ID)
		if err := translated(tx, err); err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return fmt.Errorf("%w: this service already has an assessment for %d with this framework", ErrDuplicate, na.Period)
			}
			return err
		}
		if err := s.lockEdition(tx, ed); err != nil {
			return err
		}
		if err := insertTransition(tx, &Transition{AssessmentID: a.ID, From: "", To: StatusDraft, ActorID: by.UserID, At: now}); err != nil {
			return err
		}
		return s.audit(tx, &by, "assessment.created", "assessment", a.ID, nil, a)
	})
	if err != nil {
		return nil, err
	}
	a.Service = *svc
	return a, nil
}

// Assessment returns an assessment the actor may see, with its service.
// Respondents see only their organisation's; to everyone else the others
// do not exist.
func (s *Store) Assessment(ctx context.Context, by Actor, id uint) (_ *Assessment, err error) {
	defer wrap(&err, "read assessment %d", id)
	var a Assessment
	err = visibleTo(s.db.WithContext(ctx), by, "assessments.organisation_id").Joins("Service").First(&a, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &a, err
}

// Visible returns ErrNotFound unless the actor may see the assessment: the
// access check of the routes that change one, without a read once the
// assessment's organisation is known (see owners; the change itself reads
// and checks the assessment again, locked).
func (s *Store) Visible(ctx context.Context, by Actor, id uint) (err error) {
	defer wrap(&err, "read assessment %d", id)
	org, ok := s.owners.get(id)
	if !ok {
		var orgs []uint
		if err := s.db.WithContext(ctx).Table("assessments").Where("id = ?", id).Limit(1).Pluck("organisation_id", &orgs).Error; err != nil {
			return err
		}
		if len(orgs) == 0 {
			return ErrNotFound
		}
		org = orgs[0]
		s.owners.put(id, org)
	}
	if by.SeesAllOrganisations() || (by.CanAssess() && by.OrganisationID == org) {
		return nil
	}
	return ErrNotFound
}

// Edition returns the edition an assessment uses.
func (s *Store) Edition(a *Assessment) (*frameworks.Edition, error) {
	ed, ok := s.editions.Edition(a.FrameworkID, a.FrameworkVersion)
	if !ok {
		return nil, fmt.Errorf("assessment %d: edition %s@%s is not loaded", a.ID, a.FrameworkID, a.FrameworkVersion)
	}
	return ed, nil
}

// Filter narrows a list of assessments. Zero values match everything.
type Filter struct {
	Status           Status
	Period           int
	FrameworkID      string
	FrameworkVersion string
	ServiceID        uint
	Country          string
	Countries        []string
	Limit            int
}

// Assessments lists the assessments the actor may see, newest first.
func (s *Store) Assessments(ctx context.Context, by Actor, f Filter) (_ []Assessment, err error) {
	defer wrap(&err, "list assessments")
	q := f.apply(visibleTo(s.db.WithContext(ctx), by, "organisation_id").Preload("Service"), "")
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 500
	}
	var out []Assessment
	err = q.Order("updated_at DESC, id DESC").Limit(f.Limit).Find(&out).Error
	return out, err
}

// apply narrows q to f; prefix qualifies the columns in a join.
func (f Filter) apply(q *gorm.DB, prefix string) *gorm.DB {
	if f.Status != "" {
		q = q.Where(prefix+"status = ?", f.Status)
	}
	if f.Period != 0 {
		q = q.Where(prefix+"period = ?", f.Period)
	}
	if f.FrameworkID != "" {
		q = q.Where(prefix+"framework_id = ?", f.FrameworkID)
	}
	if f.FrameworkVersion != "" {
		q = q.Where(prefix+"framework_version = ?", f.FrameworkVersion)
	}
	if f.ServiceID != 0 {
		q = q.Where(prefix+"service_id = ?", f.ServiceID)
	}
	if f.Country != "" {
		q = q.Where(prefix+"country = ?", f.Country)
	}
	if len(f.Countries) > 0 {
		q = q.Where(prefix+"country IN ?", f.Countries)
	}
	return q
}

// Answers returns an assessment's saved answers.
func (s *Store) Answers(ctx context.Context, a *Assessment) (_ Answers, err error) {
	defer wrap(&err, "read answers of assessment %d", a.ID)
	return loadAnswers(s.db.WithContext(ctx), a.ID)
}

// loadAnswers reads and decodes the answers of an assessment.
func loadAnswers(tx *gorm.DB, id uint) (Answers, error) {
	data, err := loadAnswerData(tx, id)
	if err != nil {
		return nil, err
	}
	return data.decode(id)
}

// answerData is an assessment's answers as stored (JSON), by indicator.
// Every save reads them all inside the batch writer's turn, so they are
// read as bytes, without GORM's reflection, and decoded after the commit.
type answerData map[string][]byte

func loadAnswerData(tx *gorm.DB, id uint) (answerData, error) {
	rows, err := tx.Raw("SELECT indicator_id, data FROM answers WHERE assessment_id = ?", id).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := answerData{}
	for rows.Next() {
		var ind string
		var data []byte
		if err := rows.Scan(&ind, &data); err != nil {
			return nil, err
		}
		out[ind] = data
	}
	return out, rows.Err()
}

// decode decodes the answers of assessment id.
func (d answerData) decode(id uint) (Answers, error) {
	out := make(Answers, len(d))
	for ind, data := range d {
		var a Answer
		if err := json.Unmarshal(data, &a); err != nil {
			return nil, fmt.Errorf("answer %s of assessment %d: %w", ind, id, err)
		}
		out[ind] = a
	}
	return out, nil
}

// editable loads an assessment for a change by its organisation, locked
// in tx, with the version of the country answers it inherits (0: none),
// read in the same statement. A save answers with those answers: read on
// their own, after the commit, the version cost a reader connection's
// turn as dear as the locked row's.
func (s *Store) editable(tx *gorm.DB, by Actor, id uint) (*Assessment, int, error) {
	country := 0
	a, err := selectVisible(tx, by, id, true, countryVersionOfRow, &country)
	if err != nil {
		return nil, 0, err
	}
	if err := mayEdit(by, a); err != nil {
		return nil, 0, err
	}
	return a, country, nil
}

// countryVersionOfRow is the version of the country answers set an
// assessment's row inherits from (0: none), as a column of its select.
const countryVersionOfRow = "(SELECT COALESCE(MAX(c.version), 0) FROM country_answer_sets c WHERE c.country = assessments.country " +
	"AND c.framework_id = assessments.framework_id AND c.framework_version = assessments.framework_version AND c.period = assessments.period)"

// lockVisible loads an assessment the actor may see, in tx, for a change.
//
// A fixed statement scanned by hand rather than GORM's First: every save
// runs it in the batch writer's turn, where GORM's reflection cost more
// than the read.
func lockVisible(tx *gorm.DB, by Actor, id uint) (*Assessment, error) {
	return selectVisible(tx, by, id, true, "", nil)
}

// selectVisible reads an assessment the actor may see, locked for a
// change if lock (on PostgreSQL; SQLite's writer holds its one lock).
// With column set, that expression over the row is read into dest too.
func selectVisible(tx *gorm.DB, by Actor, id uint, lock bool, column string, dest any) (*Assessment, error) {
	var a Assessment
	var created, updated sql.NullTime
	into := []any{&a.ID, &a.ServiceID, &a.OrganisationID, &a.Country, &a.FrameworkID, &a.FrameworkVersion, &a.Period,
		&a.Status, &a.Version, &a.Score, &a.Level, &a.CreatedByID, &a.SubmittedAt, &a.ApprovedAt, &created, &updated}
	q := selectAssessment
	if column != "" {
		q, into = selectColumns+", "+column+" FROM assessments", append(into, dest)
	}
	q, args := q+" WHERE id = ?", []any{id}
	switch {
	case by.SeesAllOrganisations():
	case by.CanAssess():
		q, args = q+" AND organisation_id = ?", append(args, by.OrganisationID)
	default:
		return nil, ErrNotFound
	}
	if lock && tx.Dialector.Name() == "postgres" {
		q += " FOR UPDATE"
	}
	if err := queryOne(tx, q, args, into...); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = created.Time, updated.Time
	return &a, nil
}

// selectAssessment reads every column of an Assessment, in selectVisible's order.
const (
	selectColumns = "SELECT id, service_id, organisation_id, country, framework_id, framework_version, period, " +
		"status, version, score, level, created_by_id, submitted_at, approved_at, created_at, updated_at"
	selectAssessment = selectColumns + " FROM assessments"
)

// mayEdit says why the actor may not change a visible assessment's
// answers now, if they may not.
func mayEdit(by Actor, a *Assessment) error {
	if !by.CanAssess() {
		return fmt.Errorf("%w: only the organisation's respondents change its answers", ErrForbidden)
	}
	if !a.Status.Editable() {
		return fmt.Errorf("%w: it is %s", ErrReadOnly, a.Status)
	}
	return nil
}

// SaveAnswers merges answers into a draft or returned assessment: each
// indicator sent replaces that indicator's whole answer, an empty answer
// clears it, the others stay. With base set, the save is refused with a
// *ConflictError if anyone saved since that version. Invalid answers are
// refused with a *ValidationError and nothing is changed.
//
// It answers every autosave, so it returns a light View: the assessment
// (without its service), its edition, all its answers after the save and
// their scores. It reads no history, comments, organisation or card;
// Store.View has those.
func (s *Store) SaveAnswers(ctx context.Context, by Actor, id uint, base *int, answers Answers) (_ *View, err error) {
	defer wrap(&err, "save answers of assessment %d", id)
	clean := normaliseAll(answers)
	v := &View{}
	var saved answerData
	var before Answers // decoded, as of the version the save was based on, if cached
	var country int    // the version of the country answers it inherits
	// The save is checked and written in one turn of the batch writer (see
	// batch.go), its checks first, and answered only once committed.
	err = s.saves.do(ctx, id, func(tx *gorm.DB) error {
		a, cv, err := s.editable(tx, by, id)
		if err != nil {
			return err
		}
		v.Assessment, country = a, cv
		v.Edition, saved, before, err = s.saveAnswers(tx, by, a, base, clean)
		return err
	})
	if err != nil {
		return nil, err
	}
	after, err := decodeAfter(id, saved, before, clean)
	if err != nil {
		return nil, err
	}
	s.answers.put(id, v.Assessment.Version, savedAnswers{saved, after}, maxAnswersEntries)
	// Taken from the cache (or read) and scored after the commit, to keep
	// the writer's turn short, at the country set's version the save's
	// transaction saw. The light view has no CountryBy. The view's answers
	// are a new map (Inherit makes one): the cached map stays as it is.
	if len(v.Edition.CountryIndicators()) > 0 {
		if v.CountryAnswers, err = s.countryAnswersAt(s.db.WithContext(ctx), v.Assessment.countryKey(), country); err != nil {
			return nil, err
		}
		v.Answers = Inherit(v.Edition, after, v.CountryAnswers)
	} else {
		v.Answers = maps.Clone(after)
	}
	v.Result = Score(v.Edition, v.Answers)
	return v, nil
}

// countryKey is the country answers an assessment inherits while editable.
func (a *Assessment) countryKey() CountryKey {
	return CountryKey{a.Country, a.FrameworkID, a.FrameworkVersion, a.Period}
}

func normaliseAll(answers Answers) Answers {
	clean := make(Answers, len(answers))
	for k, ans := range answers {
		clean[k] = ans.normalise()
	}
	return clean
}

// saveAnswers merges normalised answers into an editable assessment
// locked in tx, and returns its edition, all its answers after the save
// as stored, and, if cached, those before it decoded (else nil).
func (s *Store) saveAnswers(tx *gorm.DB, by Actor, a *Assessment, base *int, clean Answers) (*frameworks.Edition, answerData, Answers, error) {
	ed, err := s.Edition(a)
	if err != nil {
		return nil, nil, nil, err
	}
	v := invalid{}
	refuseCountryScoped(ed, clean, v)
	if err := ValidateAnswers(ed, clean); err != nil {
		var ve *ValidationError
		errors.As(err, &ve)
		for f, m := range ve.Fields {
			v.addMessage(f, m)
		}
	}
	if err := v.err(); err != nil {
		return nil, nil, nil, err
	}
	if base != nil && *base != a.Version {
		return nil, nil, nil, s.conflict(tx, a, *base)
	}
	cached, ok := s.answers.get(a.ID, a.Version)
	all := maps.Clone(cached.data) // the cached map stays as it was
	if !ok {
		var err error
		if all, err = loadAnswerData(tx, a.ID); err != nil {
			return nil, nil, nil, err
		}
	}
	old := answerData{}
	for ind := range clean {
		if data, ok := all[ind]; ok {
			old[ind] = data
		}
	}
	replaced, err := old.decode(a.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	a.Version++
	now := s.now()
	a.UpdatedAt = now
	var cleared []string
	for ind, ans := range clean {
		if ans.Empty() {
			cleared = append(cleared, ind)
			delete(all, ind)
			continue
		}
		data, err := json.Marshal(ans)
		if err != nil {
			return nil, nil, nil, err
		}
		all[ind] = data
		// One fixed statement per answer, prepared once, rather than
		// GORM building a multi-row upsert for each save: a save is
		// usually one answer, and this runs in the batch writer's turn.
		if err := execSQL(tx, upsertAnswer, a.ID, ind, data, a.Version, by.UserID, now); err != nil {
			return nil, nil, nil, err
		}
	}
	if len(cleared) > 0 {
		if err := tx.Where("assessment_id = ? AND indicator_id IN ?", a.ID, cleared).Delete(&answerRecord{}).Error; err != nil {
			return nil, nil, nil, err
		}
		// A cleared answer leaves no row to carry its version, so the
		// clearing is marked for a later conflict to name it.
		marks := make([]clearedAnswer, len(cleared))
		for i, ind := range cleared {
			marks[i] = clearedAnswer{AssessmentID: a.ID, IndicatorID: ind, Version: a.Version}
		}
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&marks).Error; err != nil {
			return nil, nil, nil, err
		}
	}
	if err := execSQL(tx, "UPDATE assessments SET version = ?, updated_at = ? WHERE id = ?", a.Version, now, a.ID); err != nil {
		return nil, nil, nil, err
	}
	if err := s.audit(tx, &by, "answers.saved", "assessment", a.ID, replaced, clean); err != nil {
		return nil, nil, nil, err
	}
	return ed, all, cached.decoded, nil
}

// upsertAnswer stores one answer (SQLite and PostgreSQL alike).
const upsertAnswer = "INSERT INTO answers (assessment_id, indicator_id, data, version, updated_by_id, updated_at) VALUES (?, ?, ?, ?, ?, ?) " +
	"ON CONFLICT (assessment_id, indicator_id) DO UPDATE SET data = excluded.data, version = excluded.version, " +
	"updated_by_id = excluded.updated_by_id, updated_at = excluded.updated_at"

// conflict builds the error for a stale save: which indicators others
// saved or cleared since base.
func (s *Store) conflict(tx *gorm.DB, a *Assessment, base int) error {
	var changed []string
	err := tx.Raw("SELECT indicator_id FROM answers WHERE assessment_id = ? AND version > ? "+
		"UNION SELECT indicator_id FROM cleared_answers WHERE assessment_id = ? AND version > ? ORDER BY indicator_id",
		a.ID, base, a.ID, base).Scan(&changed).Error
	if err != nil {
		return err
	}
	return &ConflictError{Current: a.Version, Changed: changed}
}

// Submit sends a complete assessment for review. Its scores are computed
// and stored now, so that lists and comparisons read them directly. It
// returns the submitted assessment's view.
func (s *Store) Submit(ctx context.Context, by Actor, id uint) (_ *View, err error) {
	defer wrap(&err, "submit assessment %d", id)
	// A submission queues with the answer saves (see batch.go): it shares
	// their commit, and its checks all come before its writes.
	err = s.saves.do(ctx, id, func(tx *gorm.DB) error {
		a, cv, err := s.editable(tx, by, id)
		if err != nil {
			return err
		}
		ed, err := s.Edition(a)
		if err != nil {
			return err
		}
		answers, err := loadAnswers(tx, a.ID)
		if err != nil {
			return err
		}
		var country Answers
		if len(ed.CountryIndicators()) > 0 {
			if country, err = s.countryAnswersAt(tx, a.countryKey(), cv); err != nil {
				return err
			}
		}
		if country != nil {
			answers = Inherit(ed, answers, country)
		}
		res := Score(ed, answers)
		if !res.Complete() {
			ie := &IncompleteError{Missing: res.Missing}
			for _, id := range res.Missing {
				if ind, _, _ := ed.Indicator(id); ind.CountryScoped() {
					ie.Country = append(ie.Country, id)
				}
			}
			return ie
		}
		if country != nil {
			if err := s.snapshotCountryAnswers(tx, by, a, ed, country); err != nil {
				return err
			}
		}
		if err := s.storeScores(tx, a, res, false); err != nil {
			return err
		}
		from := a.Status
		now := s.now()
		a.Status, a.SubmittedAt = StatusSubmitted, &now
		if err := tx.Model(a).Select("status", "submitted_at", "score", "level", "updated_at").Updates(a).Error; err != nil {
			return err
		}
		if err := insertTransition(tx, &Transition{AssessmentID: a.ID, From: from, To: StatusSubmitted, ActorID: by.UserID, At: now}); err != nil {
			return err
		}
		if err := s.audit(tx, &by, "assessment.submitted", "assessment", a.ID, map[string]any{"status": from}, map[string]any{"status": a.Status, "score": a.Score, "level": a.Level}); err != nil {
			return err
		}
		return s.notifyAssessment(tx, a, nil, NoticeSubmitted, "")
	})
	if err != nil {
		return nil, err
	}
	// Read once committed, outside the writer's turn.
	return s.readView(s.db.WithContext(ctx), by, id)
}

// storeScores writes the overall and per-dimension scores of a result;
// approved marks the rows that comparisons count.
func (s *Store) storeScores(tx *gorm.DB, a *Assessment, res Result, approved bool) error {
	if err := execSQL(tx, "DELETE FROM dimension_scores WHERE assessment_id = ?", a.ID); err != nil {
		return err
	}
	var rows []dimensionScore
	for _, d := range res.Dimensions {
		if d.Value.Scored {
			rows = append(rows, dimensionScore{
				AssessmentID: a.ID, DimensionID: d.ID, Score: d.Value.Score, Level: d.Value.Level,
				FrameworkID: a.FrameworkID, FrameworkVersion: a.FrameworkVersion, Period: a.Period, Country: a.Country, Approved: approved,
			})
		}
	}
	err := insertRows(tx, "dimension_scores", []string{"assessment_id", "dimension_id", "framework_id", "framework_version", "period", "approved", "country", "score", "level"},
		len(rows), func(i int) []any {
			r := &rows[i]
			return []any{r.AssessmentID, r.DimensionID, r.FrameworkID, r.FrameworkVersion, r.Period, r.Approved, r.Country, r.Score, r.Level}
		}, "")
	if err != nil {
		return err
	}
	a.Score, a.Level = nil, nil
	if res.Overall.Scored {
		score, level := res.Overall.Score, res.Overall.Level
		a.Score, a.Level = &score, &level
	}
	return nil
}

// Previous returns the same service's most recent submitted or approved
// assessment of an earlier period with the same framework, for showing
// change; ErrNotFound if there is none.
func (s *Store) Previous(ctx context.Context, by Actor, a *Assessment) (_ *Assessment, err error) {
	defer wrap(&err, "read the assessment before %d", a.ID)
	var prev Assessment
	err = visibleTo(s.db.WithContext(ctx), by, "organisation_id").
		Where("service_id = ? AND framework_id = ? AND period < ? AND status IN ?", a.ServiceID, a.FrameworkID, a.Period, []Status{StatusSubmitted, StatusApproved}).
		Order("period DESC").First(&prev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &prev, err
}

// lockEdition marks an edition used, inside the transaction that uses it.
func (s *Store) lockEdition(tx *gorm.DB, ed *frameworks.Edition) error {
	now := s.now()
	return execSQL(tx, "UPDATE editions SET locked_at = ?, updated_at = ? WHERE framework_id = ? AND version = ? AND locked_at IS NULL",
		now, now, ed.ID, ed.Version)
}

// StoredScores returns the dimension scores stored at an assessment's
// submission or approval, by dimension id.
func (s *Store) StoredScores(ctx context.Context, a *Assessment) (_ map[string]float64, err error) {
	defer wrap(&err, "read stored scores of assessment %d", a.ID)
	var rows []dimensionScore
	if err := s.db.WithContext(ctx).Where("assessment_id = ?", a.ID).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(rows))
	for _, r := range rows {
		out[r.DimensionID] = r.Score
	}
	return out, nil
}
