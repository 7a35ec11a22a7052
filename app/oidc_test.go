package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/unescap/dmf/assessments"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// A real OpenID Provider on loopback: zitadel/oidc's op package with the
// in-memory storage of its example server, behind a plain sign-in form. The
// test can make it misbehave as a broken or hostile provider would: issue
// ID tokens for another audience, or already expired.

const idpClientID, idpSecret = "dmf", "dmf client secret"

type idpUsers map[string]*storage.User

func (u idpUsers) GetUserByID(id string) *storage.User { return u[id] }
func (u idpUsers) GetUserByUsername(name string) *storage.User {
	for _, x := range u {
		if x.Username == name {
			return x
		}
	}
	return nil
}
func (u idpUsers) ExampleClientID() string { return "service" }

// idpStorage is the example storage with the faults a test can switch on.
type idpStorage struct {
	*storage.Storage
	mu       sync.Mutex
	audience []string      // non-nil: ID tokens name this audience instead of DMF
	lifetime time.Duration // non-zero: ID tokens last this long (negative: expired)
}

// idpClient and idpRequest are DMF's client and its authorization as the
// faulty provider sees them at the token endpoint: the token it issues is
// for another client (audience and authorized party), or already expired.
type idpClient struct {
	op.Client
	id       string
	lifetime time.Duration
}

func (c idpClient) GetID() string                  { return c.id }
func (c idpClient) IDTokenLifetime() time.Duration { return c.lifetime }

type idpRequest struct {
	op.AuthRequest
	audience []string
}

func (r idpRequest) GetAudience() []string { return r.audience }
func (r idpRequest) GetClientID() string   { return r.audience[0] }

func (s *idpStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || (s.lifetime == 0 && s.audience == nil) {
		return c, err
	}
	fc := idpClient{Client: c, id: c.GetID(), lifetime: c.IDTokenLifetime()}
	if s.lifetime != 0 {
		fc.lifetime = s.lifetime
	}
	if s.audience != nil {
		fc.id = s.audience[0]
	}
	return fc, nil
}

func (s *idpStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.Storage.AuthRequestByCode(ctx, code)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || s.audience == nil {
		return r, err
	}
	return idpRequest{AuthRequest: r, audience: s.audience}, nil
}

func (s *idpStorage) fault(audience []string, lifetime time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audience, s.lifetime = audience, lifetime
}

type testIdP struct {
	URL     string
	store   *idpStorage
	users   idpUsers
	clients map[string]*storage.Client
}

