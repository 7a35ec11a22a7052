package assessments_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// testDatabases maps a SQLite path to the database a test uses: the file
// itself, or, when the suite runs on PostgreSQL (suitePostgres), a fresh
// PostgreSQL database per path, so that the same tests run against both.
var testDatabases = map[string]string{}

// suitePostgres is the admin URL of the PostgreSQL server the suite runs
// on, or "" for SQLite. DMF_TEST_POSTGRES names the server;
// DMF_TEST_DATABASE=sqlite keeps the suite on SQLite while the tests that
// are PostgreSQL's alone still use that server, as in CI's first pass.
func suitePostgres(t testing.TB) string {
	t.Helper()
	switch db := os.Getenv("DMF_TEST_DATABASE"); db {
	case "sqlite":
		return ""
	case "", "postgres":
	default:
		t.Fatalf("DMF_TEST_DATABASE=%q: use sqlite or postgres", db)
	}
	admin := os.Getenv("DMF_TEST_POSTGRES")
	if admin == "" && os.Getenv("DMF_TEST_DATABASE") == "postgres" {
		t.Fatal("DMF_TEST_DATABASE=postgres needs DMF_TEST_POSTGRES, an admin URL such as postgres://user:password@127.0.0.1:5432/postgres")
	}
	return admin
}

func testDatabase(t testing.TB, path string) string {
	t.Helper()
	admin := suitePostgres(t)
	if admin == "" {
		return path
	}
	if url, ok := testDatabases[path]; ok {
		return url
	}
	url, drop, err := assessments.CreatePostgresDatabase(context.Background(), admin, "dmf_test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { drop(context.Background()); delete(testDatabases, path) })
	testDatabases[path] = url
	return url
}

// mustOpen opens a store with the built-in editions on a fresh SQLite
// file (plain :memory: would give each pooled connection its own empty
// database), or PostgreSQL database. A nil issuer issues no cards.
func mustOpen(t testing.TB, path string, is *assessments.Issuer) *assessments.Store {
	t.Helper()
	builtin, _, _ := frameworksEmbedded(t)
	s, err := openWith(t, path, builtin, is)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openWith opens a store on the database of path with the given built-in
// editions, closed when the test ends.
func openWith(t testing.TB, path string, builtin *frameworks.Catalog, is *assessments.Issuer) (*assessments.Store, error) {
	t.Helper()
	s, err := assessments.Open(context.Background(), assessments.Options{
		Database: testDatabase(t, path), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Editions: builtin, Issuer: is,
		Secret: []byte("a test key of 32 bytes, not kept"),
	})
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

func parseEdition(t *testing.T, src string) *frameworks.Edition {
	t.Helper()
	ed, err := frameworks.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return ed
}

// TestEditionsAreImmutableOnceUsed: an unused edition may be corrected in
// place; a used one may not, and the store refuses to open with it; an
// edition dropped from the binary stays available from the database. Each
// Open stands for a start of a newer binary.
func TestEditionsAreImmutableOnceUsed(t *testing.T) {
	ctx := context.Background()
	raw, err := os.ReadFile("../frameworks/testdata/all-types.yaml")
	if err != nil {
		t.Fatal(err)
	}
	v1 := parseEdition(t, string(raw))
	v1fixed := parseEdition(t, strings.Replace(string(raw), "Is there an API?", "Is there a public API?", 1))
	path := filepath.Join(t.TempDir(), "dmf.db")

	cat, _ := frameworks.NewCatalog(v1)
	if _, err := openWith(t, path, cat, nil); err != nil {
		t.Fatal(err)
	}
	fixed, _ := frameworks.NewCatalog(v1fixed)
	s, err := openWith(t, path, fixed, nil)
	if err != nil {
		t.Fatalf("correcting an unused edition: %v", err)
	}
	if err := s.LockEdition(ctx, v1fixed); err != nil {
		t.Fatal(err)
	}
	if _, err := openWith(t, path, cat, nil); !errors.Is(err, assessments.ErrEditionChanged) || !strings.Contains(err.Error(), "new version") {
		t.Fatalf("changing a used edition: %v", err)
	}

	// A newer binary ships only 0.2.0; 0.1.0 is still known, from the database.
	v2 := parseEdition(t, strings.Replace(string(raw), "version: 0.1.0", "version: 0.2.0", 1))
	only2, _ := frameworks.NewCatalog(v2)
	s2, err := openWith(t, path, only2, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := s2.Editions()
	old, ok := got.Edition(v1.ID, "0.1.0")
	if !ok || old.Digest != v1fixed.Digest {
		t.Fatalf("stored edition: %v %v", ok, old)
	}
	if latest, _ := got.Edition(v1.ID, ""); latest.Version != "0.2.0" {
		t.Errorf("latest = %s", latest.Version)
	}
	if ind, _, ok := old.Indicator("A.3"); !ok || ind.Question["en"] != "Is there a public API?" {
		t.Errorf("stored edition content: %+v", ind)
	}
}
