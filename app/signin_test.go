package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/unescap/dmf/assessments"
)

// tokenClient asks for API tokens with a cookie jar, as a client that
// keeps the device cookie does.
type tokenClient struct {
	t   *testing.T
	c   *http.Client
	hdr http.Header
}

func newTokenClient(t *testing.T) *tokenClient {
	jar, _ := cookiejar.New(nil)
	return &tokenClient{t: t, c: &http.Client{Jar: jar}, hdr: http.Header{}}
}

// token posts credentials to base and returns the status and the token.
func (tc *tokenClient) token(base, email, password string) (int, string) {
	tc.t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/tokens", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range tc.hdr {
		req.Header[k] = v
	}
	resp, err := tc.c.Do(req)
	if err != nil {
		tc.t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &out)
	return resp.StatusCode, out.Token
}

// TestSecurityParallelGuessing is the probe's attack: a burst of parallel
// guesses at one account, the right password among them. However many
// arrive at once, at most MaxFailsAccount passwords are checked and no
// token is issued. On PostgreSQL the guesses are spread over two
// instances of one database.
func TestSecurityParallelGuessing(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	bases := []string{a.server()}
	stores := []*assessments.Store{a.s.store}
	if suitePostgres(t) != "" {
		s2, err := newApp(context.Background(), a.s.cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s2.store.Close() })
		srv := httptest.NewServer(s2.routes())
		t.Cleanup(srv.Close)
		bases, stores = append(bases, srv.URL), append(stores, s2.store)
	}
	checks := func() (n int64) {
		for _, st := range stores {
			n += st.PasswordChecks()
		}
		return n
	}
	before := checks()

	const burst = 100
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		statuses  = map[int]int{}
		start     = make(chan struct{})
		refused   = make(chan struct{}) // closed at the first 429
		burstDone = make(chan struct{})
		once      sync.Once
	)
	try := func(i int, password string) {
		defer wg.Done()
		status, token := newTokenClient(t).token(bases[i%len(bases)], p.a, password)
		mu.Lock()
		statuses[status]++
		mu.Unlock()
		if token != "" {
			t.Errorf("guess %d got a token", i)
		}
		if status == http.StatusTooManyRequests {
			once.Do(func() { close(refused) })
		}
	}
	var guesses sync.WaitGroup
	for i := range burst {
		wg.Add(1)
		guesses.Add(1)
		go func() { defer guesses.Done(); <-start; try(i, fmt.Sprintf("wrong guess number %d", i)) }()
	}
	go func() { guesses.Wait(); close(burstDone) }()
	close(start)
	// The right password arrives while the burst is being answered: once
	// the first guess has been refused (or, should none be, after them).
	wg.Add(1)
	go func() {
		select {
		case <-refused:
		case <-burstDone:
		}
		try(burst, pw)
	}()
	wg.Wait()

	if n := checks() - before; n > assessments.MaxFailsAccount {
		t.Errorf("%d parallel attempts made %d password checks; at most %d are allowed", burst+1, n, assessments.MaxFailsAccount)
	}
	if statuses[http.StatusCreated] > 0 {
		t.Errorf("a guess got a token: %v", statuses)
	}
	if statuses[http.StatusTooManyRequests] < burst+1-assessments.MaxFailsAccount {
		t.Errorf("too few attempts refused: %v", statuses)
	}
}

