package assessments

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/unescap/dmf/frameworks"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Country answers: an edition's scope: country indicators (the national
// e-ID, the data-exchange platform, the e-signature law) are answered once
// per country, edition and period by the country's coordinator, and every
// service assessment of that country, edition and period inherits them.
// While an assessment is editable it shows and is scored with the current
// country answers; submission copies them into the assessment's answers,
// so that what was submitted, reviewed, approved and carded stays as it
// was when the coordinator later changes an answer.

// CountryKey names one country's answers: country, edition and period.
type CountryKey struct {
	Country     string
	FrameworkID string
	Version     string
	Period      int
}

// CountryView is the country answers of one country, edition and period,
// as the coordinator's page and the API show them.
type CountryView struct {
	Key       CountryKey
	Edition   *frameworks.Edition
	Country   *Country
	Answers   Answers    // only scope: country indicators
	Version   int        // 0 until the first save
	UpdatedBy string     // the name of who saved last; "" before the first save
	UpdatedAt *time.Time // of the last save
	Missing   []string   // visible country indicators without an answer, in edition order
}

// CountrySet is one saved set of country answers, for the coordinator's
// list.
type CountrySet struct {
	FrameworkID      string
	FrameworkVersion string
	Period           int
	Version          int
	UpdatedAt        time.Time
}

// Inherit returns the answers a service assessment is scored with: its own
// answers to service indicators and the country's answers to scope:
// country indicators. It is pure, so that Score stays pure and a property
// test can compare both ways of getting there.
func Inherit(ed *frameworks.Edition, own, country Answers) Answers {
	out := make(Answers, len(own)+len(country))
	for id, a := range own {
		if ind, _, ok := ed.Indicator(id); ok && ind.CountryScoped() {
			continue
		}
		out[id] = a
	}
	for _, ind := range ed.CountryIndicators() {
		if a, ok := country[ind.ID]; ok {
			out[ind.ID] = a
		}
	}
	return out
}

