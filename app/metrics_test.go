package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestMetrics makes a few real requests, then scrapes /metrics as this
// machine and checks that the counters moved, by route pattern only.
func TestMetrics(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.startAssessment(p.actorA)
	approved := a.approve(p.actorA, p.actorRev, "Approved service", 2026, func(int) int { return 4 }, true)
	cardRec, err := a.s.store.CardOf(context.Background(), p.actorA, approved)
	if err != nil {
		t.Fatal(err)
	}

	c := a.api(p.a, pw)
	path := fmt.Sprintf("/api/v1/assessments/%d/answers", id)
	if status, body := c.call(http.MethodPut, path, map[string]any{"answers": map[string]any{"SERV.1": map[string]any{"level": 3}}}); status != http.StatusOK {
		t.Fatalf("save: %d %v", status, body)
	}
	if resp, _ := a.browser().post("/login", url.Values{"email": {p.a}, "password": {"not the password"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("failed login: %d", resp.StatusCode)
	}
	if status, _ := c.raw(http.MethodPost, "/api/v1/cards/verify", string(cardRec.Data)); status != http.StatusOK {
		t.Fatalf("verify: %d", status)
	}
	if status, _ := c.raw(http.MethodPost, "/api/v1/cards/verify", "{}"); status != http.StatusOK {
		t.Fatalf("verify: %d", status)
	}

	a.do("BREW", "/no-such-page", nil) // any method token: one "other" series, not one each

	resp, err := http.Get(a.server() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("loopback scrape: %d %s", resp.StatusCode, body)
	}
	text := string(body)
	for _, want := range []string{
		`dmf_http_requests_total{method="PUT",route="/api/v1/assessments/:id/answers",status="200"} 1` + "\n",
		`dmf_http_requests_total{method="POST",route="/login",status="401"} 1` + "\n",
		`dmf_http_request_duration_seconds_count{method="POST",route="/api/v1/cards/verify",status="200"} 2` + "\n",
		`dmf_answer_saves_total 2` + "\n", // the approved assessment's save (through the store) and the API's
		`dmf_submissions_total 1` + "\n",
		`dmf_reviews_total{decision="approve"} 1` + "\n",
		`dmf_reviews_total{decision="return"} 0` + "\n",
		`dmf_cards_issued_total 1` + "\n",
		`dmf_login_failures_total{reason="bad_credentials"} 1` + "\n",
		`dmf_login_failures_total{reason="throttled"} 0` + "\n",
		`dmf_card_verifications_total{outcome="valid"} 1` + "\n",
		`dmf_card_verifications_total{outcome="invalid"} 1` + "\n",
		`dmf_http_requests_total{method="other",route="unmatched",status="400"} 1` + "\n", // refused by the CSRF check
		"go_goroutines ", "process_cpu_seconds_total ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if suitePostgres(t) == "" && regexp.MustCompile(`(?m)^dmf_db_write_queue_wait_seconds_count 0$`).MatchString(text) {
		t.Error("no write-queue waits observed")
	}
	if strings.Contains(text, fmt.Sprint("/", id, "/")) || strings.Contains(text, cardRec.ID) || strings.Contains(text, p.a) {
		t.Error("metrics carry an id or an email")
	}

	// Not for other machines, nor through a proxy on this one.
	if rec := a.get("/metrics"); rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "dmf_") {
		t.Errorf("remote peer: %d", rec.Code)
	}
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	rec := httptest.NewRecorder()
	a.e.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("through a proxy: %d", rec.Code)
	}
}

// TestMetricsListener: with DMF_METRICS_ADDR set, /metrics is served there
// alone and the main listener does not answer it.
func TestMetricsListener(t *testing.T) {
	a := newTestApp(t)
	a.s.cfg.MetricsAddr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	if err := serveMetrics(ctx, a.s.cfg.MetricsAddr, a.s.metrics.handler, &out); err != nil {
		t.Fatal(err)
	}
	addr := regexp.MustCompile(`http://\S+/metrics`).FindString(out.String())
	resp, err := http.Get(addr)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("dmf_cards_issued_total")) {
		t.Errorf("metrics listener: %d %.200s", resp.StatusCode, body)
	}
	if r, _ := http.Get(a.server() + "/metrics"); r == nil || r.StatusCode != http.StatusNotFound {
		t.Errorf("main listener still answers /metrics")
	}
}

// TestRequestIDs: every response carries an id and the request's log line
// carries the same one; a caller's plain id is kept, any other replaced.
func TestRequestIDs(t *testing.T) {
	a := newTestApp(t)
	var logs bytes.Buffer
	a.s.log = slog.New(slog.NewTextHandler(&logs, nil))
	for _, tc := range []struct{ sent, want string }{
		{"", ""},
		{"lb-4f1c.9_A", "lb-4f1c.9_A"},
		{"has space", ""},
		{strings.Repeat("x", 65), ""},
		{"evil\" msg=forged", ""},
	} {
		logs.Reset()
		rec := a.get("/no-such-page", "X-Request-Id", tc.sent)
		id := rec.Header().Get("X-Request-Id")
		if id == "" || (tc.want != "" && id != tc.want) || (tc.want == "" && id == tc.sent) {
			t.Errorf("sent %q: id %q", tc.sent, id)
			continue
		}
		line := logs.String()
		if !strings.Contains(line, "msg=request") || !strings.Contains(line, "request_id="+id) {
			t.Errorf("log line lacks request_id=%s: %s", id, line)
		}
	}
}
