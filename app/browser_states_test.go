package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/unescap/dmf/assessments"
)

// draft starts an assessment of a new service of organisation A.
func (b *browserSuite) draft(t *testing.T, service string) uint {
	t.Helper()
	ctx := context.Background()
	st := b.a.s.store
	svc, err := st.CreateService(ctx, b.p.actorA, assessments.Service{Name: service, Category: "tax"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.CreateAssessment(ctx, b.p.actorA, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: "escap-dmf-dps-sme", Period: 2026})
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// savedLevel is the level saved for an indicator, or 0.
func (b *browserSuite) savedLevel(t *testing.T, id uint, ind string) int {
	t.Helper()
	ctx := context.Background()
	a, err := b.a.s.store.Assessment(ctx, b.p.actorA, id)
	if err != nil {
		t.Fatal(err)
	}
	ans, err := b.a.s.store.Answers(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if l := ans[ind].Level; l != nil {
		return *l
	}
	return 0
}

// call runs one DevTools command in the tab.
func call[P, R any](tb *tab, cmd cdp.Command[P, R], params P) R {
	tb.t.Helper()
	return value(tb, func(ctx context.Context, t *chromedp.Target) (R, error) { return cdp.Call(ctx, t, cmd, params) })
}

// A4 paper less the 10 mm margins of the print stylesheet, in CSS pixels.
const printWidth = 718

// testPrint: the report and the card print cleanly. With print media and
// the printable width of A4, nothing is wider than the paper, the site's
// header, footer and everything marked no-print are hidden, and the card
// fits its 85 × 55 mm box without cutting anything off. Both print to PDF,
// the card on one page.
func (b *browserSuite) testPrint(t *testing.T) {
	ctx := context.Background()
	id := b.a.approve(b.p.actorA, b.p.actorRev, "Print test service", 2026, func(i int) int { return 1 + (i*2)%5 }, true)
	rec, err := b.a.s.store.CardOf(ctx, b.p.actorA, id)
	if err != nil {
		t.Fatal(err)
	}
	shots := b.shotDir(t)
	r := b.newTab(t, "respondent")
	b.signIn(r, b.p.a)
	for _, pg := range []struct{ name, path string }{
		{"report", fmt.Sprintf("/assessments/%d/report", id)},
		{"card", "/cards/" + rec.ID},
	} {
		r.openOK(pg.path)
		r.do(chromedp.EmulateViewport(printWidth, 1000))
		call(r, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		got := js[struct {
			Width       int      `json:"width"`
			ScrollWidth int      `json:"scrollWidth"`
			Shown       []string `json:"shown"`
			Card        *struct {
				W, H, ScrollW, ScrollH int
			} `json:"card"`
		}](r, `(() => {
			const de = document.documentElement, c = document.querySelector('.bizcard');
			return {width: de.clientWidth, scrollWidth: de.scrollWidth,
				shown: [...document.querySelectorAll('.no-print, header.site, footer.site, .skip, .form-actions, .pager')]
					.filter(e => getComputedStyle(e).display !== 'none').map(e => e.tagName.toLowerCase() + '.' + e.className),
				card: c && {W: c.clientWidth, H: c.clientHeight, ScrollW: c.scrollWidth, ScrollH: c.scrollHeight}};
		})()`)
		if got.ScrollWidth > got.Width {
			t.Errorf("%s in print is %d px wide, more than the paper's %d", pg.name, got.ScrollWidth, got.Width)
		}
		for _, el := range got.Shown {
			t.Errorf("%s in print shows %s", pg.name, el)
		}
		if pg.name == "card" {
			if c := got.Card; c == nil || c.ScrollH > c.H+1 || c.ScrollW > c.W+1 {
				t.Errorf("the printed card cuts off its content: %+v", c)
			}
		}
		r.screenshot(shots, "print-"+pg.name, 1)
		pdf := value(r, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
		pages := len(regexp.MustCompile(`/Type\s*/Page\b[^s]`).FindAll(pdf, -1))
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) || pages == 0 {
			t.Errorf("%s: PrintToPDF gave %d bytes, %d pages", pg.name, len(pdf), pages)
		}
		if pg.name == "card" && pages != 1 {
			t.Errorf("the card prints on %d pages, want 1", pages)
		}
		t.Logf("%s prints on %d A4 pages", pg.name, pages)
		call(r, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
		r.do(chromedp.EmulateViewport(desktopWidth, desktopHeight))
	}
}

// testNoJavaScript: with scripts off, the pages render and the
// questionnaire saves with its plain Save button.
func (b *browserSuite) testNoJavaScript(t *testing.T) {
	id := b.draft(t, "No-script service")
	r := b.newTab(t, "respondent without JavaScript")
	call(r, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	r.login(b.p.a)
	overview := fmt.Sprintf("/assessments/%d", id)
	for _, p := range []string{"/", "/frameworks/escap-dmf-dps-sme", "/reference", "/compare", "/verify", overview, overview + "/result", overview + "/dimensions/SERV"} {
		r.openOK(p)
		if h1 := r.text("h1"); h1 == "" {
			t.Errorf("%s without JavaScript: no heading", p)
		}
	}
	r.openOK(overview + "/report")
	if js[bool](r, `(() => { const b = document.querySelector('button[data-print]'); return !b || b.offsetWidth > 0; })()`) {
		t.Errorf("the report's print button shows without JavaScript, where it cannot work")
	}
	r.openOK(overview + "/dimensions/SERV")
	if js[bool](r, `typeof window.fetch === 'function' && document.querySelector('.save-status').textContent !== ''`) {
		t.Errorf("the page's script ran although JavaScript is off")
	}
	r.do(chromedp.Click(chromedp.CSS(`input[name="SERV.1.level"][value="4"]`)))
	time.Sleep(300 * time.Millisecond) // an autosave, if any script ran, would have started
	if l := b.savedLevel(t, id, "SERV.1"); l != 0 {
		t.Fatalf("SERV.1 saved (level %d) before the Save button: a script ran", l)
	}
	r.click(`button[name=action][value=save]`)
	if got := r.text(".notice"); got != b.a.s.msgs.T("en", "notice.saved") {
		t.Errorf("after Save without JavaScript the notice is %q", got)
	}
	if l := b.savedLevel(t, id, "SERV.1"); l != 4 {
		t.Errorf("SERV.1 saved as level %d without JavaScript, want 4", l)
	}
	if !js[bool](r, `document.querySelector('input[name="SERV.1.level"][value="4"]').checked`) {
		t.Errorf("the saved level is not shown after the save")
	}
}

// testAutosaveDroppedRequest: the questionnaire's autosave loses nothing
// when the network drops a save. The browser's Fetch domain intercepts the
// answer saves: the first fails before it reaches the server (a dropped
// connection); the first with SERV.3 reaches the server, which saves it,
// but its reply is lost. Each time the page says the save failed and
// retries (after 1 s, then 2 s, …); the answers end up saved, the page says
// "All changes saved." without a reload, and the lost reply is not
// mistaken for a colleague's change: the retry's 409 leads the page to
// find its own answer saved and to carry on from the server's version.
func (b *browserSuite) testAutosaveDroppedRequest(t *testing.T) {
	id := b.draft(t, "Autosave service")
	r := b.newTab(t, "respondent")
	b.signIn(r, b.p.a)
	r.openOK(fmt.Sprintf("/assessments/%d/dimensions/SERV", id))
	msgs := b.a.s.msgs
	// Record every status the page shows.
	r.do(chromedp.Evaluate[chromedp.Void](`window.statuses = [];
		new MutationObserver(() => statuses.push(document.querySelector('.save-status').textContent))
			.observe(document.querySelector('.save-status'), {childList: true, characterData: true, subtree: true});`))

	// The interceptor reports what became of each save: "dropped" before
	// the server, "reply lost" after it, or the status the server answered.
	var (
		fates  = make(chan string, 32)
		errs   = make(chan error, 32)
		paused = chromedp.Events(r.ctx, fetch.RequestPaused)
	)
	go func() {
		first, lost := true, false
		drop := map[fetch.RequestID]bool{} // replies to lose
		for ev, err := range paused {
			if err != nil {
				return // the tab is closed
			}
			var cerr error
			body := ""
			for _, e := range ev.Request.PostDataEntries {
				body += string(e.Bytes)
			}
			switch {
			case ev.Request.Method != "PUT":
				_, cerr = chromedp.Call(r.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
			case ev.ResponseStatusCode == 0 && ev.ResponseErrorReason == "": // the request
				if first {
					first = false
					fates <- "dropped"
					_, cerr = chromedp.Call(r.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonConnectionFailed})
					break
				}
				if !lost && strings.Contains(body, `"SERV.3"`) {
					lost, drop[ev.RequestID] = true, true
				}
				_, cerr = chromedp.Call(r.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
			case drop[ev.RequestID]: // its response
				fates <- "reply lost"
				_, cerr = chromedp.Call(r.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonConnectionReset})
			default:
				fates <- fmt.Sprint(ev.ResponseStatusCode)
				_, cerr = chromedp.Call(r.ctx, fetch.ContinueResponse, fetch.ContinueResponseParams{RequestID: ev.RequestID})
			}
			if cerr != nil && r.ctx.Err() == nil {
				errs <- cerr
			}
		}
	}()
	pattern := "*/api/v1/assessments/*/answers"
	call(r, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
		{URLPattern: pattern, RequestStage: fetch.RequestStageRequest},
		{URLPattern: pattern, RequestStage: fetch.RequestStageResponse},
	}})
	defer call(r, fetch.Disable, cdp.Empty{})

	var seen []string
	// until reads what became of the saves until want, in order.
	until := func(want ...string) {
		t.Helper()
		for _, w := range want {
			for {
				select {
				case f := <-fates:
					seen = append(seen, f)
					if f != w {
						continue
					}
				case err := <-errs:
					t.Fatalf("intercepting saves: %v", err)
				case <-time.After(10 * time.Second):
					t.Fatalf("no save ended %q; saves so far: %q", w, seen)
				}
				break
			}
		}
	}
	status := func() string {
		return js[string](r, `document.querySelector('.save-status').textContent`)
	}
	offline := msgs.T("en", "questionnaire.offline")
	choose := func(ind string, level int) {
		t.Helper()
		r.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=%q][value="%d"]`, ind+".level", level))))
	}

	// 1. The first save is dropped before it reaches the server. While the
	// page waits to retry, another answer changes; nothing is lost.
	start := time.Now()
	choose("SERV.1", 2)
	until("dropped")
	r.waitFor(fmt.Sprintf(`document.querySelector('.save-status').textContent === %q`, offline), 5*time.Second)
	if l := b.savedLevel(t, id, "SERV.1"); l != 0 {
		t.Fatalf("the dropped save reached the server (level %d)", l)
	}
	choose("SERV.2", 5)
	b.waitSaved(r)
	if l1, l2 := b.savedLevel(t, id, "SERV.1"), b.savedLevel(t, id, "SERV.2"); l1 != 2 || l2 != 5 {
		t.Errorf("after the retry SERV.1 is %d and SERV.2 is %d, want 2 and 5", l1, l2)
	}

	// 2. The save of SERV.3 reaches the server but its reply is lost.
	choose("SERV.3", 3)
	until("reply lost")
	if l := b.savedLevel(t, id, "SERV.3"); l != 3 {
		t.Errorf("the server did not save SERV.3 before the reply was lost (level %d)", l)
	}
	if st := status(); st != offline && st != msgs.T("en", "questionnaire.saving") {
		t.Errorf("after the lost reply the page says %q", st)
	}
	until("409", "200") // the retry came from an old version; the page checked and sent again
	b.waitSaved(r)
	statuses := js[[]string](r, `statuses`)
	t.Logf("saves: %q; statuses shown in %v: %q", seen, time.Since(start).Round(time.Millisecond), statuses)
	for _, s := range statuses {
		if s == msgs.T("en", "questionnaire.conflict") {
			t.Errorf("a lost reply was shown as a colleague's change")
		}
	}
	if n := strings.Count(strings.Join(statuses, "\n"), offline); n != 2 {
		t.Errorf("the failure was shown %d times, want 2", n)
	}
	a, _ := b.a.s.store.Assessment(context.Background(), b.p.actorA, id)
	if v := js[string](r, `document.querySelector('input[name=version]').value`); v != fmt.Sprint(a.Version) {
		t.Errorf("the page holds version %s, the server %d: the next save would conflict", v, a.Version)
	}
	// A reload shows what was saved.
	r.openOK(fmt.Sprintf("/assessments/%d/dimensions/SERV", id))
	for ind, level := range map[string]int{"SERV.1": 2, "SERV.2": 5, "SERV.3": 3} {
		if !js[bool](r, fmt.Sprintf(`document.querySelector('input[name=%q][value="%d"]').checked`, ind+".level", level)) {
			t.Errorf("after a reload %s is not at level %d", ind, level)
		}
	}
}