// startIdP runs the provider on loopback; people sign in with their
// username and "idp password". DMF's client is registered with register,
// once DMF's address is known.
func startIdP(t *testing.T) *testIdP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	users, clients := idpUsers{}, map[string]*storage.Client{}
	st := &idpStorage{Storage: storage.NewStorageWithClients(users, clients)}
	provider, err := op.NewProvider(&op.Config{
		CryptoKey: sha256.Sum256([]byte("test provider")), CodeMethodS256: true, AuthMethodPost: true,
		SupportedUILocales: []language.Tag{language.English},
	}, st, op.StaticIssuer(issuer), op.WithAllowInsecure(), op.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	idp := &testIdP{URL: issuer, store: st, users: users, clients: clients}
	callback := op.AuthCallbackURL(provider)
	mux := http.NewServeMux()
	form := func(w http.ResponseWriter, id, problem string) {
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>Government ID</title><main><h1>Government ID</h1><p>%s</p>
<form method="post" action="/login/username"><input type="hidden" name="id" value="%s">
<label for="username">Username</label><input id="username" name="username">
<label for="password">Password</label><input id="password" type="password" name="password">
<button type="submit">Sign in</button></form></main></html>`, html.EscapeString(problem), html.EscapeString(id))
	}
	mux.HandleFunc("GET /login/username", func(w http.ResponseWriter, r *http.Request) { form(w, r.FormValue("authRequestID"), "") })
	mux.Handle("POST /login/username", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("id")
		if err := st.CheckUsernamePassword(r.FormValue("username"), r.FormValue("password"), id); err != nil {
			form(w, id, "Wrong username or password.")
			return
		}
		http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
	}))
	mux.Handle("/", provider)
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return idp
}

// provider is the provider as DMF's settings name it: "gov".
func (idp *testIdP) provider() OIDCProvider {
	return OIDCProvider{Name: "gov", Issuer: idp.URL, ClientID: idpClientID, ClientSecret: idpSecret, Label: map[string]string{"en": "Government ID", "ru": "Госуслуги ID"}}
}

// register makes DMF at base the provider's client, with its callback.
// Before any request, so without a lock.
func (idp *testIdP) register(s *server, base string) {
	s.sso["gov"].redirect = base + "/login/oidc/gov/callback"
	idp.clients[idpClientID] = storage.WebClient(idpClientID, idpSecret, s.sso["gov"].redirect)
}

func (idp *testIdP) addUser(username, email string, verified bool) {
	idp.users["sub-"+username] = &storage.User{ID: "sub-" + username, Username: username, Password: "idp password", FirstName: "Test", LastName: strings.ToUpper(username[:1]) + username[1:],
		Email: email, EmailVerified: verified, PreferredLanguage: language.English}
}

// ssoWorld is DMF on a real listener with one provider, "gov", and a
// browser-like client with cookies.
type ssoWorld struct {
	*testApp
	base string
	idp  *testIdP
	org  *assessments.Organisation
}

func newSSOWorld(t *testing.T) *ssoWorld {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	idp := startIdP(t)
	a := newTestApp(t, func(c *Config) { c.BaseURL = base; c.OIDC = []OIDCProvider{idp.provider()} })
	idp.register(a.s, base)
	srv := httptest.NewUnstartedServer(a.e)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	org, err := a.s.store.CreateOrganisation(context.Background(), nil, assessments.Organisation{Name: "Ministry of Economy", Country: "KAZ", Kind: "ministry"})
	if err != nil {
		t.Fatal(err)
	}
	return &ssoWorld{testApp: a, base: base, idp: idp, org: org}
}

// browser is a client with its own cookies that stops at DMF's callback,
// so that a test can look at (and tamper with) what the provider sends.
func (w *ssoWorld) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), w.base+"/login/oidc/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

// stay is the browser b, following no redirect.
func stay(b *http.Client) *http.Client {
	once := *b
	once.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &once
}

func (w *ssoWorld) post(t *testing.T, b *http.Client, path string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, w.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin") // as a browser posting the page's form
	res, err := stay(b).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

var authRequestID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// atProvider starts DMF's flow at path (a sign-in or a link) and signs in
// at the provider as username; it returns the callback URL the provider
// sends the browser back to.
func (w *ssoWorld) atProvider(t *testing.T, b *http.Client, path, username string) *url.URL {
	t.Helper()
	res, err := b.Get(w.base + path)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.HasPrefix(res.Request.URL.String(), w.idp.URL+"/login/username") {
		t.Fatalf("not at the provider's sign-in: %d %s\n%s", res.StatusCode, res.Request.URL, page)
	}
	m := authRequestID.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no sign-in form: %s", page)
	}
	res, err = b.PostForm(w.idp.URL+"/login/username", url.Values{"id": {string(m[1])}, "username": {username}, "password": {"idp password"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := res.Location()
	if res.StatusCode/100 != 3 || err != nil || !strings.HasPrefix(loc.String(), w.base+"/login/oidc/gov/callback?") {
		t.Fatalf("the provider did not send the browser back: %d %v", res.StatusCode, loc)
	}
	return loc
}

// linkPath is the account page's link to link the provider, with the
// session's form token, as the page shows it.
func (w *ssoWorld) linkPath(t *testing.T, b *http.Client) string {
	t.Helper()
	res, err := b.Get(w.base + "/account")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`href="(/account/identities/gov\?_csrf=[^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no link on the account page:\n%s", page)
	}
	return html.UnescapeString(string(m[1]))
}

// back follows the provider's redirect to DMF and returns where DMF sends
// the browser next.
func (w *ssoWorld) back(t *testing.T, b *http.Client, callback *url.URL) string {
	t.Helper()
	res, err := stay(b).Get(callback.String())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d", res.StatusCode)
	}
	return res.Header.Get("Location")
}

// signedInAs is the email of the browser's DMF session, or "".
func (w *ssoWorld) signedInAs(t *testing.T, b *http.Client) string {
	t.Helper()
	u, _ := url.Parse(w.base)
	for _, ck := range b.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			if user, err := w.s.store.SessionUser(context.Background(), ck.Value); err == nil {
				return user.Email
			}
		}
	}
	return ""
}

