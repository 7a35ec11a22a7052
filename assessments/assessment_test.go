package assessments_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// world is a store with two organisations, a respondent in each, a
// reviewer and an admin, and one service per organisation.
type world struct {
	s                *assessments.Store
	ed               *frameworks.Edition
	a, b, rev, admin assessments.Actor
	svcA, svcB       *assessments.Service
}

const testPassword = "correct horse battery staple 42"

func newWorld(t testing.TB) *world {
	t.Helper()
	return newWorldAt(t, filepath.Join(t.TempDir(), "dmf.db"), nil)
}

func frameworksEmbedded(t testing.TB) (*frameworks.Catalog, *frameworks.Reference, error) {
	t.Helper()
	cat, ref, err := frameworks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return cat, ref, nil
}

// newWorldAt builds the world in the SQLite file at path; with an issuer,
// approvals issue cards.
func newWorldAt(t testing.TB, path string, is *assessments.Issuer) *world {
	t.Helper()
	ctx := context.Background()
	s := mustOpen(t, path, is)
	// The workflow tests assert 1.0.0's shape (26 indicators, none answered
	// for the whole country); country answers have their own world in
	// country_test.go.
	ed, _ := s.Editions().Edition("escap-dmf-dps-sme", "1.0.0")
	w := &world{s: s, ed: ed}
	user := func(email string, role assessments.Role, org uint) assessments.Actor {
		u, err := s.CreateUser(ctx, nil, assessments.NewUser{Email: email, Password: testPassword, Role: role, OrganisationID: org})
		if err != nil {
			t.Fatal(err)
		}
		return u.Actor()
	}
	orgA, err := s.CreateOrganisation(ctx, nil, assessments.Organisation{Name: "Ministry of Justice", Country: "KAZ", Kind: "ministry"})
	if err != nil {
		t.Fatal(err)
	}
	orgB, _ := s.CreateOrganisation(ctx, nil, assessments.Organisation{Name: "Tax Committee", Country: "UZB", Kind: "agency"})
	w.a = user("a@justice.kz", assessments.RoleRespondent, orgA.ID)
	w.b = user("b@tax.uz", assessments.RoleRespondent, orgB.ID)
	w.rev = user("reviewer@escap.org", assessments.RoleReviewer, 0)
	w.admin = user("admin@escap.org", assessments.RoleAdmin, 0)
	w.svcA, err = s.CreateService(ctx, w.a, assessments.Service{Name: "Business registration", Category: "business-registration"})
	if err != nil {
		t.Fatal(err)
	}
	w.svcB, _ = s.CreateService(ctx, w.b, assessments.Service{Name: "VAT filing", Category: "tax"})
	return w
}