// countryEdition resolves the edition of a country key and checks it.
func (s *Store) countryEdition(k *CountryKey) (*frameworks.Edition, error) {
	v := invalid{}
	k.Country = strings.ToUpper(strings.TrimSpace(k.Country))
	if _, ok := s.countries.Country(k.Country); !ok {
		v.add("country", "%q is not the ISO 3166-1 alpha-3 code of an ESCAP member or associate member", k.Country)
	}
	ed, ok := s.editions.Edition(k.FrameworkID, k.Version)
	switch {
	case !ok:
		v.add("framework", "no framework edition %q %s", k.FrameworkID, k.Version)
	case len(ed.CountryIndicators()) == 0:
		v.add("framework", "edition %s has no indicators answered for the whole country", ed.Key())
	}
	if k.Period < MinPeriod || k.Period > MaxPeriod {
		v.add("period", "must be a year between %d and %d", MinPeriod, MaxPeriod)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	k.FrameworkID, k.Version = ed.ID, ed.Version
	return ed, nil
}

// CountryAnswers returns the country answers of a country, edition and
// period, to its coordinator, its respondents, reviewers and admins.
func (s *Store) CountryAnswers(ctx context.Context, by Actor, k CountryKey) (_ *CountryView, err error) {
	defer wrap(&err, "read country answers of %s", k.Country)
	// Who may read is decided first: others learn nothing, not even
	// whether the edition asked for has country indicators.
	if !by.SeesCountryAnswers(strings.ToUpper(strings.TrimSpace(k.Country))) {
		return nil, ErrNotFound
	}
	ed, err := s.countryEdition(&k)
	if err != nil {
		return nil, err
	}
	var cv *CountryView
	err = s.read(ctx, func(tx *gorm.DB) error {
		cv, err = s.countryView(tx, ed, k)
		return err
	})
	return cv, err
}

func (s *Store) countryView(tx *gorm.DB, ed *frameworks.Edition, k CountryKey) (*CountryView, error) {
	cv := &CountryView{Key: k, Edition: ed}
	cv.Country, _ = s.countries.Country(k.Country)
	var err error
	var set *countryAnswerSet
	if cv.Answers, set, err = loadCountryAnswers(tx, k); err != nil {
		return nil, err
	}
	if set != nil {
		cv.Version, cv.UpdatedAt = set.Version, &set.UpdatedAt
		var u User
		if err := tx.Select("name").First(&u, set.UpdatedByID).Error; err == nil {
			cv.UpdatedBy = u.Name
		}
	}
	cv.Missing = countryMissing(ed, cv.Answers)
	return cv, nil
}

// countryMissing lists the visible scored country indicators without an
// answer.
func countryMissing(ed *frameworks.Edition, answers Answers) []string {
	var out []string
	for _, ind := range ed.CountryIndicators() {
		if !ind.Scored() || !Visible(ed, ind, answers) {
			continue
		}
		a, has := answers[ind.ID]
		if has && a.NA && ind.NotApplicable {
			continue
		}
		if _, ok := IndicatorScore(ind, a); !has || !ok {
			out = append(out, ind.ID)
		}
	}
	return out
}

func loadCountryAnswers(tx *gorm.DB, k CountryKey) (Answers, *countryAnswerSet, error) {
	var sets []countryAnswerSet
	if err := tx.Where("country = ? AND framework_id = ? AND framework_version = ? AND period = ?", k.Country, k.FrameworkID, k.Version, k.Period).
		Limit(1).Find(&sets).Error; err != nil {
		return nil, nil, err
	}
	out := Answers{}
	if len(sets) == 0 {
		return out, nil, nil
	}
	var recs []countryAnswerRecord
	if err := tx.Where("country = ? AND framework_id = ? AND framework_version = ? AND period = ?", k.Country, k.FrameworkID, k.Version, k.Period).
		Find(&recs).Error; err != nil {
		return nil, nil, err
	}
	for _, r := range recs {
		var a Answer
		if err := json.Unmarshal(r.Data, &a); err != nil {
			return nil, nil, fmt.Errorf("country answer %s of %s: %w", r.IndicatorID, k.Country, err)
		}
		out[r.IndicatorID] = a
	}
	return out, &sets[0], nil
}

// SaveCountryAnswers merges answers into the country answers of the
// coordinator's country, as SaveAnswers does for an assessment: each
// indicator sent replaces its whole answer, an empty answer clears it,
// and with base set the save is refused with a *ConflictError if anyone
// saved since that version. Only scope: country indicators are accepted.
func (s *Store) SaveCountryAnswers(ctx context.Context, by Actor, k CountryKey, base *int, answers Answers) (_ *CountryView, err error) {
	defer wrap(&err, "save country answers of %s", k.Country)
	if !by.CanAnswerCountry(strings.ToUpper(strings.TrimSpace(k.Country))) {
		return nil, fmt.Errorf("%w: only the country's coordinator answers its country indicators", ErrForbidden)
	}
	ed, err := s.countryEdition(&k)
	if err != nil {
		return nil, err
	}
	clean := normaliseAll(answers)
	v := invalid{}
	for id := range clean {
		if ind, _, ok := ed.Indicator(id); ok && !ind.CountryScoped() {
			v.add("answers."+id, "answered per service, in each service's assessment")
		}
	}
	if err := ValidateAnswers(ed, clean); err != nil {
		var ve *ValidationError
		errors.As(err, &ve)
		for f, m := range ve.Fields {
			v.addMessage(f, m)
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	var cv *CountryView
	err = s.write(ctx, func(tx *gorm.DB) error {
		where := []any{"country = ? AND framework_id = ? AND framework_version = ? AND period = ?", k.Country, k.FrameworkID, k.Version, k.Period}
		now := s.now()
		// The set's row exists before it is locked, so that two first saves
		// on PostgreSQL queue on it like any later ones (a missing row
		// locks nothing); it commits only with a save.
		set := countryAnswerSet{Country: k.Country, FrameworkID: k.FrameworkID, FrameworkVersion: k.Version, Period: k.Period, UpdatedByID: by.UserID, UpdatedAt: now}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&set).Error; err != nil {
			return err
		}
		if err := forUpdate(tx).Where(where[0], where[1:]...).First(&set).Error; err != nil {
			return err
		}
		if base != nil && *base != set.Version {
			var changed []string
			if err := tx.Model(&countryAnswerRecord{}).Where(where[0], where[1:]...).Where("version > ?", *base).
				Order("indicator_id").Pluck("indicator_id", &changed).Error; err != nil {
				return err
			}
			return &ConflictError{Current: set.Version, Changed: changed}
		}
		old, _, err := loadCountryAnswers(tx, k)
		if err != nil {
			return err
		}
		before := Answers{}
		for id := range clean {
			if a, ok := old[id]; ok {
				before[id] = a
			}
		}
		set.Version++
		set.UpdatedByID, set.UpdatedAt = by.UserID, now
		if err := tx.Model(&countryAnswerSet{}).Where(where[0], where[1:]...).
			Updates(map[string]any{"version": set.Version, "updated_by_id": set.UpdatedByID, "updated_at": now}).Error; err != nil {
			return err
		}
		var upserts []countryAnswerRecord
		var cleared []string
		for id, a := range clean {
			if a.Empty() {
				cleared = append(cleared, id)
				continue
			}
			data, err := json.Marshal(a)
			if err != nil {
				return err
			}
			upserts = append(upserts, countryAnswerRecord{Country: k.Country, FrameworkID: k.FrameworkID, FrameworkVersion: k.Version, Period: k.Period,
				IndicatorID: id, Data: data, Version: set.Version, UpdatedByID: by.UserID, UpdatedAt: now})
		}
		if len(upserts) > 0 {
			if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&upserts).Error; err != nil {
				return err
			}
		}
		if len(cleared) > 0 {
			if err := tx.Where(where[0], where[1:]...).Where("indicator_id IN ?", cleared).Delete(&countryAnswerRecord{}).Error; err != nil {
				return err
			}
		}
		target := fmt.Sprintf("%s/%s@%s/%d", k.Country, k.FrameworkID, k.Version, k.Period)
		if err := s.audit(tx, &by, "country_answers.saved", "country", target, before, clean); err != nil {
			return err
		}
		cv, err = s.countryView(tx, ed, k)
		return err
	})
	if err != nil {
		return nil, err
	}
	return cv, nil
}

// CountrySets lists the saved country answers of a country, newest period
// first.
func (s *Store) CountrySets(ctx context.Context, by Actor, country string) (_ []CountrySet, err error) {
	defer wrap(&err, "list country answers of %s", country)
	if !by.SeesCountryAnswers(country) {
		return nil, ErrNotFound
	}
	var sets []countryAnswerSet
	if err := s.db.WithContext(ctx).Where("country = ?", country).Order("period DESC, framework_id, framework_version DESC").Find(&sets).Error; err != nil {
		return nil, err
	}
	out := make([]CountrySet, len(sets))
	for i, st := range sets {
		out[i] = CountrySet{st.FrameworkID, st.FrameworkVersion, st.Period, st.Version, st.UpdatedAt}
	}
	return out, nil
}

// inherited returns the country answers an assessment of ed inherits
// now, or nil when the edition has no country indicators. They come from
// the cache when it holds the set's version read in tx (see
// countryAnswers): the caller must not change them.
func (s *Store) inherited(tx *gorm.DB, a *Assessment, ed *frameworks.Edition) (Answers, error) {
	if len(ed.CountryIndicators()) == 0 {
		return nil, nil
	}
	return s.countryAnswers(tx, a.countryKey())
}

// countryScopedOf is the scope: country subset of answers.
func countryScopedOf(ed *frameworks.Edition, answers Answers) Answers {
	out := Answers{}
	for _, ind := range ed.CountryIndicators() {
		if a, ok := answers[ind.ID]; ok {
			out[ind.ID] = a
		}
	}
	return out
}

// refuseCountryScoped names each answer to a scope: country indicator in a
// service save: the coordinator answers those for the whole country.
func refuseCountryScoped(ed *frameworks.Edition, answers Answers, v invalid) {
	for id := range answers {
		if ind, _, ok := ed.Indicator(id); ok && ind.CountryScoped() {
			v.add("answers."+id, "answered for the whole country by the coordinator")
		}
	}
}

// snapshotCountryAnswers copies the inherited answers into the
// assessment's own answers at submission, replacing earlier copies, so
// that a submitted or approved assessment no longer follows the country.
func (s *Store) snapshotCountryAnswers(tx *gorm.DB, by Actor, a *Assessment, ed *frameworks.Edition, country Answers) error {
	ids := make([]string, 0)
	for _, ind := range ed.CountryIndicators() {
		ids = append(ids, ind.ID)
	}
	if len(ids) == 0 {
		return nil
	}
	// Fixed statements (see execSQL): a submission runs in the saves'
	// batch writer's turn.
	args := []any{a.ID}
	for _, id := range ids {
		args = append(args, id)
	}
	if err := execSQL(tx, "DELETE FROM answers WHERE assessment_id = ? AND indicator_id IN "+inList(len(ids)), args...); err != nil {
		return err
	}
	var rows []answerRecord
	now := s.now()
	for _, id := range ids {
		ans, ok := country[id]
		if !ok {
			continue
		}
		data, err := json.Marshal(ans)
		if err != nil {
			return err
		}
		rows = append(rows, answerRecord{AssessmentID: a.ID, IndicatorID: id, Data: data, Version: a.Version, UpdatedByID: by.UserID, UpdatedAt: now})
	}
	return insertRows(tx, "answers", []string{"assessment_id", "indicator_id", "data", "version", "updated_by_id", "updated_at"}, len(rows),
		func(i int) []any {
			r := &rows[i]
			return []any{r.AssessmentID, r.IndicatorID, r.Data, r.Version, r.UpdatedByID, r.UpdatedAt}
		}, "")
}

// inheritInto gives a view of an assessment its country answers: the
// current ones while it is editable, the copies made at submission since.
func (s *Store) inheritInto(tx *gorm.DB, v *View) error {
	ed, a := v.Edition, v.Assessment
	if len(ed.CountryIndicators()) == 0 {
		return nil
	}
	if !a.Status.Editable() {
		v.CountryAnswers = countryScopedOf(ed, v.Answers)
		return nil
	}
	// The set's version and who answered it last in one fixed statement,
	// then the answers as a save's (cached under that version): every
	// creation, submission and page of a draft reads them.
	k := a.countryKey()
	version := 0 // no set yet
	var by sql.NullString
	err := queryOne(tx, "SELECT s.version, u.name FROM country_answer_sets s LEFT JOIN users u ON u.id = s.updated_by_id "+
		"WHERE s.country = ? AND s.framework_id = ? AND s.framework_version = ? AND s.period = ?",
		[]any{k.Country, k.FrameworkID, k.Version, k.Period}, &version, &by)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	country, err := s.countryAnswersAt(tx, k, version)
	if err != nil {
		return err
	}
	v.CountryAnswers, v.CountryBy = country, by.String
	v.Answers = Inherit(ed, v.Answers, country)
	return nil
}
