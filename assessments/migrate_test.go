package assessments

import (
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/unescap/dmf/frameworks"
	"gorm.io/gorm"
)

// models are the types the store persists: the ones AutoMigrate was given
// until release 28e81e5. A new one goes here, with its migration.
func models() []any {
	return []any{
		&editionRecord{}, &Organisation{}, &User{}, &session{}, &APIToken{}, &loginAttempt{},
		&Service{}, &Assessment{}, &answerRecord{}, &dimensionScore{}, &countryAggregate{}, &Transition{}, &ReviewComment{}, &AuditEvent{},
		&CardRecord{}, &statusList{}, &tlogHash{}, &tlogCheckpoint{}, &issuerKey{},
		&clearedAnswer{}, // 00002
		// 00003 adds services.retired_at to Service.
		&Notification{}, &OutboxMail{}, &passwordReset{}, // 00004
		&keptForm{}, // 00005
		// 00008
		&countryAnswerSet{}, &countryAnswerRecord{},
		&authGeneration{}, // 00009
		&Identity{},       // 00013
		// 00014 adds sessions.pending and users.second_factor_at.
		&totpFactor{}, &recoveryCode{}, &Passkey{}, &passkeyChallenge{},
		// 00010
		&Peer{}, &witnessedLog{}, &WitnessEvidence{}, &logCosignature{}, &WitnessPush{},
		&PeerCard{}, &peerSync{}, // 00011
		// 00012
		&PlanItem{}, &Practice{}, &scoreHistogram{},
		// 00015 adds practices.peer_* and the index ux_practice_peer.
	}
}

// TestMigrationsMatchModels: the schema the migrations make has every
// table, column and index of the GORM models, with the types AutoMigrate
// would give them, on SQLite and (with DMF_TEST_POSTGRES) PostgreSQL. A
// model changed without a migration fails here.
func TestMigrationsMatchModels(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		checkSchema(t, filepath.Join(dir, "migrated.db"), filepath.Join(dir, "automigrated.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		admin := os.Getenv("DMF_TEST_POSTGRES")
		if admin == "" {
			skipWithoutPostgres(t)
		}
		checkSchema(t, freshPostgres(t, admin), freshPostgres(t, admin))
	})
}

// skipWithoutPostgres fails a test that is PostgreSQL's alone in CI, or
// skips it saying how to run it.
func skipWithoutPostgres(t *testing.T) {
	t.Helper()
	if os.Getenv("DMF_CI") != "" {
		t.Fatal("DMF_TEST_POSTGRES is not set; .ci/run starts PostgreSQL and sets it")
	}
	t.Skip("DMF_TEST_POSTGRES is not set: set it to a PostgreSQL admin URL, such as postgres://user:password@127.0.0.1:5432/postgres, to run this test")
}

func freshPostgres(t *testing.T, admin string) string {
	t.Helper()
	url, drop, err := CreatePostgresDatabase(context.Background(), admin, "dmf_schema")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { drop(context.Background()) })
	return url
}

// checkSchema migrates the database migrated with Open and the database
// reference with GORM's AutoMigrate, and compares them model by model.
func checkSchema(t *testing.T, migrated, reference string) {
	ctx := context.Background()
	builtin, _, err := frameworks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, Options{Database: migrated, Editions: builtin})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ref, err := Open(ctx, Options{Database: reference, Editions: builtin})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	auto := ref.db.WithContext(ctx)
	// The reference starts from the migrated schema too; dropping it lets
	// AutoMigrate make every table from the models alone.
	for _, m := range models() {
		if err := auto.Migrator().DropTable(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := auto.AutoMigrate(models()...); err != nil {
		t.Fatal(err)
	}

	db := s.db.WithContext(ctx)
	for _, m := range models() {
		st := &gorm.Statement{DB: db}
		if err := st.Parse(m); err != nil {
			t.Fatal(err)
		}
		table := st.Schema.Table
		if !db.Migrator().HasTable(m) {
			t.Errorf("no table %s: add a migration for %T", table, m)
			continue
		}
		got := columnTypes(t, db, m)
		want := columnTypes(t, auto, m)
		for _, f := range st.Schema.Fields {
			if f.DBName == "" {
				continue
			}
			if !db.Migrator().HasColumn(m, f.DBName) {
				t.Errorf("%s has no column %s (%T.%s): add a migration", table, f.DBName, m, f.Name)
				continue
			}
			if got[f.DBName] != want[f.DBName] {
				t.Errorf("%s.%s is %s; AutoMigrate would make it %s: add a migration", table, f.DBName, got[f.DBName], want[f.DBName])
			}
		}
		for _, idx := range st.Schema.ParseIndexes() {
			if !db.Migrator().HasIndex(m, idx.Name) {
				t.Errorf("%s has no index %s: add a migration", table, idx.Name)
			}
		}
	}
}

// columnTypes describes a table's columns by name: type and nullability.
func columnTypes(t *testing.T, db *gorm.DB, model any) map[string]string {
	t.Helper()
	cols, err := db.Migrator().ColumnTypes(model)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range cols {
		desc := c.DatabaseTypeName()
		if n, ok := c.Length(); ok && n > 0 && n < 1<<16 { // text reports a huge length
			desc += "(" + strconv.FormatInt(n, 10) + ")"
		}
		if null, ok := c.Nullable(); ok && !null {
			desc += " not null"
		}
		out[c.Name()] = desc
	}
	return out
}

// TestInstancesStartingTogetherMigrateOnce: several instances opening one
// fresh PostgreSQL database at the same moment all start, and the
// migrations ran once (the advisory lock made the others wait).
func TestInstancesStartingTogetherMigrateOnce(t *testing.T) {
	admin := os.Getenv("DMF_TEST_POSTGRES")
	if admin == "" {
		skipWithoutPostgres(t)
	}
	ctx := context.Background()
	url := freshPostgres(t, admin)
	builtin, _, err := frameworks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	stores := make(chan *Store, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			s, err := Open(ctx, Options{Database: url, Editions: builtin})
			stores <- s
			errs <- err
		}()
	}
	for range n {
		if s := <-stores; s != nil {
			defer s.Close()
		}
		if err := <-errs; err != nil {
			t.Errorf("an instance did not start: %v", err)
		}
	}
	s, err := Open(ctx, Options{Database: url, Editions: builtin})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var versions []int64
	if err := s.db.Raw("SELECT version_id FROM goose_db_version ORDER BY id").Scan(&versions).Error; err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(migrationFiles, "migrations/postgres/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{0} // goose's own first row
	for _, f := range files {
		// Numbers come from the file names: branches in parallel take
		// numbers apart, so a branch may have gaps until they merge.
		n, err := strconv.ParseInt(strings.SplitN(path.Base(f), "_", 2)[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, n)
	}
	if !slices.Equal(versions, want) {
		t.Errorf("recorded versions %v, want %v: each migration once", versions, want)
	}
}
