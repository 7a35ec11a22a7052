package assessments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
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
	editions  *frameworks.Catalog // built-in and stored, set by Open
	issuer    *Issuer             // nil issues no cards
	hashing   chan struct{}       // a slot per CPU for Argon2id (see argon)
	writing   chan struct{}       // SQLite's one writer, taken in-process (see write)
	observer  Observer            // see Options.Observer
	checks    atomic.Int64        // Argon2id password verifications, for metrics and tests
	purged    atomic.Int64        // when this instance last deleted expired sign-in attempts (Unix seconds)
	mail      bool                // see Options.Mail
	secret    []byte              // see Options.Secret
	saves     *batcher            // answer saves, committed in groups (see batch.go)
	approvals *batcher            // reviews, committed in groups under one checkpoint
	auth      authCache           // who recent sessions and tokens are (see authcache.go)
	owners    owners              // which organisation an assessment belongs to (see owners.go)
	answers   answersCache        // recently saved answers as of their version (see savecache.go)
	country   countryCache        // country answers as of their version (see savecache.go)
	verify    verifyCache         // what verification reads (see verifycache.go)
}

// Observer receives what the store's writes did, for metrics, without the
// domain knowing how they are counted. Either func may be nil.
type Observer struct {
	// Event gets the audit action of every committed state change, such as
	// "answers.saved" or "card.issued"; never for a rolled-back one.
	Event func(action string)
	// WriteWait gets how long a write queued for SQLite's one writer.
	WriteWait func(time.Duration)
}

// IsPostgres reports whether a database setting is a PostgreSQL URL.
func IsPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// Options are what Open needs to return a store ready for use.
type Options struct {
	Database string       // a SQLite file, or a postgres:// URL
	Log      *slog.Logger // nil discards
	// Editions are the built-in framework editions. Open records them and
	// adds those stored by earlier releases (see syncEditions).
	Editions *frameworks.Catalog
	// Issuer signs the cards of approved assessments; Open publishes its
	// public keys. Nil: approval issues no card.
	Issuer *Issuer
	// Observer is told what the store's writes did, for metrics.
	Observer Observer
	// Mail: the instance sends mail, so events and password resets write
	// messages to the outbox. Without it notifications are in-app only.
	Mail bool
	// Secret is the instance's key outside the database; the key that
	// seals second-factor secrets (TOTP) is derived from it. Without it
	// TOTP cannot be set up or checked.
	Secret []byte
}

