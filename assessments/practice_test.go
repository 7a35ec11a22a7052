package assessments_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// approvedWith makes and approves an assessment of svc for period with
// answers, as the actor of svc's organisation.
func approvedWith(t testing.TB, s *assessments.Store, by, rev assessments.Actor, svc *assessments.Service, ed *frameworks.Edition, period int, answers assessments.Answers) *assessments.Assessment {
	t.Helper()
	ctx := context.Background()
	a, err := s.CreateAssessment(ctx, by, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: ed.ID, Version: ed.Version, Period: period})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveAnswers(ctx, by, a.ID, nil, answers); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Submit(ctx, by, a.ID); err != nil {
		t.Fatal(err)
	}
	v, err := s.Review(ctx, rev, a.ID, assessments.ReviewInput{Decision: "approve"})
	if err != nil {
		t.Fatal(err)
	}
	return v.Assessment
}

func TestPracticeRules(t *testing.T) {
	ctx := context.Background()
	w := newMailWorld(t)
	ans := all(w.ed, 4)
	ans["SERV.2"] = assessments.Answer{Level: lv(2)}
	a := approvedWith(t, w.s, w.a, w.rev, w.svcA, w.ed, 2025, ans)
	good := assessments.PracticeInput{Indicator: "SERV.1", Title: "One login for every form", Summary: "Businesses sign in once with the national e-ID.",
		Contact: "digital@justice.kz", Links: []string{"https://justice.kz/one-login"}}

	bad := func(in assessments.PracticeInput, id uint, field string) {
		t.Helper()
		_, err := w.s.SubmitPractice(ctx, w.a, id, in)
		if f := fieldsOf(t, err); f[field] == "" {
			t.Errorf("%+v: want a problem with %s, got %v", in, field, f)
		}
	}
	low := good
	low.Indicator = "SERV.2"
	bad(low, a.ID, "indicator") // level 2
	draft := w.draft(t)
	bad(good, draft.ID, "assessment")
	for field, edit := range map[string]func(*assessments.PracticeInput){
		"links[0]": func(p *assessments.PracticeInput) { p.Links = []string{"javascript:alert(1)"} },
		"title":    func(p *assessments.PracticeInput) { p.Title = "evil\u202etxt.exe" },
		"summary":  func(p *assessments.PracticeInput) { p.Summary = "" },
		"contact":  func(p *assessments.PracticeInput) { p.Contact = "a\x00b" },
		"language": func(p *assessments.PracticeInput) { p.Language = "English" },
	} {
		in := good
		edit(&in)
		bad(in, a.ID, field)
	}
	if _, err := w.s.SubmitPractice(ctx, w.b, a.ID, good); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("another organisation: %v", err)
	}
	if _, err := w.s.SubmitPractice(ctx, w.rev, a.ID, good); !errors.Is(err, assessments.ErrForbidden) {
		t.Errorf("a reviewer writes: %v", err)
	}
	p, err := w.s.SubmitPractice(ctx, w.a, a.ID, good)
	if err != nil || p.Status != assessments.PracticeSubmitted || p.Level != 4 || p.Country != "KAZ" || p.DimensionID != "SERV" {
		t.Fatalf("submit: %+v %v", p, err)
	}
	if !slices.Contains(kinds(t, w.s, w.rev.UserID), assessments.NoticePracticeSubmitted) {
		t.Error("reviewers are not told about a practice to review")
	}
	if _, err := w.s.SubmitPractice(ctx, w.a, a.ID, good); !errors.Is(err, assessments.ErrDuplicate) {
		t.Errorf("second practice for one indicator: %v", err)
	}
	// Not public until published; reviewers see it in their queue.
	if pg, _ := w.s.Practices(ctx, assessments.Actor{}, assessments.PracticeFilter{}); pg.Total != 0 {
		t.Errorf("unpublished practice listed: %+v", pg)
	}
	if _, err := w.s.Practice(ctx, assessments.Actor{}, p.ID); !errors.Is(err, assessments.ErrNotFound) {
		t.Errorf("unpublished practice read by anyone: %v", err)
	}
	if pg, _ := w.s.Practices(ctx, w.rev, assessments.PracticeFilter{Status: assessments.PracticeSubmitted}); pg.Total != 1 {
		t.Errorf("review queue: %+v", pg)
	}
	if pg, _ := w.s.Practices(ctx, w.a, assessments.PracticeFilter{Status: assessments.PracticeSubmitted}); pg.Total != 0 {
		t.Errorf("a respondent reads the review queue: %+v", pg)
	}

	// Review: reviewers only, a return needs a comment, the author is told.
	if _, err := w.s.ReviewPractice(ctx, w.a, p.ID, "publish", ""); !errors.Is(err, assessments.ErrForbidden) {
		t.Errorf("respondent publishes: %v", err)
	}
	if _, err := w.s.ReviewPractice(ctx, w.rev, p.ID, "return", " "); fieldsOf(t, err)["comment"] == "" {
		t.Errorf("return without a comment: %v", err)
	}
	if _, err := w.s.ReviewPractice(ctx, w.rev, p.ID, "maybe", ""); fieldsOf(t, err)["decision"] == "" {
		t.Errorf("unknown decision: %v", err)
	}
	if _, err := w.s.ReviewPractice(ctx, w.rev, p.ID, "return", "Name the law that made it possible."); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(kinds(t, w.s, w.a.UserID), assessments.NoticePracticeReturned) || len(outboxFor(t, w.s, "a@justice.kz")) == 0 {
		t.Error("the author is not told of the return")
	}
	if _, err := w.s.ReviewPractice(ctx, w.rev, p.ID, "publish", ""); !errors.Is(err, assessments.ErrReadOnly) {
		t.Errorf("publish a returned practice: %v", err)
	}
	good.Summary += " The e-signature law of 2023 made it possible."
	again, err := w.s.SubmitPractice(ctx, w.a, a.ID, good)
	if err != nil || again.ID != p.ID || again.Status != assessments.PracticeSubmitted {
		t.Fatalf("resubmit: %+v %v", again, err)
	}
	if _, err := w.s.ReviewPractice(ctx, w.rev, p.ID, "publish", "Thank you"); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(kinds(t, w.s, w.a.UserID), assessments.NoticePracticePublished) {
		t.Error("the author is not told of the publication")
	}
	evs, _ := w.s.AuditEvents(ctx, w.admin, assessments.AuditFilter{TargetType: "practice"})
	if len(evs) != 4 {
		t.Errorf("audit: %d events, want 4 (submitted, returned, submitted, published)", len(evs))
	}

	// Public, with its card; revoking the card marks it.
	one, err := w.s.Practice(ctx, assessments.Actor{}, p.ID)
	if err != nil || one.CardID == "" || one.Revoked || one.Service != "Business registration" || one.Organisation != "Ministry of Justice" || one.Source != "local" {
		t.Fatalf("published practice: %+v %v", one, err)
	}
	if got := one.LinkList(); len(got) != 1 || got[0] != "https://justice.kz/one-login" {
		t.Errorf("links: %v", got)
	}
	if _, err := w.s.Revoke(ctx, w.rev, one.CardID, "Service closed"); err != nil {
		t.Fatal(err)
	}
	if one, _ := w.s.Practice(ctx, assessments.Actor{}, p.ID); !one.Revoked {
		t.Error("revoked card not marked")
	}
	counts, err := w.s.PracticeCounts(ctx, w.ed.ID)
	if err != nil || counts["SERV.1"] != (assessments.PracticeCount{Services: 1, Level: 4}) || len(counts) != 1 {
		t.Errorf("counts: %+v %v", counts, err)
	}

	kaz, _ := w.s.Countries().Country("KAZ")
	for _, c := range []struct {
		f    assessments.PracticeFilter
		want int64
	}{
		{assessments.PracticeFilter{Country: "KAZ"}, 1}, {assessments.PracticeFilter{Country: "kaz"}, 1}, {assessments.PracticeFilter{Country: "UZB"}, 0},
		{assessments.PracticeFilter{Subregion: kaz.Subregion}, 1}, {assessments.PracticeFilter{Subregion: "nowhere"}, 0},
		{assessments.PracticeFilter{Dimension: "SERV"}, 1}, {assessments.PracticeFilter{Dimension: "STRAT"}, 0},
		{assessments.PracticeFilter{Indicator: "SERV.1"}, 1}, {assessments.PracticeFilter{Indicator: "SERV.3"}, 0},
		{assessments.PracticeFilter{Category: "business-registration"}, 1}, {assessments.PracticeFilter{Category: "tax"}, 0},
		{assessments.PracticeFilter{Page: 2, Limit: 1}, 1}, {assessments.PracticeFilter{Page: -3, Limit: 100000}, 1},
	} {
		pg, err := w.s.Practices(ctx, assessments.Actor{}, c.f)
		if err != nil || pg.Total != c.want {
			t.Errorf("%+v: %+v %v", c.f, pg, err)
		}
	}
}

