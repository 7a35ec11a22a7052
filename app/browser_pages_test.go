package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/unescap/dmf/assessments"
)

// maxAssetBytes is the budget of CSS and JavaScript a page may load.
const maxAssetBytes = 100 * 1024

// pageFixture is what the page checks look at: assessments in every state,
// a card, and approved assessments of two countries and two years for the
// comparison, its trend and the result's change column.
type pageFixture struct {
	draft, submitted, approved uint
	returned                   uint // complete, returned with comments
	capped                     uint // approved, its overall level held down by a level gate
	card                       string
	service, organisation      uint   // of the approved assessment: their public pages
	practice                   uint   // published, from the approved assessment
	shareInd                   string // an indicator of the approved assessment at level 4 with no practice yet
}

func (b *browserSuite) seedPageFixture(t *testing.T) pageFixture {
	t.Helper()
	ctx := context.Background()
	a, p, st := b.a, b.p, b.a.s.store
	var f pageFixture
	spread := func(i int) int { return 1 + (i*7+3)%5 }
	first := a.approve(p.actorA, p.actorRev, "Business registration", 2025, func(i int) int { return 1 + i%3 }, true)
	f.approved = a.approve(p.actorA, p.actorRev, "Business registration", 2026, spread, true)
	a.approve(p.actorB, p.actorRev, "VAT filing", 2026, func(i int) int { return 3 + i%3 }, true)
	f.submitted = a.approve(p.actorB, p.actorRev, "Customs declarations", 2026, spread, false)
	f.returned = a.approve(p.actorA, p.actorRev, "Company closure", 2026, spread, false)
	if _, err := st.Review(ctx, p.actorRev, f.returned, assessments.ReviewInput{Decision: assessments.DecisionReturn,
		Comment:    "Please add evidence for the share of applications made online.",
		Indicators: map[string]string{"SERV.1": "Which share of applications is online?", "SERV.2": "No e-signature yet?"}}); err != nil {
		t.Fatal(err)
	}
	// Top marks everywhere but proactivity: the score reaches the top
	// band, and the edition's gate caps the level below it.
	ed, _ := a.s.editions.Edition("escap-dmf-dps-sme", "")
	var proact []int
	i := 0
	for _, d := range ed.Dimensions {
		for range d.Indicators {
			if d.ID == "PROACT" {
				proact = append(proact, i)
			}
			i++
		}
	}
	f.capped = a.approve(p.actorB, p.actorRev, "Trade licences", 2026, func(i int) int {
		if slices.Contains(proact, i) {
			return 1
		}
		return 5
	}, true)
	if v, err := st.View(ctx, p.actorRev, f.capped); err != nil || v.Result.Overall.CappedBy == nil {
		t.Fatalf("the fixture's gated assessment is not capped (%v): the result page state no longer shows a gate", err)
	}
	// Issue 18: the 2025 assessment has a plan, which the 2026 result
	// reads (the first target reached, the second not); the 2026 one has
	// a published practice and one waiting for review.
	// Indicators each service answers itself (another test may have
	// given the country's answers): where the plan's targets start, and
	// where the 2026 assessment is at level 4 or 5.
	var own, strong []string
	i = 0
	for _, d := range ed.Dimensions {
		for _, ind := range d.Indicators {
			if !ind.CountryScoped() && ind.Type == "level" {
				own = append(own, ind.ID)
				if spread(i) >= 4 {
					strong = append(strong, ind.ID)
				}
			}
			i++
		}
	}
	inds := []string{own[0], own[1], "", strong[1], "", strong[2]}
	pubInd := strong[0]
	due := time.Now().UTC().AddDate(1, 0, 0).Format("2006-01-02")
	if _, err := st.SavePlan(ctx, p.actorA, first, []assessments.PlanInput{
		{Indicator: inds[0], TargetLevel: 4, Actions: "Publish the service standard and measure it every quarter.", Owner: "Digital office", Due: due},
		{Indicator: inds[1], TargetLevel: 5, Actions: "Accept e-signatures on every form.", Owner: "Legal department", Due: due},
	}); err != nil {
		t.Fatal(err)
	}
	pub, err := st.SubmitPractice(ctx, p.actorA, f.approved, assessments.PracticeInput{Indicator: pubInd, Title: "One login for every form",
		Summary: "Businesses sign in once with the national e-ID and reach every form from one page.", Contact: "digital@justice.example.kz", Links: []string{longURL}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReviewPractice(ctx, p.actorRev, pub.ID, "publish", ""); err != nil {
		t.Fatal(err)
	}
	f.practice = pub.ID
	if _, err := st.SubmitPractice(ctx, p.actorA, f.approved, assessments.PracticeInput{Indicator: inds[3], Title: "Единое окно",
		Summary: "Заявитель видит, где находится его заявление.", Language: "ru"}); err != nil {
		t.Fatal(err)
	}
	f.shareInd = inds[5]

	rec, err := st.CardOf(ctx, p.actorA, f.approved)
	if err != nil {
		t.Fatal(err)
	}
	f.card = rec.ID
	svcA, err := st.ServiceByName(ctx, p.actorA, "Business registration")
	if err != nil {
		t.Fatal(err)
	}
	f.service, f.organisation = svcA.ID, svcA.OrganisationID

	// A draft with part of its answers, a comment and evidence.
	svc, err := st.CreateService(ctx, p.actorA, assessments.Service{Name: "SME support grants", Category: "sme-support"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.CreateAssessment(ctx, p.actorA, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: "escap-dmf-dps-sme", Period: 2026})
	if err != nil {
		t.Fatal(err)
	}
	two, four := 2, 4
	if _, err := st.SaveAnswers(ctx, p.actorA, d.ID, nil, assessments.Answers{
		"SERV.1":  {Level: &four, Comment: "Registration takes 15 minutes online.", Evidence: []string{longURL}},
		"SERV.2":  {Level: &two},
		"STRAT.1": {Level: &four},
	}); err != nil {
		t.Fatal(err)
	}
	f.draft = d.ID

	// Long words that must wrap rather than widen a page: a token name
	// without spaces, an e-mail address in the header, a link.
	if _, _, err := st.CreateToken(ctx, p.actorA.UserID, "statistics-office-quarterly-export-to-the-national-data-warehouse"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, nil, assessments.NewUser{Email: longEmail, Password: pw, Role: assessments.RoleRespondent, OrganisationID: p.actorA.OrganisationID}); err != nil {
		t.Fatal(err)
	}
	return f
}

// A long address and a long link for the page fixture.
const (
	longEmail = "head-of-digital-transformation.department@ministry-of-justice.gov.example.kz"
	longURL   = "https://stats.example.gov/publications/digital-services/registration-statistics-quarterly-2026-q1-final-version.pdf"
)

// pageState is one page in one state: a plain GET, or a form posted to it
// that comes back with problems.
type pageState struct {
	name   string
	who    string // "", "respondent", "reviewer", "admin"
	path   string
	status int64         // the status the state answers with
	act    func(tb *tab) // turns the opened page into the state
	shot   string        // the languages to screenshot it in (at every width): "", "en" or "en ru"
	extra  bool          // a variant of another state; no longer special: every state is checked in every language
	words  bool          // checked in French and Chinese for English left over (its page shows no English fixture data)
}

// visit opens the state's page in tb, does its action, and checks the
// status the page was answered with; it returns that status.
func (ps pageState) visit(tb *tab, name string) int64 {
	tb.t.Helper()
	status := tb.open(ps.path)
	if ps.act != nil {
		ps.act(tb)
		status = js[int64](tb, `performance.getEntriesByType('navigation')[0]?.responseStatus ?? 0`)
	}
	want := ps.status
	if want == 0 {
		want = 200
	}
	if status != want {
		tb.t.Errorf("%s: %s answered %d, want %d", name, tb.path(), status, want)
	}
	return want
}

// states lists every page type, with the error states of its forms.
func (b *browserSuite) states(f pageFixture) []pageState {
	ctx := context.Background()
	st := b.a.s.store
	ed := "/frameworks/escap-dmf-dps-sme"
	draft := fmt.Sprintf("/assessments/%d", f.draft)
	approved := fmt.Sprintf("/assessments/%d", f.approved)
	submitted := fmt.Sprintf("/assessments/%d", f.submitted)
	// An account nobody signs in with, whose password the reset state
	// may reset without signing out a tab the other states use.
	spare, err := st.CreateUser(ctx, nil, assessments.NewUser{Email: "spare@escap.org", Name: "Spare reviewer", Password: pw, Role: assessments.RoleReviewer})
	if err != nil {
		b.a.t.Fatal(err)
	}
	spareUser := fmt.Sprintf("/admin/users/%d", spare.ID)
	// It waits for a single sign-on to complete an admin's link.
	if _, err := st.AddIdentity(ctx, b.actorOf(b.p.adm), spare.ID, "gov", b.idp.URL, "spare.reviewer@gov-id.example"); err != nil {
		b.a.t.Fatal(err)
	}
	returned := fmt.Sprintf("/assessments/%d", f.returned)
	// A reviewer with an authenticator app, whose sign-ins the "pending"
	// tab starts afresh for each second-step state (a pending sign-in
	// lasts only minutes).
	factorUser, err := st.CreateUser(ctx, nil, assessments.NewUser{Email: "factor@escap.org", Name: "Reviewer with a second factor", Password: pw, Role: assessments.RoleReviewer})
	if err != nil {
		b.a.t.Fatal(err)
	}
	enrol := func(id uint) {
		if u, _ := st.User(ctx, id); u.SecondFactorAt != nil {
			return
		}
		secret, _, err := st.StartTOTP(ctx, id, "DMF test")
		if err != nil {
			b.a.t.Fatal(err)
		}
		code, _ := totp.GenerateCode(secret, time.Now())
		if _, err := st.ConfirmTOTP(ctx, id, code); err != nil {
			b.a.t.Fatal(err)
		}
	}
	enrol(factorUser.ID)
	secondStep := func(tb *tab) {
		token, err := st.CreateSession(ctx, factorUser.ID)
		if err != nil {
			tb.t.Fatal(err)
		}
		call(tb, network.SetCookie, network.SetCookieParams{Name: sessionCookie, Value: token, URL: tb.base, HTTPOnly: new(true), SameSite: network.CookieSameSiteLax})
		tb.open("/login/second-factor?next=%2Freview")
	}
	// post submits a form as it is, past the browser's own checks, so
	// that the server's problems show.
	post := func(form string, set map[string]string) func(tb *tab) {
		return func(tb *tab) {
			if set == nil {
				set = map[string]string{}
			}
			setJS, _ := json.Marshal(set)
			q, _ := json.Marshal(form)
			tb.follow(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
				const f = document.querySelector(%s);
				for (const [name, value] of Object.entries(%s)) {
					const el = f.elements[name];
					if (el.length !== undefined && el.tagName === undefined) { for (const r of el) r.checked = r.value === value; } else { el.value = value; }
				}
				f.submit();
			})()`, q, setJS)))
		}
	}
	return []pageState{
		{name: "home", path: "/", shot: "en ru"},
		{name: "frameworks", words: true, extra: true, path: "/frameworks"},
		{name: "framework", words: true, path: ed, shot: "en ru", act: func(tb *tab) {
			// The default edition is 1.1.0: its page lists what changed
			// from 1.0.0, in the page's language.
			if tb.count("ul.changelog li") == 0 {
				tb.t.Errorf("the framework page has no changelog")
			}
		}},
		{name: "dimension", words: true, path: ed + "/dimensions/SERV"},
		{name: "reference", path: "/reference"},
		{name: "reference-wsis", extra: true, path: "/reference/wsis"},
		{name: "reference-topic", extra: true, path: "/reference/dmf"},
		{name: "login", path: "/login", shot: "en ru"},
		{name: "login-failed", path: "/login", status: 401, act: post(`form[action="/login"]`, map[string]string{"email": "nobody@example.org", "password": "wrong password"})},
		{name: "login-sso-refused", path: "/login?sso=unlinked"},
		{name: "compare-public", extra: true, path: "/compare"},
		{name: "vocab", extra: true, path: "/vocab"},
		{name: "verify", words: true, extra: true, path: "/verify"},
		{name: "verify-problem", words: true, path: "/verify", status: 422, act: post(`form[action="/verify"]`, map[string]string{"card": ""})},
		{name: "verify-card", words: true, path: "/verify?card=" + f.card},
		{name: "verify-tampered", words: true, extra: true, path: "/verify", act: func(tb *tab) {
			rec, _ := st.Card(ctx, f.card)
			bad := strings.Replace(string(rec.Data), `"period":2026`, `"period":2027`, 1)
			post(`form[action="/verify"]`, map[string]string{"card": bad})(tb)
		}},
		{name: "card", path: "/cards/" + f.card, shot: "en ru"},
		// Issue 14: the card's "for verifiers" part and the framework's digest, unfolded.
		{name: "card-verifiers", path: "/cards/" + f.card, shot: "en ru", act: openDetails},
		{name: "framework-digest", words: true, path: ed, shot: "en ru", act: openDetails},
		{name: "service-public", path: fmt.Sprintf("/services/%d", f.service)},
		{name: "organisation-public", path: fmt.Sprintf("/organisations/%d", f.organisation)},
		{name: "not-found", extra: true, path: "/no-such-page", status: 404},

		{name: "assessments", who: "respondent", path: "/assessments"},
		{name: "services", extra: true, who: "respondent", path: "/services"},
		{name: "services-problem", who: "respondent", path: "/services", status: 422, act: post(`form[method="post"][action="/services"]`, map[string]string{"name": "", "url": "ftp://x"})},
		{name: "assessment-new", extra: true, who: "respondent", path: "/assessments/new"},
		{name: "overview", extra: true, who: "respondent", path: draft},
		{name: "overview-incomplete", who: "respondent", path: draft, status: 422, act: post(`form[action$="/submit"]`, nil)},
		{name: "overview-returned", who: "respondent", path: returned, shot: "en ru"},
		{name: "confirm-submit", who: "respondent", path: returned, act: post(`form[action$="/submit"]`, nil)},
		{name: "questionnaire", who: "respondent", path: draft + "/dimensions/SERV", shot: "en ru"},
		{name: "questionnaire-problem", who: "respondent", path: draft + "/dimensions/SERV", status: 422, act: post(`form.questionnaire`, map[string]string{"SERV.1.evidence": "not a link", "SERV.1.comment": "x\x01"})},
		{name: "questionnaire-conflict", who: "respondent", path: draft + "/dimensions/SERV", status: 409, act: func(tb *tab) {
			three := 3
			if _, err := st.SaveAnswers(ctx, b.p.actorA, f.draft, nil, assessments.Answers{"SERV.2": {Level: &three}}); err != nil {
				tb.t.Fatal(err)
			}
			post(`form.questionnaire`, map[string]string{"SERV.2.level": "4"})(tb)
			if tb.count("#conflict") != 1 {
				tb.t.Errorf("the conflicting save does not say so")
			}
		}},
		{name: "result", who: "respondent", path: approved + "/result", shot: "en ru"},
		{name: "result-capped", who: "reviewer", path: fmt.Sprintf("/assessments/%d/result", f.capped), shot: "en ru", act: func(tb *tab) {
			if !strings.Contains(js[string](tb, `document.body.innerText`), map[string]string{"en": "Capped at", "ru": "Уровень ограничен"}[tb.lang()]) {
				tb.t.Errorf("the result of a gated assessment does not say it is capped")
			}
		}},
		{name: "result-plan-problem", who: "respondent", path: approved + "/result", status: 422, act: post(`form.plan-form`, map[string]string{"plan.0.indicator": "SERV.2", "plan.0.target_level": "1", "plan.0.actions": "", "plan.0.due": "2001-01-01"})},
		{name: "practices", path: "/practices", shot: "en ru"},
		{name: "practices-search", extra: true, path: "/practices?q=login&dimension=SERV&country=KAZ"},
		{name: "practice", path: fmt.Sprintf("/practices/%d", f.practice), shot: "en"},
		{name: "practice-new", who: "respondent", path: approved + "/practices/new?indicator=" + f.shareInd},
		{name: "practice-new-problem", who: "respondent", path: approved + "/practices/new?indicator=" + f.shareInd, status: 422, act: post(`form[action$="/practices"]`, map[string]string{"title": "", "summary": "", "links": "ftp://x"})},
		{name: "report", who: "respondent", path: approved + "/report", shot: "en"},
		{name: "report-print-button", who: "respondent", path: approved + "/report", shot: "ru", act: func(tb *tab) {
			if !js[bool](tb, `(() => { const b = document.querySelector('button[data-print]'); return !!b && !b.hidden && b.offsetWidth > 0; })()`) {
				tb.t.Errorf("the report's print button is not shown with JavaScript")
			}
		}},
		{name: "password", extra: true, who: "respondent", path: "/account/password"},
		{name: "account", who: "respondent", path: "/account", shot: "en ru"}, // with a long token name
		{name: "account-long-email", who: "official", path: "/account"},
		{name: "account-sso-refused", who: "respondent", path: "/account?sso=unverified"},
		{name: "notifications", who: "respondent", path: "/notifications", shot: "en ru"},
		// Issue 21: the second factor.
		{name: "second-factor", words: true, who: "respondent", path: "/account/second-factor", shot: "en ru"},
		{name: "second-factor-setup", words: true, who: "respondent", path: "/account/second-factor", shot: "en ru", act: post(`form[action="/account/totp"]`, nil)},
		{name: "second-factor-setup-problem", words: true, who: "respondent", path: "/account/second-factor", status: 422, act: func(tb *tab) {
			post(`form[action="/account/totp"]`, nil)(tb)
			post(`form[action="/account/totp/confirm"]`, map[string]string{"code": "12345"})(tb)
		}},
		{name: "second-factor-codes", words: true, who: "official", path: "/account", shot: "en", act: func(tb *tab) {
			u, err := st.UserByEmail(ctx, longEmail)
			if err != nil {
				tb.t.Fatal(err)
			}
			enrol(u.ID) // the tab's session predates it and stays signed in
			tb.openOK("/account/second-factor")
			post(`form[action="/account/recovery-codes"]`, nil)(tb)
			if tb.count("ol.codes li") != assessments.RecoveryCodes {
				tb.t.Errorf("the new recovery codes are not shown")
			}
		}},
		{name: "second-factor-on-problem", words: true, who: "official", path: "/account/second-factor", status: 422, act: post(`form[action="/account/totp/disable"]`, map[string]string{"password": "not the password", "code": "123456"})},
		{name: "login-second-factor", words: true, who: "pending", path: "/", shot: "en ru", act: secondStep},
		{name: "login-second-factor-failed", words: true, who: "pending", path: "/", status: 401, act: func(tb *tab) {
			secondStep(tb)
			post(`form[action="/login/second-factor"]`, map[string]string{"code": "000000"})(tb)
		}},
		{name: "admin-user-second-factor", words: true, who: "admin", path: fmt.Sprintf("/admin/users/%d", factorUser.ID)},
		{name: "password-reset", extra: true, path: "/password-reset"},
		{name: "password-reset-problem", path: "/password-reset", status: 422, act: post(`form[action="/password-reset"]`, map[string]string{"email": "not an address"})},
		{name: "password-reset-new", extra: true, path: "/password-reset/new?token=x"},
		{name: "password-reset-new-problem", path: "/password-reset/new?token=x", status: 422, act: post(`form[action="/password-reset/new"]`, map[string]string{"password": "a long enough passphrase", "confirm": "a long enough passphrase"})},

		{name: "review-queue", who: "reviewer", path: "/review"},
		{name: "review", who: "reviewer", path: submitted + "/review", shot: "en"},
		{name: "review-problem", who: "reviewer", path: submitted + "/review", status: 422, act: post(`form.review-form`, map[string]string{"decision": "return"})},
		{name: "confirm-return", who: "reviewer", path: submitted + "/review", act: post(`form.review-form`, map[string]string{"decision": "return", "comment": "Please add evidence.", "note.SERV.1": "Which share is online?"})},
		{name: "confirm-approve", extra: true, who: "reviewer", path: submitted + "/review", act: post(`form.review-form`, map[string]string{"decision": "approve"})},
		{name: "practices-review", who: "reviewer", path: "/review/practices", shot: "en"},
		{name: "practices-review-problem", who: "reviewer", path: "/review/practices", status: 422, act: post(`form[action$="/review"]`, map[string]string{"comment": ""})},
		{name: "confirm-revoke", who: "reviewer", path: "/cards/" + f.card, act: post(`form[action$="/revoke"]`, map[string]string{"reason": "Issued by mistake."})},
		{name: "compare", who: "reviewer", path: "/compare?countries=KAZ,UZB", shot: "en ru"},
		{name: "compare-dimension", who: "reviewer", path: "/compare/dimensions/SERV?countries=KAZ,UZB", shot: "en ru"},
		{name: "compare-dimension-public", extra: true, path: "/compare/dimensions/DATA?category=tax"},
		{name: "card-reviewer", extra: true, who: "reviewer", path: "/cards/" + f.card},

		{name: "admin-users", who: "admin", path: "/admin/users", shot: "en"},
		{name: "admin-users-problem", who: "admin", path: "/admin/users", status: 422, act: post(`form[method="post"][action="/admin/users"]`, map[string]string{"email": "not-an-email", "password": "short"})},
		{name: "admin-organisations", extra: true, who: "admin", path: "/admin/organisations"},
		{name: "admin-audit", extra: true, who: "admin", path: "/admin/audit"},
		{name: "admin-peers", words: true, who: "admin", path: "/admin/peers"},
		{name: "admin-peers-problem", words: true, who: "admin", path: "/admin/peers", status: 422, act: post(`form[action="/admin/peers"]`, map[string]string{"base_url": "ftp://not-a-peer"})},
		{name: "admin-user", who: "admin", path: spareUser},
		{name: "admin-user-problem", who: "admin", path: spareUser, status: 422, act: post(`form[action="`+spareUser+`"]`, map[string]string{"name": "", "role": "respondent", "organisation": ""})},
		{name: "admin-user-reset", extra: true, who: "admin", path: spareUser, act: post(`form[action$="/reset-password"]`, nil)},
		{name: "admin-user-sso-problem", who: "admin", path: spareUser, status: 422, act: post(`form[action$="/identities"]`, map[string]string{"email": "not an address"})},
		{name: "admin-organisation", extra: true, who: "admin", path: fmt.Sprintf("/admin/organisations/%d", f.organisation)},
		{name: "admin-organisation-problem", who: "admin", path: fmt.Sprintf("/admin/organisations/%d", f.organisation), status: 422, act: post(`form.form`, map[string]string{"name": "", "kind": "other"})},
		{name: "admin-services", extra: true, who: "admin", path: "/admin/services"},
		{name: "admin-service", who: "admin", path: fmt.Sprintf("/admin/services/%d", f.service)},
		{name: "admin-service-problem", extra: true, who: "admin", path: fmt.Sprintf("/admin/services/%d", f.service), status: 422, act: post(`form.form`, map[string]string{"name": "", "url": "ftp://x"})},
	}
}

// testPages checks every page state in every interface language (English,
// Russian, French and Chinese), each at the desktop and the phone width
// (pageViews): axe-core finds no WCAG 2.1 A or AA violation and nothing its
// best-practice rules object to, nothing scrolls sideways and every control
// is on screen; error summaries link to their fields, charts have text
// equivalents and no page loads more than 100 KB of CSS and JavaScript; the
// states marked words have no English left in French and Chinese
// (checkNoEnglish). The main pages are saved as screenshots at both widths
// in the languages their shot names.
func (b *browserSuite) testPages(t *testing.T) {
	f := b.seedPageFixture(t)
	states := b.states(f)
	weights := map[string]string{} // page → CSS and JS bytes
	tabs := map[string]*tab{"": b.newTab(t, "visitor")}
	for who, email := range map[string]string{"respondent": b.p.a, "reviewer": b.p.rev, "admin": b.p.adm, "official": longEmail} {
		tabs[who] = b.newTab(t, who)
		b.signIn(tabs[who], email)
	}
	tabs["pending"] = b.newTab(t, "pending") // half signed in, by each second-step state
	for _, lang := range languages {
		t.Run(lang, func(t *testing.T) {
			for _, tb := range tabs {
				tb.t = t
				tb.useLang(lang)
			}
			for i, ps := range states {
				tb := tabs[ps.who]
				name := fmt.Sprintf("%s (%s)", ps.name, lang)
				want := ps.visit(tb, name)
				if got := tb.lang(); got != lang {
					t.Errorf("%s: html lang %q", name, got)
				}
				if lang == "en" {
					weights[ps.name] = b.checkWeight(tb, name)
				}
				if ps.words && lang != "en" && lang != "ru" {
					b.checkNoEnglish(tb, lang, b.journeyData()...)
				}
				b.checkErrorSummary(tb, name, want == 422)
				b.checkCharts(tb, name)
				shot := ""
				if strings.Contains(ps.shot, lang) {
					shot = fmt.Sprintf("%02d-%s-%s", i, ps.name, lang)
				}
				b.checkViews(tb, name, shot)
			}
			if lang == "en" {
				b.checkAxeFindsProblems(tabs[""])
			}
			t.Logf("checked %d page states in %s at %d widths", len(states), lang, len(pageViews()))
		})
	}
	pages := map[string][]string{} // weight → pages
	for _, ps := range states {
		pages[weights[ps.name]] = append(pages[weights[ps.name]], ps.name)
	}
	for w, names := range pages {
		t.Logf("CSS and JavaScript: %s on %d pages (%s)", w, len(names), strings.Join(names, ", "))
	}
}

// viewport is a window size the page checks run at.
type viewport struct {
	name          string // in screenshot names: "desktop", "phone"
	width, height int64
	mobile        bool // emulate a phone (touch, mobile viewport)
}

// pageViews are the sizes every page state is checked at. The first is the
// one a tab opens at (newTab) and returns to after checkViews.
func pageViews() []viewport {
	return []viewport{
		{name: "desktop", width: desktopWidth, height: desktopHeight},
		{name: "phone", width: phoneWidth, height: phoneHeight, mobile: true},
	}
}

// setView resizes the tab's window to v; the page stays loaded.
func (tb *tab) setView(v viewport) {
	tb.t.Helper()
	if v.mobile {
		tb.do(chromedp.EmulateViewport(v.width, v.height, chromedp.EmulateMobile))
	} else {
		tb.do(chromedp.EmulateViewport(v.width, v.height))
	}
}

// checkViews checks the page as it is now at every size of pageViews: axe
// (checkAxe), nothing sideways and every control on screen (checkFits).
// With a shot name it saves a screenshot at each size (name-desktop.png,
// name-phone.png). The tab ends at the desktop size. A test of a page
// state of its own calls it after bringing the page into that state.
func (b *browserSuite) checkViews(tb *tab, page, shot string) {
	tb.t.Helper()
	views := pageViews()
	for _, v := range views {
		tb.setView(v)
		name := fmt.Sprintf("%s at %d px", page, v.width)
		b.checkAxe(tb, name)
		b.checkFits(tb, name, v.width)
		b.checkHeader(tb, name, v)
		if shot != "" {
			scale := 1.0
			if v.width > 1000 {
				scale = 0.5 // enough to read, a quarter of the file
			}
			tb.screenshot(b.shotDir(tb.t), shot+"-"+v.name, scale)
		}
	}
	tb.setView(views[0])
}

// box is where an element is on screen; nil if it is not rendered (or
// inside a closed <details>).
type box struct{ Top, Bottom, Height float64 }

// boxesJS measures the header's parts (see box).
const boxesJS = `(() => {
	const box = s => { const e = document.querySelector(s); if (!e || !e.checkVisibility()) return null; const b = e.getBoundingClientRect();
		return b.width || b.height ? {top: b.top, bottom: b.bottom, height: b.height} : null; };
	return {header: box('header.site'), brand: box('.brand'), lang: box('.lang-nav'), account: box('.account'),
		nav: box('.main-nav'), menu: box('details.menu > summary'), panel: box('.menu-panel')};
})()`

type headerBoxes struct{ Header, Brand, Lang, Account, Nav, Menu, Panel *box }

// checkHeader: the header has one layout on every page. Wide, the
// language switch and the account share the brand's row and the
// navigation is the row below, the whole at most 130 px high; on a phone
// it is one row of at most 80 px, the navigation and account folded into
// the menu.
func (b *browserSuite) checkHeader(tb *tab, page string, v viewport) {
	tb.t.Helper()
	h := js[headerBoxes](tb, boxesJS)
	if h.Header == nil || h.Brand == nil || h.Lang == nil {
		tb.t.Errorf("%s: the header, its brand or the language switch is missing", page)
		return
	}
	if v.mobile {
		if h.Header.Height > 80 || h.Menu == nil || h.Nav != nil || h.Account != nil {
			tb.t.Errorf("%s: the header is %.0f px high (menu %v, navigation shown %v, account shown %v), want one row of at most 80 px with the rest in the menu",
				page, h.Header.Height, h.Menu != nil, h.Nav != nil, h.Account != nil)
		}
		return
	}
	switch {
	case h.Nav == nil || h.Account == nil || h.Menu != nil:
		tb.t.Errorf("%s: the wide header hides its navigation or account, or shows the menu button", page)
	case h.Nav.Top < h.Brand.Bottom-1 || h.Lang.Bottom > h.Nav.Top+1 || h.Account.Bottom > h.Nav.Top+1:
		tb.t.Errorf("%s: the wide header is not brand, language and account above the navigation: %+v %+v %+v %+v", page, *h.Brand, *h.Lang, *h.Account, *h.Nav)
	case h.Header.Height > 130:
		tb.t.Errorf("%s: the wide header is %.0f px high", page, h.Header.Height)
	}
}

// testPhoneMenu: on a phone the menu opens and closes without JavaScript,
// from the keyboard, shows the navigation and the account below the bar,
// and passes axe while open.
func (b *browserSuite) testPhoneMenu(t *testing.T) {
	r := b.newTab(t, "respondent on a phone without JavaScript")
	call(r, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	b.signIn(r, b.p.a)
	for _, lang := range languages {
		r.useLang(lang)
		r.openOK("/assessments")
		r.setView(pageViews()[1])
		r.do(chromedp.Focus(chromedp.CSS("details.menu > summary")), chromedp.KeyEvent("\r"))
		h := js[headerBoxes](r, boxesJS)
		if h.Nav == nil || h.Account == nil || h.Panel == nil || h.Header == nil || h.Panel.Top < h.Header.Bottom-1 {
			t.Errorf("%s: Enter on the menu button does not show the navigation and account below the bar: %+v", lang, h)
		}
		if !js[bool](r, `document.activeElement.matches(':focus-visible') && getComputedStyle(document.activeElement).outlineStyle !== 'none'`) {
			t.Errorf("%s: the menu button shows no focus", lang)
		}
		name := "open phone menu (" + lang + ")"
		b.checkAxeNoScript(r, name)
		b.checkFits(r, name, phoneWidth)
		r.screenshot(b.shotDir(t), "menu-"+lang+"-phone", 1)
		r.follow(chromedp.Evaluate[chromedp.Void](`document.querySelector('.menu-panel .main-nav a[href="/compare"]').click()`))
		if p := r.path(); !strings.HasPrefix(p, "/compare") {
			t.Errorf("%s: the menu's link led to %s", lang, p)
		}
		if h := js[headerBoxes](r, boxesJS); h.Nav != nil {
			t.Errorf("%s: the menu is open on the next page", lang)
		}
		r.setView(pageViews()[0])
	}
}

// useLang brings the tab's session to lang through the language switch.
func (tb *tab) useLang(lang string) {
	tb.t.Helper()
	tb.openOK("/")
	if tb.lang() != lang {
		tb.switchLang(lang)
	}
}

// checkWeight sums the CSS and JavaScript the page loaded, and describes
// it.
func (b *browserSuite) checkWeight(tb *tab, page string) string {
	tb.t.Helper()
	w := js[struct {
		Total int            `json:"total"`
		Parts map[string]int `json:"parts"`
	}](tb, `(async () => {
		const urls = new Set([...document.querySelectorAll('link[rel~="stylesheet"][href], script[src]')].map(e => e.href || e.src));
		for (const e of performance.getEntriesByType('resource')) {
			if (/\.(css|js)$/.test(e.name.split(/[?#]/)[0]) || ['script', 'css'].includes(e.initiatorType)) urls.add(e.name);
		}
		for (const u of urls) {
			if (u.includes('`+axeURL+`')) urls.delete(u); // the test's own tool
		}
		const parts = {};
		let total = 0;
		for (const u of urls) {
			const e = performance.getEntriesByName(u)[0];
			let n = e ? e.decodedBodySize : 0;
			if (!n) n = (await (await fetch(u)).arrayBuffer()).byteLength;
			parts[u.split(/[?#]/)[0].split('/').slice(-2).join('/')] = n;
			total += n;
		}
		return {total, parts};
	})()`)
	if w.Total > maxAssetBytes || w.Total == 0 {
		tb.t.Errorf("%s loads %d bytes of CSS and JavaScript (%v); the budget is %d", page, w.Total, w.Parts, maxAssetBytes)
	}
	return fmt.Sprintf("%d bytes %v", w.Total, w.Parts)
}

// checkFits: at the tab's width (which must be width) the page does not
// scroll sideways and every control is at least partly on screen. A box
// may scroll sideways on its own (a wide data table) only if the keyboard
// can scroll it: it takes the focus and is a named region; a control inside
// it counts as on screen.
func (b *browserSuite) checkFits(tb *tab, page string, width int64) {
	tb.t.Helper()
	r := js[struct {
		Width       int      `json:"width"`
		ScrollWidth int      `json:"scrollWidth"`
		Wide        []string `json:"wide"`
		Off         []string `json:"off"`
		Regions     []string `json:"regions"`
	}](tb, `(() => {
		const de = document.documentElement, vw = de.clientWidth;
		const label = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
			(typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).join('.') : '') +
			' "' + (el.textContent || el.value || '').replace(/\s+/g, ' ').trim().slice(0, 40) + '"';
		const scroller = el => {
			for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
				const s = getComputedStyle(p);
				if ((s.overflowX === 'auto' || s.overflowX === 'scroll') && p.scrollWidth > p.clientWidth + 1) return p;
			}
			return null;
		};
		const out = {width: vw, scrollWidth: de.scrollWidth, wide: [], off: [], regions: []};
		const regions = new Set();
		for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
			if (el.matches('.skip')) continue; // off screen until it has the focus
			const r = el.getBoundingClientRect();
			if (r.width === 0 && r.height === 0) continue; // not rendered
			const box = scroller(el);
			if (box) { regions.add(box); continue; }
			if (r.right <= 0 || r.left >= vw) out.off.push(label(el));
		}
		for (const box of document.body.querySelectorAll('*')) {
			const s = getComputedStyle(box);
			if ((s.overflowX === 'auto' || s.overflowX === 'scroll') && box.scrollWidth > box.clientWidth + 1) regions.add(box);
		}
		for (const box of regions) {
			const named = box.getAttribute('role') === 'region' && (box.hasAttribute('aria-label') || box.hasAttribute('aria-labelledby'));
			if (box.tabIndex < 0 || !named) out.regions.push(label(box));
		}
		if (de.scrollWidth > vw) {
			for (const el of document.body.querySelectorAll('*')) {
				const over = e => e.getBoundingClientRect().right > vw + 1 && !scroller(e);
				if (over(el) && ![...el.children].some(over)) out.wide.push(label(el) + ' ends at ' + Math.round(el.getBoundingClientRect().right));
			}
		}
		out.wide = out.wide.slice(0, 8);
		return out;
	})()`)
	if int64(r.Width) != width {
		tb.t.Fatalf("%s: the viewport is %d px wide, want %d", page, r.Width, width)
	}
	if r.ScrollWidth > r.Width {
		tb.t.Errorf("%s scrolls sideways (%d px wide): %s", page, r.ScrollWidth, strings.Join(r.Wide, "; "))
	}
	for _, el := range r.Off {
		tb.t.Errorf("%s: %s is off screen", page, el)
	}
	for _, el := range r.Regions {
		tb.t.Errorf("%s: %s scrolls sideways but cannot be scrolled by keyboard (needs tabindex=0, role=region and a name)", page, el)
	}
	// A table stacked into blocks is still a table to assistive technology.
	if roles := axRoles(tb, "table.stack td"); roles != nil && (!slices.Contains(roles, "cell") || !slices.Contains(roles, "table")) {
		tb.t.Errorf("%s: a stacked table's cell has the roles %v, not a cell of a table", page, roles)
	}
}

// axRoles is the accessibility roles of the first element matching sel and
// its ancestors, as the browser exposes them; nil if nothing matches.
func axRoles(tb *tab, sel string) []string {
	tb.t.Helper()
	return value(tb, func(ctx context.Context, t *chromedp.Target) ([]string, error) {
		doc, err := cdp.Call(ctx, t, dom.GetDocument, dom.GetDocumentParams{})
		if err != nil {
			return nil, err
		}
		q, err := cdp.Call(ctx, t, dom.QuerySelector, dom.QuerySelectorParams{NodeID: doc.Root.NodeID, Selector: sel})
		if err != nil || q.NodeID == 0 {
			return nil, err
		}
		tree, err := cdp.Call(ctx, t, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{NodeID: q.NodeID, FetchRelatives: new(true)})
		if err != nil {
			return nil, err
		}
		var roles []string
		for _, n := range tree.Nodes {
			if n.Role != nil {
				roles = append(roles, strings.Trim(string(n.Role.Value), `"`))
			}
		}
		return roles, nil
	})
}

// checkErrorSummary: each problem in a form's error summary links to its
// field (or, for missing answers, to their pages); the field has a label,
// is described by its own error message and is marked invalid, so that a
// screen reader reads the problem at the field (WCAG 1.3.1, 3.3.1, 3.3.3).
// A page answering 422 must have such a summary.
func (b *browserSuite) checkErrorSummary(tb *tab, page string, want bool) {
	tb.t.Helper()
	r := js[struct {
		Links    int      `json:"links"`
		Problems []string `json:"problems"`
	}](tb, `(() => {
		const links = [...document.querySelectorAll('.error-summary a[href^="#"]')], problems = [];
		for (const a of links) {
			const id = decodeURIComponent(a.getAttribute('href').slice(1)), el = document.getElementById(id);
			if (!el) { problems.push('"' + a.textContent + '" links to #' + id + ', which is missing'); continue; }
			if (!el.matches('input, select, textarea')) { problems.push('#' + id + ' is not a form field'); continue; }
			if (!el.labels || !el.labels.length) problems.push('#' + id + ' has no label');
			const err = document.getElementById(id + '-error');
			if (!err) { problems.push('#' + id + ' has no error message beside it'); continue; }
			if (!(el.getAttribute('aria-describedby') || '').split(/\s+/).includes(err.id)) problems.push('#' + id + ' is not described by its error message');
			if (!['radio', 'checkbox'].includes(el.type) && el.getAttribute('aria-invalid') !== 'true') problems.push('#' + id + ' is not marked aria-invalid');
		}
		return {links: document.querySelectorAll('.error-summary a[href]').length, problems};
	})()`)
	if want && r.Links == 0 {
		tb.t.Errorf("%s: the form came back with problems but no error summary links to them", page)
	}
	for _, p := range r.Problems {
		tb.t.Errorf("%s: error summary: %s", page, p)
	}
}

// checkCharts: every chart is an image with a name and a description, and
// its numbers are also in a table on the page (WCAG 1.1.1, 1.3.1).
func (b *browserSuite) checkCharts(tb *tab, page string) {
	tb.t.Helper()
	for _, p := range js[[]string](tb, `[...document.querySelectorAll('svg.radar')].flatMap(svg => {
		const text = id => document.getElementById(id)?.textContent.trim() || '';
		const ids = (svg.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
		const problems = [];
		if (svg.getAttribute('role') !== 'img') problems.push('a chart is not role=img');
		if (ids.length < 2 || ids.some(id => !text(id))) problems.push('a chart has no title and description');
		if (!document.querySelector('main table')) problems.push('a chart has no table with its numbers');
		return problems;
	})`) {
		tb.t.Errorf("%s: %s", page, p)
	}
}

// openDetails unfolds every <details> in the page's main content, so that
// axe and the screenshots see what a reader who opens them sees. The
// header's phone menu is a <details> too; the phone-menu test opens that.
func openDetails(tb *tab) {
	tb.do(chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('main details').forEach(d => { d.open = true; })`))
}
