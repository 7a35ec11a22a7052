package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// journeyLevel is the level the respondent picks for the i-th indicator.
func journeyLevel(i int) int { return 1 + (i*3+2)%5 }

// testJourney: a respondent signs in, registers a service, answers every
// dimension (the first by keyboard only), sees the answers save, submits
// and reads the result; a reviewer returns it with comments; the respondent
// fixes the answer and resubmits; the reviewer approves; the card shows its
// QR code, its JSON downloads, the verify page passes every check, and the
// switch to Russian holds from page to page.
//
// In French and Chinese the respondent chooses the language on the home page
// and the reviewer after signing in; every page either of them then opens
// must have no English left on it (checkNoEnglish), and the people type
// their own words in their language.
func (b *browserSuite) testJourney(t *testing.T, lang string) {
	ctx := context.Background()
	ed, _ := b.a.s.editions.Edition("escap-dmf-dps-sme", "")
	st := b.a.s.store
	words := journeyWords[lang]

	// Every link and control of the home page can be reached with Tab and
	// shows the focus; then sign in from there.
	r := b.newTab(t, "respondent")
	r.openOK("/")
	if lang != "en" {
		r.switchLang(lang)
		r.onPage = func(tb *tab) { b.checkNoEnglish(tb, lang, b.journeyData()...) }
		r.onPage(r)
	}
	b.tabThrough(r)
	r.click(`.account a[href="/login"]`)
	r.do(
		chromedp.SendKeys(chromedp.CSS("#email"), b.p.a),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
	)
	r.click(`form[action="/login"] button[type=submit]`)
	if r.path() != "/assessments" {
		t.Fatalf("after sign-in: %s", r.path())
	}

	// Register the service and start an assessment of it.
	r.click(`.main-nav a[href="/services"]`)
	r.do(chromedp.SendKeys(chromedp.CSS("#f-name"), words.service))
	r.click(`form[method="post"][action="/services"] button[type=submit]`)
	if got := r.text(".notice"); got != squash(b.a.s.msgs.T(lang, "notice.service-added")) {
		t.Errorf("service notice %q", got)
	}
	svc, err := st.ServiceByName(ctx, b.p.actorA, words.service)
	if err != nil {
		t.Fatal(err)
	}
	r.click(fmt.Sprintf(`a[href="/assessments/new?service=%d"]`, svc.ID))
	r.click(`form[method="post"][action="/assessments"] button[type=submit]`)
	m := regexp.MustCompile(`^/assessments/(\d+)$`).FindStringSubmatch(r.path())
	if m == nil {
		t.Fatalf("after starting an assessment: %s", r.path())
	}
	id64, _ := strconv.ParseUint(m[1], 10, 32)
	id := uint(id64)
	overview := fmt.Sprintf("/assessments/%d", id)

	// The country's coordinator answers the country indicators, which the
	// questionnaire shows read-only; the respondent answers the rest.
	started, err := st.Assessment(ctx, b.p.actorA, id)
	if err != nil {
		t.Fatal(err)
	}
	country := assessments.Answers{}
	i := 0
	for _, dim := range ed.Dimensions {
		for _, ind := range dim.Indicators {
			k := journeyLevel(i)
			country[ind.ID] = assessments.Answer{Level: &k}
			i++
		}
	}
	b.a.answerCountry(started.Country, ed, started.Period, country)

	// Answer every dimension, one page each.
	r.click(`.actions a.button`)
	want := assessments.Answers{}
	i = 0
	for di, dim := range ed.Dimensions {
		if p := r.path(); p != fmt.Sprintf("%s/dimensions/%s", overview, dim.ID) {
			t.Fatalf("dimension %s: on %s", dim.ID, p)
		}
		levels := map[string]int{}
		var own []frameworks.Indicator
		for _, ind := range dim.Indicators {
			k := journeyLevel(i)
			i++
			if ind.CountryScoped() {
				continue
			}
			own = append(own, ind)
			levels[ind.ID] = k
			want[ind.ID] = assessments.Answer{Level: &k}
		}
		if di == 0 {
			b.answerByKeyboard(r, own, levels)
		} else {
			var later []frameworks.Indicator
			for _, ind := range own {
				if ind.Condition != nil {
					later = append(later, ind) // shown once the answer it depends on is saved
					continue
				}
				r.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=%q][value="%d"]`, ind.ID+".level", levels[ind.ID]))))
			}
			if di == 1 || len(later) > 0 {
				b.waitSaved(r) // elsewhere the Next button waits for the save
			}
			if len(later) > 0 {
				r.click(`button[name=action][value=save]`) // the page comes back with them
				for _, ind := range later {
					r.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=%q][value="%d"]`, ind.ID+".level", levels[ind.ID]))))
				}
			}
			r.click(`button[name=action][value=next]`)
		}
	}
	if r.path() != overview+"?notice=saved" {
		t.Fatalf("after the last dimension: %s", r.path())
	}
	a, _ := st.Assessment(ctx, b.p.actorA, id)
	saved, _ := st.Answers(ctx, a)
	for ind, w := range want {
		if got := saved[ind]; got.Level == nil || *got.Level != *w.Level {
			t.Errorf("%s saved as %v, want level %d", ind, got.Level, *w.Level)
		}
	}
	if got := r.text("#overall-progress"); got != "100 %" {
		t.Errorf("progress %q", got)
	}

	// Submit, confirm, then read the result.
	r.click(`form[action$="/submit"] button[type=submit]`)
	if got := r.text("h1"); got != squash(b.a.s.msgs.T(lang, "confirm.submit.title")) {
		t.Fatalf("submitting asks %q", got)
	}
	r.click(`form[action$="/submit"] button[type=submit]`)
	if r.path() != overview+"/result?notice=submitted" {
		t.Fatalf("after submitting: %s", r.path())
	}
	// Submitted, the assessment holds a copy of the country's answers.
	a, _ = st.Assessment(ctx, b.p.actorA, id)
	saved, _ = st.Answers(ctx, a)
	b.checkResultPage(r, ed, saved)

	// The reviewer returns it with a comment and a note on SERV.2.
	rev := b.newTab(t, "reviewer")
	b.signIn(rev, b.p.rev)
	if lang != "en" {
		rev.switchLang(lang)
		rev.onPage = r.onPage
		rev.onPage(rev)
	}
	rev.click(`.main-nav a[href="/review"]`)
	rev.click(fmt.Sprintf(`a[href="%s/review"]`, overview))
	rev.do(
		chromedp.Click(chromedp.CSS("#decision-return")),
		chromedp.SendKeys(chromedp.CSS("#f-comment"), words.comment),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="note.SERV.2"]`), words.note),
	)
	rev.click(`.decision button[type=submit]`)
	rev.click(`form[action$="/review"] input[name=confirm] ~ p button[type=submit]`)
	if rev.path() != "/review?notice=returned" {
		t.Fatalf("after returning: %s", rev.path())
	}
	if a, _ = st.Assessment(ctx, b.p.actorA, id); a.Status != assessments.StatusReturned {
		t.Fatalf("status after return: %s", a.Status)
	}

	// The respondent reads the comments, fixes SERV.2 and resubmits.
	r.openOK(overview)
	if got := r.text(".meta .badge"); got != squash(b.a.s.msgs.T(lang, "status.returned")) {
		t.Errorf("status badge %q", got)
	}
	if got := r.text(".returned blockquote.comment"); got != words.comment {
		t.Errorf("the reviewer's comment is not at the top: %q", got)
	}
	if got := r.text(".returned .fix-list li a"); !strings.HasPrefix(got, "SERV.2") {
		t.Errorf("what to fix: %q", got)
	}
	if got := r.text(".actions a.button"); got != squash(b.a.s.msgs.T(lang, "assessment.next.fix")) {
		t.Errorf("the main button of a returned assessment says %q", got)
	}
	if got := r.text(".timeline blockquote.comment"); !strings.Contains(got, words.comment) {
		t.Errorf("history lacks the reviewer's comment: %q", got)
	}
	r.click(fmt.Sprintf(`a[href="%s/dimensions/SERV"]`, overview))
	if got := r.text("#ind-SERV\\.2 .review-note"); !strings.Contains(got, words.note) {
		t.Errorf("SERV.2 lacks the reviewer's note: %q", got)
	}
	fixed := *want["SERV.2"].Level%5 + 1 // a level other than the one given first
	r.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="SERV.2.level"][value="%d"]`, fixed))))
	b.waitSaved(r)
	r.click(`.pager a[href="` + overview + `"]`)
	r.click(`form[action$="/submit"] button[type=submit]`)
	r.click(`form[action$="/submit"] button[type=submit]`)
	if a, _ = st.Assessment(ctx, b.p.actorA, id); a.Status != assessments.StatusSubmitted {
		t.Fatalf("status after resubmitting: %s", a.Status)
	}
	saved, _ = st.Answers(ctx, a)
	if l := saved["SERV.2"].Level; l == nil || *l != fixed {
		t.Errorf("SERV.2 after the fix: %v", l)
	}

	// The reviewer approves.
	rev.openOK(overview + "/review")
	rev.do(chromedp.Click(chromedp.CSS("#f-decision")))
	rev.click(`.decision button[type=submit]`)
	rev.click(`form[action$="/review"] input[name=confirm] ~ p button[type=submit]`)
	if rev.path() != overview+"?notice=approved" {
		t.Fatalf("after approving: %s", rev.path())
	}
	rec, err := st.CardOf(ctx, b.p.actorA, id)
	if err != nil {
		t.Fatalf("no card after approval: %v", err)
	}

	// The card: its QR code, its JSON.
	r.openOK(overview)
	r.click(`a[href="/cards/` + rec.ID + `"]`)
	qr := js[struct {
		Loaded bool   `json:"loaded"`
		Width  int    `json:"width"`
		Alt    string `json:"alt"`
	}](r, `(() => { const i = document.querySelector('.bizcard-side img'); return {loaded: i.complete, width: i.naturalWidth, alt: i.alt}; })()`)
	if !qr.Loaded || qr.Width < 100 || !strings.Contains(qr.Alt, "/verify?card="+rec.ID) {
		t.Errorf("QR code: %+v", qr)
	}
	dl := js[struct {
		Status      int    `json:"status"`
		Type        string `json:"type"`
		Disposition string `json:"disposition"`
		Body        string `json:"body"`
	}](r, `(async () => {
		const a = document.querySelector('a[download][href^="/api/v1/cards/"][href$="?download=1"]:not([href*="tlog-proof"])');
		const resp = await fetch(a.href);
		return {status: resp.status, type: resp.headers.get('Content-Type'), disposition: resp.headers.get('Content-Disposition'), body: await resp.text()};
	})()`)
	if dl.Status != 200 || dl.Type != "application/vc" || !strings.Contains(dl.Disposition, "attachment") || dl.Body != string(rec.Data) {
		t.Errorf("card download: %d %q %q, %d bytes (want the %d stored, signed bytes)", dl.Status, dl.Type, dl.Disposition, len(dl.Body), len(rec.Data))
	}
	var cardJSON map[string]any
	if err := json.Unmarshal([]byte(dl.Body), &cardJSON); err != nil || cardJSON["proof"] == nil {
		t.Errorf("downloaded card is not a signed card: %v", err)
	}

	// The verify page, as the QR code leads to it (the test instance's
	// public URL is a placeholder, so the link's path is opened here).
	href := js[string](r, `document.querySelector('a[href*="/verify?card="]').getAttribute('href')`)
	verify := href[strings.Index(href, "/verify?"):]
	r.openOK(verify)
	if got := r.text("#result-h"); !strings.Contains(got, squash(b.a.s.msgs.T(lang, "verify.valid"))) {
		t.Errorf("verify heading %q", got)
	}
	if ok, bad := r.count(".checks-list li.check-ok"), r.count(".checks-list li.check-bad"); ok != 6 || bad != 0 {
		t.Errorf("verify checks: %d passed, %d failed; want 6 and 0", ok, bad)
	}

	if lang != "en" {
		return // the switch to Russian is the English journey's
	}

	// Switch to Russian: the choice holds on every page after.
	r.switchLang("ru")
	if r.path() != verify {
		t.Errorf("the switch left %s for %s", verify, r.path())
	}
	cyrillic := regexp.MustCompile(`\p{Cyrillic}`)
	for _, sel := range []string{`.main-nav a[href="/assessments"]`, `a[href="` + overview + `"]`, `a[href="/cards/` + rec.ID + `"]`, `.brand`, `.main-nav a[href="/frameworks"]`} {
		r.click(sel)
		if got := r.lang(); got != "ru" {
			t.Errorf("%s: html lang %q after switching to Russian", r.path(), got)
		}
		if nav := r.text(".main-nav"); !cyrillic.MatchString(nav) || strings.Contains(nav, "Assessments") {
			t.Errorf("%s: the menu %q is not in Russian", r.path(), nav)
		}
	}
}

