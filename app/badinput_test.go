package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
)

// badRequest is one malformed request. Body is sent raw; Form, if set, is
// posted as a form with the browser's session and CSRF token.
type badRequest struct {
	name        string
	method      string
	path        string
	contentType string
	body        string
	form        url.Values
	as          string // "a" (respondent A), "rev" or "" (anonymous)
}

// fingerprint is everything a bad request must not change.
func fingerprint(t *testing.T, a *testApp, p *people) string {
	t.Helper()
	ctx := context.Background()
	st := a.s.store
	admin := assessments.Actor{Role: assessments.RoleAdmin}
	var parts []any
	list, _ := st.Assessments(ctx, admin, assessments.Filter{})
	for _, as := range list {
		ans, _ := st.Answers(ctx, &as)
		raw, _ := json.Marshal(ans)
		parts = append(parts, as.ID, as.Status, as.Version, string(raw))
	}
	users, _ := st.Users(ctx)
	services, _ := st.Services(ctx, admin)
	orgs, _ := st.Organisations(ctx)
	events, _ := st.AuditEvents(ctx, admin, assessments.AuditFilter{Limit: 10000})
	info, _ := st.Log(ctx)
	parts = append(parts, len(users), len(services), len(orgs), len(events), info.Size)
	return fmt.Sprint(parts...)
}

