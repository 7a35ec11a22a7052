package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// testPlanAndPractice: a respondent turns a gap into a plan and shares a
// practice from the result page, a reviewer publishes it from the queue,
// and a respondent of another agency finds it from a gap of their own.
func (b *browserSuite) testPlanAndPractice(t *testing.T) {
	ed, _ := b.a.s.editions.Edition("escap-dmf-dps-sme", "")
	// Two indicators each service answers itself: the country's answers
	// to the others may have been given by an earlier test.
	var inds []string
	at := map[string]int{}
	i := 0
	for _, d := range ed.Dimensions {
		for _, ind := range d.Indicators {
			if !ind.CountryScoped() && ind.Type == "level" {
				inds = append(inds, ind.ID)
				at[ind.ID] = i
			}
			i++
		}
	}
	shared, planned := inds[0], inds[1]
	levels := func(i int) int {
		if i == at[shared] {
			return 5
		}
		return 2
	}
	mine := b.a.approve(b.p.actorA, b.p.actorRev, "Trade licence portal", 2025, levels, true)
	theirs := b.a.approve(b.p.actorB, b.p.actorRev, "Customs single window", 2025, func(int) int { return 2 }, true)
	result := fmt.Sprintf("/assessments/%d/result", mine)

	// The plan, from the result page.
	r := b.newTab(t, "respondent")
	b.signIn(r, b.p.a)
	r.openOK(result)
	due := time.Now().UTC().AddDate(0, 6, 0).Format("2006-01-02")
	r.do(
		chromedp.SetValue(chromedp.CSS(`#f-plan-0-indicator`), planned),
		chromedp.SetValue(chromedp.CSS(`#f-plan-0-target_level`), "4"),
		chromedp.SendKeys(chromedp.CSS(`#f-plan-0-actions`), "Accept e-signatures on every form."),
		chromedp.SendKeys(chromedp.CSS(`#f-plan-0-owner`), "Legal department"),
		chromedp.SetValue(chromedp.CSS(`#f-plan-0-due`), due),
	)
	r.click(`form.plan-form button[type=submit]`)
	if r.path() != result+"?notice=plan#plan-h" {
		t.Fatalf("after saving the plan: %s", r.path())
	}
	if got := js[string](r, `document.querySelector('#f-plan-0-indicator').value`); got != planned {
		t.Errorf("the saved plan's first target is %q, want %q", got, planned)
	}

	// The practice, from the strength it is about.
	r.click(fmt.Sprintf(`a[href="/assessments/%d/practices/new?indicator=%s"]`, mine, shared))
	r.do(
		chromedp.SendKeys(chromedp.CSS(`#f-title`), "Licences issued in one visit"),
		chromedp.SendKeys(chromedp.CSS(`#f-summary`), "Every licence is requested, paid and issued online in one session."),
	)
	r.click(`form[action$="/practices"] button[type=submit]`)
	if r.path() != result+"?notice=practice#strengths-h" {
		t.Fatalf("after sharing: %s", r.path())
	}

	// The reviewer publishes it from the queue.
	rev := b.newTab(t, "reviewer")
	b.signIn(rev, b.p.rev)
	rev.click(`.main-nav a[href="/review"]`)
	rev.click(`a[href="/review/practices"]`)
	rev.do(chromedp.Click(chromedp.CSS(`section.practice-review input[value="publish"]`)))
	rev.click(`section.practice-review button[type=submit]`)
	if rev.path() != "/review/practices?notice=practice-published" {
		t.Fatalf("after publishing: %s", rev.path())
	}

	// Another agency finds it from its own gap.
	o := b.newTab(t, "other agency")
	b.signIn(o, b.p.b)
	o.openOK(fmt.Sprintf("/assessments/%d/result", theirs))
	o.click(fmt.Sprintf(`a.practice-link[href="/practices?indicator=%s"]`, shared))
	if got := o.text("main"); !strings.Contains(got, "Licences issued in one visit") || !strings.Contains(got, "Trade licence portal") {
		t.Fatalf("the practices of %s do not list the published one: %q", shared, got)
	}
	o.click(`article.practice h3 a`)
	if got := o.text("main"); !strings.Contains(got, "Ministry of Justice") || o.count(`a[href^="/cards/"]`) == 0 {
		t.Errorf("the practice does not name its agency or cite its card: %q", got)
	}
}
