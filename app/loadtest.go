package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// loadOptions bound a load test in count and time.
type loadOptions struct {
	respondents int
	reviewers   int
	duration    time.Duration
	assessments int // at most this many assessments in all
	compare     int // approved assessments to seed for the comparison
	database    string
	rawDuration time.Duration
	cpuProfile  string // file for a CPU profile of the server under load
	profile     string // the phase it covers: saves, issue or verify
	cards       int    // submitted assessments to seed for the issuance phase
	phase       time.Duration
}

// loadtestCommand drives the real HTTP API of a server subprocess with
// simulated respondents (sign in, create an assessment, save every
// indicator one by one, submit) and reviewers (approve, compare), then
// prints throughput and latency percentiles per operation, the server's
// peak memory, and the ratio of the answer-save rate to plain SQLite
// inserts of the same rows through the same driver.
func loadtestCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o loadOptions
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.respondents, "respondents", 32, "concurrent simulated respondents")
	fs.IntVar(&o.reviewers, "reviewers", 2, "concurrent simulated reviewers")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "how long to drive load")
	fs.IntVar(&o.assessments, "max-assessments", 5000, "stop after this many assessments")
	fs.IntVar(&o.compare, "compare-seed", 100000, "approved assessments to seed first, so that comparisons aggregate a realistic volume")
	fs.StringVar(&o.database, "database", "", "database for the run (default: a new SQLite file in a temporary directory)")
	fs.DurationVar(&o.rawDuration, "raw-duration", 10*time.Second, "how long to measure the raw SQLite insert ceiling")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the server under load to this file (read it with go tool pprof)")
	fs.StringVar(&o.profile, "profile-phase", "saves", "the phase the CPU profile covers: saves (the mixed load), issue or verify")
	fs.IntVar(&o.cards, "cards", 3000, "submitted assessments to seed for the card issuance phase")
	fs.DurationVar(&o.phase, "phase-duration", 10*time.Second, "how long each of the issuance and verification phases lasts at most")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !slices.Contains([]string{"saves", "issue", "verify"}, o.profile) {
		return fmt.Errorf("-profile-phase: %q is not saves, issue or verify", o.profile)
	}
	dir, err := os.MkdirTemp("", "dmf-loadtest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.database == "" {
		o.database = filepath.Join(dir, "load.db")
	}
	fmt.Fprintf(stdout, "DMF load test: %d respondents, %d reviewers, %s, on %d CPU(s), %s, database %s\n",
		o.respondents, o.reviewers, o.duration, runtime.NumCPU(), runtime.Version(), shownDatabase(o.database))

	if err := seedLoad(ctx, o, dir, stdout); err != nil {
		return err
	}
	srv, err := startServer(o.database, dir, o.cpuProfile != "")
	if err != nil {
		return err
	}
	defer srv.stop()
	// profileFor profiles the server during phase, if that is the one asked
	// for; the answer comes on the channel once the profile is written.
	profileFor := func(phase string, d time.Duration) chan error {
		profiled := make(chan error, 1)
		if o.cpuProfile != "" && o.profile == phase {
			go func() { profiled <- srv.profile(o.cpuProfile, d, phase == "saves") }()
		} else {
			profiled <- nil
		}
		return profiled
	}
	// The generator's own heap is a few megabytes, collected about ten
	// times a second at the default GOGC: a tenth of its CPU, on cores it
	// shares with the server. A larger goal costs it a few megabytes more.
	defer debug.SetGCPercent(debug.SetGCPercent(800))
	profiled := profileFor("saves", o.duration)
	stats := newLoadStats()
	run := &loadRun{o: o, base: srv.base, stats: stats, deadline: time.Now().Add(o.duration)}
	var wg sync.WaitGroup
	for i := 0; i < o.respondents; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); run.respondent(i) }()
	}
	for i := 0; i < o.reviewers; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); run.reviewer(i) }()
	}
	start, clientCPU, serverCPU := time.Now(), selfCPU(), srv.cpu()
	wg.Wait()
	elapsed := time.Since(start)
	clientCPU, serverCPU = selfCPU()-clientCPU, srv.cpu()-serverCPU
	if err := <-profiled; err != nil {
		return err
	}
	// Then, one at a time on the same server, with as many clients: card
	// issuance (the seeded submitted assessments approved) and
	// verification of the cards just issued.
	issued := newLoadStats()
	profiled = profileFor("issue", o.phase)
	issuedIn, cards := run.issueCards(issued)
	if err := <-profiled; err != nil {
		return err
	}
	verified := newLoadStats()
	profiled = profileFor("verify", o.phase)
	verifiedIn := run.verifyCards(verified, cards)
	if err := <-profiled; err != nil {
		return err
	}
	peak := srv.peakRSS()
	srv.stop()

	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tcount\tper second\tp50\tp95\tp99\terrors\t")
	row := func(st *loadStats, op string, in time.Duration) opSummary {
		s := st.summary(op, in)
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%d\t\n", op, s.count, s.rate, ms(s.p50), ms(s.p95), ms(s.p99), s.errors)
		return s
	}
	for _, op := range stats.ops() {
		row(stats, op, elapsed)
	}
	issue := row(issued, opIssue, issuedIn)
	verify := row(verified, opVerify, verifiedIn)
	tw.Flush()
	saves := stats.summary("save answer", elapsed)
	fmt.Fprintf(stdout, "card issuance: %.0f cards/s over HTTP, %d clients (goal ≥ 1,000)\n", issue.rate, o.respondents)
	fmt.Fprintf(stdout, "card verification: %.0f verifications/s over HTTP, %d clients (goal ≥ 3,000)\n", verify.rate, o.respondents)
	fmt.Fprintf(stdout, "server peak resident memory: %.1f MB (goal < 200)\n", float64(peak)/(1<<20))
	fmt.Fprintf(stdout, "CPU during the mixed load: the server %.2f cores, this load generator %.2f, of %d\n",
		serverCPU.Seconds()/elapsed.Seconds(), clientCPU.Seconds()/elapsed.Seconds(), runtime.NumCPU())

	if !assessments.IsPostgres(o.database) {
		raw, err := rawInsertRate(filepath.Join(dir, "raw.db"), o.respondents, o.rawDuration)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "raw ceiling: %.0f single-row inserts/s (same rows, same driver and pragmas, %d writers); answer saves reach %.0f%% of it\n",
			raw, o.respondents, 100*saves.rate/raw)
		fmt.Fprintf(stdout, "answer saves: %.0f/s = %.2f × the raw ceiling, p50 %s, p95 %s, p99 %s (goal ≥ 0.5 ×, p99 ≤ 50 ms)\n",
			saves.rate, saves.rate/raw, ms(saves.p50), ms(saves.p95), ms(saves.p99))
	}
	return nil
}

