package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/peers"
)

// metrics are the Prometheus metrics of one server, in a registry of its
// own. Labels hold only route patterns, statuses and fixed words: never an
// id, an address or anything a user typed.
type metrics struct {
	handler       http.Handler // the registry in Prometheus's text format
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	events        map[string]prometheus.Counter // by audit action
	logins        *prometheus.CounterVec
	verifications *prometheus.CounterVec
	writeWait     prometheus.Histogram
	reg           *prometheus.Registry
	mailSends     *prometheus.CounterVec
	witnessPushes *prometheus.CounterVec
}

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg: reg,
		mailSends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dmf_mail_sends_total", Help: "Attempts to send mail from the outbox by outcome: sent or failed (retried later).",
		}, []string{"outcome"}),
		witnessPushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dmf_witness_pushes_total", Help: "Checkpoints pushed to peers' witnesses by outcome: cosigned, failed (retried later) or refused (inconsistent, reported).",
		}, []string{"outcome"}),
		handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dmf_http_requests_total", Help: "HTTP requests by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dmf_http_request_duration_seconds", Help: "Time to answer HTTP requests by method, route pattern and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route", "status"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dmf_login_failures_total", Help: "Refused sign-ins (page and API): bad_credentials (401) or throttled (429).",
		}, []string{"reason"}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dmf_card_verifications_total", Help: "Cards verified (page and API) by outcome: valid or invalid.",
		}, []string{"outcome"}),
		writeWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "dmf_db_write_queue_wait_seconds", Help: "Time a database write queued for SQLite's one writer.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9), // 0.1 ms to 6.5 s
		}),
	}
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		reg.MustRegister(c)
		return c
	}
	reviews := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dmf_reviews_total", Help: "Review decisions: approve or return.",
	}, []string{"decision"})
	m.events = map[string]prometheus.Counter{
		"answers.saved":        counter("dmf_answer_saves_total", "Saves of answers to an assessment."),
		"assessment.submitted": counter("dmf_submissions_total", "Assessments submitted for review."),
		"assessment.approved":  reviews.WithLabelValues("approve"),
		"assessment.returned":  reviews.WithLabelValues("return"),
		"card.issued":          counter("dmf_cards_issued_total", "Maturity cards issued."),
		"card.revoked":         counter("dmf_cards_revoked_total", "Maturity cards revoked."),
	}
	// Zero series exist from the start, so that rates work before the first event.
	for _, r := range []string{"bad_credentials", "throttled"} {
		m.logins.WithLabelValues(r)
	}
	for _, o := range []string{"valid", "invalid"} {
		m.verifications.WithLabelValues(o)
	}
	for _, o := range []string{"sent", "failed"} {
		m.mailSends.WithLabelValues(o)
	}
	for _, o := range []string{peers.Cosigned, peers.Failed, peers.Refused} {
		m.witnessPushes.WithLabelValues(o)
	}
	reg.MustRegister(m.requests, m.latency, reviews, m.logins, m.verifications, m.writeWait, m.mailSends, m.witnessPushes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observer counts the store's committed changes and write-queue waits.
func (m *metrics) observer() assessments.Observer {
	return assessments.Observer{
		Event: func(action string) {
			if c, ok := m.events[action]; ok {
				c.Inc()
			}
		},
		WriteWait: func(d time.Duration) { m.writeWait.Observe(d.Seconds()) },
	}
}

// watchOutbox exports the number of messages waiting in the mail outbox,
// read from the database when scraped, so that every instance reports the
// shared queue.
func (m *metrics) watchOutbox(store *assessments.Store) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "dmf_mail_outbox_depth", Help: "Messages in the mail outbox not sent yet.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := store.OutboxDepth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
}

// watchWitnessQueue exports the number of checkpoint pushes waiting for
// peers' witnesses, read from the database when scraped.
func (m *metrics) watchWitnessQueue(store *assessments.Store) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "dmf_witness_queue_depth", Help: "Checkpoint pushes to peers' witnesses not done yet.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := store.WitnessQueueDepth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
}

// witnessPushed counts a push of a checkpoint to a peer's witness.
func (m *metrics) witnessPushed(outcome string) { m.witnessPushes.WithLabelValues(outcome).Inc() }

// mailSent counts an attempt to send a message.
func (m *metrics) mailSent(ok bool) {
	outcome := "failed"
	if ok {
		outcome = "sent"
	}
	m.mailSends.WithLabelValues(outcome).Inc()
}

// loginRefused counts a refused sign-in by its reason.
func (m *metrics) loginRefused(throttled bool) {
	reason := "bad_credentials"
	if throttled {
		reason = "throttled"
	}
	m.logins.WithLabelValues(reason).Inc()
}

// verified counts a card verification by its outcome.
func (m *metrics) verified(valid bool) {
	outcome := "invalid"
	if valid {
		outcome = "valid"
	}
	m.verifications.WithLabelValues(outcome).Inc()
}

// observeRequests counts requests and their latency by route pattern
// (c.Path(), such as /cards/:id), never by the URL, which holds ids. It
// runs outside logRequests, which has already turned an error into its
// response, so the status is the one sent.
func (m *metrics) observeRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		method := c.Request().Method
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		default:
			method = "other" // a client may send any token: keep the series bounded
		}
		status := strconv.Itoa(c.Response().Status)
		m.requests.WithLabelValues(method, route, status).Inc()
		m.latency.WithLabelValues(method, route, status).Observe(time.Since(start).Seconds())
		return err
	}
}

// showMetrics answers Prometheus on the main listener when no separate
// metrics listener is set, and then only to this machine: the direct TCP
// peer must be loopback and the request must not have come through a
// proxy (a proxy on the same machine connects from loopback too).
func (s *server) showMetrics(c echo.Context) error {
	if s.cfg.MetricsAddr != "" {
		return echo.ErrNotFound
	}
	r := c.Request()
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() ||
		r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" {
		return echo.ErrForbidden
	}
	s.metrics.handler.ServeHTTP(c.Response(), r)
	return nil
}

// serveMetrics serves /metrics alone on its own listener, for a
// Prometheus server that scrapes over the network, until ctx ends.
func serveMetrics(ctx context.Context, addr string, h http.Handler, stdout io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	go func() { <-ctx.Done(); srv.Close() }()
	fmt.Fprintf(stdout, "metrics on http://%s/metrics\n", ln.Addr())
	return nil
}
