package peers_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments/card"
	"github.com/unescap/dmf/assessments/peers"
)

// instance serves what a DMF instance publishes at its base URL; the
// handlers of over replace its own (to make it misbehave).
func instance(t *testing.T, tls bool, over map[string]http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	if tls {
		base = "https://" + srv.Listener.Addr().String()
	}
	did, _ := card.DIDWeb(base)
	host := strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://")
	keys, err := card.LoadKeys(filepath.Join(t.TempDir(), "keys"), host+"/cards-log", host+"/witness", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	handlers := map[string]http.HandlerFunc{
		"/.well-known/did.json": func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(card.NewDIDDocument(did, keys.Issuer))
		},
		"/api/v1/log": func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(map[string]any{"origin": host + "/cards-log", "vkey": keys.LogKey, "size": 0})
		},
		"/api/v1/witness": func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(map[string]any{"name": keys.Witness.Name(), "vkey": keys.WitnessKey})
		},
	}
	for path, h := range over {
		handlers[path] = h
	}
	mux := http.NewServeMux()
	for path, h := range handlers {
		mux.HandleFunc("GET "+path, h)
	}
	srv.Config.Handler = mux
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return base
}

// reason is the format of a peers.Error, or the error itself.
func reason(err error) string {
	var pe *peers.Error
	if errors.As(err, &pe) {
		return pe.Message.Format
	}
	if err == nil {
		return "no error"
	}
	return err.Error()
}

func TestFetchReadsAPeer(t *testing.T) {
	base := instance(t, false, nil)
	info, err := (&peers.Client{}).Fetch(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := card.ParseDIDDocument(info.DIDDocument)
	want, _ := card.DIDWeb(base)
	if err != nil || doc.ID != want || !strings.HasPrefix(info.LogKey, info.LogOrigin+"+") || info.WitnessKey == "" {
		t.Errorf("fetched: %+v %v", info, err)
	}
}

// A peer that misbehaves gets an error saying how.
func TestFetchSaysWhatIsWrong(t *testing.T) {
	ctx := context.Background()
	// Port 1 (tcpmux) has no listener here: a port freed by a closed
	// listener was soon taken by the next test server, which answered.
	gone := "http://127.0.0.1:1"
	cases := []struct {
		name   string
		base   string
		client *peers.Client
		want   string
	}{
		{"unreachable", gone, &peers.Client{}, "cannot be reached"},
		{"a web site", instance(t, false, map[string]http.HandlerFunc{"/api/v1/log": func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("<html>hello</html>"))
		}}), &peers.Client{}, "is not a DMF instance: %s is not the JSON a DMF instance serves"},
		{"a 404", instance(t, false, map[string]http.HandlerFunc{"/api/v1/log": http.NotFound}), &peers.Client{}, "is not a DMF instance: %s answered %d"},
		{"another host's DID", instance(t, false, map[string]http.HandlerFunc{"/.well-known/did.json": func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(card.NewDIDDocument("did:web:elsewhere.example", nil))
		}}), &peers.Client{}, "publishes the DID document of %s, which does not match its address (%s)"},
		{"oversized", instance(t, false, nil), &peers.Client{MaxBytes: 16}, "answered %s with more than %d bytes"},
		{"slow", instance(t, false, map[string]http.HandlerFunc{"/api/v1/log": func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}}), &peers.Client{Timeout: 100 * time.Millisecond}, "did not answer in time"},
		{"untrusted TLS", instance(t, true, nil), &peers.Client{}, "failed the TLS check (its certificate is not trusted for this address)"},
		{"a redirect", instance(t, false, map[string]http.HandlerFunc{"/api/v1/log": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://169.254.169.254/latest", http.StatusFound)
		}}), &peers.Client{}, "redirected %s elsewhere; peers are only asked at their own base URL"},
	}
	for _, c := range cases {
		if got := reason(func() error { _, err := c.client.Fetch(ctx, c.base); return err }()); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
