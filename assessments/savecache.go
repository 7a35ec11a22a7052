package assessments

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"

	"gorm.io/gorm"
)

// What an autosave reuses from the saves before it.

// answersCache keeps each recently saved assessment's answers, as stored
// and decoded, with the version they are at. A save answers with all the
// assessment's answers: reading them back took a third of the writer's
// turn, and decoding them all again a tenth of a save's CPU. The
// version is what makes an entry true: every save of an assessment's own
// answers raises it, on whichever instance, so an entry of the version
// just locked is what the database holds. (The copies of country answers
// made at submission do not raise it; they are of country-scoped
// indicators, which a save may not change and whose own answers a save's
// view replaces with the country's: see Inherit.) Entries are never
// changed: a save changes a copy (maps.Clone) and caches that.
type answersCache = versionedCache[uint, savedAnswers]

// savedAnswers are an assessment's answers at one version.
type savedAnswers struct {
	data    answerData // as stored
	decoded Answers
}

// decodeAfter decodes the answers a save left (data). When the answers
// before it are known (before, else nil), only those it wrote (clean)
// are decoded; the others are as they were, since the save was based on
// that version.
func decodeAfter(id uint, data answerData, before, clean Answers) (Answers, error) {
	if before == nil {
		return data.decode(id)
	}
	out := maps.Clone(before)
	for ind := range clean {
		raw, ok := data[ind]
		if !ok { // cleared
			delete(out, ind)
			continue
		}
		var a Answer
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, fmt.Errorf("answer %s of assessment %d: %w", ind, id, err)
		}
		out[ind] = a
	}
	return out, nil
}

// countryCache keeps the country answers that editable assessments
// inherit, by country, edition and period, with the version of the set
// they were read at. Every autosave answers with scores that include
// them, and reading them took three queries, a tenth of the server's CPU
// under load; they change when a coordinator saves, rarely. A save reads
// the set's version in its own transaction, with the assessment's row
// (editable), so the answers it returns are those its transaction saw,
// on whichever instance the coordinator saved.
type countryCache = versionedCache[CountryKey, Answers]

// versionedCache keeps values with the version they were read or written
// at; a value is used only for the version asked for.
type versionedCache[K comparable, V any] struct {
	mu      sync.Mutex
	entries map[K]versioned[V]
}

type versioned[V any] struct {
	version int
	value   V
}

// Bounds on the entries: the assessments being answered now (a few
// kilobytes each), and one per country, edition and period in use.
const (
	maxAnswersEntries = 2048
	maxCountryEntries = 4096
)

// get returns the value of k at version, if cached.
func (c *versionedCache[K, V]) get(k K, version int) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || e.version != version {
		var zero V
		return zero, false
	}
	return e.value, true
}

// put caches the value of k at version, unless a later version is cached
// (two saves of one batch may be cached in either order); when the cache
// holds max entries it starts again.
func (c *versionedCache[K, V]) put(k K, version int, v V, max int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= max {
		c.entries = map[K]versioned[V]{}
	}
	if e, ok := c.entries[k]; ok && e.version > version {
		return
	}
	c.entries[k] = versioned[V]{version: version, value: v}
}

// countryVersion is the version of the country answers set k (0: none).
// A fixed statement (see execSQL): every autosave runs it.
func countryVersion(tx *gorm.DB, k CountryKey) (int, error) {
	version := 0
	err := queryOne(tx, "SELECT version FROM country_answer_sets WHERE country = ? AND framework_id = ? AND framework_version = ? AND period = ?",
		[]any{k.Country, k.FrameworkID, k.Version, k.Period}, &version)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	return version, err
}

// countryAnswers returns the country answers of set k as they are now.
func (s *Store) countryAnswers(tx *gorm.DB, k CountryKey) (Answers, error) {
	version, err := countryVersion(tx, k)
	if err != nil {
		return nil, err
	}
	return s.countryAnswersAt(tx, k, version)
}

// countryAnswersAt returns the country answers of set k at version, read
// in tx or a transaction before it: from the cache if it holds that
// version, else read in tx (and then cached), as recent or more.
func (s *Store) countryAnswersAt(tx *gorm.DB, k CountryKey, version int) (Answers, error) {
	if answers, ok := s.country.get(k, version); ok {
		return answers, nil
	}
	answers, set, err := loadCountryAnswers(tx, k)
	if err != nil {
		return nil, err
	}
	read := 0
	if set != nil {
		read = set.Version
	}
	s.country.put(k, read, answers, maxCountryEntries)
	return answers, nil
}
