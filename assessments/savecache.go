package assessments

import (
	"database/sql"
	"errors"
	"maps"
	"sync"

	"gorm.io/gorm"
)

// What an autosave reuses from the saves before it.

// answersCache keeps each recently saved assessment's answers as stored,
// with the version they are at. A save answers with all the assessment's
// answers, and reading them back took a third of the writer's turn. The
// version is what makes an entry true: every save of an assessment's own
// answers raises it, on whichever instance, so an entry of the version
// just locked is what the database holds. (The copies of country answers
// made at submission do not raise it; they are of country-scoped
// indicators, which a save may not change and whose own answers a save's
// view replaces with the country's: see Inherit.)
type answersCache struct {
	mu      sync.Mutex
	entries map[uint]answersEntry // by assessment
}

type answersEntry struct {
	version int
	data    answerData // never changed once cached: get copies the map
}

// maxAnswersEntries bounds the cache to the assessments being answered
// now (a few kilobytes each).
const maxAnswersEntries = 2048

// get returns a copy of an assessment's answers at version, if cached.
func (c *answersCache) get(id uint, version int) (answerData, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || e.version != version {
		return nil, false
	}
	return maps.Clone(e.data), true
}

// put caches an assessment's answers at version, once committed.
func (c *answersCache) put(id uint, version int, data answerData) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxAnswersEntries {
		c.entries = map[uint]answersEntry{}
	}
	if e, ok := c.entries[id]; ok && e.version > version {
		return // a later save of the same batch was cached first
	}
	c.entries[id] = answersEntry{version: version, data: data}
}

// countryCache keeps the country answers that editable assessments
// inherit, by country, edition and period, with the version of the set
// they were read at. Every autosave answers with scores that include
// them, and reading them took three queries, a tenth of the server's CPU
// under load; they change when a coordinator saves, rarely. A save reads
// the set's version once it has committed (countryVersion, one point
// read), so the answers it returns are never older than the save, on
// whichever instance the coordinator saved.
type countryCache struct {
	mu      sync.Mutex
	entries map[CountryKey]countryEntry
}

type countryEntry struct {
	version int
	answers Answers // never changed once cached: readers share it
}

// maxCountryEntries bounds the cache: one entry per country, edition and
// period in use.
const maxCountryEntries = 4096

func (c *countryCache) get(k CountryKey, version int) (Answers, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || e.version != version {
		return nil, false
	}
	return e.answers, true
}

func (c *countryCache) put(k CountryKey, version int, answers Answers) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCountryEntries {
		c.entries = map[CountryKey]countryEntry{}
	}
	c.entries[k] = countryEntry{version: version, answers: answers}
}

// countryVersion is the version of the country answers set k (0: none).
func countryVersion(tx *gorm.DB, k CountryKey) (int, error) {
	var version int
	err := tx.Raw("SELECT version FROM country_answer_sets WHERE country = ? AND framework_id = ? AND framework_version = ? AND period = ?",
		k.Country, k.FrameworkID, k.Version, k.Period).Row().Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return version, err
}

// countryAnswers returns the country answers of set k at version, from
// the cache or read (and then cached).
func (s *Store) countryAnswers(tx *gorm.DB, k CountryKey, version int) (Answers, error) {
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
	s.country.put(k, read, answers)
	return answers, nil
}
