package assessments_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to load the dump
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/card"
)

// release is where the databases made by release 28e81e5, the last one
// whose schema AutoMigrate made, are kept (see its README.md).
const release = "testdata/release-28e81e5"

// manifest is what that release reported about its database, through its
// API and from its tables, when the database was made.
type manifest struct {
	Assessments []struct {
		ID               uint               `json:"id"`
		Status           string             `json:"status"`
		Version          int                `json:"version"`
		FrameworkID      string             `json:"framework_id"`
		FrameworkVersion string             `json:"framework_version"`
		Period           int                `json:"period"`
		Country          string             `json:"country"`
		Service          string             `json:"service"`
		Score            *float64           `json:"score"`
		Level            *int               `json:"level"`
		Answers          json.RawMessage    `json:"answers"`
		StoredScores     map[string]float64 `json:"stored_scores"`
		Transitions      []string           `json:"transitions"`
		ReviewComments   []string           `json:"review_comments"`
	} `json:"assessments"`
	Cards []struct {
		ID            string `json:"id"`
		AssessmentID  uint   `json:"assessment_id"`
		LeafHash      string `json:"leaf_hash"`
		LogIndex      int64  `json:"log_index"`
		StatusList    int    `json:"status_list"`
		StatusIndex   int    `json:"status_index"`
		Revoked       bool   `json:"revoked"`
		RevokedReason string `json:"revoked_reason"`
	} `json:"cards"`
	Log struct {
		Origin     string `json:"origin"`
		VKey       string `json:"vkey"`
		Size       int64  `json:"size"`
		Root       string `json:"root"`
		Checkpoint string `json:"checkpoint"`
	} `json:"log"`
	Tokens []struct {
		Prefix  string `json:"prefix"`
		User    string `json:"user"`
		Name    string `json:"name"`
		Revoked bool   `json:"revoked"`
	} `json:"tokens"`
	AuditRows    int            `json:"audit_rows"`
	AuditActions map[string]int `json:"audit_actions"`
	Audit        []struct {
		ID         uint   `json:"id"`
		Action     string `json:"action"`
		TargetType string `json:"target_type"`
		TargetID   string `json:"target_id"`
		ActorID    *uint  `json:"actor_id"`
	} `json:"audit"`
	Users      []string `json:"users"`
	IssuerKeys []string `json:"issuer_keys"`
}

// TestUpgradeFromRelease: a database made by release 28e81e5 (schema by
// AutoMigrate, no migration versions) opens with the current code, which
// records it as migrated instead of migrating it again, and everything the
// release stored is there and still works: assessments with their status,
// answers and scores, cards that verify against the published keys, the
// transparency log, tokens and the audit trail. Then the upgraded instance
// keeps going: a new approval extends the same log.
func TestUpgradeFromRelease(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		db := filepath.Join(dir, "dmf.db")
		copyFile(t, filepath.Join(release, "sqlite", "dmf.db"), db)
		checkUpgrade(t, db, filepath.Join(release, "sqlite"))
	})
	t.Run("postgres", func(t *testing.T) {
		admin := os.Getenv("DMF_TEST_POSTGRES")
		if admin == "" {
			if os.Getenv("DMF_CI") != "" {
				t.Fatal("DMF_TEST_POSTGRES is not set; .ci/run starts PostgreSQL and sets it")
			}
			t.Skip("DMF_TEST_POSTGRES is not set: set it to a PostgreSQL admin URL to run the PostgreSQL upgrade")
		}
		url, drop, err := assessments.CreatePostgresDatabase(context.Background(), admin, "dmf_upgrade")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { drop(context.Background()) })
		restoreDump(t, url, filepath.Join(release, "postgres", "dump.sql"))
		checkUpgrade(t, url, filepath.Join(release, "postgres"))
	})
}

