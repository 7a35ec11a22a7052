package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/unescap/dmf/assessments"
)

// actorOf is the user with the email as a domain actor.
func (b *browserSuite) actorOf(email string) assessments.Actor {
	users, err := b.a.s.store.Users(context.Background())
	if err != nil {
		b.a.t.Fatal(err)
	}
	i := slices.IndexFunc(users, func(u assessments.User) bool { return u.Email == email })
	if i < 0 {
		b.a.t.Fatalf("no user %s", email)
	}
	return users[i].Actor()
}

// testSSO: a person signs in with the button on /login, at the provider's
// own sign-in page, and comes back signed in; someone the provider knows
// but DMF has not linked comes back to /login, which says why.
func (b *browserSuite) testSSO(t *testing.T) {
	ctx := context.Background()
	u, err := b.a.s.store.CreateUser(ctx, nil, assessments.NewUser{Email: "gulnara@justice.kz", Name: "Gulnara", Password: pw, Role: assessments.RoleRespondent, OrganisationID: b.p.orgA.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.a.s.store.AddIdentity(ctx, b.actorOf(b.p.adm), u.ID, "gov", b.idp.URL, "gulnara@justice.kz"); err != nil {
		t.Fatal(err)
	}
	b.idp.addUser("gulnara", "gulnara@justice.kz", true)
	b.idp.addUser("stranger", "stranger@justice.kz", true)

	signIn := func(tb *tab, username string) {
		tb.t.Helper()
		tb.openOK("/login?next=/services")
		tb.click(`a[href^="/login/oidc/gov"]`)
		if loc := js[string](tb, `location.href`); !strings.HasPrefix(loc, b.idp.URL+"/login/username") {
			tb.t.Fatalf("the button led to %s, not the provider's sign-in page", loc)
		}
		tb.do(
			chromedp.SendKeys(chromedp.CSS("#username"), username),
			chromedp.SendKeys(chromedp.CSS("#password"), "idp password"),
		)
		tb.click(`button[type=submit]`)
	}

	r := b.newTab(t, "single sign-on")
	signIn(r, "gulnara")
	if got := r.path(); got != "/services" || r.count(`form[action="/logout"]`) == 0 {
		t.Fatalf("after signing in at the provider: on %s", got)
	}
	r.openOK("/account")
	if got := r.text("#identities + p + ul li"); !strings.Contains(got, "Government ID: gulnara@justice.kz") {
		t.Errorf("the account page lists %q", got)
	}

	s := b.newTab(t, "stranger")
	signIn(s, "stranger")
	if got := s.path(); !strings.HasPrefix(got, "/login?") || !strings.Contains(got, "sso=unlinked") {
		t.Fatalf("an unlinked identity went to %s", got)
	}
	if got, want := s.text(".error-summary"), b.a.s.msgs.T("en", "sso.refused.unlinked"); got != want {
		t.Errorf("/login says %q, want %q", got, want)
	}
	if s.count(`form[action="/logout"]`) != 0 {
		t.Error("an unlinked identity is signed in")
	}
}
