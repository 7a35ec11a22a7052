package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tdnote "github.com/transparency-dev/formats/note"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/card"
	"golang.org/x/mod/sumdb/note"
)

// The federation harness: real dmf server processes on loopback, each
// with its own database (SQLite, or PostgreSQL when the suite runs there:
// DMF_TEST_DATABASE=postgres) and its own keys, set up as a ministry or
// ESCAP would. Other files add subtests over it (federation_hub_test.go).

// fedAdmin is the administrator every federation instance has.
const fedAdmin = "admin@federation.example"

// fedInstance is one server of a federation.
type fedInstance struct {
	*process
	name    string
	db      string // its database
	dataDir string // its keys
	addr    string // host:port, fixed so that the base URL (and DID) stays across restarts
	admin   *api   // the administrator's API client
}

// freeAddr is a loopback address no one listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// fedDatabase is a new empty database for an instance.
func fedDatabase(t *testing.T, dir string) string {
	t.Helper()
	return testDatabase(t, filepath.Join(dir, "dmf.db"))
}

// startFederation starts one instance per name, each with the accounts of
// setupInstance and an administrator (fedAdmin), and returns them in
// order. extra gives an instance more flags (such as -peers).
func startFederation(t *testing.T, names ...string) []*fedInstance {
	t.Helper()
	var out []*fedInstance
	for _, name := range names {
		dir := t.TempDir()
		f := &fedInstance{name: name, dataDir: dir, addr: freeAddr(t)}
		f.db = fedDatabase(t, dir)
		f.start(t)
		out = append(out, f)
	}
	return out
}

// start sets up the instance's database (when new) and starts its server.
func (f *fedInstance) start(t *testing.T, extra ...string) {
	t.Helper()
	setupInstance(t, f.db)
	dmf(t, "users", "add", "-database", f.db, "-email", fedAdmin, "-password", pw, "-role", "admin")
	args := append([]string{"-addr", f.addr, "-base-url", "http://" + f.addr, "-data-dir", f.dataDir, "-admin-email", fedAdmin}, extra...)
	f.process = start(t, f.db, args...)
	f.admin = f.token(fedAdmin)
}

// restart stops the instance and starts it again on a new, empty database
// with the same keys and address: the same log identity over another
// history, as an operator restoring an old backup (or forking on purpose)
// would have it.
func (f *fedInstance) restartOnNewDatabase(t *testing.T, extra ...string) {
	t.Helper()
	f.kill()
	f.db = fedDatabase(t, t.TempDir())
	f.start(t, extra...)
}

// trust has f's administrator add other as a peer, check the fingerprints
// against what other publishes (as admins would over the phone), and
// confirm.
func (f *fedInstance) trust(t *testing.T, other *fedInstance) {
	t.Helper()
	status, p := f.admin.call(http.MethodPost, "/api/v1/peers", map[string]any{"base_url": other.base})
	if status != http.StatusCreated || p["status"] != assessments.PeerPending {
		t.Fatalf("%s adds %s: %d %v", f.name, other.name, status, p)
	}
	_, log := other.admin.call(http.MethodGet, "/api/v1/log", nil)
	_, witness := other.admin.call(http.MethodGet, "/api/v1/witness", nil)
	_, raw := other.admin.raw(http.MethodGet, "/.well-known/did.json", nil)
	doc, err := card.ParseDIDDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p["log_fingerprint"] != assessments.Fingerprint(log["vkey"].(string)) || p["witness_fingerprint"] != assessments.Fingerprint(witness["vkey"].(string)) {
		t.Fatalf("%s shows other fingerprints for %s than it publishes: %v", f.name, other.name, p)
	}
	keys := p["keys"].([]any)
	if len(keys) != len(doc.VerificationMethod) {
		t.Fatalf("%s shows %d issuer keys of %s, which publishes %d", f.name, len(keys), other.name, len(doc.VerificationMethod))
	}
	for i, k := range keys {
		if k.(map[string]any)["fingerprint"] != assessments.Fingerprint(doc.VerificationMethod[i].PublicKeyMultibase) {
			t.Fatalf("%s shows another fingerprint for %s's key %d", f.name, other.name, i)
		}
	}
	id := int(p["id"].(float64))
	if status, p := f.admin.call(http.MethodPost, fmt.Sprintf("/api/v1/peers/%d/confirm", id), nil); status != http.StatusOK || p["status"] != assessments.PeerTrusted {
		t.Fatalf("%s confirms %s: %d %v", f.name, other.name, status, p)
	}
}