func (w *world) draft(t *testing.T) *assessments.Assessment {
	t.Helper()
	a, err := w.s.CreateAssessment(context.Background(), w.a, assessments.NewAssessment{ServiceID: w.svcA.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func all(ed *frameworks.Edition, k int) assessments.Answers {
	return uniform(ed, k)
}

// answerCountry has a new coordinator of country answer every scope:
// country indicator of ed at level k for period, as service assessments of
// that country need before they can be submitted.
func answerCountry(t testing.TB, s *assessments.Store, country string, ed *frameworks.Edition, period, k int) {
	t.Helper()
	ctx := context.Background()
	org, err := s.CreateOrganisation(ctx, nil, assessments.Organisation{Name: "Digital development office", Country: country, Kind: "ministry"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, nil, assessments.NewUser{Email: "coordinator@" + strings.ToLower(country) + ".example", Password: testPassword, Role: assessments.RoleCoordinator, OrganisationID: org.ID})
	if err != nil {
		t.Fatal(err)
	}
	answers := assessments.Answers{}
	for _, ind := range ed.CountryIndicators() {
		answers[ind.ID] = assessments.Answer{Level: lv(k)}
	}
	key := assessments.CountryKey{Country: country, FrameworkID: ed.ID, Version: ed.Version, Period: period}
	if _, err := s.SaveCountryAnswers(ctx, u.Actor(), key, nil, answers); err != nil {
		t.Fatal(err)
	}
}

// serviceAnswers answers every indicator of ed that a service assessment
// answers itself (not the scope: country ones) at level k.
func serviceAnswers(ed *frameworks.Edition, k int) assessments.Answers {
	out := assessments.Answers{}
	for id, a := range uniform(ed, k) {
		if ind, _, _ := ed.Indicator(id); !ind.CountryScoped() {
			out[id] = a
		}
	}
	return out
}

func TestAssessmentWorkflow(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	a := w.draft(t)
	if a.Status != assessments.StatusDraft || a.Version != 1 || a.Country != "KAZ" {
		t.Fatalf("new assessment: %+v", a)
	}
	// Incomplete submission names what is missing.
	_, err := w.s.Submit(ctx, w.a, a.ID)
	var inc *assessments.IncompleteError
	if !errors.As(err, &inc) || len(inc.Missing) != 26 {
		t.Fatalf("submit empty: %v", err)
	}
	saved, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, all(w.ed, 4))
	if err != nil || saved.Assessment.Version != 2 || len(saved.Answers) != 26 {
		t.Fatalf("save: %v %+v", err, saved)
	}
	v, err := w.s.Submit(ctx, w.a, a.ID)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if a = v.Assessment; a.Status != assessments.StatusSubmitted || a.Score == nil || *a.Score != 75 || *a.Level != 4 {
		t.Fatalf("submit: %+v", a)
	}
	// Nobody edits a submitted assessment.
	if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, all(w.ed, 5)); !errors.Is(err, assessments.ErrReadOnly) {
		t.Errorf("edit submitted: %v", err)
	}
	if _, err := w.s.Review(ctx, w.a, a.ID, assessments.ReviewInput{Decision: "approve", Comment: ""}); !errors.Is(err, assessments.ErrForbidden) {
		t.Errorf("respondent approves: %v", err)
	}
	if _, err := w.s.Review(ctx, w.rev, a.ID, assessments.ReviewInput{Decision: "return", Comment: "Add evidence for SERV.1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, assessments.Answers{"SERV.1": {Level: lv(5), Evidence: []string{"https://stats.example.kz/2026"}}}); err != nil {
		t.Fatalf("edit returned: %v", err)
	}
	if _, err := w.s.Submit(ctx, w.a, a.ID); err != nil {
		t.Fatal(err)
	}
	v, err = w.s.Review(ctx, w.rev, a.ID, assessments.ReviewInput{Decision: "approve", Comment: ""})
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	if a = v.Assessment; a.Status != assessments.StatusApproved || a.ApprovedAt == nil {
		t.Fatalf("approve: %+v", a)
	}
	hist := v.History
	want := []assessments.Status{"draft", "submitted", "returned", "submitted", "approved"}
	if len(hist) != len(want) {
		t.Fatalf("history: %+v", hist)
	}
	for i, h := range hist {
		if h.To != want[i] {
			t.Errorf("history[%d] = %s, want %s", i, h.To, want[i])
		}
	}
	if hist[2].Comment != "Add evidence for SERV.1" || hist[2].Actor.Email != "reviewer@escap.org" {
		t.Errorf("return step: %+v", hist[2])
	}
}

func TestOtherOrganisationsAreInvisible(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	a := w.draft(t)
	if _, err := w.s.Assessment(ctx, w.b, a.ID); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("B reads A's assessment: %v", err)
	}
	if _, err := w.s.SaveAnswers(ctx, w.b, a.ID, nil, all(w.ed, 1)); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("B saves A's assessment: %v", err)
	}
	if _, err := w.s.Service(ctx, w.b, w.svcA.ID); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("B reads A's service: %v", err)
	}
	if _, err := w.s.CreateAssessment(ctx, w.b, assessments.NewAssessment{ServiceID: w.svcA.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026}); err == nil {
		t.Error("B assesses A's service")
	}
	if list, _ := w.s.Assessments(ctx, w.b, assessments.Filter{}); len(list) != 0 {
		t.Errorf("B lists %d assessments", len(list))
	}
	if list, _ := w.s.Assessments(ctx, w.rev, assessments.Filter{}); len(list) != 1 {
		t.Errorf("reviewer lists %d assessments", len(list))
	}
	if _, err := w.s.SaveAnswers(ctx, w.rev, a.ID, nil, all(w.ed, 1)); !errors.Is(err, assessments.ErrForbidden) {
		t.Errorf("reviewer edits answers: %v", err)
	}
	if _, err := w.s.Export(ctx, w.b, a.ID); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("B exports A's assessment: %v", err)
	}
}