// answerByKeyboard answers a dimension's indicators with the keyboard only:
// Tab to the skip link and into the content, Tab to each radio group, Space
// or the arrow keys to choose, Tab to Save and Enter. Every control that
// takes the focus must show it.
func (b *browserSuite) answerByKeyboard(tb *tab, inds []frameworks.Indicator, levels map[string]int) {
	t := tb.t
	t.Helper()
	tb.do(chromedp.KeyEvent(kb.Tab))
	if f := focused(tb); f.Class != "skip" || !f.Visible {
		t.Fatalf("the first Tab should show the skip link, focused %+v", f)
	}
	tb.do(chromedp.KeyEvent(kb.Enter))
	if f := focused(tb); f.ID != "main" {
		t.Errorf("the skip link moved the focus to %+v", f)
	}
	tabTo := func(match func(focus) bool, what string) focus {
		for n := 0; n < 80; n++ {
			tb.do(chromedp.KeyEvent(kb.Tab))
			f := focused(tb)
			if !f.Ring {
				t.Errorf("keyboard focus is not visible on %s", f)
			}
			if match(f) {
				return f
			}
		}
		t.Fatalf("Tab never reached %s", what)
		return focus{}
	}
	for _, ind := range inds {
		name := ind.ID + ".level"
		f := tabTo(func(f focus) bool { return f.Name == name }, name)
		if f.Value != "1" || f.Checked {
			t.Fatalf("%s: Tab should enter the unanswered group at level 1, got %s", ind.ID, f)
		}
		k := levels[ind.ID]
		if k == 1 {
			tb.do(chromedp.KeyEvent(" "))
		}
		for j := 1; j < k; j++ {
			tb.do(chromedp.KeyEvent(kb.ArrowDown))
		}
		if f := focused(tb); f.Name != name || f.Value != strconv.Itoa(k) || !f.Checked {
			t.Fatalf("%s: after choosing level %d by keyboard: %s", ind.ID, k, f)
		}
	}
	b.waitSaved(tb)
	tabTo(func(f focus) bool { return f.Tag == "BUTTON" && f.Value == "save" }, "the Save button")
	tb.follow(chromedp.KeyEvent(kb.Enter))
	if got := tb.text(".notice"); got != squash(b.a.s.msgs.T(tb.lang(), "notice.saved")) {
		t.Errorf("after Save by keyboard the notice is %q", got)
	}
	for _, ind := range inds {
		sel := fmt.Sprintf(`input[name=%q][value="%d"]`, ind.ID+".level", levels[ind.ID])
		if !js[bool](tb, fmt.Sprintf(`document.querySelector(%q).checked`, sel)) {
			t.Errorf("%s: level %d not kept after Save", ind.ID, levels[ind.ID])
		}
	}
	// On to the next dimension, by keyboard too.
	tabTo(func(f focus) bool { return f.Tag == "BUTTON" && f.Value == "next" }, "the Next button")
	tb.follow(chromedp.KeyEvent(" "))
}

