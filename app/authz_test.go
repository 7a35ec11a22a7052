package main

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
)

// actors of the authorization matrix, in column order.
var matrixActors = []string{"anonymous", "respondent A", "respondent B", "reviewer", "admin"}

// authzRow is one route with a request for it and the status each actor
// must get. Requests that an actor may make carry input that is refused
// after authorization (an empty name, a missing version, a bad decision),
// so that no row changes what the next row sees.
type authzRow struct {
	method, route string // as registered in Echo
	path          string // the concrete path, with fixture ids
	body          string // form values, or JSON for /api
	want          [5]int
}

// TestAuthorizationMatrix sends every route's request as every actor and
// checks the status. It fails when Echo has a route the table does not
// list, so a new route cannot ship without deciding who may use it.
func TestAuthorizationMatrix(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	ctx := context.Background()
	draft := a.startAssessment(p.actorA)
	submitted := a.approve(p.actorA, p.actorRev, "Submitted service", 2026, func(int) int { return 3 }, false)
	approved := a.approve(p.actorA, p.actorRev, "Approved service", 2026, func(int) int { return 4 }, true)
	cardRec, err := a.s.store.CardOf(ctx, p.actorA, approved)
	if err != nil {
		t.Fatal(err)
	}
	d, s, ap, cid := strconv.Itoa(int(draft)), strconv.Itoa(int(submitted)), strconv.Itoa(int(approved)), cardRec.ID
	svc, err := a.s.store.ServiceByName(ctx, p.actorA, "Approved service")
	if err != nil {
		t.Fatal(err)
	}
	svcID, orgID := strconv.Itoa(int(svc.ID)), strconv.Itoa(int(p.orgA.ID))
	userA := strconv.Itoa(int(p.actorA.UserID))
	practice, err := a.s.store.SubmitPractice(ctx, p.actorA, approved, assessments.PracticeInput{Indicator: "SERV.1", Title: "One login", Summary: "How"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.s.store.ReviewPractice(ctx, p.actorRev, practice.ID, "publish", ""); err != nil {
		t.Fatal(err)
	}
	pr := strconv.Itoa(int(practice.ID))

	const (
		ok  = http.StatusOK
		cr  = http.StatusCreated
		nc  = http.StatusNoContent
		see = http.StatusSeeOther
		bad = http.StatusBadRequest
		un  = http.StatusUnauthorized
		fb  = http.StatusForbidden
		nf  = http.StatusNotFound
		cf  = http.StatusConflict
		inv = http.StatusUnprocessableEntity
	)
	all := func(code int) [5]int { return [5]int{code, code, code, code, code} }
	page := [5]int{see, ok, ok, ok, ok}    // signed-in pages: anonymous users are sent to sign in
	own := [5]int{see, ok, nf, ok, ok}     // organisation A's assessment: B cannot tell it exists
	ownAPI := [5]int{un, ok, nf, ok, ok}   // the same through the API
	readers := [5]int{see, fb, fb, ok, ok} // reviewers and admins
	admins := [5]int{see, fb, fb, fb, ok}
	rows := []authzRow{
		{"GET", "/", "/", "", all(ok)},
		{"GET", "/healthz", "/healthz", "", all(ok)},
		{"GET", "/metrics", "/metrics", "", all(ok)}, // the matrix's requests come from loopback; others get 403 (TestMetrics)
		{"GET", "/static/:version/*", "/static/x/css/app.css", "", all(ok)},
		{"GET", "/lang/:lang", "/lang/ru?next=/", "", all(see)},
		{"GET", "/frameworks", "/frameworks", "", all(ok)},
		{"GET", "/frameworks/:id", "/frameworks/escap-dmf-dps-sme", "", all(ok)},
		{"GET", "/frameworks/:id/dimensions/:dim", "/frameworks/escap-dmf-dps-sme/dimensions/SERV", "", all(ok)},
		{"GET", "/reference", "/reference", "", all(ok)},
		{"GET", "/reference/wsis", "/reference/wsis", "", all(ok)},
		{"GET", "/reference/:topic", "/reference/dmf", "", all(ok)},
		{"GET", "/compare", "/compare", "", all(ok)},
		{"GET", "/compare/dimensions/:dim", "/compare/dimensions/SERV?category=tax", "", all(ok)},
		{"GET", "/practices", "/practices?q=%22one%22+OR", "", all(ok)},
		{"GET", "/practices/:id", "/practices/" + pr, "", all(ok)},
		{"GET", "/verify", "/verify", "", all(ok)},
		{"POST", "/verify", "/verify", "card=", all(inv)},
		{"GET", "/cards/:id", "/cards/" + cid, "", all(ok)},
		{"GET", "/services/:id", "/services/" + svcID, "", all(ok)},           // public: what its cards state
		{"GET", "/organisations/:id", "/organisations/" + orgID, "", all(ok)}, // public: what its cards state
		{"POST", "/cards/:id/revoke", "/cards/" + cid + "/revoke", "reason=", [5]int{un, fb, fb, inv, inv}},
		{"GET", "/.well-known/did.json", "/.well-known/did.json", "", all(ok)},
		{"GET", "/contexts/maturity-card/v1", "/contexts/maturity-card/v1", "", all(ok)},
		{"GET", "/contexts/maturity-card/v2", "/contexts/maturity-card/v2", "", all(ok)},
		{"GET", "/schemas/maturity-card/v1", "/schemas/maturity-card/v1", "", all(ok)},
		{"GET", "/vocab", "/vocab", "", all(ok)},
		{"GET", "/cards/:id/image.svg", "/cards/" + cid + "/image.svg", "", all(ok)},
		{"GET", "/status/:list", "/status/1", "", all(ok)},
		{"POST", "/credentials/verify", "/credentials/verify", "", all(bad)}, // public VC-API verifier; an empty body is not a request
		{"OPTIONS", "/credentials/verify", "/credentials/verify", "", all(nc)},
		{"GET", "/login", "/login", "", [5]int{ok, see, see, see, see}},
		{"POST", "/login", "/login", "email=nobody@nowhere.example&password=wrong+password+here", all(un)},
		{"POST", "/logout", "/logout", "", all(see)},
		{"GET", "/account", "/account", "", page},
		// Single sign-on: a provider this instance does not have is 404 to all.
		{"GET", "/login/oidc/:provider", "/login/oidc/nope", "", all(nf)},
		{"GET", "/login/oidc/:provider/callback", "/login/oidc/nope/callback?state=x&code=y", "", all(nf)},
		{"GET", "/account/identities/:provider", "/account/identities/nope", "", [5]int{see, nf, nf, nf, nf}},
		{"POST", "/account/tokens/revoke", "/account/tokens/revoke", "token=dmf_none", [5]int{un, nf, nf, nf, nf}},
		{"GET", "/account/password", "/account/password", "", page},
		{"POST", "/account/password", "/account/password", "current=x&password=a&confirm=b", [5]int{un, inv, inv, inv, inv}},
		{"POST", "/account/mail", "/account/mail", "mail=on", [5]int{un, see, see, see, see}}, // on, as it already is
		// The second factor. Without a pending sign-in its second step sends
		// everyone back to /login; the test server has an IP address for a
		// host, so passkeys are off (404) and TestBrowserPasskey covers them.
		{"GET", "/login/second-factor", "/login/second-factor", "", all(see)},
		{"POST", "/login/second-factor", "/login/second-factor", "code=000000", all(see)},
		{"POST", "/login/passkey/options", "/login/passkey/options", "", all(un)},
		{"POST", "/login/passkey", "/login/passkey", "", all(un)},
		{"GET", "/account/second-factor", "/account/second-factor", "", page},
		{"POST", "/account/totp", "/account/totp", "", [5]int{un, ok, ok, ok, ok}}, // a new secret, not on until confirmed
		{"POST", "/account/totp/confirm", "/account/totp/confirm", "code=x", [5]int{un, inv, inv, inv, inv}},
		{"POST", "/account/totp/disable", "/account/totp/disable", "password=x&code=y", [5]int{un, inv, inv, inv, inv}},
		{"POST", "/account/recovery-codes", "/account/recovery-codes", "", [5]int{un, nf, nf, nf, nf}}, // nobody has a second factor
		{"POST", "/account/passkeys/options", "/account/passkeys/options", "", [5]int{un, nf, nf, nf, nf}},
		{"POST", "/account/passkeys", "/account/passkeys", "", [5]int{un, nf, nf, nf, nf}},
		{"POST", "/account/passkeys/remove", "/account/passkeys/remove", "id=none", [5]int{un, nf, nf, nf, nf}},
		{"GET", "/password-reset", "/password-reset", "", all(ok)},
		{"POST", "/password-reset", "/password-reset", "email=not-an-email", all(inv)},
		{"GET", "/password-reset/new", "/password-reset/new?token=x", "", all(ok)},
		{"POST", "/password-reset/new", "/password-reset/new", "token=x&password=a+long+enough+passphrase&confirm=a+long+enough+passphrase", all(inv)},
		{"GET", "/notifications", "/notifications", "", page},
		{"POST", "/notifications/read", "/notifications/read", "ids=x", [5]int{un, inv, inv, inv, inv}},
		{"GET", "/services", "/services", "", page},
		{"POST", "/services", "/services", "name=&category=tax", [5]int{un, inv, inv, fb, fb}},
		{"GET", "/assessments", "/assessments", "", page},
		{"GET", "/assessments/new", "/assessments/new", "", [5]int{see, ok, ok, fb, fb}},
		{"POST", "/assessments", "/assessments", "service=0&period=1&edition=escap-dmf-dps-sme", [5]int{un, inv, inv, fb, fb}},
		{"GET", "/assessments/:id", "/assessments/" + d, "", own},
		{"GET", "/assessments/:id/dimensions/:dim", "/assessments/" + d + "/dimensions/SERV", "", own},
		{"POST", "/assessments/:id/dimensions/:dim", "/assessments/" + d + "/dimensions/SERV", "ids=SERV.1", [5]int{un, bad, nf, fb, fb}},
		{"POST", "/assessments/:id/submit", "/assessments/" + d + "/submit", "", [5]int{un, inv, nf, fb, fb}},
		{"GET", "/assessments/:id/result", "/assessments/" + d + "/result", "", own},
		{"GET", "/assessments/:id/report", "/assessments/" + d + "/report", "", own},
		{"GET", "/assessments/:id/practices/new", "/assessments/" + ap + "/practices/new?indicator=SERV.2", "", [5]int{see, ok, nf, fb, fb}},
		{"POST", "/assessments/:id/practices", "/assessments/" + ap + "/practices", "indicator=SERV.2&title=", [5]int{un, inv, nf, fb, fb}},
		{"POST", "/assessments/:id/plan", "/assessments/" + d + "/plan", "plan.0.indicator=NOPE", [5]int{un, inv, nf, fb, fb}},
		{"GET", "/assessments/:id/export", "/assessments/" + d + "/export", "", own},
		{"GET", "/assessments/:id/export.xlsx", "/assessments/" + d + "/export.xlsx", "", own},
		{"POST", "/assessments/:id/import", "/assessments/" + d + "/import", "", [5]int{un, inv, nf, fb, fb}},
		{"GET", "/country", "/country", "", [5]int{see, fb, fb, fb, fb}}, // coordinators: TestCountryAnswersPages
		{"GET", "/country/:framework/:version/:period", "/country/escap-dmf-dps-sme/1.0.0/2026", "", [5]int{see, fb, fb, fb, fb}},
		{"POST", "/country/:framework/:version/:period", "/country/escap-dmf-dps-sme/1.0.0/2026", "version=0", [5]int{un, fb, fb, fb, fb}},
		{"GET", "/review", "/review", "", readers},
		{"GET", "/assessments/:id/review", "/assessments/" + s + "/review", "", readers},
		{"POST", "/assessments/:id/review", "/assessments/" + s + "/review", "decision=maybe", [5]int{un, fb, fb, inv, fb}},
		{"GET", "/review/practices", "/review/practices", "", [5]int{see, fb, fb, ok, fb}},
		{"POST", "/practices/:id/review", "/practices/" + pr + "/review", "decision=maybe", [5]int{un, fb, fb, inv, fb}},
		{"GET", "/admin/users", "/admin/users", "", admins},
		{"POST", "/admin/users", "/admin/users", "email=not-an-email&role=respondent", [5]int{un, fb, fb, fb, inv}},
		{"GET", "/admin/organisations", "/admin/organisations", "", admins},
		{"POST", "/admin/organisations", "/admin/organisations", "name=&country=KAZ&kind=agency", [5]int{un, fb, fb, fb, inv}},
		{"GET", "/admin/users/:id", "/admin/users/" + userA, "", admins},
		{"POST", "/admin/users/:id", "/admin/users/" + userA, "name=&role=respondent&organisation=" + orgID, [5]int{un, fb, fb, fb, inv}},
		{"POST", "/admin/users/:id/reset-password", "/admin/users/999999/reset-password", "", [5]int{un, fb, fb, fb, nf}},
		{"POST", "/admin/users/:id/identities", "/admin/users/" + userA + "/identities", "provider=nope&email=a@example.org", [5]int{un, fb, fb, fb, inv}},
		{"POST", "/admin/users/:id/identities/:identity/delete", "/admin/users/" + userA + "/identities/999999/delete", "", [5]int{un, fb, fb, fb, nf}},
		{"POST", "/admin/users/:id/reset-second-factor", "/admin/users/999999/reset-second-factor", "", [5]int{un, fb, fb, fb, nf}},
		{"GET", "/admin/organisations/:id", "/admin/organisations/" + orgID, "", admins},
		{"POST", "/admin/organisations/:id", "/admin/organisations/" + orgID, "name=&country=KAZ&kind=agency", [5]int{un, fb, fb, fb, inv}},
		{"GET", "/admin/services", "/admin/services", "", admins},
		{"GET", "/admin/services/:id", "/admin/services/" + svcID, "", admins},
		{"POST", "/admin/services/:id", "/admin/services/" + svcID, "name=&category=tax", [5]int{un, fb, fb, fb, inv}},
		{"GET", "/admin/audit", "/admin/audit", "", admins},
		{"GET", "/admin/audit.csv", "/admin/audit.csv", "", admins},
		{"GET", "/log/checkpoint", "/log/checkpoint", "", all(ok)},
		{"GET", "/log/tile/*", "/log/tile/entries/000.p/1", "", all(ok)},
		{"GET", "/admin/peers", "/admin/peers", "", admins},
		{"POST", "/admin/peers", "/admin/peers", "base_url=", [5]int{un, fb, fb, fb, inv}},
		{"POST", "/admin/peers/:id/confirm", "/admin/peers/999999/confirm", "", [5]int{un, fb, fb, fb, nf}},
		{"POST", "/admin/peers/:id/end", "/admin/peers/999999/end", "", [5]int{un, fb, fb, fb, nf}},

		{"GET", "/api/v1/openapi.json", "/api/v1/openapi.json", "", all(ok)},
		{"GET", "/api/v1/frameworks", "/api/v1/frameworks", "", all(ok)},
		{"GET", "/api/v1/frameworks/:id", "/api/v1/frameworks/escap-dmf-dps-sme", "", all(ok)},
		{"GET", "/api/v1/frameworks/:id/:version/canonical", "/api/v1/frameworks/escap-dmf-dps-sme/1.0.0/canonical", "", all(ok)},
		{"POST", "/api/v1/tokens", "/api/v1/tokens", `{"email":"nobody@nowhere.example","password":"wrong password here"}`, all(un)},
		{"POST", "/api/v1/account/password", "/api/v1/account/password", `{"current":"not the password","new":"a new pass phrase here"}`, [5]int{un, inv, inv, inv, inv}},
		{"POST", "/api/v1/password-reset", "/api/v1/password-reset", `{"email":"not-an-email"}`, all(inv)},
		{"POST", "/api/v1/account/totp", "/api/v1/account/totp", "", [5]int{un, ok, ok, ok, ok}}, // a new secret, not on until confirmed
		{"POST", "/api/v1/account/totp/confirm", "/api/v1/account/totp/confirm", `{"code":"x"}`, [5]int{un, inv, inv, inv, inv}},
		{"GET", "/api/v1/notifications", "/api/v1/notifications", "", [5]int{un, ok, ok, ok, ok}},
		{"POST", "/api/v1/notifications/read", "/api/v1/notifications/read", `{"ids":[]}`, [5]int{un, inv, inv, inv, inv}},
		{"DELETE", "/api/v1/tokens/current", "/api/v1/tokens/current", "", [5]int{un, nc, nc, nc, nc}},
		{"GET", "/api/v1/session", "/api/v1/session", "", [5]int{un, ok, ok, ok, ok}},
		{"POST", "/api/v1/session/refresh", "/api/v1/session/refresh", "", [5]int{un, ok, ok, ok, ok}},
		{"GET", "/api/v1/services", "/api/v1/services", "", [5]int{un, ok, ok, ok, ok}},
		{"POST", "/api/v1/services", "/api/v1/services", `{"name":"","category":"tax"}`, [5]int{un, inv, inv, fb, fb}},
		{"GET", "/api/v1/assessments", "/api/v1/assessments", "", [5]int{un, ok, ok, ok, ok}},
		{"POST", "/api/v1/assessments", "/api/v1/assessments", `{"framework":"escap-dmf-dps-sme","period":1}`, [5]int{un, inv, inv, fb, fb}},
		{"GET", "/api/v1/assessments/:id", "/api/v1/assessments/" + d, "", ownAPI},
		{"PUT", "/api/v1/assessments/:id/answers", "/api/v1/assessments/" + d + "/answers", `{"answers":{}}`, [5]int{un, inv, nf, fb, fb}},
		{"POST", "/api/v1/assessments/:id/submit", "/api/v1/assessments/" + d + "/submit", "", [5]int{un, inv, nf, fb, fb}},
		{"GET", "/api/v1/assessments/:id/export", "/api/v1/assessments/" + d + "/export", "", ownAPI},
		{"GET", "/api/v1/assessments/:id/export.xlsx", "/api/v1/assessments/" + d + "/export.xlsx", "", ownAPI},
		{"POST", "/api/v1/assessments/:id/import", "/api/v1/assessments/" + d + "/import", `{"format":"x"}`, [5]int{un, inv, nf, fb, fb}},
		{"POST", "/api/v1/assessments/:id/review", "/api/v1/assessments/" + s + "/review", `{"decision":"maybe"}`, [5]int{un, fb, fb, inv, fb}},
		{"GET", "/api/v1/assessments/:id/card", "/api/v1/assessments/" + ap + "/card", "", ownAPI},
		{"POST", "/api/v1/assessments/:id/practices", "/api/v1/assessments/" + ap + "/practices", `{"indicator":"SERV.2","title":""}`, [5]int{un, inv, nf, fb, fb}},
		{"GET", "/api/v1/practices", "/api/v1/practices?q=%27", "", all(ok)},
		{"GET", "/api/v1/practices/:id", "/api/v1/practices/" + pr, "", all(ok)},
		{"POST", "/api/v1/practices/:id/review", "/api/v1/practices/" + pr + "/review", `{"decision":"maybe"}`, [5]int{un, fb, fb, inv, fb}},
		{"GET", "/api/v1/assessments/:id/plan", "/api/v1/assessments/" + d + "/plan", "", ownAPI},
		{"PUT", "/api/v1/assessments/:id/plan", "/api/v1/assessments/" + d + "/plan", `{"items":[{"indicator":"NOPE"}]}`, [5]int{un, inv, nf, fb, fb}},
		// 1.0.0 has no country indicators: those who may read get 422, others 404.
		{"GET", "/api/v1/countries/:code/answers", "/api/v1/countries/KAZ/answers?framework=escap-dmf-dps-sme&version=1.0.0&period=2026", "", [5]int{un, inv, nf, inv, inv}},
		{"PUT", "/api/v1/countries/:code/answers", "/api/v1/countries/KAZ/answers?framework=escap-dmf-dps-sme&version=1.0.0&period=2026", `{"answers":{}}`, [5]int{un, fb, fb, fb, fb}},
		{"GET", "/api/v1/cards", "/api/v1/cards?after=0&limit=5", "", all(ok)},
		{"GET", "/api/v1/cards/:id", "/api/v1/cards/" + cid, "", all(ok)},
		{"GET", "/api/v1/cards/:id/tlog-proof", "/api/v1/cards/" + cid + "/tlog-proof", "", all(ok)},
		{"POST", "/api/v1/cards/verify", "/api/v1/cards/verify", `{}`, all(ok)},
		{"POST", "/api/v1/cards/:id/revoke", "/api/v1/cards/" + cid + "/revoke", `{"reason":""}`, [5]int{un, fb, fb, inv, inv}},
		{"GET", "/api/v1/compare", "/api/v1/compare", "", all(ok)},
		{"GET", "/api/v1/compare.csv", "/api/v1/compare.csv", "", all(ok)},
		{"GET", "/api/v1/compare.xlsx", "/api/v1/compare.xlsx", "", all(ok)},
		{"GET", "/api/v1/exports/approved.csv", "/api/v1/exports/approved.csv", "", [5]int{un, fb, fb, ok, ok}},
		{"GET", "/api/v1/exports/approved.xlsx", "/api/v1/exports/approved.xlsx", "", [5]int{un, fb, fb, ok, ok}},
		{"GET", "/api/v1/audit", "/api/v1/audit", "", [5]int{un, fb, fb, fb, ok}},
		{"GET", "/api/v1/users", "/api/v1/users", "", [5]int{un, fb, fb, fb, ok}},
		{"POST", "/api/v1/users", "/api/v1/users", `{"email":"not-an-email","role":"respondent"}`, [5]int{un, fb, fb, fb, inv}},
		{"PATCH", "/api/v1/users/:id", "/api/v1/users/" + userA, `{"name":""}`, [5]int{un, fb, fb, fb, inv}},
		{"GET", "/api/v1/users/:id/identities", "/api/v1/users/" + userA + "/identities", "", [5]int{un, fb, fb, fb, ok}},
		{"POST", "/api/v1/users/:id/identities", "/api/v1/users/" + userA + "/identities", `{"provider":"nope","email":"a@example.org"}`, [5]int{un, fb, fb, fb, inv}},
		{"DELETE", "/api/v1/users/:id/identities/:identity", "/api/v1/users/" + userA + "/identities/999999", "", [5]int{un, fb, fb, fb, nf}},
		{"POST", "/api/v1/users/:id/reset-password", "/api/v1/users/999999/reset-password", "", [5]int{un, fb, fb, fb, nf}},
		{"POST", "/api/v1/users/:id/reset-second-factor", "/api/v1/users/999999/reset-second-factor", "", [5]int{un, fb, fb, fb, nf}},
		{"PATCH", "/api/v1/organisations/:id", "/api/v1/organisations/" + orgID, `{"name":""}`, [5]int{un, fb, fb, fb, inv}},
		{"PATCH", "/api/v1/services/:id", "/api/v1/services/" + svcID, `{"name":""}`, [5]int{un, fb, fb, fb, inv}},
		{"GET", "/api/v1/log", "/api/v1/log", "", all(ok)},
		{"GET", "/api/v1/log/checkpoint", "/api/v1/log/checkpoint", "", all(ok)},
		{"GET", "/api/v1/log/consistency", "/api/v1/log/consistency?old=1&new=1", "", all(ok)},
		{"GET", "/api/v1/peers", "/api/v1/peers", "", [5]int{un, fb, fb, fb, ok}},
		{"POST", "/api/v1/peers", "/api/v1/peers", `{"base_url":""}`, [5]int{un, fb, fb, fb, inv}},
		{"POST", "/api/v1/peers/:id/confirm", "/api/v1/peers/999999/confirm", "", [5]int{un, fb, fb, fb, nf}},
		{"DELETE", "/api/v1/peers/:id", "/api/v1/peers/999999", "", [5]int{un, fb, fb, fb, nf}},
		{"POST", "/api/v1/peers/:id/sync", "/api/v1/peers/999999/sync", "", [5]int{un, fb, fb, fb, nf}},
		{"GET", "/api/v1/witness", "/api/v1/witness", "", all(ok)},
		{"POST", "/api/v1/witness/add-checkpoint", "/api/v1/witness/add-checkpoint", "", all(bad)},
		{"ANY", "/api/v1/*", "/api/v1/no-such-thing", "", all(nf)},
	}

	// Every registered route must be in the table.
	listed := map[string]bool{}
	for _, r := range rows {
		listed[r.method+" "+r.route] = true
	}
	methods := map[string]int{}
	for _, r := range a.e.Routes() {
		methods[r.Path]++
	}
	for _, r := range a.e.Routes() {
		if r.Method == "echo_route_not_found" {
			continue // Echo's own not-found handler of a group
		}
		key := r.Method + " " + r.Path
		if methods[r.Path] > 5 { // registered with Any: every method
			key = "ANY " + r.Path
		}
		if !listed[key] {
			t.Errorf("route %s is not in the authorization matrix: decide who may use it", key)
		}
	}

	users := map[string]uint{"respondent A": p.actorA.UserID, "respondent B": p.actorB.UserID, "reviewer": p.actorRev.UserID}
	admin, _ := a.s.store.Users(ctx)
	for _, u := range admin {
		if u.Email == p.adm {
			users["admin"] = u.ID
		}
	}
	srv := a.server()
	for _, row := range rows {
		for i, who := range matrixActors {
			method := row.method
			if method == "ANY" {
				method = http.MethodGet
			}
			got := a.hit(srv, users[who], method, row.path, row.body)
			if got != row.want[i] {
				t.Errorf("%s %s as %s: %d, want %d", method, row.path, who, got, row.want[i])
			}
		}
	}
}

// hit sends one request as a user (0: anonymous), with a fresh session or
// token so that no request depends on another, and a valid CSRF pair on
// forms.
func (a *testApp) hit(base string, userID uint, method, path, body string) int {
	a.t.Helper()
	ctx := context.Background()
	var req *http.Request
	api := strings.HasPrefix(path, "/api/")
	if api {
		var r *strings.Reader
		if body != "" {
			r = strings.NewReader(body)
		} else {
			r = strings.NewReader("")
		}
		req = httptest.NewRequest(method, base+path, r)
		req.RequestURI = ""
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if userID != 0 {
			token, _, err := a.s.store.CreateToken(ctx, userID, "matrix")
			if err != nil {
				a.t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
		}
	} else {
		var session string
		if userID != 0 {
			var err error
			if session, err = a.s.store.CreateSession(ctx, userID); err != nil {
				a.t.Fatal(err)
			}
		}
		csrf := a.s.csrfToken(session, rand.Text())
		form := url.Values{}
		if body != "" {
			form, _ = url.ParseQuery(body)
		}
		if method != http.MethodGet {
			form.Set("_csrf", csrf)
		}
		req = httptest.NewRequest(method, base+path, strings.NewReader(form.Encode()))
		req.RequestURI = ""
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "_csrf", Value: csrf})
		if userID != 0 {
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
