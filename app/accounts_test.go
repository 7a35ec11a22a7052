package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
)

// An admin runs an account through the API for its whole life: creates it,
// the person signs in with the one-time password and chooses their own,
// the admin disables it (its token stops at once), re-enables it, resets
// its password (every token ends again) and cannot demote the last admin.
func TestUsersAPI(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	admin := a.api(p.adm, pw)

	status, body := admin.call("POST", "/api/v1/users", map[string]any{"email": "new@justice.kz", "role": "respondent", "organisation_id": p.orgA.ID, "name": "Dana"})
	if status != http.StatusCreated || body["id"] == nil || body["one_time_password"] == "" {
		t.Fatalf("create: %d %v", status, body)
	}
	id := uint(body["id"].(float64))
	otp := body["one_time_password"].(string)
	anon := &api{t: t, base: a.server()}
	if status, body := anon.call("POST", "/api/v1/tokens", map[string]string{"email": "new@justice.kz", "password": otp}); status != http.StatusForbidden || body["error"].(map[string]any)["code"] != "password_change_required" {
		t.Fatalf("token with the one-time password: %d %v", status, body)
	}
	const own = "dana's own pass phrase 2026"
	if status, body := anon.raw("POST", "/api/v1/account/password", map[string]string{"email": "new@justice.kz", "current": otp, "new": own}); status != http.StatusNoContent {
		t.Fatalf("choose a password: %d %s", status, body)
	}
	dana := a.api("new@justice.kz", own)
	if status, _ := dana.call("GET", "/api/v1/services", nil); status != http.StatusOK {
		t.Fatalf("the new user's token: %d", status)
	}
	if status, _ := dana.call("GET", "/api/v1/users", nil); status != http.StatusForbidden {
		t.Errorf("a respondent listed users: %d", status)
	}

	path := fmt.Sprintf("/api/v1/users/%d", id)
	status, body = admin.call("PATCH", path, map[string]any{"disabled": true, "name": "Dana K."})
	if status != http.StatusOK || body["disabled_at"] == nil || body["name"] != "Dana K." {
		t.Fatalf("disable: %d %v", status, body)
	}
	if status, _ := dana.call("GET", "/api/v1/services", nil); status != http.StatusUnauthorized {
		t.Errorf("a disabled user's token still works: %d", status)
	}
	if status, _ := anon.call("POST", "/api/v1/tokens", map[string]string{"email": "new@justice.kz", "password": own}); status != http.StatusUnauthorized {
		t.Errorf("a disabled user got a token: %d", status)
	}
	_, body = admin.call("GET", "/api/v1/users", nil)
	found := false
	for _, u := range body["list"].([]any) {
		if m := u.(map[string]any); m["email"] == "new@justice.kz" {
			found = m["disabled_at"] != nil
			if _, leaked := m["password_hash"]; leaked {
				t.Error("the list shows password hashes")
			}
		}
	}
	if !found {
		t.Error("the disabled user is not listed as disabled")
	}
	if status, body := admin.call("PATCH", path, map[string]any{"disabled": false}); status != http.StatusOK || body["disabled_at"] != nil {
		t.Fatalf("re-enable: %d %v", status, body)
	}
	dana = a.api("new@justice.kz", own)

	status, body = admin.call("POST", path+"/reset-password", nil)
	if status != http.StatusOK || body["one_time_password"] == "" || body["one_time_password"] == otp {
		t.Fatalf("reset: %d %v", status, body)
	}
	if status, _ := dana.call("GET", "/api/v1/services", nil); status != http.StatusUnauthorized {
		t.Errorf("a token survived the reset: %d", status)
	}
	if status, _ := anon.call("POST", "/api/v1/tokens", map[string]string{"email": "new@justice.kz", "password": body["one_time_password"].(string)}); status != http.StatusForbidden {
		t.Errorf("the reset password is not one-time: %d", status)
	}

	// The last active admin, through the API.
	users, _ := a.s.store.Users(context.Background())
	var adminID uint
	for _, u := range users {
		if u.Email == p.adm {
			adminID = u.ID
		}
	}
	status, body = admin.call("PATCH", fmt.Sprintf("/api/v1/users/%d", adminID), map[string]any{"role": "reviewer"})
	if status != http.StatusUnprocessableEntity || fieldsOf(body)["role"] == "" {
		t.Errorf("demote the last admin: %d %v", status, body)
	}
	status, body = admin.call("PATCH", fmt.Sprintf("/api/v1/users/%d", adminID), map[string]any{"disabled": true})
	if status != http.StatusUnprocessableEntity || fieldsOf(body)["disabled"] == "" {
		t.Errorf("disable the last admin: %d %v", status, body)
	}

	// Organisations and services have PATCH too; no DELETE anywhere.
	status, body = admin.call("PATCH", fmt.Sprintf("/api/v1/organisations/%d", p.orgB.ID), map[string]any{"name": "State Tax Committee", "kind": "ministry"})
	if status != http.StatusOK || body["name"] != "State Tax Committee" || body["kind"] != "ministry" || body["country"] != "UZB" {
		t.Errorf("edit organisation: %d %v", status, body)
	}
	svc, err := a.s.store.CreateService(context.Background(), p.actorB, assessments.Service{Name: "Customs declarations", Category: "customs"})
	if err != nil {
		t.Fatal(err)
	}
	status, body = admin.call("PATCH", fmt.Sprintf("/api/v1/services/%d", svc.ID), map[string]any{"retired": true, "url": "https://customs.example.uz"})
	if status != http.StatusOK || body["retired_at"] == nil || body["url"] != "https://customs.example.uz" {
		t.Errorf("retire service: %d %v", status, body)
	}
	b := a.api(p.b, pw)
	status, body = b.call("POST", "/api/v1/assessments", map[string]any{"framework": "escap-dmf-dps-sme", "period": 2026, "service": map[string]any{"name": "Customs declarations", "category": "customs"}})
	if status != http.StatusUnprocessableEntity || fieldsOf(body)["service.name"] == "" {
		t.Errorf("assessment of a retired service: %d %v", status, body)
	}
	for _, path := range []string{fmt.Sprintf("/api/v1/users/%d", id), fmt.Sprintf("/api/v1/organisations/%d", p.orgB.ID), fmt.Sprintf("/api/v1/services/%d", svc.ID)} {
		if status, _ := admin.raw("DELETE", path, nil); status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			t.Errorf("DELETE %s: %d", path, status)
		}
	}
}