// issueCard takes a new assessment on f through to its card and returns
// the card as issued.
func (f *fedInstance) issueCard(t *testing.T, service string) []byte {
	t.Helper()
	resp := f.token("a@justice.kz")
	_, ed := resp.call(http.MethodGet, "/api/v1/frameworks/escap-dmf-dps-sme", nil)
	answers := map[string]any{}
	for _, id := range answerCountries(t, f.process, ed) {
		answers[id] = map[string]any{"level": 3}
	}
	status, got := resp.call(http.MethodPost, "/api/v1/assessments", map[string]any{"framework": "escap-dmf-dps-sme", "period": 2026, "service": map[string]any{"name": service, "category": "tax"}})
	if status != http.StatusCreated {
		t.Fatalf("%s: create: %d %v", f.name, status, got)
	}
	id := int(got["id"].(float64))
	for _, step := range []struct {
		method, path string
		body         any
		who          *api
	}{
		{http.MethodPut, fmt.Sprintf("/api/v1/assessments/%d/answers", id), map[string]any{"answers": answers}, resp},
		{http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/submit", id), nil, resp},
		{http.MethodPost, fmt.Sprintf("/api/v1/assessments/%d/review", id), map[string]any{"decision": "approve"}, f.token("reviewer@escap.org")},
	} {
		if status, got := step.who.call(step.method, step.path, step.body); status != http.StatusOK {
			t.Fatalf("%s: %s %s: %d %v", f.name, step.method, step.path, status, got)
		}
	}
	_, data := resp.raw(http.MethodGet, fmt.Sprintf("/api/v1/assessments/%d/card", id), nil)
	return data
}

// witnessKey is f's witness verifier key.
func (f *fedInstance) witnessKey(t *testing.T) string {
	t.Helper()
	_, w := f.admin.call(http.MethodGet, "/api/v1/witness", nil)
	return w["vkey"].(string)
}

// eventually polls cond until it holds or a minute has passed: the
// federation's workers run on their own schedule.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// cosignedBy reports whether f's latest checkpoint, as served at
// /log/checkpoint, has size and carries a valid cosignature of every
// witness, besides the log's own signature.
func (f *fedInstance) cosignedBy(t *testing.T, size int64, witnesses ...*fedInstance) bool {
	t.Helper()
	_, log := f.admin.call(http.MethodGet, "/api/v1/log", nil)
	lv, err := note.NewVerifier(log["vkey"].(string))
	if err != nil {
		t.Fatal(err)
	}
	verifiers := []note.Verifier{lv}
	for _, w := range witnesses {
		v, err := tdnote.NewVerifierForCosignatureV1(w.witnessKey(t))
		if err != nil {
			t.Fatal(err)
		}
		verifiers = append(verifiers, v)
	}
	resp, err := http.Get(f.base + "/log/checkpoint")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	signed, err := io.ReadAll(resp.Body)
	if err != nil {
		return false
	}
	n, err := note.Open(signed, note.VerifierList(verifiers...))
	if err != nil {
		return false
	}
	cp, err := card.OpenCheckpoint(string(signed), log["vkey"].(string))
	return err == nil && cp.Size == size && len(n.Sigs) == len(verifiers)
}

// notified reports whether f's administrator has a notification of kind.
func (f *fedInstance) notified(t *testing.T, kind string) bool {
	t.Helper()
	_, got := f.admin.call(http.MethodGet, "/api/v1/notifications", nil)
	for _, n := range got["list"].([]any) {
		if n.(map[string]any)["kind"] == kind {
			return true
		}
	}
	return false
}

// TestFederation: two ministries (A, B) and ESCAP's hub, each its own
// dmf process, database and keys. They confirm each other by fingerprint;
// A's checkpoints are cosigned by B and the hub and served with both
// cosignatures; a fork of A's log (A's keys over another history) is
// caught by B's witness: refused with 409, kept as evidence, and both
// sides' admins are told.
func TestFederation(t *testing.T) {
	fed := startFederation(t, "A", "B", "hub")
	a, b, hub := fed[0], fed[1], fed[2]

	t.Run("peers confirmed by fingerprint", func(t *testing.T) {
		a.trust(t, b)
		a.trust(t, hub)
		b.trust(t, a)
		hub.trust(t, a)
		hub.trust(t, b)
		_, list := a.admin.call(http.MethodGet, "/api/v1/peers", nil)
		if n := len(list["list"].([]any)); n != 2 {
			t.Errorf("A lists %d peers, want 2", n)
		}
	})

	t.Run("A's checkpoints cosigned by B and the hub", func(t *testing.T) {
		a.issueCard(t, "Business registration")
		eventually(t, "A's checkpoint 1 cosigned by B and the hub", func() bool { return a.cosignedBy(t, 1, b, hub) })
		issued := a.issueCard(t, "Company licensing")
		eventually(t, "A's checkpoint 2 cosigned by B and the hub", func() bool { return a.cosignedBy(t, 2, b, hub) })
		// The card's tlog-proof carries the cosignatures too.
		var c struct{ ID string }
		json.Unmarshal(issued, &c)
		_, proof := a.admin.raw(http.MethodGet, "/api/v1/cards/"+c.ID[strings.LastIndex(c.ID, "/")+1:]+"/tlog-proof", nil)
		if !strings.Contains(string(proof), "— "+b.addr+"/witness ") || !strings.Contains(string(proof), "— "+hub.addr+"/witness ") {
			t.Errorf("the card's tlog-proof lacks the cosignatures:\n%s", proof)
		}
		status, raw := a.admin.raw(http.MethodGet, "/metrics", nil)
		if status != http.StatusOK || !strings.Contains(string(raw), `dmf_witness_pushes_total{outcome="cosigned"}`) {
			t.Errorf("metrics: %d", status)
		}
	})

	t.Run("a forked log is caught by the witness", func(t *testing.T) {
		// A's keys and address over a new database: another history of the
		// same log. It trusts B from the start (DMF_PEERS) and pushes to it.
		a.restartOnNewDatabase(t, "-peers", b.base)
		eventually(t, "the restarted A trusts B from DMF_PEERS", func() bool {
			_, list := a.admin.call(http.MethodGet, "/api/v1/peers", nil)
			peers := list["list"].([]any)
			return len(peers) == 1 && peers[0].(map[string]any)["status"] == assessments.PeerTrusted
		})
		a.issueCard(t, "A rewritten history")
		a.issueCard(t, "Another rewritten entry")
		eventually(t, "B refuses the fork and tells its admins", func() bool { return b.notified(t, assessments.NoticeSplitView) })
		eventually(t, "the forked log's admins are told", func() bool { return a.notified(t, assessments.NoticeSplitView) })
		_, audit := b.admin.raw(http.MethodGet, "/api/v1/audit?action=witness.inconsistent", nil)
		if !strings.Contains(string(audit), `"action":"witness.inconsistent"`) { // its after names the evidence row kept
			t.Errorf("B kept no evidence: %s", audit)
		}
		// B's admins see the evidence on the peers page.
		jar, _ := cookiejar.New(nil)
		br := &browser{t: t, base: b.base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		br.login(fedAdmin, pw)
		if _, page := br.get("/admin/peers"); !strings.Contains(page, "a split view") || !strings.Contains(page, "old ") {
			t.Errorf("B's peers page shows no evidence")
		}
		// B answers the fork's checkpoint with 409 whatever the old size.
		body := forkRequest(t, a, 2)
		resp, err := http.Post(b.base+"/api/v1/witness/add-checkpoint", "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("B answers the forked checkpoint of size 2 with %d, want 409", resp.StatusCode)
		}
		if a.cosignedBy(t, 2, b) {
			t.Errorf("the fork got B's cosignature")
		}
	})
}

// forkRequest is an add-checkpoint body for f's latest checkpoint from
// old, read from f's public log API as any client could.
func forkRequest(t *testing.T, f *fedInstance, old int64) string {
	t.Helper()
	_, cp := f.admin.raw(http.MethodGet, "/api/v1/log/checkpoint", nil)
	return fmt.Sprintf("old %d\n\n%s", old, cp)
}
