package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
)

// servedApp is a test app listening on its own base URL, so that its DID
// matches the address peers fetch it from.
func servedApp(t *testing.T) *testApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	a := newTestApp(t, func(c *Config) { c.BaseURL = base })
	srv := httptest.NewUnstartedServer(a.e)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	a.url = base
	return a
}

// Through the API and the page, an admin adds a peer (pending, with its
// fingerprints), confirms and ends it; a peer that is not there gets a
// field error saying so, on the page in the reader's language.
func TestPeersThroughAPIAndPage(t *testing.T) {
	a := servedApp(t)
	b := servedApp(t)
	p := a.seedPeople()
	admin := a.api(p.adm, pw)

	status, got := admin.call(http.MethodPost, "/api/v1/peers", map[string]any{"base_url": b.url})
	if status != http.StatusCreated || got["status"] != "pending" || got["log_fingerprint"] != assessments.Fingerprint(b.s.issuer.Keys.LogKey) ||
		got["witness_fingerprint"] != assessments.Fingerprint(b.s.issuer.Keys.WitnessKey) {
		t.Fatalf("add: %d %v", status, got)
	}
	id := got["id"].(float64)
	if status, got := admin.call(http.MethodPost, "/api/v1/peers", map[string]any{"base_url": b.url + "/"}); status != http.StatusConflict {
		t.Errorf("added twice: %d %v", status, got)
	}
	if status, got := admin.call(http.MethodPost, "/api/v1/peers/"+ftoa(id)+"/confirm", nil); status != http.StatusOK || got["status"] != "trusted" {
		t.Errorf("confirm: %d %v", status, got)
	}
	if status, got := admin.call(http.MethodPost, "/api/v1/peers/"+ftoa(id)+"/confirm", nil); status != http.StatusConflict {
		t.Errorf("confirm twice: %d %v", status, got)
	}
	if status, got := admin.call(http.MethodDelete, "/api/v1/peers/"+ftoa(id), nil); status != http.StatusOK || got["status"] != "ended" {
		t.Errorf("end: %d %v", status, got)
	}

	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	gone := "http://" + closed.Addr().String()
	closed.Close()
	status, got = admin.call(http.MethodPost, "/api/v1/peers", map[string]any{"base_url": gone})
	if fields, _ := got["error"].(map[string]any)["fields"].(map[string]any); status != http.StatusUnprocessableEntity || !strings.Contains(fields["base_url"].(string), "cannot be reached") {
		t.Errorf("an unreachable peer: %d %v", status, got)
	}

	br := a.browser()
	br.login(p.adm, pw)
	br.get("/lang/ru?next=/admin/peers")
	resp, body := br.post("/admin/peers", url.Values{"base_url": {gone}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "недоступен") {
		t.Errorf("the page's error: %d", resp.StatusCode)
	}
	resp, body = br.get("/admin/peers")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, b.url) || !strings.Contains(body, assessments.Fingerprint(b.s.issuer.Keys.LogKey)) {
		t.Errorf("the page lists the peer with its fingerprints: %d", resp.StatusCode)
	}
}

func ftoa(f float64) string { return strconv.Itoa(int(f)) }

// The witness endpoint answers as C2SP tlog-witness says: 404 for a log
// of no trusted peer, 400 for a malformed request, in plain text.
func TestAddCheckpointStatuses(t *testing.T) {
	a := newTestApp(t)
	cases := map[string]int{
		"old 0\n\nelsewhere.example/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— elsewhere.example/log AAAA\n": http.StatusNotFound,
		"new 0\n\n": http.StatusBadRequest,
		"old 0\n":   http.StatusBadRequest,
	}
	for body, want := range cases {
		rec := a.do(http.MethodPost, "/api/v1/witness/add-checkpoint", strings.NewReader(body), "Content-Type", "text/plain")
		if rec.Code != want || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
			t.Errorf("%q: %d %s, want %d", body, rec.Code, rec.Header().Get("Content-Type"), want)
		}
	}
}