// TestBadInputCorpus sends malformed requests across the API and the
// forms: each gets a 4xx with a message, none a 500, and the database is
// unchanged afterwards.
func TestBadInputCorpus(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.startAssessment(p.actorA)
	a.approve(p.actorA, p.actorRev, "Approved", 2026, func(int) int { return 3 }, true)
	ans := fmt.Sprintf("/api/v1/assessments/%d/answers", id)
	q := fmt.Sprintf("/assessments/%d/dimensions/SERV", id)
	long := strings.Repeat("x", assessments.MaxTextLength+1)
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	answer := func(body string) string { return `{"answers": {"SERV.1": ` + body + `}}` }
	form := func(kv ...string) url.Values {
		v := url.Values{"version": {"2"}, "ids": {"SERV.1"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	j := "application/json"
	cases := []badRequest{
		// Answers through the API: types, ranges, limits, links.
		{"level as a string", "PUT", ans, j, answer(`{"level": "4"}`), nil, "a"},
		{"level as a float", "PUT", ans, j, answer(`{"level": 4.5}`), nil, "a"},
		{"level negative", "PUT", ans, j, answer(`{"level": -1}`), nil, "a"},
		{"level huge", "PUT", ans, j, answer(`{"level": 99999999999999999999}`), nil, "a"},
		{"level zero", "PUT", ans, j, answer(`{"level": 0}`), nil, "a"},
		{"answers is a list", "PUT", ans, j, `{"answers": []}`, nil, "a"},
		{"answers null", "PUT", ans, j, `{"answers": null}`, nil, "a"},
		{"answer is a number", "PUT", ans, j, answer(`3`), nil, "a"},
		{"truncated JSON", "PUT", ans, j, answer(`{"level": 4`), nil, "a"},
		{"deep nesting", "PUT", ans, j, answer(deep), nil, "a"},
		{"huge body", "PUT", ans, j, answer(`{"comment": "` + strings.Repeat("y", 3<<20) + `"}`), nil, "a"},
		{"invalid UTF-8", "PUT", ans, j, answer("{\"level\": 2, \"comment\": \"bad \xff\xfe bytes\"}"), nil, "a"},
		{"NUL byte", "PUT", ans, j, answer(`{"level": 2, "comment": "a\u0000b"}`), nil, "a"},
		{"escape character", "PUT", ans, j, answer(`{"level": 2, "justification": "a\u001bb"}`), nil, "a"},
		{"comment too long", "PUT", ans, j, answer(`{"level": 2, "comment": "` + long + `"}`), nil, "a"},
		{"javascript: link", "PUT", ans, j, answer(`{"level": 2, "evidence": ["javascript:alert(1)"]}`), nil, "a"},
		{"file: link", "PUT", ans, j, answer(`{"level": 2, "evidence": ["file:///etc/passwd"]}`), nil, "a"},
		{"data: link", "PUT", ans, j, answer(`{"level": 2, "evidence": ["data:text/html,<script>alert(1)</script>"]}`), nil, "a"},
		{"ftp: link", "PUT", ans, j, answer(`{"level": 2, "evidence": ["ftp://example.org/x"]}`), nil, "a"},
		{"link with spaces", "PUT", ans, j, answer(`{"level": 2, "evidence": ["https://example.org/a b"]}`), nil, "a"},
		{"link with credentials", "PUT", ans, j, answer(`{"level": 2, "evidence": ["https://user:pass@example.org/"]}`), nil, "a"},
		{"link too long", "PUT", ans, j, answer(`{"level": 2, "evidence": ["https://example.org/` + strings.Repeat("a", 2001) + `"]}`), nil, "a"},
		{"eleven links", "PUT", ans, j, answer(`{"level": 2, "evidence": [` + strings.Repeat(`"https://example.org/",`, 10) + `"https://example.org/"]}`), nil, "a"},
		{"evidence not a list", "PUT", ans, j, answer(`{"level": 2, "evidence": "https://example.org/"}`), nil, "a"},
		{"na as a string", "PUT", ans, j, answer(`{"na": "yes"}`), nil, "a"},
		{"na where not allowed", "PUT", ans, j, answer(`{"na": true, "justification": "x"}`), nil, "a"},
		{"na without justification", "PUT", ans, j, `{"answers": {"XBORD.2": {"na": true}}}`, nil, "a"},
		{"selected on a level indicator", "PUT", ans, j, answer(`{"selected": ["L3"]}`), nil, "a"},
		{"value on a level indicator", "PUT", ans, j, answer(`{"value": 3}`), nil, "a"},
		{"unknown answer field", "PUT", ans, j, answer(`{"level": 2, "score": 100}`), nil, "a"},
		{"unknown top-level field", "PUT", ans, j, `{"answers": {"SERV.1": {"level": 2}}, "approve": true}`, nil, "a"},
		{"SQL in an indicator id", "PUT", ans, j, `{"answers": {"SERV.1' OR '1'='1": {"level": 2}}}`, nil, "a"},
		{"HTML in an indicator id", "PUT", ans, j, `{"answers": {"<script>alert(1)</script>": {"level": 2}}}`, nil, "a"},
		{"version as a string", "PUT", ans, j, `{"version": "1", "answers": {"SERV.1": {"level": 2}}}`, nil, "a"},
		{"stale version", "PUT", ans, j, `{"version": -1, "answers": {"SERV.1": {"level": 2}}}`, nil, "a"},
		{"text/plain body", "PUT", ans, "text/plain", answer(`{"level": 2}`), nil, "a"},
		{"no content type", "PUT", ans, "", answer(`{"level": 2}`), nil, "a"},
		{"form body to the API", "PUT", ans, "application/x-www-form-urlencoded", "answers=1", nil, "a"},
		{"empty body", "PUT", ans, j, ``, nil, "a"},
		{"null body", "PUT", ans, j, `null`, nil, "a"},
		{"array body", "PUT", ans, j, `[]`, nil, "a"},
		{"two JSON values", "PUT", ans, j, answer(`{"level": 2}`) + `{}`, nil, "a"},
		{"right-to-left override in a comment", "PUT", ans, j, answer(`{"level": 2, "comment": "invoice\u202Efdp.exe"}`), nil, "a"},
		{"isolate in a justification", "PUT", ans, j, answer(`{"level": 2, "justification": "a\u2067b\u2069"}`), nil, "a"},
		{"zero-width space in a comment", "PUT", ans, j, answer(`{"level": 2, "comment": "pay\u200Bpal"}`), nil, "a"},
		{"byte-order mark in a comment", "PUT", ans, j, answer(`{"level": 2, "comment": "\uFEFFhello"}`), nil, "a"},
		{"line separator in a comment", "PUT", ans, j, answer(`{"level": 2, "comment": "a\u2028b"}`), nil, "a"},
		{"paragraph separator in a text", "PUT", ans, j, answer(`{"level": 2, "comment": "a\u2029b"}`), nil, "a"},
		{"noncharacter in a comment", "PUT", ans, j, answer(`{"level": 2, "comment": "a\uFFFFb"}`), nil, "a"},
		// Creating assessments and services.
		{"period as a string", "POST", "/api/v1/assessments", j, `{"framework": "escap-dmf-dps-sme", "period": "2026", "service": {"name": "N", "category": "tax"}}`, nil, "a"},
		{"period zero", "POST", "/api/v1/assessments", j, `{"framework": "escap-dmf-dps-sme", "period": 0, "service": {"name": "N", "category": "tax"}}`, nil, "a"},
		{"period far future", "POST", "/api/v1/assessments", j, `{"framework": "escap-dmf-dps-sme", "period": 99999, "service": {"name": "N", "category": "tax"}}`, nil, "a"},
		{"path in the framework id", "POST", "/api/v1/assessments", j, `{"framework": "../../etc/passwd", "period": 2026, "service": {"name": "N", "category": "tax"}}`, nil, "a"},
		{"service name too long", "POST", "/api/v1/services", j, `{"name": "` + strings.Repeat("n", 201) + `", "category": "tax"}`, nil, "a"},
		{"service name two lines", "POST", "/api/v1/services", j, `{"name": "a\nb", "category": "tax"}`, nil, "a"},
		{"SQL in a category", "POST", "/api/v1/services", j, `{"name": "N", "category": "tax' OR 1=1--"}`, nil, "a"},
		{"javascript: service URL", "POST", "/api/v1/services", j, `{"name": "N", "category": "tax", "url": "javascript:alert(1)"}`, nil, "a"},
		{"right-to-left override in a service name", "POST", "/api/v1/services", j, `{"name": "abc\u202Edef", "category": "tax"}`, nil, "a"},
		{"zero-width space in a description", "POST", "/api/v1/services", j, `{"name": "N", "category": "tax", "description": "a\u200Bb"}`, nil, "a"},
		{"created_at in a service", "POST", "/api/v1/services", j, `{"name": "N", "category": "tax", "created_at": "2001-01-01T00:00:00Z"}`, nil, "a"},
		{"organisation in a service", "POST", "/api/v1/services", j, `{"name": "N", "category": "tax", "organisation_id": 2}`, nil, "a"},
		{"id in a service", "POST", "/api/v1/services", j, `{"id": 77, "name": "N", "category": "tax"}`, nil, "a"},
		{"negative id in a body", "POST", "/api/v1/assessments", j, `{"framework": "escap-dmf-dps-sme", "period": 2026, "service_id": -5}`, nil, "a"},
		// Paths and ids.
		{"traversal in an id", "GET", "/api/v1/assessments/..%2F..%2Fetc%2Fpasswd", "", "", nil, "a"},
		{"SQL in an id", "GET", "/api/v1/assessments/1%20OR%201=1", "", "", nil, "a"},
		{"negative id", "GET", "/api/v1/assessments/-1", "", "", nil, "a"},
		{"huge id", "GET", "/api/v1/assessments/99999999999999999999", "", "", nil, "a"},
		{"exponent id", "GET", "/api/v1/assessments/1e3", "", "", nil, "a"},
		{"traversal in a card id", "GET", "/api/v1/cards/..%2F..%2Fetc%2Fpasswd", "", "", nil, ""},
		{"traversal in a static file", "GET", "/static/x/..%2F..%2Fapp%2Fmain.go", "", "", nil, ""},
		{"traversal in a framework id", "GET", "/api/v1/frameworks/..%2F..%2Fgo.mod", "", "", nil, ""},
		{"status list not a number", "GET", "/status/1;DROP", "", "", nil, ""},
		{"bad comparison country", "GET", "/api/v1/compare?countries=%3Cscript%3E", "", "", nil, ""},
		{"bad comparison period", "GET", "/api/v1/compare?period=abc", "", "", nil, ""},
		{"unknown framework to compare", "GET", "/api/v1/compare?framework=nope", "", "", nil, ""},
		{"bad consistency sizes", "GET", "/api/v1/log/consistency?old=-1&new=x", "", "", nil, ""},
		{"token with wrong types", "POST", "/api/v1/tokens", j, `{"email": 1, "password": true}`, nil, ""},
		{"token malformed", "POST", "/api/v1/tokens", j, `{"email":`, nil, ""},
		{"token name with NUL", "POST", "/api/v1/tokens", j, `{"email": "a@justice.kz", "password": "` + pw + `", "name": "a\u0000b"}`, nil, ""},
		{"token name with escape codes", "POST", "/api/v1/tokens", j, `{"email": "a@justice.kz", "password": "` + pw + `", "name": "\u001b[31mred"}`, nil, ""},
		{"token name too long", "POST", "/api/v1/tokens", j, `{"email": "a@justice.kz", "password": "` + pw + `", "name": "` + strings.Repeat("n", 1500000) + `"}`, nil, ""},
		{"token name with a bidi control", "POST", "/api/v1/tokens", j, `{"email": "a@justice.kz", "password": "` + pw + `", "name": "a\u202Eb"}`, nil, ""},
		{"password change without a session", "POST", "/api/v1/account/password", j, `{"current": "x", "new": "y"}`, nil, ""},
		{"password change with wrong types", "POST", "/api/v1/account/password", j, `{"current": 1, "new": true}`, nil, "a"},
		{"password change too short", "POST", "/api/v1/account/password", j, `{"current": "` + pw + `", "new": "short"}`, nil, "a"},
		{"verify a huge card", "POST", "/api/v1/cards/verify", j, `{"x": "` + strings.Repeat("z", 300<<10) + `"}`, nil, ""},
		{"review with SQL as decision", "POST", fmt.Sprintf("/api/v1/assessments/%d/review", id), j, `{"decision": "'; DROP TABLE assessments;--"}`, nil, "rev"},
		{"form body with a bad percent-escape", "POST", q, "application/x-www-form-urlencoded", "version=2&ids=SERV.1&SERV.1.level=%zz", nil, "a"},
		{"sign-in body with a bad percent-escape", "POST", "/login", "application/x-www-form-urlencoded", "email=a%zz&password=x", nil, ""},
		// The same through the forms.
		{"form: level not a number", "POST", q, "", "", form("SERV.1.level", "abc"), "a"},
		{"form: level as markup", "POST", q, "", "", form("SERV.1.level", "<script>alert(1)</script>"), "a"},
		{"form: javascript: evidence", "POST", q, "", "", form("SERV.1.level", "2", "SERV.1.evidence", "javascript:alert(document.cookie)"), "a"},
		{"form: comment too long", "POST", q, "", "", form("SERV.1.level", "2", "SERV.1.comment", long), "a"},
		{"form: NUL in a comment", "POST", q, "", "", form("SERV.1.level", "2", "SERV.1.comment", "a\x00b"), "a"},
		{"form: indicator of another dimension", "POST", q, "", "", url.Values{"version": {"2"}, "ids": {"TRUST.1"}, "TRUST.1.level": {"2"}}, "a"},
		{"form: version missing", "POST", q, "", "", url.Values{"ids": {"SERV.1"}, "SERV.1.level": {"2"}}, "a"},
		{"form: right-to-left override in a comment", "POST", q, "", "", form("SERV.1.level", "2", "SERV.1.comment", "a\u202eb"), "a"},
		{"form: zero-width space in a justification", "POST", q, "", "", form("SERV.1.level", "2", "SERV.1.justification", "a\u200bb"), "a"},
		{"form: noncharacter in a service name", "POST", "/services", "", "", url.Values{"name": {"a\uffffb"}, "category": {"tax"}}, "a"},
		{"form: redirect elsewhere after sign-in", "POST", "/login", "", "", url.Values{"email": {"nobody@nowhere.example"}, "password": {"p"}, "next": {"/\t/evil.example"}}, ""},
		{"form: service name with NUL", "POST", "/services", "", "", url.Values{"name": {"a\x00b"}, "category": {"tax"}}, "a"},
		{"form: period not a year", "POST", "/assessments", "", "", url.Values{"service": {"1"}, "period": {"abc"}, "edition": {"escap-dmf-dps-sme@1.0.0"}}, "a"},
		{"form: short new password", "POST", "/account/password", "", "", url.Values{"current": {pw}, "password": {"short"}, "confirm": {"short"}}, "a"},
		{"form: import a non-file", "POST", fmt.Sprintf("/assessments/%d/import", id), "", "", url.Values{"file": {"not a file"}}, "a"},
		{"form: review decision unknown", "POST", fmt.Sprintf("/assessments/%d/review", id), "", "", url.Values{"decision": {"<b>yes</b>"}}, "rev"},
		{"form: verify nothing", "POST", "/verify", "", "", url.Values{"card": {"   "}}, ""},
		{"form: sign in with a huge email", "POST", "/login", "", "", url.Values{"email": {strings.Repeat("e", 5000) + "@x.org"}, "password": {"p"}}, ""},
	}
	if len(cases) < 60 {
		t.Fatalf("only %d cases", len(cases))
	}
	tokA, tokRev := a.api(p.a, pw), a.api(p.rev, pw)
	browserA, browserRev, anon := a.browser(), a.browser(), a.browser()
	browserA.login(p.a, pw)
	browserRev.login(p.rev, pw)
	before := fingerprint(t, a, p) // signing in writes audit events of its own
	for _, tc := range cases {
		var status int
		var body string
		switch {
		case tc.form != nil:
			b := map[string]*browser{"a": browserA, "rev": browserRev, "": anon}[tc.as]
			resp, text := b.post(tc.path, tc.form)
			status, body = resp.StatusCode, text
		default:
			req, _ := http.NewRequest(tc.method, a.server()+tc.path, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if c := map[string]*api{"a": tokA, "rev": tokRev}[tc.as]; c != nil {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			status, body = resp.StatusCode, string(raw)
		}
		if status < 400 || status >= 500 {
			t.Errorf("%s: status %d, want a 4xx\n%.300s", tc.name, status, body)
			continue
		}
		if strings.HasPrefix(tc.path, "/api/") && tc.form == nil {
			var e apiError
			if json.Unmarshal([]byte(body), &e) != nil || e.Error.Message == "" {
				t.Errorf("%s: %d without a clear JSON error: %.200s", tc.name, status, body)
			}
		}
	}
	if after := fingerprint(t, a, p); after != before {
		t.Errorf("bad requests changed the database:\nbefore %s\nafter  %s", before, after)
	}
}
