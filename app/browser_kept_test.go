package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/unescap/dmf/assessments"
)

// expireSessions moves the store's clock past the idle timeout, so every
// session signed in so far has ended, until the test ends.
func (b *browserSuite) expireSessions(t *testing.T) {
	b.a.s.store.SetClock(func() time.Time { return time.Now().Add(assessments.SessionIdle + 30*time.Minute) })
	t.Cleanup(func() { b.a.s.store.SetClock(time.Now) })
}

// testSessionEndsWithScript: the session ends while the questionnaire is
// open. The autosave says the user is signed out (not that the connection
// failed), the answers stay on the page, the user signs in again in a new
// tab, and back on this tab the answers are saved.
func (b *browserSuite) testSessionEndsWithScript(t *testing.T) {
	id := b.draft(t, "Session-ends service")
	r := b.newTab(t, "respondent")
	b.signIn(r, b.p.a)
	r.openOK(fmt.Sprintf("/assessments/%d/dimensions/SERV", id))
	b.expireSessions(t)

	r.do(chromedp.Click(chromedp.CSS(`input[name="SERV.1.level"][value="4"]`)))
	r.waitFor(`!document.getElementById('signed-out').hidden`, 15*time.Second)
	if got, want := r.text(".save-status"), b.a.s.msgs.T("en", "questionnaire.signedout"); got != want {
		t.Errorf("save status when signed out: %q, want %q", got, want)
	}
	// Typing goes on while signed out; nothing is lost and Save waits.
	r.do(chromedp.Click(chromedp.CSS(`input[name="SERV.2.level"][value="2"]`)))
	r.do(chromedp.Click(chromedp.CSS(`button[name=action][value=save]`)))
	time.Sleep(300 * time.Millisecond)
	if !strings.HasSuffix(r.path(), "/dimensions/SERV") || !js[bool](r, `document.querySelector('input[name="SERV.2.level"][value="2"]').checked`) {
		t.Fatalf("Save while signed out left the page or lost the answer: now on %s", r.path())
	}
	b.checkAxe(r, "questionnaire, signed out")

	// Sign in again in a new tab of the same browser, through the link.
	href := js[string](r, `document.querySelector('#signed-out a[target=_blank]').getAttribute('href')`)
	ctx, cancel := chromedp.NewContext(r.ctx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // opens the tab, without a deadline
		t.Fatalf("open a tab: %v", err)
	}
	login := &tab{t: t, ctx: ctx, base: b.base, name: "sign-in tab"}
	login.openOK(href)
	login.do(
		chromedp.SendKeys(chromedp.CSS("#email"), b.p.a),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
	)
	login.click(`form[action="/login"] button[type=submit]`)

	// Back on the questionnaire's tab, the answers are saved.
	r.do(chromedp.Evaluate[chromedp.Void](`window.dispatchEvent(new Event('focus'))`))
	b.waitSaved(r)
	if !js[bool](r, `document.getElementById('signed-out').hidden`) {
		t.Errorf("the signed-out message stays after signing in again")
	}
	if l := b.savedLevel(t, id, "SERV.1"); l != 4 {
		t.Errorf("SERV.1 saved as level %d after signing in again, want 4", l)
	}
	if l := b.savedLevel(t, id, "SERV.2"); l != 2 {
		t.Errorf("SERV.2 saved as level %d after signing in again, want 2", l)
	}
}

// testSessionEndsWithoutScript: without JavaScript, a questionnaire posted
// after the session ended leads to sign-in, and then the posted answers
// come back filled in and are saved.
func (b *browserSuite) testSessionEndsWithoutScript(t *testing.T) {
	id := b.draft(t, "Session-ends no-script service")
	r := b.newTab(t, "respondent without JavaScript")
	call(r, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	r.login(b.p.a)
	r.openOK(fmt.Sprintf("/assessments/%d/dimensions/SERV", id))
	r.do(chromedp.Click(chromedp.CSS(`input[name="SERV.1.level"][value="3"]`)))
	b.expireSessions(t)

	r.click(`button[name=action][value=next]`)
	if !strings.HasPrefix(r.path(), "/login?notice=kept") {
		t.Fatalf("a post after the session ended went to %s", r.path())
	}
	if got, want := r.text(".notice"), b.a.s.msgs.T("en", "notice.kept"); got != want {
		t.Errorf("sign-in notice %q, want %q", got, want)
	}
	if l := b.savedLevel(t, id, "SERV.1"); l != 0 {
		t.Fatalf("saved (level %d) without a session", l)
	}
	b.checkAxeNoScript(r, "sign-in with kept answers")
	r.do(
		chromedp.SendKeys(chromedp.CSS("#email"), b.p.a),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
	)
	r.click(`form[action="/login"] button[type=submit]`)
	u, _ := url.Parse(r.path())
	if u.Path != fmt.Sprintf("/assessments/%d/dimensions/SERV", id) || u.Query().Get("kept") == "" {
		t.Fatalf("after sign-in: %s", r.path())
	}
	if got, want := r.text(".notice"), b.a.s.msgs.T("en", "questionnaire.kept"); got != want {
		t.Errorf("kept notice %q, want %q", got, want)
	}
	if !js[bool](r, `document.querySelector('input[name="SERV.1.level"][value="3"]').checked`) {
		t.Fatalf("the posted answer is not filled in after sign-in")
	}
	b.checkAxeNoScript(r, "questionnaire with kept answers")
	r.click(`button[name=action][value=save]`)
	if got := r.text(".notice"); got != b.a.s.msgs.T("en", "notice.saved") {
		t.Errorf("after saving the kept answers the notice is %q", got)
	}
	if l := b.savedLevel(t, id, "SERV.1"); l != 3 {
		t.Errorf("SERV.1 saved as level %d, want 3", l)
	}
}

// checkAxeNoScript runs axe on a page loaded with scripts off: axe itself
// needs them for the moment it runs; the page's own script stays unrun.
func (b *browserSuite) checkAxeNoScript(tb *tab, page string) {
	tb.t.Helper()
	call(tb, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
	b.checkAxe(tb, page)
	call(tb, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
}
