package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
)

// Some tests need a tool beyond Go: Chromium and axe-core (the browser
// tests), Node.js packages (the independent verifier), a PostgreSQL server
// (two instances). Without it they fail in CI (DMF_CI is set) and are
// skipped elsewhere; TestMain then says which and why even without -v, so
// that a plain "ok" does not hide them.
var skippedForTools struct {
	sync.Mutex
	lines []string
}

// needs fails the test in CI, or skips it saying what is missing and how
// to run it.
func needs(t testing.TB, what, how string) {
	t.Helper()
	if os.Getenv("DMF_CI") != "" {
		t.Fatalf("%s is not available; .ci/run provides it (%s)", what, how)
	}
	skippedForTools.Lock()
	skippedForTools.lines = append(skippedForTools.lines, fmt.Sprintf("  %s: no %s; to run it, %s", t.Name(), what, how))
	skippedForTools.Unlock()
	t.Skipf("no %s; to run it, %s", what, how)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if len(skippedForTools.lines) > 0 {
		tellSkipped(fmt.Sprintf("dmf: skipped for want of a tool (in CI they run, or fail):\n%s\n", strings.Join(skippedForTools.lines, "\n")))
	}
	os.Exit(code)
}

// tellSkipped writes to the test's standard error, which go test shows
// with -v or when testing the current directory; in package mode (go test
// ./...) it keeps a passing package's output to itself, so the note goes
// to the terminal as well, when there is one.
func tellSkipped(note string) {
	fmt.Fprint(os.Stderr, note)
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return // standard error is the terminal already
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		io.WriteString(tty, note)
		tty.Close()
	}
}