// tabThrough presses Tab through every focusable element of the page, in
// order, and checks that each shows the focus and is scrolled into view
// (WCAG 2.1.1, 2.4.3, 2.4.7).
func (b *browserSuite) tabThrough(tb *tab) {
	t := tb.t
	t.Helper()
	// Only what is rendered: the header's menu button is hidden on wide screens.
	n := js[int](tb, `[...document.querySelectorAll('a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea, summary, [tabindex="0"]')].filter(e => e.checkVisibility()).length`)
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		tb.do(chromedp.KeyEvent(kb.Tab))
		f := focused(tb)
		if f.Tag == "BODY" {
			t.Errorf("Tab reached only %d of the %d focusable elements", i, n)
			return
		}
		if !f.Ring || !f.Visible {
			t.Errorf("Tab %d: %s is focused but the focus is not visible (ring %v, in view %v)", i+1, f, f.Ring, f.Visible)
		}
		seen[f.String()+f.Text] = true
	}
	if len(seen) < n*9/10 {
		t.Errorf("Tab visited %d different elements of %d", len(seen), n)
	}
}

// focus describes the focused element.
type focus struct {
	Tag     string `json:"tag"`
	ID      string `json:"id"`
	Class   string `json:"class"`
	Name    string `json:"name"`
	Value   string `json:"value"`
	Checked bool   `json:"checked"`
	Text    string `json:"text"`
	Visible bool   `json:"visible"` // inside the viewport
	Ring    bool   `json:"ring"`    // a focus outline or shadow is drawn
}