func (w *ssoWorld) user(t *testing.T, email string, role assessments.Role) *assessments.User {
	t.Helper()
	nu := assessments.NewUser{Email: email, Password: "correct horse battery staple 42", Role: role}
	if role.HasOrganisation() {
		nu.OrganisationID = w.org.ID
	}
	u, err := w.s.store.CreateUser(context.Background(), nil, nu)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (w *ssoWorld) audited(t *testing.T, action string) int {
	t.Helper()
	admin := assessments.Actor{UserID: 1, Role: assessments.RoleAdmin}
	evs, err := w.s.store.AuditEvents(context.Background(), admin, assessments.AuditFilter{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// lastRefusal is what the audit log says of the latest refused sign-in.
func (w *ssoWorld) lastRefusal(t *testing.T) string {
	t.Helper()
	admin := assessments.Actor{UserID: 1, Role: assessments.RoleAdmin}
	evs, err := w.s.store.AuditEvents(context.Background(), admin, assessments.AuditFilter{Action: "user.sign_in_refused", Limit: 1})
	if err != nil || len(evs) == 0 {
		t.Fatalf("no refusal audited: %v", err)
	}
	return string(evs[0].After)
}

// An admin links an account by email; its owner signs in at the provider
// and lands signed in where they were going, with DMF's role; the
// provider's login page, the code and the tokens are all real.
func TestSSOSignIn(t *testing.T) {
	w := newSSOWorld(t)
	ctx := context.Background()
	admin := w.user(t, "admin@escap.example", assessments.RoleAdmin)
	aigerim := w.user(t, "aigerim@economy.gov.example", assessments.RoleReviewer)
	w.idp.addUser("aigerim", "Aigerim@Economy.gov.example", true)

	// The sign-in page offers the provider, in the reader's language.
	res, err := http.Get(w.base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), `href="/login/oidc/gov"`) || !strings.Contains(string(page), "Sign in with Government ID") {
		t.Errorf("no button on /login:\n%s", page)
	}

	// Not linked yet: refused, and DMF says so.
	b := w.browser()
	if to := w.back(t, b, w.atProvider(t, b, "/login/oidc/gov?next=/services", "aigerim")); to != "/login?next=%2Fservices&sso=unlinked" {
		t.Errorf("an unlinked identity went to %s", to)
	}
	if w.signedInAs(t, b) != "" {
		t.Error("an unlinked identity signed in")
	}

	// The admin links the account through the user page.
	ab := w.browser()
	if res := w.post(t, ab, "/login", url.Values{"email": {admin.Email}, "password": {"correct horse battery staple 42"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin sign-in: %d", res.StatusCode)
	}
	if res := w.post(t, ab, fmt.Sprintf("/admin/users/%d/identities", aigerim.ID), url.Values{"provider": {"gov"}, "email": {"aigerim@economy.gov.example"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("link: %d", res.StatusCode)
	}
	b = w.browser()
	if to := w.back(t, b, w.atProvider(t, b, "/login/oidc/gov?next=/services", "aigerim")); to != "/services" {
		t.Errorf("signed in, then sent to %s", to)
	}
	if got := w.signedInAs(t, b); got != aigerim.Email {
		t.Fatalf("signed in as %q", got)
	}
	if u, _ := w.s.store.User(ctx, aigerim.ID); u.Role != assessments.RoleReviewer {
		t.Errorf("role changed to %s", u.Role)
	}
	if w.audited(t, "user.signed_in") != 1 || w.audited(t, "identity.linked") != 2 || w.audited(t, "user.sign_in_refused") != 1 {
		t.Errorf("audit: %d sign-ins, %d links, %d refusals", w.audited(t, "user.signed_in"), w.audited(t, "identity.linked"), w.audited(t, "user.sign_in_refused"))
	}

	// A disabled account cannot sign in with the provider.
	off := true
	if _, err := w.s.store.UpdateUser(ctx, admin.Actor(), aigerim.ID, assessments.UserChange{Disabled: &off}); err != nil {
		t.Fatal(err)
	}
	b = w.browser()
	if to := w.back(t, b, w.atProvider(t, b, "/login/oidc/gov?next=/services", "aigerim")); !strings.Contains(to, "sso=disabled") || w.signedInAs(t, b) != "" {
		t.Errorf("a disabled account: sent to %s", to)
	}
	// The admin unlinks: nothing signs in any more.
	ids, _ := w.s.store.Identities(ctx, aigerim.ID)
	if res := w.post(t, ab, fmt.Sprintf("/admin/users/%d/identities/%d/delete", aigerim.ID, ids[0].ID), nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("unlink: %d", res.StatusCode)
	}
	if ids, _ := w.s.store.Identities(ctx, aigerim.ID); len(ids) != 0 || w.audited(t, "identity.unlinked") != 1 {
		t.Errorf("after unlinking: %+v", ids)
	}
}

// The flow's protections: the state must be this browser's, a code works
// once, the ID token must be for DMF and not expired.
func TestSSOProtocolChecks(t *testing.T) {
	w := newSSOWorld(t)
	u := w.user(t, "dana@economy.gov.example", assessments.RoleRespondent)
	if _, err := w.s.store.LinkIdentity(context.Background(), u.Actor(), assessments.Claims{Provider: "gov", Issuer: w.idp.URL, Subject: "sub-dana", Email: u.Email, EmailVerified: true}); err != nil {
		t.Fatal(err)
	}
	w.idp.addUser("dana", u.Email, true)
	failed := "/login?next=%2Fservices&sso=failed"

	t.Run("wrong state", func(t *testing.T) {
		b := w.browser()
		cb := w.atProvider(t, b, "/login/oidc/gov?next=/services", "dana")
		q := cb.Query()
		q.Set("state", "an attacker's state")
		cb.RawQuery = q.Encode()
		if to := w.back(t, b, cb); to != failed || w.signedInAs(t, b) != "" {
			t.Errorf("wrong state: %s", to)
		}
		if got := w.lastRefusal(t); !strings.Contains(got, "the state does not match") {
			t.Errorf("audited %s", got)
		}
		// Another browser (no flow cookie) cannot use the code either.
		other := w.browser()
		if to := w.back(t, other, w.atProvider(t, b, "/login/oidc/gov?next=/services", "dana")); to != "/login?sso=failed" || w.signedInAs(t, other) != "" {
			t.Errorf("another browser's callback: %s", to)
		}
	})
	t.Run("replayed code", func(t *testing.T) {
		b := w.browser()
		first := w.atProvider(t, b, "/login/oidc/gov?next=/services", "dana")
		if to := w.back(t, b, first); to != "/services" {
			t.Fatalf("first use: %s", to)
		}
		// The same callback again: its flow is used up.
		if to := w.back(t, b, first); to != "/login?sso=failed" {
			t.Errorf("the same callback twice: %s", to)
		}
		// The old code with a new flow's state: the provider refuses it.
		second := w.atProvider(t, b, "/login/oidc/gov?next=/services", "dana")
		q := second.Query()
		q.Set("code", first.Query().Get("code"))
		second.RawQuery = q.Encode()
		if to := w.back(t, b, second); to != failed {
			t.Errorf("a replayed code: %s", to)
		}
		if got := w.lastRefusal(t); !strings.Contains(got, "code exchange") || !strings.Contains(got, "invalid_grant") {
			t.Errorf("audited %s", got)
		}
	})
	t.Run("wrong audience", func(t *testing.T) {
		w.idp.store.fault([]string{"another-client"}, 0)
		defer w.idp.store.fault(nil, 0)
		b := w.browser()
		if to := w.back(t, b, w.atProvider(t, b, "/login/oidc/gov?next=/services", "dana")); to != failed || w.signedInAs(t, b) != "" {
			t.Errorf("a token for another audience: %s", to)
		}
		if got := w.lastRefusal(t); !strings.Contains(got, "expected audience") {
			t.Errorf("audited %s", got)
		}
	})
	t.Run("expired token", func(t *testing.T) {
		w.idp.store.fault(nil, -time.Hour)
		defer w.idp.store.fault(nil, 0)
		b := w.browser()
		if to := w.back(t, b, w.atProvider(t, b, "/login/oidc/gov?next=/services", "dana")); to != failed || w.signedInAs(t, b) != "" {
			t.Errorf("an expired token: %s", to)
		}
		if got := w.lastRefusal(t); !strings.Contains(got, "token is expired") {
			t.Errorf("audited %s", got)
		}
	})
	if n := w.audited(t, "user.sign_in_refused"); n != 6 {
		t.Errorf("%d failures audited, want 6", n)
	}
	// The page says what happened, in the reader's language.
	req, _ := http.NewRequest(http.MethodGet, w.base+"/login?sso=failed", nil)
	req.Header.Set("Accept-Language", "ru")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), "Войти через вашу организацию не удалось") {
		t.Errorf("no Russian refusal on /login")
	}
}

// Accounts on first sign-in: only for a verified email of an allowed
// domain, as a respondent of the configured organisation.
func TestSSOAutoCreate(t *testing.T) {
	w := newSSOWorld(t)
	// As the providers file would say, once the organisation exists.
	w.s.sso["gov"].AutoCreateDomains, w.s.sso["gov"].AutoCreateOrg = []string{"economy.gov.example"}, w.org.ID
	w.idp.addUser("new", "new.person@economy.gov.example", true)
	w.idp.addUser("outsider", "someone@mail.example", true)
	w.idp.addUser("unverified", "unverified@economy.gov.example", false)

	b := w.browser()
	if to := w.back(t, b, w.atProvider(t, b, "/login/oidc/gov?next=/services", "unverified")); !strings.Contains(to, "sso=unverified") {
		t.Errorf("an unverified email: %s", to)
	}
	if to := w.back(t, b, w.atProvider(t, b, "/login/oidc/gov?next=/services", "outsider")); !strings.Contains(to, "sso=unlinked") {
		t.Errorf("a domain not allowed: %s", to)
	}
	if to := w.back(t, b, w.atProvider(t, b, "/login/oidc/gov?next=/services", "new")); to != "/services" {
		t.Fatalf("allowed domain: %s", to)
	}
	if got := w.signedInAs(t, b); got != "new.person@economy.gov.example" {
		t.Fatalf("signed in as %q", got)
	}
	us, _ := w.s.store.Users(context.Background())
	for _, u := range us {
		if u.Email == "new.person@economy.gov.example" && (u.Role != assessments.RoleRespondent || u.OrganisationID == nil || *u.OrganisationID != w.org.ID || u.Name != "Test New") {
			t.Errorf("created %+v", u)
		}
		if u.Email == "unverified@economy.gov.example" || u.Email == "someone@mail.example" {
			t.Errorf("created %s", u.Email)
		}
	}
}

// A signed-in user links their provider account from the account page; it
// needs a verified email.
func TestSSOUserLinks(t *testing.T) {
	w := newSSOWorld(t)
	u := w.user(t, "timur@economy.gov.example", assessments.RoleRespondent)
	w.idp.addUser("timur", "timur.b@gov-id.example", true)
	w.idp.addUser("unverified", "timur@economy.gov.example", false)
	b := w.browser()
	if res := w.post(t, b, "/login", url.Values{"email": {u.Email}, "password": {"correct horse battery staple 42"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	if to := w.back(t, b, w.atProvider(t, b, w.linkPath(t, b), "unverified")); to != "/account?sso=unverified" {
		t.Errorf("an unverified link: %s", to)
	}
	if to := w.back(t, b, w.atProvider(t, b, w.linkPath(t, b), "timur")); to != "/account?notice=identity-linked" {
		t.Errorf("link: %s", to)
	}
	res, err := b.Get(w.base + "/account")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), "Government ID: timur.b@gov-id.example") {
		t.Errorf("the account page does not list the linked identity")
	}
	// Afterwards the provider signs the user in, in another browser.
	other := w.browser()
	if to := w.back(t, other, w.atProvider(t, other, "/login/oidc/gov?next=/services", "timur")); to != "/services" || w.signedInAs(t, other) != u.Email {
		t.Errorf("sign-in after linking: %s", to)
	}
	// Another site cannot start a link: without the session's form token
	// the link is refused.
	res, err = stay(b).Get(w.base + "/account/identities/gov")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("a link without the form token: %d", res.StatusCode)
	}
}

// The settings: one provider from four variables, several from a file, and
// every mistake stops the start naming the setting.
func TestOIDCSettings(t *testing.T) {
	cfg, err := loadConfig("serve", nil, env(map[string]string{
		"DMF_OIDC_ISSUER": "https://id.gov.example/realms/civil", "DMF_OIDC_CLIENT_ID": "dmf", "DMF_OIDC_CLIENT_SECRET": "s3cret", "DMF_OIDC_LABEL": "Government ID",
	}), io.Discard)
	if err != nil || len(cfg.OIDC) != 1 || cfg.OIDC[0].Name != "sso" || cfg.OIDC[0].LabelIn("ru") != "Government ID" {
		t.Fatalf("single provider: %v %+v", err, cfg.OIDC)
	}
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("from a file\n"), 0o600)
	n := 0
	file := func(body string) string {
		n++
		p := filepath.Join(dir, fmt.Sprintf("oidc%d.yaml", n))
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	good := file(`providers:
  - name: gov-id
    issuer: https://id.gov.example/realms/civil
    client_id: dmf
    client_secret_env: GOV_SECRET
    label: {en: "Government ID", ru: "Госуслуги ID"}
    auto_create: {domains: [economy.gov.example], organisation_id: 3}
  - name: entra
    issuer: https://login.microsoftonline.com/tenant/v2.0
    client_id: abc
    client_secret_file: ` + secret + `
`)
	cfg, err = loadConfig("serve", []string{"-oidc-providers", good}, env(map[string]string{"GOV_SECRET": "g"}), io.Discard)
	if err != nil || len(cfg.OIDC) != 2 || cfg.OIDC[0].ClientSecret != "g" || cfg.OIDC[1].ClientSecret != "from a file" ||
		cfg.OIDC[0].AutoCreateOrg != 3 || cfg.OIDC[1].LabelIn("en") != "login.microsoftonline.com" || cfg.OIDC[0].LabelIn("ru") != "Госуслуги ID" {
		t.Fatalf("providers file: %v %+v", err, cfg.OIDC)
	}
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DMF_OIDC_ISSUER": "https://id.example", "DMF_OIDC_CLIENT_ID": "dmf"}, "DMF_OIDC_client_secret: required"},
		{map[string]string{"DMF_OIDC_CLIENT_ID": "dmf", "DMF_OIDC_CLIENT_SECRET": "x"}, "DMF_OIDC_ISSUER: required"},
		{map[string]string{"DMF_OIDC_ISSUER": "http://id.example", "DMF_OIDC_CLIENT_ID": "dmf", "DMF_OIDC_CLIENT_SECRET": "x"}, "must be an https URL"},
		{map[string]string{"DMF_OIDC_ISSUER": "https://id.example", "DMF_OIDC_CLIENT_ID": "d", "DMF_OIDC_CLIENT_SECRET": "x", "DMF_OIDC_PROVIDERS": good}, "not both"},
		{map[string]string{"DMF_OIDC_PROVIDERS": good}, "the variable GOV_SECRET is not set"},
		{map[string]string{"DMF_OIDC_PROVIDERS": file("providers:\n  - name: Bad Name\n    issuer: https://x.example\n    client_id: a\n    client_secret_file: " + secret + "\n")}, "lower-case letters"},
		{map[string]string{"DMF_OIDC_PROVIDERS": file("providers:\n  - name: a\n    issuer: https://x.example\n    client_id: a\n    client_secret: inline\n")}, "field client_secret not found"},
		{map[string]string{"DMF_OIDC_PROVIDERS": file("providers:\n  - name: a\n    issuer: https://x.example\n    client_id: a\n    client_secret_file: " + secret + "\n    auto_create: {domains: [\"@x.example\"], organisation_id: 1}\n")}, "is not an email domain"},
		{map[string]string{"DMF_OIDC_PROVIDERS": file("providers:\n  - name: a\n    issuer: https://x.example\n    client_id: a\n    client_secret_file: " + secret + "\n  - name: a\n    issuer: https://y.example\n    client_id: b\n    client_secret_file: " + secret + "\n")}, "is used twice"},
		{map[string]string{"DMF_OIDC_PROVIDERS": filepath.Join(dir, "missing.yaml")}, "no such file"},
	} {
		_, err := loadConfig("serve", nil, env(c.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.env, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("a secret in an error: %v", err)
		}
	}
	// An auto_create organisation that does not exist stops the start.
	dirDB := t.TempDir()
	c := Config{Addr: "127.0.0.1:0", Database: filepath.Join(dirDB, "dmf.db"), DataDir: dirDB, LogFormat: "text", PublicMinServices: 3,
		OIDC: []OIDCProvider{{Name: "gov", Issuer: "https://id.example", ClientID: "a", ClientSecret: "b", AutoCreateDomains: []string{"x.example"}, AutoCreateOrg: 42}}}
	if err := c.complete(); err != nil {
		t.Fatal(err)
	}
	if _, err := newApp(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil || !strings.Contains(err.Error(), "organisation_id 42: no such organisation") {
		t.Errorf("a missing organisation: %v", err)
	}
}

// Administrators link and unlink through the API as on the user page.
func TestSSOAdminAPI(t *testing.T) {
	w := newSSOWorld(t)
	admin := w.user(t, "admin@escap.example", assessments.RoleAdmin)
	u := w.user(t, "erlan@economy.gov.example", assessments.RoleRespondent)
	w.idp.addUser("erlan", "erlan@gov-id.example", true)
	c := &api{t: t, base: w.base}
	status, body := c.call(http.MethodPost, "/api/v1/tokens", map[string]string{"email": admin.Email, "password": "correct horse battery staple 42"})
	if status != http.StatusCreated {
		t.Fatalf("token: %d %v", status, body)
	}
	c.token = body["token"].(string)
	path := fmt.Sprintf("/api/v1/users/%d/identities", u.ID)
	if status, body := c.call(http.MethodPost, path, map[string]string{"provider": "other", "email": "erlan@gov-id.example"}); status != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(body), "provider") {
		t.Errorf("an unknown provider: %d %v", status, body)
	}
	status, body = c.call(http.MethodPost, path, map[string]string{"provider": "gov", "email": "erlan@gov-id.example"})
	if status != http.StatusCreated || body["subject"] != nil || body["issuer"] != w.idp.URL {
		t.Fatalf("link: %d %v", status, body)
	}
	b := w.browser()
	if to := w.back(t, b, w.atProvider(t, b, "/login/oidc/gov", "erlan")); to != "/assessments" || w.signedInAs(t, b) != u.Email {
		t.Fatalf("sign-in: %s", to)
	}
	_, body = c.call(http.MethodGet, path, nil)
	list, _ := body["list"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["subject"] != "sub-erlan" {
		t.Fatalf("identities: %v", body)
	}
	id := list[0].(map[string]any)["id"]
	if status, _ := c.raw(http.MethodDelete, fmt.Sprintf("%s/%v", path, id), nil); status != http.StatusNoContent {
		t.Errorf("unlink: %d", status)
	}
	if _, body := c.call(http.MethodGet, path, nil); len(body["list"].([]any)) != 0 {
		t.Errorf("after unlinking: %v", body)
	}
}

// Cancelling at the provider brings the person back to /login, which says
// so; it is not a failure to count.
func TestSSOCancelled(t *testing.T) {
	w := newSSOWorld(t)
	b := w.browser()
	res, err := stay(b).Get(w.base + "/login/oidc/gov")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	to, err := res.Location()
	if err != nil || res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(to.String(), w.idp.URL) {
		t.Fatalf("start: %d %v", res.StatusCode, to)
	}
	q := to.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Errorf("the authorization request lacks PKCE, nonce or state: %s", to)
	}
	cb, _ := url.Parse(w.base + "/login/oidc/gov/callback?" + url.Values{"error": {"access_denied"}, "state": {q.Get("state")}}.Encode())
	if got := w.back(t, b, cb); got != "/login?sso=cancelled" {
		t.Errorf("cancelled: %s", got)
	}
	if n := w.audited(t, "user.sign_in_refused"); n != 0 {
		t.Errorf("a cancelled sign-in counted as %d failures", n)
	}
}

// Single sign-on ends where a password sign-in does (startSession): an
// account with a second factor is asked for it after the provider, and is
// signed in only with it.
func TestSSOSecondFactor(t *testing.T) {
	w := newSSOWorld(t)
	ctx := context.Background()
	u := w.user(t, "saule@economy.gov.example", assessments.RoleReviewer)
	secret, _, err := w.s.store.StartTOTP(ctx, u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	if _, err := w.s.store.ConfirmTOTP(ctx, u.ID, code); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.store.LinkIdentity(ctx, u.Actor(), assessments.Claims{Provider: "gov", Issuer: w.idp.URL, Subject: "sub-saule", Email: u.Email, EmailVerified: true}); err != nil {
		t.Fatal(err)
	}
	w.idp.addUser("saule", u.Email, true)
	b := w.browser()
	to := w.back(t, b, w.atProvider(t, b, "/login/oidc/gov?next=/services", "saule"))
	if to != "/login/second-factor?next=%2Fservices" || w.signedInAs(t, b) != "" {
		t.Fatalf("after the provider: sent to %s, signed in as %q", to, w.signedInAs(t, b))
	}
	next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second)) // a code not used yet
	if res := w.post(t, b, "/login/second-factor", url.Values{"code": {next}, "next": {"/services"}}); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/services" {
		t.Fatalf("second step: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if got := w.signedInAs(t, b); got != u.Email {
		t.Errorf("signed in as %q after the second factor", got)
	}
}
