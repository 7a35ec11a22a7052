package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/unescap/dmf/assessments"
)

// TestLoadtestCommand runs a small load test end to end: every operation
// is reported with its rates and percentiles and no errors, the memory and
// raw-ceiling lines are there, and what the simulated users did is really
// in the database afterwards (assessments created, cards issued).
func TestLoadtestCommand(t *testing.T) {
	sqliteOnly(t)
	db := filepath.Join(t.TempDir(), "load.db")
	out := dmf(t, "loadtest", "-respondents", "4", "-reviewers", "1", "-duration", "4s",
		"-max-assessments", "6", "-compare-seed", "300", "-raw-duration", "1s", "-database", db,
		"-cards", "40", "-phase-duration", "2s")

	row := regexp.MustCompile(`(?m)^\s*(save answer|create assessment|submit|approve and issue card|compare 10 countries|sign in|issue card \(phase\)|verify card \(phase\))\s+(\d+)\s+(\d+)\s+([\d.]+) ms\s+([\d.]+) ms\s+([\d.]+) ms\s+(\d+)\s*$`)
	counts := map[string]int{}
	for _, m := range row.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[2])
		counts[m[1]] = n
		if m[7] != "0" {
			t.Errorf("%s: %s errors\n%s", m[1], m[7], out)
		}
	}
	for _, op := range []string{"sign in", "create assessment", "save answer", "submit", "approve and issue card", "compare 10 countries", "issue card (phase)", "verify card (phase)"} {
		if counts[op] == 0 {
			t.Errorf("no %q reported\n%s", op, out)
		}
	}
	if counts["create assessment"] > 6 {
		t.Errorf("created %d assessments, beyond -max-assessments 6", counts["create assessment"])
	}
	if !regexp.MustCompile(`server peak resident memory: [1-9][\d.]* MB`).MatchString(out) {
		t.Errorf("no peak memory line\n%s", out)
	}
	if !regexp.MustCompile(`raw ceiling: [1-9]\d* single-row inserts/s .* answer saves reach \d+% of it`).MatchString(out) {
		t.Errorf("no raw ceiling line\n%s", out)
	}
	for _, line := range []string{`card issuance: [1-9]\d* cards/s`, `card verification: [1-9]\d* verifications/s`, `answer saves: [1-9]\d*/s = [\d.]+ × the raw ceiling, p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms`} {
		if !regexp.MustCompile(line).MatchString(out) {
			t.Errorf("no line %q\n%s", line, out)
		}
	}

	ctx := context.Background()
	store, err := openStore(ctx, db, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	reviewer := assessments.Actor{Role: assessments.RoleReviewer}
	approved, err := store.Assessments(ctx, reviewer, assessments.Filter{Status: assessments.StatusApproved, Period: 2026})
	if err != nil {
		t.Fatal(err)
	}
	if len(approved) != counts["approve and issue card"] {
		t.Errorf("%d approved in the database, %d approvals reported", len(approved), counts["approve and issue card"])
	}
	for _, a := range approved {
		if _, err := store.CardOf(ctx, reviewer, a.ID); err != nil {
			t.Errorf("assessment %d approved without a card: %v", a.ID, err)
		}
	}
}