// TestStaleSaveConflicts: a save based on an older version is refused and
// names what a colleague changed; nothing is overwritten.
func TestStaleSaveConflicts(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	a := w.draft(t)
	colleague := w.a
	v1 := a.Version
	if _, err := w.s.SaveAnswers(ctx, colleague, a.ID, &v1, assessments.Answers{"SERV.1": {Level: lv(4)}}); err != nil {
		t.Fatal(err)
	}
	_, err := w.s.SaveAnswers(ctx, w.a, a.ID, &v1, assessments.Answers{"SERV.1": {Level: lv(2)}})
	var ce *assessments.ConflictError
	if !errors.As(err, &ce) || ce.Current != 2 || len(ce.Changed) != 1 || ce.Changed[0] != "SERV.1" {
		t.Fatalf("stale save: %v", err)
	}
	a, _ = w.s.Assessment(ctx, w.a, a.ID)
	got, _ := w.s.Answers(ctx, a)
	if *got["SERV.1"].Level != 4 {
		t.Errorf("colleague's answer overwritten: %v", *got["SERV.1"].Level)
	}
}

// TestInvalidSaveKeepsTheDraft: one bad field refuses the whole save and
// leaves every saved answer as it was.
func TestInvalidSaveKeepsTheDraft(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	a := w.draft(t)
	if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, all(w.ed, 3)); err != nil {
		t.Fatal(err)
	}
	long := make([]byte, assessments.MaxTextLength+1)
	for i := range long {
		long[i] = 'x'
	}
	bad := []struct {
		answers assessments.Answers
		field   string
	}{
		{assessments.Answers{"NOPE.1": {Level: lv(1)}}, "answers.NOPE.1"},
		{assessments.Answers{"SERV.1": {Level: lv(6)}}, "answers.SERV.1.level"},
		{assessments.Answers{"SERV.1": {NA: true, Justification: "no"}}, "answers.SERV.1.na"},
		{assessments.Answers{"XBORD.2": {NA: true}}, "answers.XBORD.2.justification"},
		{assessments.Answers{"SERV.1": {Level: lv(2), Evidence: []string{"javascript:alert(1)"}}}, "answers.SERV.1.evidence[0]"},
		{assessments.Answers{"SERV.1": {Level: lv(2), Evidence: []string{"file:///etc/passwd"}}}, "answers.SERV.1.evidence[0]"},
		{assessments.Answers{"SERV.1": {Level: lv(2), Comment: string(long)}}, "answers.SERV.1.comment"},
		{assessments.Answers{"SERV.1": {Level: lv(2), Comment: "a\x00b"}}, "answers.SERV.1.comment"},
		{assessments.Answers{"SERV.1": {Selected: []string{"L1"}}}, "answers.SERV.1.selected"},
		{assessments.Answers{"SERV.1": {Level: lv(2)}, "SERV.2": {Level: lv(0)}}, "answers.SERV.2.level"},
	}
	for _, tc := range bad {
		before, _ := w.s.Assessment(ctx, w.a, a.ID)
		_, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, tc.answers)
		var ve *assessments.ValidationError
		if !errors.As(err, &ve) || ve.Fields[tc.field].Format == "" {
			t.Errorf("%v: want a problem at %s, got %v", tc.answers, tc.field, err)
		}
		after, _ := w.s.Assessment(ctx, w.a, a.ID)
		got, _ := w.s.Answers(ctx, after)
		if after.Version != before.Version || len(got) != 26 || *got["SERV.1"].Level != 3 {
			t.Errorf("%v changed the draft: version %d → %d", tc.answers, before.Version, after.Version)
		}
	}
}