// adminState is everything about accounts, organisations and services a
// refused request must leave as it was.
func adminState(t *testing.T, a *testApp) string {
	t.Helper()
	ctx := context.Background()
	st := a.s.store
	admin := assessments.Actor{Role: assessments.RoleAdmin}
	users, _ := st.Users(ctx)
	var hashes []string
	for _, u := range users {
		// The hash is not in the JSON; read whether the password changed
		// through whether the account must change it.
		full, _ := st.User(ctx, u.ID)
		hashes = append(hashes, fmt.Sprint(full.MustChangePassword))
	}
	services, _ := st.AllServices(ctx, admin)
	orgs, _ := st.Organisations(ctx)
	events, _ := st.AuditEvents(ctx, admin, assessments.AuditFilter{Limit: 10000})
	raw, _ := json.Marshal([]any{users, hashes, services, orgs, len(events)})
	return string(raw)
}

// TestAdminBadInput: every new endpoint refuses bad input with a 4xx that
// names the field, and changes nothing.
func TestAdminBadInput(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	ctx := context.Background()
	svc, err := a.s.store.CreateService(ctx, p.actorA, assessments.Service{Name: "Company registration", Category: "business-registration"})
	if err != nil {
		t.Fatal(err)
	}
	u := fmt.Sprintf("/api/v1/users/%d", p.actorA.UserID)
	o := fmt.Sprintf("/api/v1/organisations/%d", p.orgA.ID)
	s := fmt.Sprintf("/api/v1/services/%d", svc.ID)
	j := "application/json"
	type bad struct {
		name, method, path, contentType, body string
		field                                 string // the field the answer must name, if any
	}
	cases := []bad{
		{"user without email", "POST", "/api/v1/users", j, `{"role": "reviewer"}`, "email"},
		{"user with a bad email", "POST", "/api/v1/users", j, `{"email": "a@b@c", "role": "reviewer"}`, "email"},
		{"user with a taken email", "POST", "/api/v1/users", j, `{"email": "b@tax.uz", "role": "reviewer"}`, "email"},
		{"user with an unknown role", "POST", "/api/v1/users", j, `{"email": "x@y.org", "role": "root"}`, "role"},
		{"respondent without organisation", "POST", "/api/v1/users", j, `{"email": "x@y.org", "role": "respondent"}`, "organisation"},
		{"reviewer with an organisation", "POST", "/api/v1/users", j, `{"email": "x@y.org", "role": "reviewer", "organisation_id": 1}`, "organisation"},
		{"user with a password", "POST", "/api/v1/users", j, `{"email": "x@y.org", "role": "reviewer", "password": "chosen by the admin"}`, "password"},
		{"user name with a bidi override", "POST", "/api/v1/users", j, `{"email": "x@y.org", "role": "reviewer", "name": "a\u202eb"}`, "name"},
		{"user role as a number", "POST", "/api/v1/users", j, `{"email": "x@y.org", "role": 3}`, "role"},
		{"user as a form", "POST", "/api/v1/users", "application/x-www-form-urlencoded", "email=x@y.org&role=reviewer", ""},
		{"user truncated", "POST", "/api/v1/users", j, `{"email": `, ""},
		{"patch empty name", "PATCH", u, j, `{"name": "  "}`, "name"},
		{"patch name too long", "PATCH", u, j, `{"name": "` + strings.Repeat("n", 201) + `"}`, "name"},
		{"patch name with NUL", "PATCH", u, j, `{"name": "a\u0000b"}`, "name"},
		{"patch name two lines", "PATCH", u, j, `{"name": "a\nb"}`, "name"},
		{"patch unknown role", "PATCH", u, j, `{"role": "owner"}`, "role"},
		{"patch unknown organisation", "PATCH", u, j, `{"organisation_id": 9999}`, "organisation"},
		{"patch respondent out of its organisation", "PATCH", u, j, `{"organisation_id": 0}`, "organisation"},
		{"patch organisation negative", "PATCH", u, j, `{"organisation_id": -1}`, "organisation_id"},
		{"patch disabled as a string", "PATCH", u, j, `{"disabled": "yes"}`, "disabled"},
		{"patch email", "PATCH", u, j, `{"email": "other@justice.kz"}`, "email"},
		{"patch password", "PATCH", u, j, `{"password": "x"}`, "password"},
		{"patch unknown user", "PATCH", "/api/v1/users/99999", j, `{"name": "x"}`, ""},
		{"patch user id not a number", "PATCH", "/api/v1/users/1%20OR%201=1", j, `{"name": "x"}`, ""},
		{"patch user empty body", "PATCH", u, j, ``, ""},
		{"reset unknown user", "POST", "/api/v1/users/99999/reset-password", "", "", ""},
		{"reset user id negative", "POST", "/api/v1/users/-1/reset-password", "", "", ""},
		{"organisation empty name", "PATCH", o, j, `{"name": ""}`, "name"},
		{"organisation name with a zero-width space", "PATCH", o, j, `{"name": "Min\u200bistry"}`, "name"},
		{"organisation name taken", "PATCH", "/api/v1/organisations/" + fmt.Sprint(p.orgB.ID), j, `{"country": "KAZ", "name": "Ministry of Justice"}`, "name"},
		{"organisation outside ESCAP", "PATCH", o, j, `{"country": "DEU"}`, "country"},
		{"organisation kind unknown", "PATCH", o, j, `{"kind": "guild"}`, "kind"},
		{"organisation id field", "PATCH", o, j, `{"id": 5}`, "id"},
		{"organisation unknown", "PATCH", "/api/v1/organisations/99999", j, `{"name": "x"}`, ""},
		{"service empty name", "PATCH", s, j, `{"name": ""}`, "name"},
		{"service category unknown", "PATCH", s, j, `{"category": "weather"}`, "category"},
		{"service javascript: URL", "PATCH", s, j, `{"url": "javascript:alert(1)"}`, "url"},
		{"service retired as a number", "PATCH", s, j, `{"retired": 1}`, "retired"},
		{"service moved to another organisation", "PATCH", s, j, `{"organisation_id": 2}`, "organisation_id"},
		{"service unknown", "PATCH", "/api/v1/services/99999", j, `{"name": "x"}`, ""},
	}
	admin := a.api(p.adm, pw)
	before := adminState(t, a)
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, a.server()+tc.path, strings.NewReader(tc.body))
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		req.Header.Set("Authorization", "Bearer "+admin.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var body map[string]any
		if resp.StatusCode < 400 || resp.StatusCode >= 500 || json.Unmarshal(raw, &body) != nil {
			t.Errorf("%s: %d, want a 4xx with a JSON error\n%.300s", tc.name, resp.StatusCode, raw)
			continue
		}
		if tc.field != "" && (resp.StatusCode != http.StatusUnprocessableEntity || fieldsOf(body)[tc.field] == "") {
			t.Errorf("%s: %d, want 422 naming %q: %s", tc.name, resp.StatusCode, tc.field, raw)
		}
	}

	if after := adminState(t, a); after != before {
		t.Errorf("refused API requests changed something:\nbefore %s\nafter  %s", before, after)
	}

	// The same through the forms.
	b := a.browser()
	b.login(p.adm, pw)
	forms := []struct {
		name, path string
		form       url.Values
		field      string
	}{
		{"form: user name empty", fmt.Sprintf("/admin/users/%d", p.actorA.UserID), url.Values{"name": {""}, "role": {"respondent"}, "organisation": {fmt.Sprint(p.orgA.ID)}}, "name"},
		{"form: user role unknown", fmt.Sprintf("/admin/users/%d", p.actorA.UserID), url.Values{"name": {"A"}, "role": {"<b>"}, "organisation": {fmt.Sprint(p.orgA.ID)}}, "role"},
		{"form: respondent without organisation", fmt.Sprintf("/admin/users/%d", p.actorA.UserID), url.Values{"name": {"A"}, "role": {"respondent"}, "organisation": {"abc"}}, "organisation"},
		{"form: organisation name with bidi", fmt.Sprintf("/admin/organisations/%d", p.orgA.ID), url.Values{"name": {"a\u202eb"}, "country": {"KAZ"}, "kind": {"ministry"}}, "name"},
		{"form: organisation country unknown", fmt.Sprintf("/admin/organisations/%d", p.orgA.ID), url.Values{"name": {"M"}, "country": {"ZZZ"}, "kind": {"ministry"}}, "country"},
		{"form: service URL javascript:", fmt.Sprintf("/admin/services/%d", svc.ID), url.Values{"name": {"S"}, "category": {"tax"}, "url": {"javascript:alert(1)"}}, "url"},
		{"form: service category unknown", fmt.Sprintf("/admin/services/%d", svc.ID), url.Values{"name": {"S"}, "category": {"x"}}, "category"},
		{"form: reset unknown user", "/admin/users/99999/reset-password", nil, ""},
	}
	before = adminState(t, a) // signing in is audited
	for _, tc := range forms {
		resp, body := b.post(tc.path, tc.form)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("%s: %d", tc.name, resp.StatusCode)
			continue
		}
		if tc.field != "" && (resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#`+FieldID(tc.field)+`"`) || !strings.Contains(body, `aria-invalid="true"`)) {
			t.Errorf("%s: %d, want 422 with the field %s in the error summary", tc.name, resp.StatusCode, tc.field)
		}
	}
	if after := adminState(t, a); after != before {
		t.Errorf("refused forms changed something:\nbefore %s\nafter  %s", before, after)
	}
}

