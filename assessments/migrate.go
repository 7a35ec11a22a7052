package assessments

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/gorm"
)

// migrationFiles are the numbered schema changes, one set per database:
// migrations/sqlite/NNNNN_name.sql and migrations/postgres/NNNNN_name.sql.
//
//go:embed migrations
var migrationFiles embed.FS

// migrationLockID names the PostgreSQL advisory lock held while the
// schema changes, so that of several instances starting at once on one
// database one migrates and the others wait, then find nothing to do.
const migrationLockID = 0x646d666d6967 // "dmfmig"

// migrate runs the migrations the database has not had yet, in order, each
// in its own transaction, and records them in goose's version table. On
// PostgreSQL they run under a session advisory lock; on SQLite the process
// that opens the file runs them, SQLite taking one writer at a time.
func (s *Store) migrate(ctx context.Context, log *slog.Logger) error {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	opts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		// goose logs "no migrations to run" on every start; the applied
		// ones are logged below.
		goose.WithSlog(slog.New(slog.DiscardHandler)),
	}
	if s.db.Dialector.Name() == "postgres" {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
		// Try every second for up to ten minutes: an instance waits while
		// another runs a long migration, and does not sleep 5 s (goose's
		// default) after a short one.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 600))
		if err != nil {
			return fmt.Errorf("migrate database: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	files, err := fs.Sub(migrationFiles, dir)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	versions, err := database.NewStore(dialect, goose.DefaultTablename)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	baselined, err := s.baseline(ctx, versions)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	if baselined {
		log.Info("recorded the schema of a database made before numbered migrations as migration 1")
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	// Not closed: Provider.Close would close the store's database.
	p, err := goose.NewProvider(dialect, sqlDB, files, opts...)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	for _, r := range results {
		log.Info("migrated database", "migration", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

// baseline records migration 1 as applied, without running it, on a
// database made before numbered migrations. Release 28e81e5 and earlier
// made their schema with GORM's AutoMigrate and have the application's
// tables but no goose version table; migration 1 is exactly that schema,
// so running it would fail on the existing tables, and skipping the
// version table would leave later migrations with nothing to build on.
// Under the migration lock (PostgreSQL) or SQLite's write lock (the
// store's transactions are IMMEDIATE), so that of several instances one
// baselines and the others then find the version table.
func (s *Store) baseline(ctx context.Context, versions database.Store) (bool, error) {
	done := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if tx.Dialector.Name() == "postgres" {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrationLockID).Error; err != nil {
				return err
			}
		}
		m := tx.Migrator()
		if m.HasTable(versions.Tablename()) || !m.HasTable("assessments") {
			return nil // numbered before, or new
		}
		// Migration 1's tables and columns. Only a database with all of
		// them is the schema migration 1 writes out; one made by an
		// older release lacks some, and recording it as migrated would
		// leave them missing for good.
		for _, t := range []struct{ table, columns string }{
			{"editions", "id framework_id version digest content locked_at created_at updated_at"},
			{"organisations", "id name country kind created_at updated_at"},
			{"users", "id email name password_hash role organisation_id must_change_password disabled_at created_at updated_at"},
			{"sessions", "id user_id created_at last_seen_at expires_at"},
			{"api_tokens", "id prefix user_id name created_at expires_at last_used_at revoked_at"},
			{"login_attempts", "id key at"},
			{"services", "id organisation_id name category life_event url description created_at updated_at"},
			{"assessments", "id service_id organisation_id country framework_id framework_version period status version score level created_by_id submitted_at approved_at created_at updated_at"},
			{"answers", "assessment_id indicator_id data version updated_by_id updated_at"},
			{"dimension_scores", "assessment_id dimension_id framework_id framework_version period approved country score level"},
			{"country_aggregates", "framework_id framework_version period country dimension_id n sum min max"},
			{"transitions", "id assessment_id from to actor_id comment at"},
			{"review_comments", "id assessment_id transition_id indicator_id comment author_id at"},
			{"audit_events", "id at actor_id action target_type target_id before after"},
			{"cards", "id assessment_id data leaf_hash status_list status_index log_index issued_at revoked_at revoked_reason revoked_by_id"},
			{"status_lists", "id bits credential updated_at"},
			{"tlog_hashes", "index hash"},
			{"tlog_checkpoints", "size note"},
			{"issuer_keys", "id public_key_multibase created_at"},
		} {
			for _, c := range strings.Fields(t.columns) {
				if !m.HasColumn(t.table, c) {
					return fmt.Errorf("baseline: the database has no column %s.%s: it was made by a release older than 28e81e5; start 28e81e5 on it once, then this one", t.table, c)
				}
			}
		}
		conn := tx.Statement.ConnPool
		if err := versions.CreateVersionTable(ctx, conn); err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		// Version 0 is goose's own "version table created" row.
		for _, v := range []int64{0, 1} {
			if err := versions.Insert(ctx, conn, database.InsertRequest{Version: v}); err != nil {
				return fmt.Errorf("baseline: %w", err)
			}
		}
		done = true
		return nil
	})
	return done, err
}