func TestImportExportRoundTrip(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	a := w.draft(t)
	answers := all(w.ed, 2)
	answers["XBORD.2"] = assessments.Answer{NA: true, Justification: "Municipal permit, residents only."}
	if _, err := w.s.SaveAnswers(ctx, w.a, a.ID, nil, answers); err != nil {
		t.Fatal(err)
	}
	ex, err := w.s.Export(ctx, w.a, a.ID)
	if err != nil || ex.Scores.Overall == nil || ex.Framework.Digest != w.ed.Digest {
		t.Fatalf("export: %v %+v", err, ex)
	}
	// Offline, the agency raises SERV.1 and imports the file into a new period.
	data, _ := jsonMarshal(ex, func(e *assessments.Export) { e.Answers["SERV.1"] = assessments.Answer{Level: lv(5)} })
	next, _ := w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{ServiceID: w.svcA.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2027})
	v, err := w.s.Import(ctx, w.a, next.ID, data)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if got := v.Answers; len(got) != 26 || *got["SERV.1"].Level != 5 || !got["XBORD.2"].NA {
		t.Fatalf("import: %d answers", len(got))
	}
	if _, err := w.s.Import(ctx, w.a, next.ID, []byte(`{"format":"dmf-assessment/1","framework":{"id":"other","version":"1.0.0"},"answers":{"A":{}}}`)); err == nil {
		t.Error("import of another framework's file accepted")
	}
	if _, err := w.s.Import(ctx, w.a, next.ID, []byte(`not json`)); err == nil {
		t.Error("garbage imported")
	}
}