// searchTexts are the practices the search tests publish: English,
// Russian, Thai and Hindi, with words that look like query syntax.
var searchTexts = []assessments.PracticeInput{
	{Title: "One-stop registration portal", Summary: "Companies register online in one day; the portal reuses data from the tax OR customs registers.", Language: "en"},
	{Title: "Единое окно регистрации бизнеса", Summary: "Регистрация компании онлайн за один день, без визита в ЦОН.", Language: "ru"},
	{Title: "Single sign-on with the national e-ID", Summary: "NEAR every form a \"sign in\" button: AND the session is shared.", Language: "en"},
	{Title: "การจดทะเบียนธุรกิจออนไลน์", Summary: "ระบบจดทะเบียนบริษัทแบบครบวงจร", Language: "th"},
	{Title: "ऑनलाइन कर भुगतान", Summary: "व्यवसाय एक ही पोर्टल पर कर जमा करते हैं", Language: "hi"},
	{Title: "İstanbul-style service desk", Summary: "Naïve café résumé façade — diacritics kept as written.", Language: "en"},
}

// searchWorld publishes searchTexts, each behind its own indicator of one
// approved assessment at level 5, and returns the store.
func searchWorld(t testing.TB, s *assessments.Store) {
	t.Helper()
	ctx := context.Background()
	ed, _ := s.Editions().Edition("escap-dmf-dps-sme", "1.0.0")
	org, err := s.CreateOrganisation(ctx, nil, assessments.Organisation{Name: "Registry", Country: "KAZ", Kind: "agency"})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(email string, role assessments.Role, org uint) assessments.Actor {
		u, err := s.CreateUser(ctx, nil, assessments.NewUser{Email: email, Password: testPassword, Role: role, OrganisationID: org})
		if err != nil {
			t.Fatal(err)
		}
		return u.Actor()
	}
	by, rev := mk("r@registry.kz", assessments.RoleRespondent, org.ID), mk("rev@escap.org", assessments.RoleReviewer, 0)
	svc, err := s.CreateService(ctx, by, assessments.Service{Name: "Registry", Category: "business-registration"})
	if err != nil {
		t.Fatal(err)
	}
	a := approvedWith(t, s, by, rev, svc, ed, 2025, uniform(ed, 5))
	var ids []string
	for _, d := range ed.Dimensions {
		for _, ind := range d.Indicators {
			ids = append(ids, ind.ID)
		}
	}
	for i, in := range searchTexts {
		in.Indicator = ids[i]
		p, err := s.SubmitPractice(ctx, by, a.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReviewPractice(ctx, rev, p.ID, "publish", ""); err != nil {
			t.Fatal(err)
		}
	}
}

// found is the titles a search finds, in the order listed.
func found(t testing.TB, s *assessments.Store, q string) []string {
	t.Helper()
	pg, err := s.Practices(context.Background(), assessments.Actor{}, assessments.PracticeFilter{Q: q, Limit: 100})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	out := []string{}
	for _, p := range pg.Items {
		out = append(out, p.Title)
	}
	slices.Sort(out)
	return out
}

// TestPracticeSearch: words match by prefix, in any case and script;
// query syntax of either database is just text.
func TestPracticeSearch(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "dmf.db"), nil)
	searchWorld(t, s)
	title := func(i ...int) []string {
		out := []string{}
		for _, k := range i {
			out = append(out, searchTexts[k].Title)
		}
		slices.Sort(out)
		return out
	}
	for q, want := range map[string][]string{
		"":                    title(0, 1, 2, 3, 4, 5),
		"regist":              title(0),
		"REGISTRATION PORTAL": title(0),
		"portal registration": title(0),
		"регистрац":           title(1),
		"РЕГИСТРАЦИЯ онлайн":  title(1),
		"sign":                title(2),
		`"sign in"`:           title(2),
		"sign OR portal":      title(),
		"near(sign":           title(2),
		"tax OR customs":      title(0),
		"จดทะเบียน":           title(),
		"การจดทะเบียนธุรกิจออนไลน์": title(3),
		"पोर्टल":                      title(4),
		"istanbul":                    title(5),
		"i̇stanbul":                   title(), // with a combining dot: another word
		"İSTANBUL":                    title(5),
		"naïve":                       title(5),
		"naive":                       title(),
		"*":                           title(0, 1, 2, 3, 4, 5),
		"'; DROP TABLE practices; --": title(),
		"e-ID":                        title(2),
		"no such words":               title(),
	} {
		if got := found(t, s, q); !slices.Equal(got, want) {
			t.Errorf("search %q: %q, want %q", q, got, want)
		}
	}
	for _, q := range []string{strings.Repeat("регистрация ", 900), strings.Repeat("a", 10000), "\x00\x01\u202e", "\xff\xfe", "🙂 🙂", `\"`, "''''", "(((", "a:*", "a & b | !c", "NOT", "-portal"} {
		found(t, s, q) // never an error
	}
}