// TestSecurityStrangersCannotLockOut: wrong passwords from one address, at
// one account and at many, throttle strangers but not the browsers and
// clients that signed in to an account before (device cookies), and not
// other accounts' known devices; each device has its own small limit.
func TestSecurityStrangersCannotLockOut(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	owner, other := a.browser(), a.browser()
	owner.login(p.a, pw)
	owner.post("/logout", nil)
	other.login(p.rev, pw)
	other.post("/logout", nil)
	ownerAPI := newTokenClient(t)
	if status, _ := ownerAPI.token(a.server(), p.a, pw); status != http.StatusCreated {
		t.Fatalf("owner's token: %d", status)
	}

	attacker := a.browser()
	wrong := func(email string) url.Values {
		return url.Values{"email": {email}, "password": {"not the password at all"}}
	}
	for range assessments.MaxFailsAccount {
		attacker.post("/login", wrong(p.a))
	}
	for i := range assessments.MaxFailsAddress {
		attacker.post("/login", wrong(fmt.Sprintf("nobody%d@nowhere.example", i)))
	}

	right := func() url.Values { return url.Values{"email": {p.a}, "password": {pw}} }
	if resp, _ := a.browser().post("/login", right()); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a stranger with the right password: %d, want 429", resp.StatusCode)
	}
	if status, _ := newTokenClient(t).token(a.server(), p.a, pw); status != http.StatusTooManyRequests {
		t.Errorf("a stranger's token request: %d, want 429", status)
	}
	if resp, _ := owner.post("/login", right()); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the owner's browser is locked out: %d", resp.StatusCode)
	}
	if status, _ := ownerAPI.token(a.server(), p.a, pw); status != http.StatusCreated {
		t.Errorf("the owner's API client is locked out: %d", status)
	}
	if resp, _ := other.post("/login", url.Values{"email": {p.rev}, "password": {pw}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("another account's known browser is locked out by the address: %d", resp.StatusCode)
	}

	// A stolen device cookie is no way around the limit: it has its own.
	owner.post("/logout", nil)
	for range assessments.MaxFailsDevice {
		owner.post("/login", wrong(p.a))
	}
	if resp, _ := owner.post("/login", right()); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("after %d failures from the device: %d, want 429", assessments.MaxFailsDevice, resp.StatusCode)
	}
	// A cookie for one account does nothing for another.
	forged := a.browser()
	u, _ := url.Parse(forged.base)
	ownerURL, _ := url.Parse(owner.base)
	forged.c.Jar.SetCookies(u, owner.c.Jar.Cookies(ownerURL))
	if resp, _ := forged.post("/login", url.Values{"email": {p.b}, "password": {pw}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("account B with A's device cookie from the locked address: %d, want 429", resp.StatusCode)
	}
}

// TestSecurityTrustedProxies: behind a proxy in DMF_TRUSTED_PROXIES each
// client is counted by its X-Forwarded-For address; without the setting
// the header is ignored, so that clients cannot choose their address.
func TestSecurityTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		env     string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"10.0.0.0/8, 192.168.1.7/32,fd00::/8", []string{"10.0.0.0/8", "192.168.1.7/32", "fd00::/8"}, false},
		{"10.0.0.1", nil, true},
		{"10.0.0.0/8,nonsense", nil, true},
	} {
		cfg, err := loadConfig("serve", nil, func(k string) string {
			if k == "DMF_TRUSTED_PROXIES" {
				return tc.env
			}
			return ""
		}, io.Discard)
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), "DMF_TRUSTED_PROXIES") {
				t.Errorf("%q: error %v, want one naming DMF_TRUSTED_PROXIES", tc.env, err)
			}
			continue
		}
		var got []string
		for _, n := range cfg.TrustedProxies {
			got = append(got, n.String())
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%q: %v %v, want %v", tc.env, got, err, tc.want)
		}
	}

	lockAddress := func(a *testApp, p *people, xff string) {
		c := newTokenClient(t)
		c.hdr.Set("X-Forwarded-For", xff)
		for i := range assessments.MaxFailsAddress {
			c.token(a.server(), fmt.Sprintf("nobody%d@nowhere.example", i), "not the password at all")
		}
	}
	signIn := func(a *testApp, email, xff string) int {
		c := newTokenClient(t)
		c.hdr.Set("X-Forwarded-For", xff)
		status, _ := c.token(a.server(), email, pw)
		return status
	}

	proxied := newTestApp(t)
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	proxied.s.cfg.TrustedProxies = []*net.IPNet{loopback}
	proxied.e = proxied.s.routes()
	p := proxied.seedPeople()
	lockAddress(proxied, p, "203.0.113.7")
	if status := signIn(proxied, p.b, "203.0.113.8"); status != http.StatusCreated {
		t.Errorf("behind a trusted proxy, another client is locked out by one address: %d", status)
	}
	if status := signIn(proxied, p.b, "203.0.113.7"); status != http.StatusTooManyRequests {
		t.Errorf("behind a trusted proxy, the guessing client: %d, want 429", status)
	}

	direct := newTestApp(t)
	p = direct.seedPeople()
	lockAddress(direct, p, "203.0.113.7")
	if status := signIn(direct, p.b, "203.0.113.8"); status != http.StatusTooManyRequests {
		t.Errorf("without trusted proxies, X-Forwarded-For chose the address: %d, want 429", status)
	}
}