// Open connects to a SQLite file, or to PostgreSQL for a postgres:// URL,
// brings the schema up to date (see migrate), records the built-in
// editions and publishes the issuer's keys, so that the store it returns
// is ready: no step is left for callers to order. SQLite connections get
// their pragmas from sqliteDSN.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Editions == nil {
		return nil, errors.New("open database: no built-in editions given")
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	database := o.Database
	var dial gorm.Dialector
	if IsPostgres(database) {
		dial = postgres.Open(database)
	} else {
		if err := privateFiles(database); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		sqlDB, err := sql.Open(sqlite.DriverName, sqliteDSN(database))
		if err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		dial = &sqlite.Dialector{Conn: newStmtPool(sqlDB)}
	}
	db, err := gorm.Open(dial, &gorm.Config{
		// GORM's own slog adapter renders every statement's SQL before
		// deciding not to log it; the plain logger renders only what it
		// logs. Parameterized keeps values (hashes, token ids) out of logs.
		Logger: logger.New(gormLog{log}, logger.Config{
			SlowThreshold: 200 * time.Millisecond, LogLevel: logger.Warn, IgnoreRecordNotFoundError: true, ParameterizedQueries: true,
		}),
		// Statements are prepared once per connection and kept: on SQLite
		// by stmtPool, on PostgreSQL by pgx's statement cache. (GORM's
		// PrepareStmt prepared again in every transaction.)
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
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
		return nil, fmt.Errorf("open database: %w", err)
	}
	pool := max(8, 4*runtime.NumCPU())
	sqlDB.SetMaxOpenConns(pool)
	sqlDB.SetMaxIdleConns(pool)
	countries, err := LoadCountries()
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	s := &Store{
		db: db, now: func() time.Time { return time.Now().UTC() }, countries: countries,
		hashing: make(chan struct{}, runtime.NumCPU()), writing: make(chan struct{}, 1),
		issuer: o.Issuer, observer: o.Observer, mail: o.Mail, secret: o.Secret,
	}
	s.saves = newBatcher(s, nil)
	s.approvals = newBatcher(s, s.logBatch)
	if err := s.ready(ctx, log, o.Editions); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// ready migrates, syncs the editions and publishes the issuer's keys.
func (s *Store) ready(ctx context.Context, log *slog.Logger, builtin *frameworks.Catalog) error {
	if err := s.migrate(ctx, log); err != nil {
		return err
	}
	if err := s.syncEditions(ctx, builtin); err != nil {
		return fmt.Errorf("record editions: %w", err)
	}
	if err := s.fillHistograms(ctx); err != nil {
		return fmt.Errorf("count approved scores for the drill-down: %w", err)
	}
	if s.issuer != nil {
		if err := s.publishKeys(ctx); err != nil {
			return fmt.Errorf("publish issuer keys: %w", err)
		}
	}
	return nil
}

// sqliteDSN names the SQLite file with the pragmas every connection gets.
// They go in the DSN because SQLite applies them per connection and the
// pool opens several: WAL so
// readers never block the writer, synchronous=FULL so an acknowledged
// commit survives power loss, foreign keys on (SQLite defaults to off), a
// busy timeout instead of immediate "database is locked" errors, and
// IMMEDIATE transactions so that a read-then-write transaction takes the
// write lock up front instead of failing halfway. On PostgreSQL the same
// guarantees come from row locks (forUpdate) and an advisory lock for the
// transparency log.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// gormLog passes GORM's slow-query and error lines to the app's logger.
type gormLog struct{ log *slog.Logger }

func (g gormLog) Printf(format string, args ...any) {
	g.log.Warn("database", "detail", fmt.Sprintf(format, args...))
}

// write runs fn in a transaction. On SQLite, writers queue here first:
// the database takes one writer at a time anyway, and a writer that finds
// it busy is put to sleep by SQLite's busy handler for up to 100 ms per
// retry, so a burst of saves spent most of its time asleep while the lock
// sat free. Waiting on a channel hands the lock over at once, in order.
// PostgreSQL has row locks and needs no queue.
//
// The audit actions of the transaction are collected as it runs and
// reported to the observer only once it has committed.
func (s *Store) write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.db.Dialector.Name() == "sqlite" {
		start := time.Now()
		select {
		case s.writing <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-s.writing }()
		if s.observer.WriteWait != nil {
			s.observer.WriteWait(time.Since(start))
		}
	}
	var actions []string
	ctx = context.WithValue(ctx, auditActionsKey{}, &actions)
	if err := s.db.WithContext(ctx).Transaction(fn); err != nil {
		return err
	}
	if s.observer.Event != nil {
		for _, a := range actions {
			s.observer.Event(a)
		}
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
	s.saves.close()
	s.approvals.close()
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("close database: %w", err)
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

// Backup writes a consistent copy of the SQLite database to path while
// others keep writing: SQLite's VACUUM INTO reads one snapshot and writes
// a compact, self-contained file. The file must not exist yet. It does
// not go through Open: a backup taken by a newer binary before an upgrade
// must be of the database as it was, not migrated.
func Backup(ctx context.Context, database, path string) (err error) {
	defer wrap(&err, "back up %s to %s", database, path)
	if IsPostgres(database) {
		return errors.New("this command copies SQLite databases; use pg_dump for PostgreSQL")
	}
	if _, err := os.Stat(database); err != nil {
		return err
	}
	if err := privateFiles(database); err != nil {
		return err
	}
	// The copy holds what the database does, so it is created here, empty
	// and 0600, for VACUUM INTO to fill (SQLite would make it 0644). An
	// existing file is refused (os.ErrExist), never overwritten.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	db, err := sql.Open("sqlite3", sqliteDSN(database))
	if err != nil {
		os.Remove(path)
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// privateFiles makes a SQLite database and its WAL readable by the owner
// only, as the signing keys are: it holds password hashes and every
// organisation's answers. SQLite gives the WAL and shared-memory files the
// database file's mode, so creating that 0600 covers new files; those of
// an older release are tightened.
func privateFiles(database string) error {
	if strings.HasPrefix(database, "file:") || database == ":memory:" {
		return nil
	}
	f, err := os.OpenFile(database, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{database, database + "-wal", database + "-shm", database + "-journal"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