// restoreDump runs a pg_dump --inserts script on the database of url.
func restoreDump(t *testing.T, url, path string) {
	t.Helper()
	script, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Without arguments pgx sends the script as one simple query, which
	// may hold many statements.
	if _, err := db.ExecContext(context.Background(), string(script)); err != nil {
		t.Fatalf("restore %s: %v", path, err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// releaseIssuer is the issuer the release ran as: its keys (copied, since
// loading may add files) and the URL its log origin names.
func releaseIssuer(t *testing.T, dir string, m *manifest) *assessments.Issuer {
	t.Helper()
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"key-2026-1.pem", "log.key"} {
		copyFile(t, filepath.Join(dir, "keys", f), filepath.Join(keys, f))
	}
	origin := m.Log.Origin
	baseURL := "http://" + strings.TrimSuffix(origin, "/cards-log")
	ks, err := card.LoadKeys(keys, origin, "dmf.example/witness", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	did, err := card.DIDWeb(baseURL)
	if err != nil {
		t.Fatal(err)
	}
	return &assessments.Issuer{BaseURL: baseURL, DID: did, Name: "Release issuer", Origin: origin, Keys: ks}
}

func checkUpgrade(t *testing.T, database, dir string) {
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	builtin, _, _ := frameworksEmbedded(t)
	is := releaseIssuer(t, dir, &m)
	s, err := assessments.Open(ctx, assessments.Options{Database: database, Editions: builtin, Issuer: is})
	if err != nil {
		t.Fatalf("open the release's database: %v", err)
	}
	defer s.Close()

	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byEmail := map[string]*assessments.User{}
	var emails []string
	for i := range users {
		byEmail[users[i].Email] = &users[i]
		emails = append(emails, users[i].Email)
	}
	if !reflect.DeepEqual(emails, m.Users) {
		t.Errorf("users %v, want %v", emails, m.Users)
	}
	reviewer := byEmail["reviewer@demo.example"]
	admin := byEmail["admin@demo.example"]
	if reviewer == nil || admin == nil {
		t.Fatal("the demo reviewer or administrator is missing")
	}

	// Assessments, answers, scores, history.
	listed, err := s.Assessments(ctx, reviewer.Actor(), assessments.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != len(m.Assessments) {
		t.Errorf("%d assessments, want %d", len(listed), len(m.Assessments))
	}
	for _, want := range m.Assessments {
		a, err := s.Assessment(ctx, reviewer.Actor(), want.ID)
		if err != nil {
			t.Errorf("assessment %d: %v", want.ID, err)
			continue
		}
		got := fmt.Sprintf("%s v%d %s@%s %d %s %q", a.Status, a.Version, a.FrameworkID, a.FrameworkVersion, a.Period, a.Country, a.Service.Name)
		exp := fmt.Sprintf("%s v%d %s@%s %d %s %q", want.Status, want.Version, want.FrameworkID, want.FrameworkVersion, want.Period, want.Country, want.Service)
		if got != exp {
			t.Errorf("assessment %d: %s, want %s", want.ID, got, exp)
		}
		if !sameFloat(a.Score, want.Score) || !reflect.DeepEqual(a.Level, want.Level) {
			t.Errorf("assessment %d: score %v level %v, want %v %v", want.ID, deref(a.Score), deref(a.Level), deref(want.Score), deref(want.Level))
		}
		if _, err := s.Edition(a); err != nil {
			t.Errorf("assessment %d: edition: %v", want.ID, err)
		}
		answers, err := s.Answers(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if gotJSON, _ := json.Marshal(answers); !sameJSON(t, gotJSON, want.Answers) {
			t.Errorf("assessment %d: answers\n%s\nwant\n%s", want.ID, gotJSON, want.Answers)
		}
		scores, err := s.StoredScores(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if len(scores) != len(want.StoredScores) {
			t.Errorf("assessment %d: stored scores %v, want %v", want.ID, scores, want.StoredScores)
		}
		for dim, v := range want.StoredScores {
			if math.Abs(scores[dim]-v) > 1e-9 {
				t.Errorf("assessment %d: %s scored %v, want %v", want.ID, dim, scores[dim], v)
			}
		}
		view, err := s.View(ctx, reviewer.Actor(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var tos []string
		for _, tr := range view.History {
			tos = append(tos, string(tr.To))
		}
		if !reflect.DeepEqual(tos, want.Transitions) {
			t.Errorf("assessment %d: transitions %v, want %v", want.ID, tos, want.Transitions)
		}
		comments := view.Comments
		if len(comments) != len(want.ReviewComments) {
			t.Errorf("assessment %d: review comments on %d indicators, want %v", want.ID, len(comments), want.ReviewComments)
		}
		for _, ind := range want.ReviewComments {
			if _, ok := comments[ind]; !ok {
				t.Errorf("assessment %d: no review comment on %s", want.ID, ind)
			}
		}
	}

	// The log, as the release last signed it.
	info, err := s.Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Origin != m.Log.Origin || info.VKey != m.Log.VKey || info.Size != m.Log.Size {
		t.Errorf("log %+v, want %s %s %d", info, m.Log.Origin, m.Log.VKey, m.Log.Size)
	}
	cp, err := s.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cp != m.Log.Checkpoint {
		t.Errorf("checkpoint\n%s\nwant\n%s", cp, m.Log.Checkpoint)
	}
	if c, err := card.OpenCheckpoint(cp, m.Log.VKey); err != nil || c.Size != m.Log.Size {
		t.Errorf("checkpoint does not verify: %v", err)
	}

	// Every card: its record, its signature against the keys the store
	// publishes, its place in the log.
	did, err := s.DIDDocument(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var vms []string
	for _, vm := range did.VerificationMethod {
		vms = append(vms, vm.ID)
	}
	if !reflect.DeepEqual(vms, m.IssuerKeys) {
		t.Errorf("published keys %v, want %v", vms, m.IssuerKeys)
	}
	resolve := func(id string) (ed25519.PublicKey, error) {
		for _, vm := range did.VerificationMethod {
			if vm.ID == id {
				return card.ParsePublicKeyMultibase(vm.PublicKeyMultibase)
			}
		}
		return nil, fmt.Errorf("no key %s", id)
	}
	if len(m.Cards) != int(m.Log.Size) {
		t.Errorf("%d cards for a log of %d", len(m.Cards), m.Log.Size)
	}
	for _, want := range m.Cards {
		rec, err := s.Card(ctx, want.ID)
		if err != nil {
			t.Errorf("card %s: %v", want.ID, err)
			continue
		}
		got := fmt.Sprintf("a%d %s #%d list %d/%d revoked=%v %q", rec.AssessmentID, rec.LeafHash, rec.LogIndex, rec.StatusList, rec.StatusIndex, rec.RevokedAt != nil, rec.RevokedReason)
		exp := fmt.Sprintf("a%d %s #%d list %d/%d revoked=%v %q", want.AssessmentID, want.LeafHash, want.LogIndex, want.StatusList, want.StatusIndex, want.Revoked, want.RevokedReason)
		if got != exp {
			t.Errorf("card %s: %s, want %s", want.ID, got, exp)
		}
		if _, err := card.VerifyProof(rec.Data, resolve); err != nil {
			t.Errorf("card %s: signature: %v", want.ID, err)
		}
		// The VC-API verifier (POST /credentials/verify) accepts the
		// release's cards too: they conform, and their proof holds.
		parsed, _ := card.Parse(rec.Data)
		issuedAt, _ := time.Parse(time.RFC3339, parsed.ValidFrom) // a day later, whenever the test runs
		v := &card.CredentialVerifier{Now: issuedAt.Add(24 * time.Hour), ResolveDIDWeb: resolve, StatusList: func(u string) ([]byte, error) {
			n, ok := is.StatusListID(u)
			if !ok {
				return nil, fmt.Errorf("no list %s", u)
			}
			return s.StatusList(ctx, n)
		}}
		r := v.VerifyCredential(rec.Data)
		revoked := len(r.Errors) == 1 && r.Errors[0].Title == "credential status" && strings.Contains(r.Errors[0].Detail, "bit")
		if r.Verified == want.Revoked || want.Revoked && !revoked {
			t.Errorf("card %s (revoked %v): VC-API verification: %+v", want.ID, want.Revoked, r.Errors)
		}
		proof, err := s.CardProof(ctx, want.ID)
		if err != nil {
			t.Errorf("card %s: proof: %v", want.ID, err)
			continue
		}
		if _, _, err := card.VerifyInclusion(rec.Data, proof, m.Log.VKey); err != nil {
			t.Errorf("card %s: inclusion: %v", want.ID, err)
		}
	}

	// Tokens, by user.
	type token struct {
		prefix, user, name string
		revoked            bool
	}
	var gotTokens, wantTokens []token
	for _, u := range users {
		ts, err := s.Tokens(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range ts {
			gotTokens = append(gotTokens, token{tk.Prefix, u.Email, tk.Name, tk.RevokedAt != nil})
		}
	}
	for _, tk := range m.Tokens {
		wantTokens = append(wantTokens, token{tk.Prefix, tk.User, tk.Name, tk.Revoked})
	}
	if !sameSet(gotTokens, wantTokens) {
		t.Errorf("tokens %v, want %v", gotTokens, wantTokens)
	}

	// The audit trail, row for row.
	evs, err := s.AuditEvents(ctx, admin.Actor(), assessments.AuditFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, ev := range evs {
		actions[ev.Action]++
	}
	if len(evs) != m.AuditRows || !reflect.DeepEqual(actions, m.AuditActions) {
		t.Errorf("%d audit rows %v, want %d %v", len(evs), actions, m.AuditRows, m.AuditActions)
	}
	byID := map[uint]assessments.AuditEvent{}
	for _, ev := range evs {
		byID[ev.ID] = ev
	}
	for _, want := range m.Audit {
		ev, ok := byID[want.ID]
		got := fmt.Sprintf("%s %s %s by %v", ev.Action, ev.TargetType, ev.TargetID, deref(ev.ActorID))
		exp := fmt.Sprintf("%s %s %s by %v", want.Action, want.TargetType, want.TargetID, deref(want.ActorID))
		if !ok || got != exp {
			t.Errorf("audit row %d: %s, want %s", want.ID, got, exp)
		}
	}

	// The upgraded instance keeps going: a new assessment (new ids after
	// the release's), approved, extends the same log.
	resp := byEmail["respondent5@demo.example"].Actor()
	svc, err := s.CreateService(ctx, resp, assessments.Service{Name: "After the upgrade", Category: "tax"})
	if err != nil {
		t.Fatal(err)
	}
	// New assessments use the newest edition; its country indicators are
	// answered by the country's coordinator.
	ed, _ := s.Editions().Edition("escap-dmf-dps-sme", "")
	answerCountry(t, s, resp.Country, ed, 2026, 4)
	a, err := s.CreateAssessment(ctx, resp, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: ed.ID, Period: 2026})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID <= m.Assessments[len(m.Assessments)-1].ID {
		t.Errorf("new assessment id %d reuses the release's ids", a.ID)
	}
	if _, err := s.SaveAnswers(ctx, resp, a.ID, nil, serviceAnswers(ed, 4)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Submit(ctx, resp, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Review(ctx, reviewer.Actor(), a.ID, assessments.ReviewInput{Decision: assessments.DecisionApprove}); err != nil {
		t.Fatal(err)
	}
	rec, err := s.CardOf(ctx, reviewer.Actor(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.LogIndex != m.Log.Size {
		t.Errorf("new card at log index %d, want %d", rec.LogIndex, m.Log.Size)
	}
	if _, err := s.Consistency(ctx, m.Log.Size, m.Log.Size+1); err != nil {
		t.Errorf("consistency %d → %d: %v", m.Log.Size, m.Log.Size+1, err)
	}
	proof, err := s.CardProof(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := card.VerifyInclusion(rec.Data, proof, m.Log.VKey); err != nil {
		t.Errorf("new card: inclusion: %v", err)
	}

	// Opening again finds nothing to migrate and changes nothing.
	s2, err := assessments.Open(ctx, assessments.Options{Database: database, Editions: builtin, Issuer: is})
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	s2.Close()
}

func sameFloat(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) < 1e-9
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// sameJSON compares two JSON documents by value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

func sameSet[T comparable](a, b []T) bool {
	count := map[T]int{}
	for _, x := range a {
		count[x]++
	}
	for _, x := range b {
		count[x]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return len(a) == len(b)
}

// TestOlderDatabaseIsRefused: a database without numbered migrations that
// lacks part of release 28e81e5's schema (here the api_tokens.revoked_at
// column an older release did not have) is refused with what to do, not
// recorded as migrated with the column missing for good.
func TestOlderDatabaseIsRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dmf.db")
	copyFile(t, filepath.Join(release, "sqlite", "dmf.db"), path)
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "ALTER TABLE api_tokens DROP COLUMN revoked_at"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	builtin, _, _ := frameworksEmbedded(t)
	s, err := assessments.Open(ctx, assessments.Options{Database: path, Editions: builtin})
	if err == nil {
		s.Close()
		t.Fatal("opened a database that lacks a column of migration 1")
	}
	if !strings.Contains(err.Error(), "api_tokens.revoked_at") || !strings.Contains(err.Error(), "start 28e81e5 on it once") {
		t.Errorf("error does not say what is missing and what to do: %v", err)
	}
}