// shownDatabase is the database as the report names it: without its
// parameters, and without the password of a PostgreSQL URL.
func shownDatabase(database string) string {
	if u, err := url.Parse(database); err == nil && u.User != nil {
		u.RawQuery = ""
		return u.Redacted()
	}
	return strings.SplitN(database, "?", 2)[0]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

// seedLoad creates the accounts and the approved assessments to compare.
func seedLoad(ctx context.Context, o loadOptions, dir string, stdout io.Writer) error {
	store, err := openStore(ctx, o.database, newLogger(Config{LogFormat: "text"}, io.Discard), nil)
	if err != nil {
		return err
	}
	defer store.Close()
	cat := store.Editions()
	countries := store.Countries().List
	ed, _ := cat.Edition("escap-dmf-dps-sme", "")
	for i := 0; i < o.respondents; i++ {
		org, err := store.CreateOrganisation(ctx, nil, assessments.Organisation{Name: fmt.Sprintf("Load agency %d", i), Country: countries[i%len(countries)].Code, Kind: "agency"})
		if err != nil {
			return err
		}
		if _, err := store.CreateUser(ctx, nil, assessments.NewUser{Email: fmt.Sprintf("r%d@load.example", i), Password: loadPassword, Role: assessments.RoleRespondent, OrganisationID: org.ID}); err != nil {
			return err
		}
		// The country's coordinator answers the edition's country
		// indicators first, as the respondents' submissions need.
		if i < len(countries) {
			if err := loadCountryAnswers(ctx, store, ed, org, i); err != nil {
				return err
			}
		}
	}
	for i := 0; i < o.reviewers; i++ {
		if _, err := store.CreateUser(ctx, nil, assessments.NewUser{Email: fmt.Sprintf("v%d@load.example", i), Password: loadPassword, Role: assessments.RoleReviewer}); err != nil {
			return err
		}
	}
	if err := seedSubmitted(ctx, store, o); err != nil {
		return err
	}
	if o.compare > 0 {
		t := time.Now()
		if err := store.Synthesize(ctx, ed, assessments.SynthOptions{Assessments: o.compare, Countries: 50, Period: 2025, Seed: 1}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded %d approved assessments over 50 countries in %s\n", o.compare, time.Since(t).Round(time.Second))
	}
	return nil
}

// seedSubmitted makes o.cards submitted assessments (period 2027, apart
// from the respondents' 2026) for the issuance phase to approve, from as
// many writers as there are respondents.
func seedSubmitted(ctx context.Context, store *assessments.Store, o loadOptions) error {
	ed, _ := store.Editions().Edition("escap-dmf-dps-sme", "")
	answers := assessments.Answers{}
	for _, d := range ed.Dimensions {
		for i, ind := range d.Indicators {
			if !ind.CountryScoped() {
				k := 1 + i%5
				answers[ind.ID] = assessments.Answer{Level: &k}
			}
		}
	}
	errs := make(chan error, o.respondents)
	for w := range o.respondents {
		go func() {
			u, err := store.UserByEmail(ctx, fmt.Sprintf("r%d@load.example", w))
			if err != nil {
				errs <- err
				return
			}
			by := u.Actor()
			for n := w; n < o.cards; n += o.respondents {
				a, err := store.CreateAssessment(ctx, by, assessments.NewAssessment{FrameworkID: ed.ID, Version: ed.Version, Period: 2027,
					NewService: &assessments.Service{Name: fmt.Sprintf("Card service %d", n), Category: "tax"}})
				if err == nil {
					_, err = store.SaveAnswers(ctx, by, a.ID, nil, answers)
				}
				if err == nil {
					_, err = store.Submit(ctx, by, a.ID)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	var first error
	for range o.respondents {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// loadCountryAnswers has a coordinator of org's country answer the
// edition's scope: country indicators for the load test's period.
func loadCountryAnswers(ctx context.Context, store *assessments.Store, ed *frameworks.Edition, org *assessments.Organisation, i int) error {
	inds := ed.CountryIndicators()
	if len(inds) == 0 {
		return nil
	}
	u, err := store.CreateUser(ctx, nil, assessments.NewUser{Email: fmt.Sprintf("c%d@load.example", i), Password: loadPassword, Role: assessments.RoleCoordinator, OrganisationID: org.ID})
	if err != nil {
		return err
	}
	answers := assessments.Answers{}
	for _, ind := range inds {
		k := 3
		answers[ind.ID] = assessments.Answer{Level: &k}
	}
	for _, period := range []int{2026, 2027} { // the respondents' and the seeded ones' (seedSubmitted)
		key := assessments.CountryKey{Country: org.Country, FrameworkID: ed.ID, Version: ed.Version, Period: period}
		if _, err := store.SaveCountryAnswers(ctx, u.Actor(), key, nil, answers); err != nil {
			return err
		}
	}
	return nil
}

const loadPassword = "load test pass phrase 2026"

// loadServer is the app running as a subprocess of the load test.
type loadServer struct {
	cmd   *exec.Cmd
	base  string
	pprof string // base URL of its profiles, when asked for
	once  sync.Once
}

func startServer(database, dir string, pprof bool) (*loadServer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// The simulated reviewers sign in with a password alone.
	args := []string{"serve", "-addr", "127.0.0.1:0", "-database", database, "-data-dir", dir, "-log-level", "error", "-login-delay", "1ms", "-require-mfa", "none"}
	if pprof {
		args = append(args, "-pprof-addr", "127.0.0.1:0")
	}
	cmd := exec.Command(self, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(out)
	s := &loadServer{cmd: cmd}
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "pprof profiles on "); ok {
			s.pprof = strings.TrimSuffix(rest, "/debug/pprof/")
		}
		if rest, ok := strings.CutPrefix(sc.Text(), "DMF is listening on "); ok {
			s.base = strings.Fields(rest)[0]
			break
		}
	}
	if s.base == "" {
		cmd.Process.Kill()
		return nil, errors.New("the server did not start")
	}
	go io.Copy(io.Discard, out)
	return s, nil
}

func (s *loadServer) stop() {
	s.once.Do(func() {
		s.cmd.Process.Signal(os.Interrupt)
		s.cmd.Wait()
	})
}

// profile records the server's CPU for most of a phase of length run,
// skipping the first seconds of sign-ins if warm.
func (s *loadServer) profile(file string, run time.Duration, warm bool) error {
	warmup := time.Duration(0)
	if warm {
		warmup = min(3*time.Second, run/4)
		time.Sleep(warmup)
	}
	seconds := max(1, int((run-warmup-time.Second)/time.Second))
	resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", s.pprof, seconds))
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	defer resp.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// cpu is the CPU time the server has used so far (user and system), read
// from /proc in clock ticks of 1/100 s.
func (s *loadServer) cpu() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The command may hold spaces; the fields counted from the state after
	// it put utime and stime 12th and 13th.
	_, rest, _ := strings.Cut(string(data), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	user, _ := strconv.ParseInt(f[11], 10, 64)
	sys, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(user+sys) * 10 * time.Millisecond
}

// selfCPU is the CPU time this process (the load generator) has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS reads the server's high-water mark of resident memory.
func (s *loadServer) peakRSS() int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// loadStats collects latencies per operation.
type loadStats struct {
	mu     sync.Mutex
	lat    map[string][]time.Duration
	errors map[string]int
}

func newLoadStats() *loadStats {
	return &loadStats{lat: map[string][]time.Duration{}, errors: map[string]int{}}
}

func (s *loadStats) record(op string, d time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errors[op]++
		return
	}
	s.lat[op] = append(s.lat[op], d)
}

func (s *loadStats) ops() []string {
	var out []string
	for op := range s.lat {
		out = append(out, op)
	}
	for op := range s.errors {
		if !slices.Contains(out, op) {
			out = append(out, op)
		}
	}
	slices.Sort(out)
	return out
}

type opSummary struct {
	count, errors int
	rate          float64
	p50, p95, p99 time.Duration
}

func (s *loadStats) summary(op string, elapsed time.Duration) opSummary {
	l := slices.Clone(s.lat[op])
	slices.Sort(l)
	at := func(q float64) time.Duration {
		if len(l) == 0 {
			return 0
		}
		return l[min(len(l)-1, int(q*float64(len(l))))]
	}
	return opSummary{count: len(l), errors: s.errors[op], rate: float64(len(l)) / elapsed.Seconds(), p50: at(0.50), p95: at(0.95), p99: at(0.99)}
}

// loadRun is one run's shared state.
type loadRun struct {
	o        loadOptions
	base     string
	stats    *loadStats
	deadline time.Time
	created  atomic.Int64
}

var loadClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}

// call sends one timed request and records it under op. The answer is
// decoded into out, or, if out is a func(io.Reader) error, read by it.
func (r *loadRun) call(op, method, path, token string, body any, out any) error {
	var buf io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		buf = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, r.base+path, buf)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	t := time.Now()
	resp, err := loadClient.Do(req)
	if err == nil {
		defer resp.Body.Close()
		switch read := out.(type) {
		case nil:
		case func(io.Reader) error:
			if resp.StatusCode < 300 {
				err = read(resp.Body)
			}
		default:
			if resp.StatusCode < 300 {
				err = json.NewDecoder(resp.Body).Decode(out)
			}
		}
		io.Copy(io.Discard, resp.Body) // what was not read, so the connection is reused
		if resp.StatusCode >= 300 {
			err = fmt.Errorf("%s %s: %d", method, path, resp.StatusCode)
		}
	}
	r.stats.record(op, time.Since(t), err)
	return err
}

func (r *loadRun) more() bool { return time.Now().Before(r.deadline) }

func (r *loadRun) signIn(email string) (string, error) {
	var tok struct{ Token string }
	err := r.call("sign in", http.MethodPost, "/api/v1/tokens", "", map[string]string{"email": email, "password": loadPassword}, &tok)
	return tok.Token, err
}

// respondent creates assessments and answers them one indicator at a
// time, as the questionnaire's autosave does.
func (r *loadRun) respondent(i int) {
	token, err := r.signIn(fmt.Sprintf("r%d@load.example", i))
	if err != nil {
		return
	}
	var ed struct {
		Dimensions []struct {
			Indicators []struct{ ID, Scope string }
		}
	}
	if err := r.call("get framework", http.MethodGet, "/api/v1/frameworks/escap-dmf-dps-sme", "", nil, &ed); err != nil {
		return
	}
	for n := 0; r.more() && r.created.Add(1) <= int64(r.o.assessments); n++ {
		var a struct{ ID, Version int }
		if err := r.call("create assessment", http.MethodPost, "/api/v1/assessments", token, map[string]any{
			"framework": "escap-dmf-dps-sme", "period": 2026, "service": map[string]any{"name": fmt.Sprintf("Load service %d-%d", i, n), "category": "tax"},
		}, &a); err != nil {
			continue
		}
		for _, d := range ed.Dimensions {
			for k, ind := range d.Indicators {
				if ind.Scope == "country" {
					continue // the country's coordinator answered it
				}
				body := map[string]any{"version": a.Version, "answers": map[string]any{ind.ID: map[string]any{"level": 1 + (k+n)%5}}}
				if err := r.call("save answer", http.MethodPut, fmt.Sprintf("/api/v1/assessments/%d/answers", a.ID), token, body, func(saved io.Reader) (err error) {
					a.Version, err = savedVersion(saved)
					return err
				}); err != nil {
					break
				}
			}
		}
		r.call("submit", http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/submit", a.ID), token, nil, nil)
	}
}

// savedVersion reads the version from a save's answer, which leads with
// id, status and version (see apiSaveAnswers), and stops there: decoding
// every answer and score after them, as a full decode does, cost this
// load generator a fifth of its CPU, on cores it shares with the server.
func savedVersion(body io.Reader) (int, error) {
	dec := json.NewDecoder(body)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 0, fmt.Errorf("a save's answer is not an object: %v %v", t, err)
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return 0, err
		}
		if key == "version" {
			var v int
			return v, dec.Decode(&v)
		}
		var skipped json.RawMessage
		if err := dec.Decode(&skipped); err != nil {
			return 0, err
		}
	}
	return 0, errors.New("a save's answer has no version")
}

// reviewer approves what is submitted (each approval issues a card and
// appends to the log) and compares countries.
func (r *loadRun) reviewer(i int) {
	token, err := r.signIn(fmt.Sprintf("v%d@load.example", i))
	if err != nil {
		return
	}
	for r.more() {
		var list []struct{ ID int }
		if err := r.call("list submitted", http.MethodGet, "/api/v1/assessments?status=submitted&period=2026", token, nil, &list); err != nil {
			continue
		}
		for _, a := range list {
			if a.ID%r.o.reviewers != i {
				continue
			}
			r.call("approve and issue card", http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/review", a.ID), token, map[string]any{"decision": "approve"}, nil)
		}
		r.call("compare 10 countries", http.MethodGet, "/api/v1/compare?period=2025&countries=CHN,PRK,HKG,JPN,MAC,MNG,KOR,ARM,AZE,GEO", token, nil, nil)
		time.Sleep(50 * time.Millisecond)
	}
}

// The operations of the issuance and verification phases.
const (
	opIssue  = "issue card (phase)"
	opVerify = "verify card (phase)"
)

// issueCards approves the seeded submitted assessments from as many
// reviewers as there are respondents, until they are all approved or the
// phase's time is up, and returns how long it took and some of the cards.
func (r *loadRun) issueCards(st *loadStats) (time.Duration, [][]byte) {
	token, err := r.signIn("v0@load.example")
	if err != nil {
		return 0, nil
	}
	var all []int
	for page := 1; ; page++ {
		var list []struct{ ID int }
		if err := r.call("list submitted", http.MethodGet, fmt.Sprintf("/api/v1/assessments?status=submitted&period=2027&limit=%d&page=%d", assessments.MaxPageSize, page), token, nil, &list); err != nil || len(list) == 0 {
			break
		}
		for _, a := range list {
			all = append(all, a.ID)
		}
	}
	ids := make(chan int, len(all))
	for _, id := range all {
		ids <- id
	}
	close(ids)
	phase := &loadRun{o: r.o, base: r.base, stats: st, deadline: time.Now().Add(r.o.phase)}
	var (
		mu       sync.Mutex
		approved []int
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range r.o.respondents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				if !phase.more() {
					return
				}
				if phase.call(opIssue, http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/review", id), token, map[string]any{"decision": "approve"}, nil) == nil {
					mu.Lock()
					approved = append(approved, id)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	var cards [][]byte
	for _, id := range approved[:min(len(approved), 64)] {
		var c json.RawMessage
		if r.call("get card", http.MethodGet, fmt.Sprintf("/api/v1/assessments/%d/card", id), token, nil, &c) == nil {
			cards = append(cards, c)
		}
	}
	return took, cards
}

// verifyCards posts the cards to the public verifier from as many clients
// as there are respondents, for the phase's time; a report that the card
// is not valid counts as an error.
func (r *loadRun) verifyCards(st *loadStats, cards [][]byte) time.Duration {
	if len(cards) == 0 {
		return 0
	}
	deadline := time.Now().Add(r.o.phase)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range r.o.respondents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; time.Now().Before(deadline); i++ {
				t := time.Now()
				resp, err := loadClient.Post(r.base+"/api/v1/cards/verify", "application/json", bytes.NewReader(cards[i%len(cards)]))
				if err == nil {
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte(`{"valid":true`)) {
						err = fmt.Errorf("verify: %d %.200s", resp.StatusCode, body)
					}
				}
				st.record(opVerify, time.Since(t), err)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// rawInsertRate measures the ceiling the answer saves are bounded by:
// plain inserts of rows shaped like answers, one per transaction as each
// save commits, through the same driver with the same pragmas, from as
// many writers.
func rawInsertRate(path string, writers int, d time.Duration) (float64, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_foreign_keys=on&_busy_timeout=10000&_txlock=immediate")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE answers (assessment_id INTEGER, indicator_id TEXT, data BLOB, version INTEGER, updated_by_id INTEGER, updated_at DATETIME, PRIMARY KEY (assessment_id, indicator_id))`); err != nil {
		return 0, err
	}
	var n atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				_, err := db.Exec(`INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (assessment_id, indicator_id) DO UPDATE SET data = excluded.data, version = excluded.version`,
					w, "SERV."+strconv.Itoa(i%26), []byte(`{"level":3}`), i, w, time.Now().UTC())
				if err == nil {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / d.Seconds(), nil
}
