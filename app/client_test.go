package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
)

// browser is an HTTP client with cookies against the real server, posting
// forms as a browser without scripts does: with the _csrf token.
type browser struct {
	t    testing.TB
	c    *http.Client
	base string
}

func (a *testApp) server() string {
	a.t.Helper()
	if a.url == "" {
		srv := httptest.NewServer(a.e)
		a.t.Cleanup(srv.Close)
		a.url = srv.URL
	}
	return a.url
}

func (a *testApp) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: a.t, base: a.server(), c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

// csrf is the token of the _csrf cookie, fetching a page first if needed.
func (b *browser) csrf() string {
	u, _ := url.Parse(b.base)
	for _, ck := range b.c.Jar.Cookies(u) {
		if ck.Name == "_csrf" {
			return ck.Value
		}
	}
	b.get("/login")
	for _, ck := range b.c.Jar.Cookies(u) {
		if ck.Name == "_csrf" {
			return ck.Value
		}
	}
	b.t.Fatal("no CSRF cookie")
	return ""
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" {
		form.Set("_csrf", b.csrf())
	}
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) login(email, password string) {
	b.t.Helper()
	resp, body := b.post("/login", url.Values{"email": {email}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login %s: %d %s", email, resp.StatusCode, body)
	}
}

// api is a JSON client with a bearer token.
type api struct {
	t     testing.TB
	base  string
	token string
}

func (a *testApp) api(email, password string) *api {
	a.t.Helper()
	c := &api{t: a.t, base: a.server()}
	status, body := c.call(http.MethodPost, "/api/v1/tokens", map[string]string{"email": email, "password": password})
	if status != http.StatusCreated {
		a.t.Fatalf("token for %s: %d %v", email, status, body)
	}
	c.token = body["token"].(string)
	return c
}

// call sends a JSON request and decodes a JSON object or list answer.
func (c *api) call(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	status, raw := c.raw(method, path, body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		var list []any
		if json.Unmarshal(raw, &list) == nil {
			return status, map[string]any{"list": list}
		}
		c.t.Fatalf("%s %s: %d, body is not JSON: %s", method, path, status, raw)
	}
	return status, out
}

func (c *api) raw(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		r = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// people are the accounts of a test instance.
type people struct {
	orgA, orgB               *assessments.Organisation
	a, a2, b, rev, adm       string // emails
	actorA, actorB, actorRev assessments.Actor
}

const pw = "correct horse battery staple 42"

// seedPeople creates two organisations (KAZ and UZB) with respondents, a
// reviewer and an admin.
func (a *testApp) seedPeople() *people {
	a.t.Helper()
	ctx := context.Background()
	st := a.s.store
	p := &people{a: "a@justice.kz", a2: "a2@justice.kz", b: "b@tax.uz", rev: "reviewer@escap.org", adm: "admin@escap.org"}
	var err error
	if p.orgA, err = st.CreateOrganisation(ctx, nil, assessments.Organisation{Name: "Ministry of Justice", Country: "KAZ", Kind: "ministry"}); err != nil {
		a.t.Fatal(err)
	}
	p.orgB, _ = st.CreateOrganisation(ctx, nil, assessments.Organisation{Name: "Tax Committee", Country: "UZB", Kind: "agency"})
	mk := func(email string, role assessments.Role, org uint) assessments.Actor {
		u, err := st.CreateUser(ctx, nil, assessments.NewUser{Email: email, Password: pw, Role: role, OrganisationID: org})
		if err != nil {
			a.t.Fatal(err)
		}
		return u.Actor()
	}
	p.actorA = mk(p.a, assessments.RoleRespondent, p.orgA.ID)
	mk(p.a2, assessments.RoleRespondent, p.orgA.ID)
	p.actorB = mk(p.b, assessments.RoleRespondent, p.orgB.ID)
	p.actorRev = mk(p.rev, assessments.RoleReviewer, 0)
	mk(p.adm, assessments.RoleAdmin, 0)
	return p
}
