package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfig(t *testing.T) {
	cfg, err := loadConfig("serve", nil, env(map[string]string{"DMF_ADDR": "0.0.0.0:9000", "DMF_DATABASE": "/var/lib/dmf/x.db"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "0.0.0.0:9000" || cfg.BaseURL != "http://0.0.0.0:9000" || cfg.DataDir != "/var/lib/dmf" || cfg.Secure() {
		t.Errorf("from env: %+v", cfg)
	}
	cfg, err = loadConfig("serve", []string{"-addr", "127.0.0.1:1", "-base-url", "https://dmf.example.org/"},
		env(map[string]string{"DMF_ADDR": "0.0.0.0:9000"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:1" || cfg.BaseURL != "https://dmf.example.org" || !cfg.Secure() {
		t.Errorf("flags over env: %+v", cfg)
	}
	for _, bad := range [][]string{{"-base-url", "ftp://x"}, {"-addr", "nonsense"}, {"-log-level", "loud"}, {"extra"}} {
		if _, err := loadConfig("serve", bad, env(nil), io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestFrameworksValidateCommand(t *testing.T) {
	dir := t.TempDir()
	good, _ := os.ReadFile("../frameworks/data/escap-dmf-dps-sme-1.0.0.yaml")
	bad := bytes.Replace(good, []byte("weight: 20"), []byte("weight: -20"), 1)
	os.WriteFile(filepath.Join(dir, "good.yaml"), good, 0o644)
	os.WriteFile(filepath.Join(dir, "bad.yaml"), bad, 0o644)

	var out bytes.Buffer
	if err := run(context.Background(), []string{"frameworks", "validate", filepath.Join(dir, "good.yaml")}, env(nil), nil, &out, io.Discard); err != nil {
		t.Fatalf("valid file: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "ok: escap-dmf-dps-sme 1.0.0, 7 dimensions, 26 indicators") {
		t.Errorf("output: %s", out.String())
	}
	out.Reset()
	err := run(context.Background(), []string{"frameworks", "validate", filepath.Join(dir, "bad.yaml")}, env(nil), nil, &out, io.Discard)
	if exitCode(err) != 1 {
		t.Errorf("broken file: exit %d (%v)", exitCode(err), err)
	}
	if !strings.Contains(out.String(), "bad.yaml:") || !strings.Contains(out.String(), "dimensions[1].weight: must be greater than 0") {
		t.Errorf("output lacks the located problem: %s", out.String())
	}
	// An edition that continues another is checked against it when the
	// other is given too (or built in), and still validates alone.
	next, _ := os.ReadFile("../frameworks/testdata/all-types-0.2.0.yaml")
	os.WriteFile(filepath.Join(dir, "next.yaml"), next, 0o644)
	os.WriteFile(filepath.Join(dir, "next-bad.yaml"), bytes.Replace(next, []byte("replaces: [A.4]"), []byte("replaces: [A.9]"), 1), 0o644)
	prev := "../frameworks/testdata/all-types.yaml"
	out.Reset()
	if err := run(context.Background(), []string{"frameworks", "validate", filepath.Join(dir, "next.yaml")}, env(nil), nil, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "replaces not checked") || !strings.Contains(out.String(), "ok: test-all-types 0.2.0") {
		t.Errorf("next edition alone: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"frameworks", "validate", prev, filepath.Join(dir, "next.yaml")}, env(nil), nil, &out, io.Discard); err != nil ||
		strings.Contains(out.String(), "not checked") {
		t.Errorf("next edition with its previous: %v\n%s", err, out.String())
	}
	out.Reset()
	err = run(context.Background(), []string{"frameworks", "validate", filepath.Join(dir, "next-bad.yaml"), prev}, env(nil), nil, &out, io.Discard)
	if exitCode(err) != 1 || !strings.Contains(out.String(), `next-bad.yaml:80: dimensions[0].indicators[4].replaces[0]: test-all-types@0.1.0 has no indicator "A.9"`) {
		t.Errorf("next edition replacing an unknown indicator: exit %d\n%s", exitCode(err), out.String())
	}
	if exitCode(run(context.Background(), []string{"frameworks"}, env(nil), nil, io.Discard, io.Discard)) != 2 {
		t.Error("usage error is not exit 2")
	}
	if exitCode(run(context.Background(), []string{"bogus"}, env(nil), nil, io.Discard, io.Discard)) != 2 {
		t.Error("unknown command is not exit 2")
	}
}

// TestServeAndShutdown runs the real serve loop on a free port, makes a
// request, and checks that cancelling (as SIGTERM does) stops it cleanly.
func TestServeAndShutdown(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-database", filepath.Join(dir, "dmf.db")}, env(nil), nil, pw, io.Discard)
		pw.Close()
	}()
	out := bufio.NewReader(pr)
	var addr, password string
	for addr == "" {
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "    ") {
			password = strings.TrimSpace(line)
		}
		if rest, ok := strings.CutPrefix(line, "DMF is listening on "); ok {
			addr = strings.Fields(rest)[0]
		}
	}
	go io.Copy(io.Discard, pr)
	if len(password) < 20 {
		t.Errorf("no one-time administrator password printed on first start (got %q)", password)
	}
	resp, err := http.Get(addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(dir, "dmf.db-wal")); err != nil {
		t.Errorf("database not in WAL mode: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop")
	}
}

// TestServeOnBusyAddress: starting where another program already listens
// stops at once with a message naming the address and the setting to
// change, before anything is created: no database, no administrator, no
// one-time password printed for an instance that never ran.
func TestServeOnBusyAddress(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	err = run(context.Background(), []string{"serve", "-addr", busy.Addr().String(), "-database", filepath.Join(dir, "dmf.db")}, env(nil), nil, &out, &errOut)
	if exitCode(err) == 0 {
		t.Fatal("started on a busy address")
	}
	for _, want := range []string{busy.Addr().String(), "-addr", "DMF_ADDR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not name %s", err, want)
		}
	}
	if out.Len() > 0 {
		t.Errorf("printed on a failed start: %q", out.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("a failed start created %v", entries)
	}
}

// TestConfigEnvironmentIsStrict: every variable is parsed as strictly as
// its flag, and a bad value stops the start naming the variable.
func TestConfigEnvironmentIsStrict(t *testing.T) {
	for _, tc := range []struct {
		key, value, want string
	}{
		{"DMF_PUBLIC_MIN_SERVICES", "three", `DMF_PUBLIC_MIN_SERVICES: "three" is not an integer`},
		{"DMF_PUBLIC_MIN_SERVICES", "0", "DMF_PUBLIC_MIN_SERVICES: 0 must be at least 1"},
		{"DMF_SHUTDOWN_TIMEOUT", "15", `DMF_SHUTDOWN_TIMEOUT: "15" is not a duration`},
		{"DMF_SHUTDOWN_TIMEOUT", "-1s", "DMF_SHUTDOWN_TIMEOUT: -1s must not be negative"},
		{"DMF_LOGIN_DELAY", "fast", `DMF_LOGIN_DELAY: "fast" is not a duration`},
		{"DMF_LOG_LEVEL", "loud", `DMF_LOG_LEVEL: "loud" is not a log level`},
		{"DMF_LOG_FORMAT", "xml", `DMF_LOG_FORMAT: "xml" is not a log format`},
		{"DMF_ADDR", "nonsense", `DMF_ADDR: address "nonsense"`},
		{"DMF_BASE_URL", "ftp://x", `DMF_BASE_URL: "ftp://x" must be an absolute http or https URL`},
		{"DMF_PPROF_ADDR", "0.0.0.0:6060", `DMF_PPROF_ADDR: "0.0.0.0:6060" must be a loopback address`},
		{"DMF_METRICS_ADDR", "9090", `DMF_METRICS_ADDR: address "9090"`},
		{"DMF_REQUIRE_MFA", "reviewers", `DMF_REQUIRE_MFA (-require-mfa): "reviewers" is not a role`},
	} {
		getenv := env(map[string]string{tc.key: tc.value})
		_, err := loadConfig("serve", nil, getenv, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%s: %v, want %q", tc.key, tc.value, err, tc.want)
		}
		// The same value as a flag fails too.
		flagName := "-" + strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(tc.key, "DMF_")), "_", "-")
		if _, err := loadConfig("serve", []string{flagName, tc.value}, env(nil), io.Discard); err == nil {
			t.Errorf("%s %s accepted", flagName, tc.value)
		}
	}
	// run stops before opening anything.
	err := run(context.Background(), []string{"serve"}, env(map[string]string{"DMF_PUBLIC_MIN_SERVICES": "three"}), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `DMF_PUBLIC_MIN_SERVICES: "three" is not an integer`) {
		t.Errorf("run: %v", err)
	}
	// Good values arrive.
	cfg, err := loadConfig("serve", nil, env(map[string]string{"DMF_PUBLIC_MIN_SERVICES": "5", "DMF_SHUTDOWN_TIMEOUT": "3s",
		"DMF_LOGIN_DELAY": "1s", "DMF_LOG_LEVEL": "debug", "DMF_TRUSTED_DIDS": "a.json, b.json", "DMF_METRICS_ADDR": ":9090"}), io.Discard)
	if err != nil || cfg.PublicMinServices != 5 || cfg.ShutdownTimeout != 3*time.Second || cfg.LoginDelay != time.Second ||
		cfg.LogLevel != slog.LevelDebug || len(cfg.TrustedDIDs) != 2 || cfg.MetricsAddr != ":9090" {
		t.Errorf("good values: %v %+v", err, cfg)
	}
}

// TestEverySettingIsDocumented: each flag of serve names its variable in
// its help, and README.md's settings table lists both.
func TestEverySettingIsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var help bytes.Buffer
	loadConfig("serve", []string{"-h"}, env(nil), &help)
	for _, line := range strings.Split(help.String(), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "-") || strings.HasPrefix(line, "-demo") {
			continue
		}
		name := strings.Fields(line)[0][1:]
		row := fmt.Sprintf("| `-%s` | `%s` |", name, envName(name))
		if !bytes.Contains(readme, []byte(row)) {
			t.Errorf("README.md's settings table lacks the row %s", row)
		}
	}
	if !strings.Contains(help.String(), "(DMF_METRICS_ADDR)") {
		t.Errorf("help does not name the variables:\n%s", help.String())
	}
}

// An overlay given to `dmf frameworks validate` (as CI's glob over the
// edition files gives them) is checked against the edition beside it: a
// complete one is ok, one missing a text names it, and neither changes
// the edition's digest.
func TestFrameworksValidateOverlay(t *testing.T) {
	dir := t.TempDir()
	edition, _ := os.ReadFile("../frameworks/data/escap-dmf-dps-sme-1.1.0.yaml")
	overlay, _ := os.ReadFile("../frameworks/data/escap-dmf-dps-sme-1.1.0.fr.yaml")
	os.WriteFile(filepath.Join(dir, "ed-1.1.0.yaml"), edition, 0o644)
	os.WriteFile(filepath.Join(dir, "ed-1.1.0.fr.yaml"), overlay, 0o644)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"frameworks", "validate", filepath.Join(dir, "ed-1.1.0.fr.yaml")}, env(nil), nil, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "ok: fr translation of escap-dmf-dps-sme 1.1.0, outside its pinned digest sha256:") {
		t.Fatalf("complete overlay: %v\n%s", err, out.String())
	}
	// Empty the publisher and move its French text under a key editions do not have.
	i := bytes.Index(overlay, []byte("\npublisher:"))
	if i < 0 {
		t.Fatal("the overlay has no publisher")
	}
	broken := append(append([]byte{}, overlay[:i+1]...), bytes.Replace(overlay[i+1:], []byte("publisher:"), []byte("publisher: {}\nunused:"), 1)...)
	os.WriteFile(filepath.Join(dir, "ed-1.1.0.fr.yaml"), broken, 0o644)
	out.Reset()
	err := run(context.Background(), []string{"frameworks", "validate", filepath.Join(dir, "ed-1.1.0.yaml"), filepath.Join(dir, "ed-1.1.0.fr.yaml")}, env(nil), nil, &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "ed-1.1.0.fr.yaml") {
		t.Errorf("broken overlay accepted: %v\n%s", err, out.String())
	}
}
