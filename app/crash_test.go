package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments/card"
)

// process is the real dmf binary running as a subprocess.
type process struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	out  *bytes.Buffer
	done chan error
}

// buildBinary compiles the app once per test binary run.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "dmf-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "dmf")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func binary(t *testing.T) string {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// dmf runs a command of the binary to completion.
func dmf(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(binary(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dmf %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// start runs the server on a free port and waits until it listens.
func start(t *testing.T, database string, extra ...string) *process {
	t.Helper()
	// The processes sign in as a reviewer with a password alone: the
	// second factor DMF_REQUIRE_MFA asks of reviewers by default has its
	// own tests (secondfactor_test.go), which run with the default.
	args := append([]string{"serve", "-addr", "127.0.0.1:0", "-database", database, "-login-delay", "1ms", "-log-level", "warn", "-require-mfa", "none"}, extra...)
	cmd := exec.Command(binary(t), args...)
	stdout, _ := cmd.StdoutPipe()
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, cmd: cmd, out: &errBuf, done: make(chan error, 1)}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "DMF is listening on "); ok {
			p.base = strings.Fields(rest)[0]
			break
		}
	}
	if p.base == "" {
		cmd.Process.Kill()
		t.Fatalf("server did not start:\n%s", errBuf.String())
	}
	go io.Copy(io.Discard, stdout)
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	return p
}

func (p *process) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *process) token(email string) *api {
	c := &api{t: p.t, base: p.base}
	status, body := c.call(http.MethodPost, "/api/v1/tokens", map[string]string{"email": email, "password": pw})
	if status != http.StatusCreated {
		p.t.Fatalf("token %s: %d %v", email, status, body)
	}
	c.token = body["token"].(string)
	return c
}

// tryCall is call without failing the test on a dropped connection: the
// crash test expects some requests to die with the server.
func tryCall(c *api, method, path string, body any) (int, map[string]any, error) {
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, out, nil
}

// setupInstance creates the accounts with the command line.
func setupInstance(t *testing.T, db string) {
	t.Helper()
	dmf(t, "users", "add", "-database", db, "-email", "a@justice.kz", "-password", pw, "-role", "respondent", "-org", "Ministry of Justice", "-country", "KAZ")
	dmf(t, "users", "add", "-database", db, "-email", "b@tax.uz", "-password", pw, "-role", "respondent", "-org", "Tax Committee", "-country", "UZB")
	dmf(t, "users", "add", "-database", db, "-email", "reviewer@escap.org", "-password", pw, "-role", "reviewer")
	// The coordinators answer the default edition's country indicators,
	// without which the respondents' submissions are refused.
	dmf(t, "users", "add", "-database", db, "-email", "coordinator@digital.kz", "-password", pw, "-role", "coordinator", "-org", "Ministry of Justice", "-country", "KAZ")
	dmf(t, "users", "add", "-database", db, "-email", "coordinator@digital.uz", "-password", pw, "-role", "coordinator", "-org", "Tax Committee", "-country", "UZB")
}

// answerCountries has the coordinators of setupInstance answer the
// framework's scope: country indicators for 2026 through the API, and
// returns the indicators that remain the services' to answer.
func answerCountries(t *testing.T, srv *process, ed map[string]any) []string {
	t.Helper()
	var service []string
	country := map[string]any{}
	for _, d := range ed["dimensions"].([]any) {
		for _, ind := range d.(map[string]any)["indicators"].([]any) {
			ind := ind.(map[string]any)
			if ind["scope"] == "country" {
				country[ind["id"].(string)] = map[string]any{"level": 3}
			} else {
				service = append(service, ind["id"].(string))
			}
		}
	}
	if len(country) == 0 {
		return service
	}
	for code, email := range map[string]string{"KAZ": "coordinator@digital.kz", "UZB": "coordinator@digital.uz"} {
		path := fmt.Sprintf("/api/v1/countries/%s/answers?framework=%s&version=%s&period=2026", code, ed["id"], ed["version"])
		if status, got := srv.token(email).call(http.MethodPut, path, map[string]any{"answers": country}); status != http.StatusOK {
			t.Fatalf("%s's coordinator: %d %v", code, status, got)
		}
	}
	return service
}

// acked is what the clients were told was saved, and what was in flight
// when the server died.
type acked struct {
	mu        sync.Mutex
	levels    map[int]map[string]int // assessment → indicator → last acknowledged level
	inflight  map[int]map[string]int // assessment → indicators of the request in flight
	submitted map[int]bool
	approved  map[int]bool
}

