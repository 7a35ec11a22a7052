// Package assessments is the domain of the application: framework editions
// in use, and (as the product grows) organisations, services, assessments,
// answers, scoring, review and comparison. Store is its one persistence
// type, over GORM; Score is its pure scoring engine.
//
// Nothing here knows about HTTP.
package assessments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/unescap/dmf/frameworks"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// Store persists the domain. It is safe for concurrent use.
type Store struct {
	db        *gorm.DB
	now       func() time.Time
	countries *Countries
	editions  *frameworks.Catalog // set by SyncEditions
	issuer    *Issuer             // set by UseIssuer; nil issues no cards
}

// IsPostgres reports whether a database setting is a PostgreSQL URL.
func IsPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// Open connects to a SQLite file, or to PostgreSQL for a postgres:// URL,
// and brings the schema up to date.
//
// Every SQLite connection gets the same pragmas through the DSN, because
// SQLite applies them per connection and the pool opens several: WAL so
// readers never block the writer, synchronous=FULL so an acknowledged
// commit survives power loss, foreign keys on (SQLite defaults to off), a
// busy timeout instead of immediate "database is locked" errors, and
// IMMEDIATE transactions so that a read-then-write transaction takes the
// write lock up front instead of failing halfway. On PostgreSQL the same
// guarantees come from row locks (forUpdate) and an advisory lock for the
// transparency log.
func Open(ctx context.Context, database string, log *slog.Logger) (*Store, error) {
	var dial gorm.Dialector
	if IsPostgres(database) {
		dial = postgres.Open(database)
	} else {
		q := url.Values{}
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "FULL")
		q.Set("_foreign_keys", "on")
		q.Set("_busy_timeout", "10000")
		q.Set("_txlock", "immediate")
		dial = sqlite.Open("file:" + database + "?" + q.Encode())
	}
	db, err := gorm.Open(dial, &gorm.Config{
		Logger:         logger.NewSlogLogger(log, logger.Config{SlowThreshold: 200 * time.Millisecond, LogLevel: logger.Warn, IgnoreRecordNotFoundError: true}),
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	countries, err := LoadCountries()
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, now: func() time.Time { return time.Now().UTC() }, countries: countries}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// migrate creates and extends tables. AutoMigrate only adds, never drops;
// the first rename or backfill will need an ordered list of steps instead.
func (s *Store) migrate(ctx context.Context) error {
	if err := s.db.WithContext(ctx).AutoMigrate(
		&editionRecord{}, &Organisation{}, &User{}, &session{}, &APIToken{}, &loginAttempt{},
		&Service{}, &Assessment{}, &answerRecord{}, &dimensionScore{}, &countryAggregate{}, &Transition{}, &ReviewComment{}, &AuditEvent{},
		&CardRecord{}, &statusList{}, &tlogHash{}, &tlogCheckpoint{}, &issuerKey{},
	); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	return nil
}

// forUpdate locks the rows a transaction reads on PostgreSQL, so that a
// read-then-write (a version check, a status change) cannot interleave
// with another instance's. SQLite needs nothing: its IMMEDIATE
// transactions already hold the database's only write lock.
func forUpdate(tx *gorm.DB) *gorm.DB {
	if tx.Dialector.Name() == "postgres" {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// Countries returns the ESCAP member and associate member list.
func (s *Store) Countries() *Countries { return s.countries }

// Editions returns the catalog of editions the instance knows.
func (s *Store) Editions() *frameworks.Catalog { return s.editions }

// Close releases the database.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers, for health checks.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Backup writes a consistent copy of the database to path while others
// keep writing: SQLite's VACUUM INTO reads one snapshot and writes a
// compact, self-contained file. The file must not exist yet.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.db.Dialector.Name() != "sqlite" {
		return errors.New("backup: this command copies SQLite databases; use pg_dump for PostgreSQL")
	}
	if err := s.db.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}