// TestSecurityCurrentPasswordThrottled: guessing the current password on
// the change form (with a stolen session) counts with sign-in failures.
func TestSecurityCurrentPasswordThrottled(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	b := a.browser()
	b.login(p.a, pw)
	const next = "an entirely new pass phrase"
	refused := false
	for i := 0; i <= assessments.MaxFailsAccount && !refused; i++ {
		resp, _ := b.post("/account/password", url.Values{"current": {fmt.Sprintf("guess number %d", i)}, "password": {next}, "confirm": {next}})
		refused = resp.StatusCode == http.StatusTooManyRequests
	}
	if !refused {
		t.Fatalf("%d wrong current passwords were all checked", assessments.MaxFailsAccount+1)
	}
	if resp, _ := b.post("/account/password", url.Values{"current": {pw}, "password": {next}, "confirm": {next}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the right current password after the limit: %d, want 429", resp.StatusCode)
	}
}

// TestSecurityPasswordChangeEndsTokens: a password change, on the page or
// through the API, ends every API token and every other session of the
// user; only the session that made the change goes on.
func TestSecurityPasswordChangeEndsTokens(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	tok := a.api(p.a, pw)
	here, there := a.browser(), a.browser()
	here.login(p.a, pw)
	there.login(p.a, pw)
	const next = "an entirely new pass phrase"
	if resp, _ := here.post("/account/password", url.Values{"current": {pw}, "password": {next}, "confirm": {next}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d", resp.StatusCode)
	}
	if status, _ := tok.call(http.MethodGet, "/api/v1/assessments", nil); status != http.StatusUnauthorized {
		t.Errorf("an API token survived the password change: %d", status)
	}
	if resp, _ := here.get("/assessments"); resp.StatusCode != http.StatusOK {
		t.Error("the session that changed the password ended")
	}

	// Through the API, with a token: every token ends, that one too.
	tok1, tok2 := a.api(p.a, next), a.api(p.a, next)
	const third = "yet another long pass phrase"
	if status, body := tok1.raw(http.MethodPost, "/api/v1/account/password", map[string]string{"current": next, "new": third}); status != http.StatusNoContent {
		t.Fatalf("API change: %d %s", status, body)
	}
	for i, c := range []*api{tok1, tok2} {
		if status, _ := c.call(http.MethodGet, "/api/v1/assessments", nil); status != http.StatusUnauthorized {
			t.Errorf("token %d survived the API password change: %d", i+1, status)
		}
	}
	if resp, _ := here.get("/assessments"); resp.StatusCode != http.StatusSeeOther {
		t.Error("a session survived the API password change")
	}
	a.api(p.a, third)
}

// TestSecurityOneTimePasswordGetsNoToken: an account with a password
// someone else chose gets 403 password_change_required instead of a token,
// and can choose its own password through the API.
func TestSecurityOneTimePasswordGetsNoToken(t *testing.T) {
	a := newTestApp(t)
	a.seedPeople()
	const email, otp = "new@justice.kz", "generated one time password 1"
	if _, err := a.s.store.CreateUser(context.Background(), nil, assessments.NewUser{Email: email, Password: otp, Role: assessments.RoleReviewer, MustChangePassword: true}); err != nil {
		t.Fatal(err)
	}
	anon := &api{t: t, base: a.server()}
	status, body := anon.call(http.MethodPost, "/api/v1/tokens", map[string]string{"email": email, "password": otp})
	if status != http.StatusForbidden || body["token"] != nil || fmt.Sprint(body["error"].(map[string]any)["code"]) != "password_change_required" {
		t.Fatalf("token for a one-time password: %d %v", status, body)
	}
	// A session made with the one-time password gets nothing from the API either.
	b := a.browser()
	b.login(email, otp)
	if resp, _ := b.get("/api/v1/assessments"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("API with a one-time password's session: %d", resp.StatusCode)
	}
	const mine = "a pass phrase of my own choosing"
	if status, _ := anon.call(http.MethodPost, "/api/v1/account/password", map[string]string{"email": email, "current": "wrong one time password", "new": mine}); status != http.StatusUnauthorized {
		t.Errorf("API change with a wrong current password: %d", status)
	}
	if status, body := anon.raw(http.MethodPost, "/api/v1/account/password", map[string]string{"email": email, "current": otp, "new": mine}); status != http.StatusNoContent {
		t.Fatalf("API change: %d %s", status, body)
	}
	a.api(email, mine)
}