func TestAuthentication(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	if _, err := w.s.Authenticate(ctx, "A@Justice.kz", testPassword, assessments.Origin{Addr: "10.0.0.1"}); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if _, err := w.s.Authenticate(ctx, "nobody@x.org", testPassword, assessments.Origin{Addr: "10.0.0.1"}); !errors.Is(err, assessments.ErrBadCredentials) {
		t.Errorf("unknown email: %v", err)
	}
	for i := 0; i < assessments.MaxFailsAccount; i++ {
		if _, err := w.s.Authenticate(ctx, "a@justice.kz", "wrong password!!", assessments.Origin{Addr: "10.0.0.2"}); !errors.Is(err, assessments.ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, err := w.s.Authenticate(ctx, "a@justice.kz", testPassword, assessments.Origin{Addr: "10.0.0.3"}); !errors.Is(err, assessments.ErrThrottled) {
		t.Errorf("11th attempt with the right password: %v", err)
	}
	token, err := w.s.CreateSession(ctx, w.b.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := w.s.SessionUser(ctx, token); err != nil || u.ID != w.b.UserID {
		t.Errorf("session: %v", err)
	}
	w.s.DeleteSession(ctx, token)
	if _, err := w.s.SessionUser(ctx, token); !errors.Is(err, assessments.ErrExpired) {
		t.Errorf("after sign-out: %v", err)
	}
	tok, _, err := w.s.CreateToken(ctx, w.b.UserID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if u, err := w.s.TokenUser(ctx, tok); err != nil || u.ID != w.b.UserID {
		t.Errorf("token: %v", err)
	}
	if _, err := w.s.TokenUser(ctx, tok+"x"); err == nil {
		t.Error("forged token accepted")
	}
}

func TestPasswordRules(t *testing.T) {
	for pw, ok := range map[string]bool{
		"short":                      false,
		"passwordpassword":           false, // breached
		"aaaaaaaaaaaaaaaaaaaa":       false, // repetitive
		"velvet otter drums in 2026": true,
		"Ünïcödé pässwörd ok":        true,
		"my-name-is-alice-ok-right":  false, // contains the email's local part
		string(make([]rune, 300)):    false,
	} {
		if got := assessments.CheckPassword(pw, "alice@example.org").Format == ""; got != ok {
			t.Errorf("CheckPassword(%q) ok = %v, want %v", pw, got, ok)
		}
	}
}

func jsonMarshal(ex *assessments.Export, edit func(*assessments.Export)) ([]byte, error) {
	edit(ex)
	return json.Marshal(ex)
}

// TestExpiredSignInAttemptsArePurged: failed sign-ins older than the
// window are deleted, so a long guessing campaign cannot grow the table
// without bound, and the throttle still counts the current window.
func TestExpiredSignInAttemptsArePurged(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	now := time.Now().UTC()
	w.s.SetClock(func() time.Time { return now })
	from := assessments.Origin{Addr: "192.0.2.9"}
	for range 3 {
		if _, err := w.s.Authenticate(ctx, "a@justice.kz", "wrong password!!", from); !errors.Is(err, assessments.ErrBadCredentials) {
			t.Fatal(err)
		}
	}
	if n := w.s.LoginAttempts(ctx); n != 6 { // one row per account and per address
		t.Fatalf("%d attempts stored after 3 failures, want 6", n)
	}
	now = now.Add(assessments.LoginWindow + time.Minute)
	_, err := w.s.Authenticate(ctx, "a@justice.kz", "wrong password!!", from)
	var bad *assessments.BadCredentialsError
	if !errors.As(err, &bad) || bad.Failures != 1 {
		t.Fatalf("first failure of a new window: %v", err)
	}
	if n := w.s.LoginAttempts(ctx); n != 2 {
		t.Errorf("%d attempts stored after the window passed, want only the new 2", n)
	}
}

// TestRacingSavesOneWins: saves of one assessment based on the same
// version, racing each other and saves of other assessments (so that they
// are committed together in batches), give exactly one success and a
// conflict for each of the others; the saves of the other assessments,
// and a refused invalid save among them, each get their own answer.
func TestRacingSavesOneWins(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	a := w.draft(t)
	var others []uint
	for i := range 4 {
		svc, err := w.s.CreateService(ctx, w.a, assessments.Service{Name: fmt.Sprintf("Other %d", i), Category: "tax"})
		if err != nil {
			t.Fatal(err)
		}
		o, err := w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026})
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, o.ID)
	}
	const n = 8
	base := a.Version
	racing, other, invalid := make(chan error, n), make(chan error, n*len(others)), make(chan error, 1)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := w.s.SaveAnswers(ctx, w.a, a.ID, &base, assessments.Answers{"SERV.1": {Level: lv(1 + i%5)}})
			racing <- err
		}()
		go func() {
			defer wg.Done()
			for _, id := range others {
				_, err := w.s.SaveAnswers(ctx, w.a, id, nil, assessments.Answers{"SERV.2": {Level: lv(1 + i%5)}})
				other <- err
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := w.s.SaveAnswers(ctx, w.a, others[0], nil, assessments.Answers{"SERV.1": {Level: lv(9)}})
		invalid <- err
	}()
	wg.Wait()
	close(racing)
	close(other)
	saved := 0
	for err := range racing {
		var ce *assessments.ConflictError
		switch {
		case err == nil:
			saved++
		case !errors.As(err, &ce):
			t.Errorf("a racing save: %v", err)
		}
	}
	if saved != 1 {
		t.Errorf("%d of %d saves based on version %d succeeded, want 1", saved, n, base)
	}
	for err := range other {
		if err != nil {
			t.Errorf("a save of another assessment: %v", err)
		}
	}
	var ve *assessments.ValidationError
	if err := <-invalid; !errors.As(err, &ve) {
		t.Errorf("an invalid save among them: %v", err)
	}
	for _, id := range others {
		o, _ := w.s.Assessment(ctx, w.a, id)
		if o.Version != 1+n {
			t.Errorf("assessment %d at version %d after %d saves", id, o.Version, n)
		}
	}
}

// written is how many bytes this process has written so far, from
// /proc/self/io (0 where there is none). A commit writes each page it
// changed to the WAL, so the bytes per operation say how many pages a save
// or an approval touches: what the disk, and the one writer, pay for it.
func written() int64 {
	data, _ := os.ReadFile("/proc/self/io")
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, _ := strconv.ParseInt(rest, 10, 64)
			return n
		}
	}
	return 0
}