// TestCrashKeepsAcknowledgedSaves kills the server with SIGKILL in the
// middle of concurrent saves, submissions and approvals (which issue cards
// and append to the log), restarts it, and checks that every save that
// was acknowledged with 2xx is there and the log is whole. A backup taken
// while the server was writing starts and verifies too.
func TestCrashKeepsAcknowledgedSaves(t *testing.T) {
	sqliteOnly(t)
	if testing.Short() {
		t.Skip("starts the real binary")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "dmf.db")
	setupInstance(t, db)
	srv := start(t, db)
	resp := []*api{srv.token("a@justice.kz"), srv.token("b@tax.uz")}
	rev := srv.token("reviewer@escap.org")
	_, ed := rev.call(http.MethodGet, "/api/v1/frameworks/escap-dmf-dps-sme", nil)
	indicators := answerCountries(t, srv, ed)
	st := &acked{levels: map[int]map[string]int{}, inflight: map[int]map[string]int{}, submitted: map[int]bool{}, approved: map[int]bool{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	worker := func(c *api, w int) {
		defer wg.Done()
		for round := 0; ; round++ {
			status, a, err := tryCall(c, http.MethodPost, "/api/v1/assessments", map[string]any{
				"framework": "escap-dmf-dps-sme", "period": 2026, "service": map[string]any{"name": fmt.Sprintf("Service %d-%d", w, round), "category": "tax"}})
			if err != nil || status != http.StatusCreated {
				return
			}
			id := int(a["id"].(float64))
			version := int(a["version"].(float64))
			st.mu.Lock()
			st.levels[id] = map[string]int{}
			st.mu.Unlock()
			for i := 0; i < len(indicators); i += 3 {
				batch := map[string]any{}
				sent := map[string]int{}
				for _, ind := range indicators[i:min(i+3, len(indicators))] {
					k := 1 + (i+w+round)%5
					batch[ind] = map[string]any{"level": k}
					sent[ind] = k
				}
				st.mu.Lock()
				st.inflight[id] = sent
				st.mu.Unlock()
				status, got, err := tryCall(c, http.MethodPut, fmt.Sprintf("/api/v1/assessments/%d/answers", id), map[string]any{"version": version, "answers": batch})
				if err != nil || status != http.StatusOK {
					return // the server died mid-request: this save was never acknowledged
				}
				version = int(got["version"].(float64))
				st.mu.Lock()
				for k, v := range sent {
					st.levels[id][k] = v
				}
				delete(st.inflight, id)
				st.mu.Unlock()
				select {
				case <-stop:
					return
				default:
				}
			}
			status, _, err = tryCall(c, http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/submit", id), nil)
			if err != nil || status != http.StatusOK {
				return
			}
			st.mu.Lock()
			st.submitted[id] = true
			st.mu.Unlock()
			status, _, err = tryCall(rev, http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/review", id), map[string]any{"decision": "approve"})
			if err != nil || status != http.StatusOK {
				return
			}
			st.mu.Lock()
			st.approved[id] = true
			st.mu.Unlock()
		}
	}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go worker(resp[w%2], w)
	}
	time.Sleep(1500 * time.Millisecond)
	// An online backup while the workers write.
	backup := filepath.Join(dir, "backup.db")
	dmf(t, "backup", "-database", db, backup)
	time.Sleep(700 * time.Millisecond)
	srv.kill()
	close(stop)
	wg.Wait()

	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.approved) == 0 {
		t.Fatalf("no approval finished before the kill; the test proves nothing (saves acknowledged: %d)", len(st.levels))
	}
	srv2 := start(t, db)
	rev2 := srv2.token("reviewer@escap.org")
	checked := 0
	for id, levels := range st.levels {
		status, got := rev2.call(http.MethodGet, fmt.Sprintf("/api/v1/assessments/%d", id), nil)
		if status != http.StatusOK {
			t.Errorf("assessment %d lost after the crash: %d", id, status)
			continue
		}
		answers := got["answers"].(map[string]any)
		for ind, want := range levels {
			ans, ok := answers[ind].(map[string]any)
			inflight, wasInFlight := st.inflight[id][ind]
			switch {
			case !ok:
				t.Errorf("assessment %d: acknowledged answer %s is missing", id, ind)
			case int(ans["level"].(float64)) == want:
			case wasInFlight && int(ans["level"].(float64)) == inflight:
				// committed just before the kill, not yet acknowledged
			default:
				t.Errorf("assessment %d: %s is %v, acknowledged %d", id, ind, ans["level"], want)
			}
			checked++
		}
		if st.submitted[id] && got["status"] != "submitted" && got["status"] != "approved" {
			t.Errorf("assessment %d: acknowledged submission lost (status %v)", id, got["status"])
		}
		if st.approved[id] && got["status"] != "approved" {
			t.Errorf("assessment %d: acknowledged approval lost", id)
		}
	}
	t.Logf("%d acknowledged answers in %d assessments, %d approvals survived SIGKILL", checked, len(st.levels), len(st.approved))
	checkLog(t, srv2.base, rev2)
	srv2.cmd.Process.Signal(syscall.SIGTERM)
	<-srv2.done

	// The backup is a working instance: its cards and log verify.
	keys := filepath.Join(dir, "keys")
	restoreDir := t.TempDir()
	if out, err := exec.Command("cp", "-r", keys, filepath.Join(restoreDir, "keys")).CombinedOutput(); err != nil {
		t.Fatalf("copy keys: %v %s", err, out)
	}
	restored := filepath.Join(restoreDir, "dmf.db")
	if err := os.Rename(backup, restored); err != nil {
		t.Fatal(err)
	}
	srv3 := start(t, restored)
	checkLog(t, srv3.base, srv3.token("reviewer@escap.org"))
}

// checkLog checks that the latest checkpoint verifies with the log key and
// that every issued card is in the log and verifies.
func checkLog(t *testing.T, base string, rev *api) {
	t.Helper()
	_, info := rev.call(http.MethodGet, "/api/v1/log", nil)
	size := int64(info["size"].(float64))
	// The list comes in pages: read them all.
	var approved []any
	for page := 1; ; page++ {
		_, list := rev.call(http.MethodGet, fmt.Sprintf("/api/v1/assessments?status=approved&limit=200&page=%d", page), nil)
		items, _ := list["list"].([]any)
		approved = append(approved, items...)
		if len(items) < 200 {
			break
		}
	}
	if int64(len(approved)) != size {
		t.Errorf("%d approved assessments but the log has %d entries", len(approved), size)
	}
	if size == 0 {
		return
	}
	_, cp := rev.raw(http.MethodGet, "/api/v1/log/checkpoint", nil)
	if _, err := card.OpenCheckpoint(string(cp), info["vkey"].(string)); err != nil {
		t.Fatalf("checkpoint does not verify: %v", err)
	}
	for _, item := range approved {
		id := int(item.(map[string]any)["id"].(float64))
		status, data := rev.raw(http.MethodGet, fmt.Sprintf("/api/v1/assessments/%d/card", id), nil)
		if status != http.StatusOK {
			t.Errorf("approved assessment %d has no card: %d", id, status)
			continue
		}
		var c struct{ ID string }
		json.Unmarshal(data, &c)
		_, proof := rev.raw(http.MethodGet, "/api/v1/cards/"+c.ID[strings.LastIndex(c.ID, "/")+1:]+"/tlog-proof", nil)
		if _, _, err := card.VerifyInclusion(data, string(proof), info["vkey"].(string)); err != nil {
			t.Errorf("card of %d is not in the log: %v", id, err)
		}
		status, report := rev.call(http.MethodPost, "/api/v1/cards/verify", string(data))
		if status != http.StatusOK || report["valid"] != true {
			t.Errorf("card of %d does not verify: %v", id, report)
		}
	}
}

// TestGracefulShutdownFinishesRequests sends SIGTERM while a request is
// still uploading its body; the request completes and the process exits 0.
func TestGracefulShutdownFinishesRequests(t *testing.T) {
	sqliteOnly(t)
	if testing.Short() {
		t.Skip("starts the real binary")
	}
	db := filepath.Join(t.TempDir(), "dmf.db")
	setupInstance(t, db)
	srv := start(t, db)
	c := srv.token("a@justice.kz")
	_, a := c.call(http.MethodPost, "/api/v1/assessments", map[string]any{"framework": "escap-dmf-dps-sme", "period": 2026, "service": map[string]any{"name": "Slow", "category": "tax"}})
	id := int(a["id"].(float64))
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/api/v1/assessments/%d/answers", srv.base, id), pr)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	type result struct {
		status int
		err    error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			res <- result{0, err}
			return
		}
		resp.Body.Close()
		res <- result{resp.StatusCode, nil}
	}()
	body := `{"answers": {"SERV.1": {"level": 4}}}`
	pw.Write([]byte(body[:10]))
	time.Sleep(300 * time.Millisecond) // the request is in flight
	srv.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	pw.Write([]byte(body[10:]))
	pw.Close()
	r := <-res
	if r.err != nil || r.status != http.StatusOK {
		t.Errorf("in-flight request during shutdown: %d %v", r.status, r.err)
	}
	select {
	case err := <-srv.done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, srv.out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop after SIGTERM")
	}
}
