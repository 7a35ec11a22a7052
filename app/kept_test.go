package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments"
)

// TestFormPostedAfterSessionEnded: a questionnaire form posted after the
// session idled out is kept for that account, leads to sign-in, and comes
// back filled in to be saved; nobody else gets it, a cross-site post is
// refused, and nothing is saved into an assessment the account may not
// edit.
func TestFormPostedAfterSessionEnded(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.startAssessment(p.actorA)
	base := fmt.Sprintf("/assessments/%d", id)

	b := a.browser()
	b.login(p.a, pw)
	_, page := b.get(base + "/dimensions/SERV")
	form := dimensionForm(a, "SERV", 4, formVersion(t, page))
	token := b.csrf()

	// A colleague in another organisation has a page open too.
	other := a.browser()
	other.login(p.b, pw)
	otherToken := other.csrf()

	a.s.store.SetClock(func() time.Time { return time.Now().Add(assessments.SessionIdle + 30*time.Minute) })
	t.Cleanup(func() { a.s.store.SetClock(time.Now) })

	// A cross-site post with the ended session is refused and keeps nothing.
	req, _ := http.NewRequest(http.MethodPost, b.base+base+"/dimensions/SERV", strings.NewReader(withToken(form, token).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(sessionCookieOf(t, b))
	if resp, _ := (&http.Client{CheckRedirect: b.c.CheckRedirect}).Do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post with an ended session: %d", resp.StatusCode)
	}

	// The other organisation's user, whose session ended too, cannot get
	// answers kept for an assessment they may not edit.
	resp, _ := other.post(base+"/dimensions/SERV", withToken(dimensionForm(a, "SERV", 1, "1"), otherToken))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("ended session of another organisation: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The respondent's post leads to sign-in and saves nothing yet.
	resp, body := b.post(base+"/dimensions/SERV", withToken(form, token))
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?notice=kept&next=") {
		_, msg, _ := strings.Cut(body, `class="lead">`)
		t.Fatalf("post after the session ended: %d %s %.200s", resp.StatusCode, loc, msg)
	}
	if ans := answersOf(t, a, p.actorA, fmt.Sprint(id)); len(ans) != 0 {
		t.Fatalf("saved without a session: %v", ans)
	}
	_, login := b.get(loc)
	if !strings.Contains(login, a.s.msgs.T("en", "notice.kept")) {
		t.Errorf("the sign-in page does not say the answers are kept")
	}
	u, _ := url.Parse(loc)
	next := u.Query().Get("next")

	// A colleague of the same organisation who opens the link sees the
	// saved answers only.
	colleague := a.browser()
	colleague.login(p.a2, pw)
	if _, body := colleague.get(next); strings.Contains(body, `name="kept"`) || strings.Contains(body, `value="4" id="SERV.1-L4" checked`) {
		t.Errorf("another user got the kept answers")
	}

	// Signed in again, the respondent finds the answers filled in and saves them.
	resp, _ = b.post("/login", url.Values{"email": {p.a}, "password": {pw}, "next": {next}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != next {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = b.get(next)
	if !strings.Contains(page, a.s.msgs.T("en", "questionnaire.kept")) || !strings.Contains(page, `value="4" id="SERV.1-L4" checked`) {
		t.Fatalf("the kept answers are not shown after sign-in")
	}
	kept := keptField(t, page)
	form.Set("kept", kept)
	resp, _ = b.post(base+"/dimensions/SERV", withToken(form, ""))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving the kept answers: %d", resp.StatusCode)
	}
	if ans := answersOf(t, a, p.actorA, fmt.Sprint(id)); ans["SERV.1"].Level == nil || *ans["SERV.1"].Level != 4 {
		t.Fatalf("kept answers not saved: %v", ans["SERV.1"])
	}
	// Once saved, the kept form is gone.
	if _, body := b.get(next); strings.Contains(body, `name="kept"`) {
		t.Errorf("the kept form is offered again after it was saved")
	}
}

// withToken is the form with a _csrf field (none: the client's cookie).
func withToken(f url.Values, token string) url.Values {
	g := url.Values{}
	for k, v := range f {
		g[k] = append([]string(nil), v...)
	}
	if token != "" {
		g.Set("_csrf", token)
	}
	return g
}

func sessionCookieOf(t *testing.T, b *browser) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(b.base)
	for _, ck := range b.c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			return ck
		}
	}
	t.Fatal("no session cookie")
	return nil
}

func keptField(t *testing.T, page string) string {
	t.Helper()
	_, rest, ok := strings.Cut(page, `name="kept" value="`)
	if !ok {
		t.Fatal("no kept field in the form")
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// TestStaySignedIn: "stay signed in" keeps an idle session alive, and the
// session endpoint tells the page's script who is signed in.
func TestStaySignedIn(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	b := a.browser()
	b.login(p.a, pw)
	start := time.Now()
	at := func(d time.Duration) { a.s.store.SetClock(func() time.Time { return start.Add(d) }) }
	t.Cleanup(func() { a.s.store.SetClock(time.Now) })

	at(assessments.SessionIdle - 5*time.Minute)
	req, _ := http.NewRequest(http.MethodPost, b.base+"/api/v1/session/refresh", nil)
	req.Header.Set("X-CSRF-Token", b.csrf())
	req.Header.Set("Accept", "application/json")
	if resp, body := b.do(req); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"idle_seconds":7200`) {
		t.Fatalf("stay signed in: %d %s", resp.StatusCode, body)
	}
	// Past the idle timeout counted from sign-in, but not from the refresh.
	at(assessments.SessionIdle + time.Hour)
	if resp, body := b.get("/api/v1/session"); resp.StatusCode != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`"user_id":%d`, p.actorA.UserID)) {
		t.Fatalf("session after staying signed in: %d %s", resp.StatusCode, body)
	}
	// A refresh from another site is refused.
	req, _ = http.NewRequest(http.MethodPost, b.base+"/api/v1/session/refresh", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := b.do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site refresh: %d", resp.StatusCode)
	}
	// Left alone, it ends, and the page's script is told so.
	at(2*assessments.SessionIdle + 2*time.Hour)
	if resp, _ := b.get("/api/v1/session"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("idle session: %d", resp.StatusCode)
	}
}