// reportWritten reports the bytes written per operation since before.
func reportWritten(b *testing.B, before int64) {
	b.ReportMetric(float64(written()-before)/float64(b.N), "B-written/op")
}

// BenchmarkSaveAnswers is an answer save through the store, as the API's
// autosave makes it: one indicator, based on the current version, from 32
// writers at once (each on its own assessment) so that saves are committed
// in groups as under load. Each save is durable (synchronous=FULL) before
// it returns. go test -run XXX -bench SaveAnswers ./assessments
func BenchmarkSaveAnswers(b *testing.B) {
	ctx := context.Background()
	w := newWorldAt(b, filepath.Join(b.TempDir(), "dmf.db"), nil)
	const writers = 32
	ids := make(chan uint, writers)
	for i := range writers {
		svc, err := w.s.CreateService(ctx, w.a, assessments.Service{Name: fmt.Sprintf("Bench %d", i), Category: "tax"})
		if err != nil {
			b.Fatal(err)
		}
		a, err := w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026})
		if err != nil {
			b.Fatal(err)
		}
		ids <- a.ID
	}
	var inds []string
	for _, d := range w.ed.Dimensions {
		for _, ind := range d.Indicators {
			inds = append(inds, ind.ID)
		}
	}
	b.SetParallelism((writers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.ResetTimer()
	defer reportWritten(b, written())
	b.RunParallel(func(pb *testing.PB) {
		id := <-ids
		version := 1
		for i := 0; pb.Next(); i++ {
			v, err := w.s.SaveAnswers(ctx, w.a, id, &version, assessments.Answers{inds[i%len(inds)]: {Level: lv(1 + i%5)}})
			if err != nil {
				b.Error(err)
				return
			}
			version = v.Assessment.Version
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "saves/s")
}

// TestCreateAssessmentTwice: a service has one assessment per framework
// and period; a second is refused as a duplicate (the API's 409) and
// leaves nothing behind, on SQLite and PostgreSQL alike.
func TestCreateAssessmentTwice(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	na := assessments.NewAssessment{ServiceID: w.svcA.ID, FrameworkID: w.ed.ID, Version: w.ed.Version, Period: 2026}
	first, err := w.s.CreateAssessment(ctx, w.a, na)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.CreateAssessment(ctx, w.a, na); !errors.Is(err, assessments.ErrDuplicate) {
		t.Fatalf("second assessment of the same service and period: %v, want ErrDuplicate", err)
	}
	all, err := w.s.Assessments(ctx, w.a, assessments.Filter{ServiceID: w.svcA.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].ID != first.ID {
		t.Fatalf("the service has %d assessments after the refusal, want only %d", len(all), first.ID)
	}
	v, err := w.s.View(ctx, w.a, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.History) != 1 || v.History[0].To != assessments.StatusDraft || v.Assessment.Service.Name != w.svcA.Name {
		t.Fatalf("the first assessment's view: history %v, service %q", v.History, v.Assessment.Service.Name)
	}
}