// FuzzPracticeSearch: no search input is ever an error.
func FuzzPracticeSearch(f *testing.F) {
	s := mustOpen(f, filepath.Join(f.TempDir(), "dmf.db"), nil)
	searchWorld(f, s)
	for _, seed := range []string{"", "portal", `"`, "a\"b*", "NEAR/2", "x:*&!y", "\x00", "регистрация", "\u0130", strings.Repeat("z", 10000)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if _, err := s.Practices(context.Background(), assessments.Actor{}, assessments.PracticeFilter{Q: q}); err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
	})
}

// TestPracticeSearchSameOnBothDatabases: SQLite's FTS index and
// PostgreSQL's tsvector find the same practices for the same words,
// fixed and random ones.
func TestPracticeSearchSameOnBothDatabases(t *testing.T) {
	admin := os.Getenv("DMF_TEST_POSTGRES")
	if admin == "" {
		if os.Getenv("DMF_CI") != "" {
			t.Fatal("DMF_TEST_POSTGRES is not set; .ci/run starts PostgreSQL and sets it")
		}
		t.Skip("DMF_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	builtin, _, _ := frameworksEmbedded(t)
	url, drop, err := assessments.CreatePostgresDatabase(ctx, admin, "dmf_test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { drop(context.Background()) })
	open := func(db string) *assessments.Store {
		s, err := assessments.Open(ctx, assessments.Options{Database: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Editions: builtin})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	lite, pg := open(filepath.Join(t.TempDir(), "dmf.db")), open(url)
	searchWorld(t, lite)
	searchWorld(t, pg)
	var words []string
	for _, p := range searchTexts {
		words = append(words, strings.Fields(p.Title+" "+p.Summary)...)
	}
	queries := []string{"", "regist", "регистрац", "sign in", "e-ID", "İSTANBUL", "naïve", "ऑनलाइन", "tax OR customs", `"a" NEAR b`}
	r := rand.New(rand.NewPCG(18, 2026))
	for range 300 {
		var q []string
		for range 1 + r.IntN(3) {
			w := []rune(words[r.IntN(len(words))])
			q = append(q, string(w[:1+r.IntN(len(w))])) // a prefix, maybe cut inside punctuation
		}
		queries = append(queries, strings.Join(q, " "))
	}
	for _, q := range queries {
		if a, b := found(t, lite, q), found(t, pg, q); !slices.Equal(a, b) {
			t.Errorf("search %q: SQLite finds %q, PostgreSQL %q", q, a, b)
		}
	}
}
