package peers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/unescap/dmf/assessments"
)

// Outcomes of a push, for metrics.
const (
	Cosigned = "cosigned" // the witness cosigned
	Failed   = "failed"   // not now (unreachable, not trusted there yet): retried later
	Refused  = "refused"  // refused as inconsistent: reported, not retried
)

// Witnesser pushes this log's checkpoints to the trusted peers' witnesses
// (C2SP tlog-witness) from the domain's outbox, retrying with exponential
// back-off; the cosignatures it gets back are served with the checkpoint.
type Witnesser struct {
	Store  *assessments.Store
	Client *Client
	Log    *slog.Logger
	// Poll is how long an idle worker waits before looking again.
	Poll time.Duration
	// Backoff is the wait after the first failure; it doubles after each
	// further one, up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// Pushed is told the outcome of every push (Cosigned, Failed,
	// Refused), for metrics; may be nil.
	Pushed func(outcome string)
}

func (w *Witnesser) defaults() {
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	if w.Client == nil {
		w.Client = &Client{}
	}
	if w.Poll == 0 {
		w.Poll = time.Second
	}
	if w.Backoff == 0 {
		w.Backoff = 5 * time.Second
	}
	if w.MaxBackoff == 0 {
		w.MaxBackoff = 30 * time.Minute
	}
}

// Run pushes due checkpoints until ctx ends.
func (w *Witnesser) Run(ctx context.Context) {
	w.defaults()
	claim := make([]byte, 8)
	rand.Read(claim)
	id := hex.EncodeToString(claim)
	for ctx.Err() == nil {
		worked, err := w.Once(ctx, id)
		if err != nil && ctx.Err() == nil {
			w.Log.Error("witness push", "err", err)
		}
		if worked {
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(w.Poll):
		}
	}
}

// Once pushes the next due checkpoint, if any, and reports whether there
// was one.
func (w *Witnesser) Once(ctx context.Context, claim string) (bool, error) {
	w.defaults()
	// The lease outlasts a request and its one retry.
	push, peer, err := w.Store.ClaimWitnessPush(ctx, claim, 3*w.Client.timeout())
	if err != nil || push == nil {
		return false, err
	}
	outcome, err := w.push(ctx, push, peer)
	if w.Pushed != nil {
		w.Pushed(outcome)
	}
	return true, err
}

// push sends the latest checkpoint to the peer's witness from the size it
// last cosigned; when the witness knows another size (409 with
// text/x.tlog.size), once more from that size.
func (w *Witnesser) push(ctx context.Context, push *assessments.WitnessPush, peer *assessments.Peer) (string, error) {
	old := int64(-1)
	for try := 0; ; try++ {
		body, size, err := w.Store.WitnessRequest(ctx, peer.ID, old)
		if err != nil {
			if size > 0 { // the witness is ahead of this log
				return Refused, w.Store.WitnessRefused(ctx, push, peer, size, err.Error())
			}
			return Failed, w.retry(ctx, push, err.Error())
		}
		resp, err := w.Client.AddCheckpoint(ctx, peer.BaseURL, body)
		if err != nil {
			return Failed, w.retry(ctx, push, err.Error())
		}
		switch {
		case resp.Status == http.StatusOK:
			if err := w.Store.WitnessCosigned(ctx, push, peer, size, resp.Body); err != nil {
				return Failed, w.retry(ctx, push, err.Error())
			}
			w.Log.Info("checkpoint cosigned", "peer", peer.BaseURL, "size", size)
			return Cosigned, nil
		case resp.Status == http.StatusConflict && strings.HasPrefix(resp.ContentType, "text/x.tlog.size") && try == 0:
			known, err := strconv.ParseInt(strings.TrimSpace(string(resp.Body)), 10, 64)
			if err != nil || known < 0 {
				return Failed, w.retry(ctx, push, "the witness answered 409 without a tree size")
			}
			old = known
		case resp.Status == http.StatusConflict || resp.Status == http.StatusUnprocessableEntity:
			detail := fmt.Sprintf("%d %s", resp.Status, firstLine(resp.Body))
			w.Log.Error("a witness refused this log's checkpoint as inconsistent", "peer", peer.BaseURL, "size", size, "answer", detail)
			return Refused, w.Store.WitnessRefused(ctx, push, peer, size, detail)
		default:
			// 403/404: the peer does not trust this log (yet); 5xx: later.
			return Failed, w.retry(ctx, push, fmt.Sprintf("the witness answered %d %s", resp.Status, firstLine(resp.Body)))
		}
	}
}

func (w *Witnesser) retry(ctx context.Context, push *assessments.WitnessPush, reason string) error {
	wait := w.Backoff
	for i := 1; i < push.Attempts && wait < w.MaxBackoff; i++ {
		wait *= 2
	}
	return w.Store.WitnessPushFailed(ctx, push, reason, min(wait, w.MaxBackoff))
}

// firstLine is the start of an answer, for a log line or an audit row.
func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
