package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/card"
)

// TestTwoInstancesShareOneDatabase runs two app processes over one
// PostgreSQL database and data directory: a session made on one works on
// the other, both issue cards at the same time, and the transparency log
// stays one sequence, each signed checkpoint consistent with the next,
// with every card included.
func TestTwoInstancesShareOneDatabase(t *testing.T) {
	admin := postgresAdmin(t)
	ctx := context.Background()
	db, drop, err := assessments.CreatePostgresDatabase(ctx, admin, "dmf_instances")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { drop(context.Background()) })
	dataDir := t.TempDir()
	setupInstance(t, db)
	a := start(t, db, "-data-dir", dataDir)
	b := start(t, db, "-data-dir", dataDir)

	// A session made on one instance works on the other.
	jar, _ := cookiejar.New(nil)
	br := &browser{t: t, base: a.base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	br.login("a@justice.kz", pw)
	ua, _ := url.Parse(a.base)
	req, _ := http.NewRequest(http.MethodGet, b.base+"/assessments", nil)
	for _, ck := range jar.Cookies(ua) {
		req.AddCookie(ck)
	}
	if resp, _ := br.do(req); resp.StatusCode != http.StatusOK {
		t.Errorf("session of instance A on instance B: %d", resp.StatusCode)
	}

	// Ten submitted assessments, approved half on each instance, all at once.
	resp := a.token("a@justice.kz")
	revs := []*api{a.token("reviewer@escap.org"), b.token("reviewer@escap.org")}
	answers := map[string]any{}
	_, ed := resp.call(http.MethodGet, "/api/v1/frameworks/escap-dmf-dps-sme", nil)
	for _, id := range answerCountries(t, b, ed) { // the country's through instance B
		answers[id] = map[string]any{"level": 3}
	}
	var ids []int
	for i := 0; i < 10; i++ {
		status, got := resp.call(http.MethodPost, "/api/v1/assessments", map[string]any{"framework": "escap-dmf-dps-sme", "period": 2026, "service": map[string]any{"name": fmt.Sprintf("Service %d", i), "category": "tax"}})
		if status != http.StatusCreated {
			t.Fatalf("create: %d %v", status, got)
		}
		id := int(got["id"].(float64))
		if status, got := resp.call(http.MethodPut, fmt.Sprintf("/api/v1/assessments/%d/answers", id), map[string]any{"answers": answers}); status != http.StatusOK {
			t.Fatalf("save: %d %v", status, got)
		}
		if status, got := resp.call(http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/submit", id), nil); status != http.StatusOK {
			t.Fatalf("submit: %d %v", status, got)
		}
		ids = append(ids, id)
	}
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, got, err := tryCall(revs[i%2], http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/review", id), map[string]any{"decision": "approve"})
			if err != nil || status != http.StatusOK {
				t.Errorf("approve %d on instance %d: %d %v %v", id, i%2, status, got, err)
			}
		}()
	}
	wg.Wait()

	// One log of size 10: the checkpoints signed along the way (one per
	// batch of approvals on either instance) each consistent with the next.
	_, info := revs[0].call(http.MethodGet, "/api/v1/log", nil)
	if info["size"].(float64) != 10 {
		t.Fatalf("log size %v, want 10", info["size"])
	}
	_, infoB := revs[1].call(http.MethodGet, "/api/v1/log", nil)
	if infoB["vkey"] != info["vkey"] {
		t.Error("the instances sign checkpoints with different keys")
	}
	vkey := info["vkey"].(string)
	hasher := rfc6962.DefaultHasher
	var signed []*card.Checkpoint
	for size := 1; size <= 10; size++ {
		status, c := revs[size%2].raw(http.MethodGet, fmt.Sprintf("/api/v1/log/checkpoint?size=%d", size), nil)
		if status == http.StatusNotFound {
			continue
		}
		cp, err := card.OpenCheckpoint(string(c), vkey)
		if err != nil {
			t.Fatalf("checkpoint %d: %v", size, err)
		}
		signed = append(signed, cp)
	}
	if len(signed) == 0 || signed[len(signed)-1].Size != 10 {
		t.Fatalf("no signed checkpoint of size 10 (%d signed)", len(signed))
	}
	for i := 1; i < len(signed); i++ {
		cp1, cp2 := signed[i-1], signed[i]
		_, raw := revs[0].raw(http.MethodGet, fmt.Sprintf("/api/v1/log/consistency?old=%d&new=%d", cp1.Size, cp2.Size), nil)
		var hashes [][]byte
		for _, line := range strings.Fields(string(raw)) {
			h, _ := base64.StdEncoding.DecodeString(line)
			hashes = append(hashes, h)
		}
		if err := proof.VerifyConsistency(hasher, uint64(cp1.Size), uint64(cp2.Size), hashes, cp1.Root[:], cp2.Root[:]); err != nil {
			t.Errorf("log forked between %d and %d: %v", cp1.Size, cp2.Size, err)
		}
	}
	// cardOf is the signed card of an approved assessment and its id.
	cardOf := func(id int) ([]byte, string) {
		_, data := revs[0].raw(http.MethodGet, fmt.Sprintf("/api/v1/assessments/%d/card", id), nil)
		var c struct{ ID string }
		json.Unmarshal(data, &c)
		return data, c.ID[strings.LastIndex(c.ID, "/")+1:]
	}
	// Every card is in the log and verifies on both instances.
	for _, id := range ids {
		data, cardID := cardOf(id)
		for _, r := range revs {
			_, pf := r.raw(http.MethodGet, "/api/v1/cards/"+cardID+"/tlog-proof", nil)
			if _, _, err := card.VerifyInclusion(data, string(pf), vkey); err != nil {
				t.Errorf("card of %d: %v", id, err)
			}
			if status, report := r.call(http.MethodPost, "/api/v1/cards/verify", string(data)); status != http.StatusOK || report["valid"] != true {
				t.Errorf("card of %d on %s: %v", id, r.base, report)
			}
		}
	}
	// Both instances keep what verification reads (keys, status lists,
	// proofs); a revocation on one counts on the other's next verification.
	data, cardID := cardOf(ids[0])
	if status, body := revs[0].call(http.MethodPost, "/api/v1/cards/"+cardID+"/revoke", map[string]string{"reason": "Evidence withdrawn."}); status != http.StatusOK {
		t.Fatalf("revoke on %s: %d %v", revs[0].base, status, body)
	}
	if status, report := revs[1].call(http.MethodPost, "/api/v1/cards/verify", string(data)); status != http.StatusOK || report["valid"] != false {
		t.Errorf("a card revoked on %s still verifies on %s: %v", revs[0].base, revs[1].base, report)
	}
}