func (f focus) String() string {
	return fmt.Sprintf("<%s id=%q class=%q name=%q value=%q checked=%v>", strings.ToLower(f.Tag), f.ID, f.Class, f.Name, f.Value, f.Checked)
}

func focused(tb *tab) focus {
	tb.t.Helper()
	return js[focus](tb, `(() => {
		const el = document.activeElement, s = getComputedStyle(el), r = el.getBoundingClientRect();
		return {tag: el.tagName, id: el.id, class: el.className, name: el.name || '', value: el.value || '', checked: !!el.checked,
			text: (el.textContent || '').trim().slice(0, 40),
			visible: r.right > 0 && r.left < innerWidth && r.bottom > 0 && r.top < innerHeight,
			ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none'};
	})()`)
}

// waitSaved waits for the autosave's "All changes saved." status.
func (b *browserSuite) waitSaved(tb *tab) {
	tb.t.Helper()
	want := b.a.s.msgs.T(tb.lang(), "questionnaire.saved")
	q, _ := json.Marshal(want)
	if !tb.poll(fmt.Sprintf(`document.querySelector('.save-status').textContent === %s`, q), 15*time.Second) {
		tb.t.Fatalf("%s on %s: the save status says %q, want %q", tb.name, tb.path(), tb.text(".save-status"), want)
	}
}

// checkResultPage: the overall score the engine computes, the chart with
// its text equivalent, the table with one row per dimension.
func (b *browserSuite) checkResultPage(tb *tab, ed *frameworks.Edition, answers assessments.Answers) {
	t := tb.t
	t.Helper()
	res := assessments.Score(ed, answers)
	want := formatNumber(tb.lang(), assessments.Round1(res.Overall.Score), 1)
	if got := tb.text(".score-value"); got != want {
		t.Errorf("result score %q, want %q", got, want)
	}
	chart := js[struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}](tb, `(() => { const s = document.querySelector('figure.chart svg');
		return {role: s.getAttribute('role'), name: s.getAttribute('aria-labelledby').split(' ').map(id => document.getElementById(id).textContent).join(' ')}; })()`)
	if chart.Role != "img" || len(chart.Name) < 20 {
		t.Errorf("chart has no text equivalent: %+v", chart)
	}
	if n := tb.count(".result-table tbody tr"); n != len(ed.Dimensions) {
		t.Errorf("result table has %d rows, want %d", n, len(ed.Dimensions))
	}
}

// squash writes s as tab.text reads a page: every run of white space, the
// no-break spaces of French typography too, as one space.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }
