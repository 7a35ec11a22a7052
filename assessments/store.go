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
	"runtime"
	"strings"
	"sync/atomic"
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
	hashing   chan struct{}       // a slot per CPU for Argon2id (see argon)
	writing   chan struct{}       // SQLite's one writer, taken in-process (see write)
	checks    atomic.Int64        // Argon2id password verifications, for metrics and tests
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
		// GORM's own slog adapter renders every statement's SQL before
		// deciding not to log it; the plain logger renders only what it
		// logs. Parameterized keeps values (hashes, token ids) out of logs.
		Logger: logger.New(gormLog{log}, logger.Config{
			SlowThreshold: 200 * time.Millisecond, LogLevel: logger.Warn, IgnoreRecordNotFoundError: true, ParameterizedQueries: true,
		}),
		// Statements are prepared once per connection and reused: preparing
		// was a tenth of the CPU of an answer save.
		// Bounded, because a statement with an IN list is a new text for
		// each list length.
		PrepareStmt:        true,
		PrepareStmtMaxSize: 512,
		TranslateError:     true,
		NowFunc:            func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// database/sql keeps only two idle connections by default; under load
	// the rest are closed and reopened, losing their prepared statements
	// and (on SQLite) repeating the pragmas. Keep a fixed pool instead:
	// more concurrent queries than this only queue for the same CPUs.
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	pool := max(8, 4*runtime.NumCPU())
	sqlDB.SetMaxOpenConns(pool)
	sqlDB.SetMaxIdleConns(pool)
	countries, err := LoadCountries()
	if err != nil {
		return nil, err
	}
	s := &Store{
		db: db, now: func() time.Time { return time.Now().UTC() }, countries: countries,
		hashing: make(chan struct{}, runtime.NumCPU()), writing: make(chan struct{}, 1),
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// gormLog passes GORM's slow-query and error lines to the app's logger.
type gormLog struct{ log *slog.Logger }

func (g gormLog) Printf(format string, args ...any) {
	g.log.Warn("database", "detail", fmt.Sprintf(format, args...))
}

// migrate creates and extends tables. AutoMigrate only adds, never drops;
// the first rename or backfill will need an ordered list of steps instead.
func (s *Store) migrate(ctx context.Context) error {
	if err := s.db.WithContext(ctx).AutoMigrate(
		&editionRecord{}, &Organisation{}, &User{}, &session{}, &APIToken{}, &loginAttempt{},
		&Service{}, &Assessment{}, &answerRecord{}, &dimensionScore{}, &countryAggregate{}, &Transition{}, &ReviewComment{}, &AuditEvent{},
		&CardRecord{}, &statusList{}, &tlogHash{}, &tlogCheckpoint{}, &issuerKey{}, &clearedAnswer{},
	); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	return nil
}

// write runs fn in a transaction. On SQLite, writers queue here first:
// the database takes one writer at a time anyway, and a writer that finds
// it busy is put to sleep by SQLite's busy handler for up to 100 ms per
// retry, so a burst of saves spent most of its time asleep while the lock
// sat free. Waiting on a channel hands the lock over at once, in order.
// PostgreSQL has row locks and needs no queue.
func (s *Store) write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.db.Dialector.Name() == "sqlite" {
		select {
		case s.writing <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-s.writing }()
	}
	return s.db.WithContext(ctx).Transaction(fn)
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
