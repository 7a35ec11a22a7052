package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
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