// TestAdminPages walks the edit pages as an admin without scripts:
// rename and disable an account (its browser is signed out at once),
// reset a password (shown once, then sign-in asks for a new one), edit an
// organisation, retire a service (no longer offered for assessment).
func TestAdminPages(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	ctx := context.Background()
	svc, err := a.s.store.CreateService(ctx, p.actorA, assessments.Service{Name: "Company registration", Category: "business-registration"})
	if err != nil {
		t.Fatal(err)
	}
	admin, userA := a.browser(), a.browser()
	admin.login(p.adm, pw)
	userA.login(p.a, pw)

	_, list := admin.get("/admin/users")
	userPath := fmt.Sprintf("/admin/users/%d", p.actorA.UserID)
	if !strings.Contains(list, `href="`+userPath+`"`) || !strings.Contains(list, `href="/admin/services"`) {
		t.Fatal("the users list does not link to the edit page or to services")
	}
	resp, page := admin.get(userPath)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<label for="f-disabled">`) || !strings.Contains(page, `action="`+userPath+`/reset-password"`) {
		t.Fatalf("edit page: %d", resp.StatusCode)
	}
	resp, _ = admin.post(userPath, url.Values{"name": {"Aigerim"}, "role": {"respondent"}, "organisation": {fmt.Sprint(p.orgA.ID)}, "disabled": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	_, page = admin.get(resp.Header.Get("Location"))
	if !strings.Contains(page, "The account is saved.") || !strings.Contains(page, "disabled since") || !strings.Contains(page, `value="Aigerim"`) {
		t.Error("the saved account does not show its new state")
	}
	if resp, _ := userA.get("/assessments"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("a disabled user's browser still works: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, list := admin.get("/admin/users"); !strings.Contains(list, ">disabled</span>") {
		t.Error("the users list does not mark the disabled account")
	}
	if resp, _ := admin.post(userPath, url.Values{"name": {"Aigerim"}, "role": {"respondent"}, "organisation": {fmt.Sprint(p.orgA.ID)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("re-enable: %d", resp.StatusCode)
	}

	// Reset: the password is in the page, once, and works only to choose
	// a new one; the user's old session is over.
	userA.login(p.a, pw)
	resp, page = admin.post(userPath+"/reset-password", nil)
	m := regexp.MustCompile(`<code class="secret">([^<]+)</code>`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil || strings.Contains(resp.Header.Get("Location"), m[1]) {
		t.Fatalf("reset: %d", resp.StatusCode)
	}
	if _, again := admin.get(userPath); strings.Contains(again, m[1]) {
		t.Error("the one-time password is shown again")
	}
	if resp, _ := userA.get("/assessments"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("a session survived the reset: %d", resp.StatusCode)
	}
	fresh := a.browser()
	resp, _ = fresh.post("/login", url.Values{"email": {p.a}, "password": {m[1]}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/account/password") {
		t.Errorf("sign-in with the reset password: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The last admin cannot demote themselves through the page either.
	users, _ := a.s.store.Users(ctx)
	for _, u := range users {
		if u.Email == p.adm {
			resp, page := admin.post(fmt.Sprintf("/admin/users/%d", u.ID), url.Values{"name": {"Admin"}, "role": {"reviewer"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "the last active administrator cannot be demoted") {
				t.Errorf("the last admin demoted through the page: %d", resp.StatusCode)
			}
		}
	}

	// Organisations.
	orgPath := fmt.Sprintf("/admin/organisations/%d", p.orgA.ID)
	if _, list := admin.get("/admin/organisations"); !strings.Contains(list, `href="`+orgPath+`"`) {
		t.Error("the organisations list does not link to the edit page")
	}
	resp, _ = admin.post(orgPath, url.Values{"name": {"Ministry of Justice and Digital Development"}, "country": {"KAZ"}, "kind": {"ministry"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit organisation: %d", resp.StatusCode)
	}
	if o, _ := a.s.store.Organisation(ctx, p.orgA.ID); o.Name != "Ministry of Justice and Digital Development" {
		t.Errorf("organisation not renamed: %s", o.Name)
	}

	// Services: retire one; it stays listed and is no longer offered.
	_, list = admin.get("/admin/services")
	svcPath := fmt.Sprintf("/admin/services/%d", svc.ID)
	if !strings.Contains(list, `href="`+svcPath+`"`) || !strings.Contains(list, "In use") {
		t.Fatal("the services list does not show the service")
	}
	resp, _ = admin.post(svcPath, url.Values{"name": {"Company registration"}, "category": {"business-registration"}, "retired": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("retire: %d", resp.StatusCode)
	}
	if _, list := admin.get("/admin/services"); !strings.Contains(list, "Retired") {
		t.Error("the retired service is not marked")
	}
	b := a.browser()
	b.login(p.a2, pw)
	if _, page := b.get("/assessments/new"); strings.Contains(page, ">Company registration</option>") {
		t.Error("a retired service is offered for a new assessment")
	}
	if resp, _ := b.post("/assessments", url.Values{"service": {fmt.Sprint(svc.ID)}, "period": {"2026"}, "edition": {"escap-dmf-dps-sme@1.0.0"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("assessment of a retired service through the form: %d", resp.StatusCode)
	}

	// In Russian.
	admin.get("/lang/ru?next=/")
	if _, page := admin.get(svcPath); !strings.Contains(page, "Выведена из использования") {
		t.Error("the service page is not in Russian")
	}
}

// TestResetPasswordCommand: an administrator locked out, with no other
// admin to reset their password on the page, gets back in from the
// server's shell.
func TestResetPasswordCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "dmf.db")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"users", "add", "-database", db, "-email", "admin@escap.org", "-password", pw, "-role", "admin"}, env(nil), nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"users", "reset-password", "-database", db, "-email", "Admin@escap.org"}, env(nil), nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`one-time password \(must be changed at the next sign-in\): (\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no password printed: %s", out.String())
	}
	st, err := openStore(context.Background(), db, newLogger(Config{LogFormat: "text"}, io.Discard), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.Authenticate(context.Background(), "admin@escap.org", m[1], assessments.Origin{Addr: "127.0.0.1"})
	if err != nil || !u.MustChangePassword {
		t.Errorf("sign-in with the printed password: %v", err)
	}
	if _, err := st.Authenticate(context.Background(), "admin@escap.org", pw, assessments.Origin{Addr: "127.0.0.1"}); err == nil {
		t.Error("the old password still works")
	}
	if code := exitCode(run(context.Background(), []string{"users", "reset-password", "-database", db, "-email", "nobody@escap.org"}, env(nil), nil, io.Discard, io.Discard)); code != 1 {
		t.Errorf("unknown email: exit %d", code)
	}

	// An administrator who lost their phone and recovery codes, too.
	u, err = st.UserByEmail(context.Background(), "admin@escap.org")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddPasskey(context.Background(), u.ID, "lost", "Lost key", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"users", "reset-second-factor", "-database", db, "-email", "admin@escap.org"}, env(nil), nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if u, _ := st.User(context.Background(), u.ID); u.SecondFactorAt != nil || !strings.Contains(out.String(), "removed the second factor of admin@escap.org") {
		t.Errorf("reset-second-factor: %s", out.String())
	}
}
