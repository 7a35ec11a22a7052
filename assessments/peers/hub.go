package peers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/card"
)

// get reads a path of a peer that must answer 200.
func (c *Client) get(ctx context.Context, base, path string) ([]byte, error) {
	r, err := c.do(ctx, http.MethodGet, base, path, "", nil)
	if err != nil {
		return nil, err
	}
	if r.Status != http.StatusOK {
		return nil, fail(nil, msg{Format: "is not a DMF instance: %s answered %d", Args: []any{path, r.Status}})
	}
	return r.Body, nil
}

// FeedPage is one page of a peer's card feed (GET /api/v1/cards).
type FeedPage struct {
	Origin string `json:"origin"`
	Size   int64  `json:"size"`
	Next   int64  `json:"next"`
	Cards  []struct {
		LogIndex int64           `json:"log_index"`
		ID       string          `json:"id"`
		Card     json.RawMessage `json:"card"`
	} `json:"cards"`
}

// Feed reads a page of the cards a peer issued, from log index after.
func (c *Client) Feed(ctx context.Context, base string, after int64, limit int) (*FeedPage, error) {
	var page FeedPage
	if _, err := c.getJSON(ctx, base, fmt.Sprintf("/api/v1/cards?after=%d&limit=%d", after, limit), &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// Hub verifies trusted peers' cards, for the verify page and API and for
// the sync that keeps them: their status lists, fetched from the peer and
// cached for TTL, and their inclusion in the peer's log under a checkpoint
// that enough witnesses trusted here have cosigned.
type Hub struct {
	Client *Client
	Store  *assessments.Store
	// TTL is how long a peer's status list is reused; 0: fetched each time.
	TTL time.Duration
	// Quorum is the number of cosignatures, from witnesses this instance
	// trusts, that a peer's checkpoint needs; 0: none.
	Quorum int
	// WitnessKey is this instance's own witness key: its cosignatures on a
	// peer's checkpoints count.
	WitnessKey string
	// FrameworkDigest is the digest of an edition this instance knows.
	FrameworkDigest func(id, version string) (string, bool)

	mu    sync.Mutex
	lists map[string]cachedList
	// syncing keeps two syncs (the schedule's and an admin's) of this
	// process from reading the same feed at once.
	syncing sync.Mutex
}

type cachedList struct {
	data []byte
	at   time.Time
}

// peerOf returns the trusted peer that publishes an address.
func peerOf(ps []assessments.Peer, u string) (*assessments.Peer, string, bool) {
	for i := range ps {
		if rest, ok := strings.CutPrefix(u, ps[i].BaseURL+"/"); ok {
			return &ps[i], "/" + rest, true
		}
	}
	return nil, "", false
}

// StatusList fetches the status list credential at u from the trusted
// peer that publishes it (card.ErrListElsewhere when none does); its proof
// is checked by the card verifier, against the peer's confirmed keys.
func (h *Hub) StatusList(ctx context.Context, ps []assessments.Peer, u string) ([]byte, error) {
	p, path, ok := peerOf(ps, u)
	if !ok || !statusPath(path) {
		return nil, card.ErrListElsewhere
	}
	if h.TTL > 0 {
		h.mu.Lock()
		c, ok := h.lists[u]
		h.mu.Unlock()
		if ok && time.Since(c.at) < h.TTL {
			return c.data, nil
		}
	}
	data, err := h.Client.get(ctx, p.BaseURL, path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.BaseURL, err)
	}
	if h.TTL > 0 {
		h.mu.Lock()
		if h.lists == nil {
			h.lists = map[string]cachedList{}
		}
		h.lists[u] = cachedList{data, time.Now()}
		h.mu.Unlock()
	}
	return data, nil
}

// statusPath reports whether a path is that of a DMF status list,
// /status/N: nothing else of a peer is fetched for a card's status.
func statusPath(path string) bool {
	n, ok := strings.CutPrefix(path, "/status/")
	return ok && n != "" && len(n) <= 9 && strings.Trim(n, "0123456789") == ""
}

// ErrNotPeerCard is a card that no trusted peer issued.
var ErrNotPeerCard = errors.New("the card is not a trusted peer's")

// ErrQuorum is a peer's checkpoint without enough cosignatures yet.
var ErrQuorum = errors.New("not enough witness cosignatures")

// Inclusion checks that a trusted peer's card is in the peer's log: the
// peer's tlog-proof leads from the card to a checkpoint signed by the
// peer's confirmed log key and cosigned by at least Quorum witnesses this
// instance trusts (itself and its other peers).
func (h *Hub) Inclusion(ctx context.Context, ps []assessments.Peer, signed []byte) (*card.ParsedProof, *card.Checkpoint, error) {
	c, err := card.Parse(signed)
	if err != nil {
		return nil, nil, err
	}
	var p *assessments.Peer
	for i := range ps {
		if ps[i].DID == c.Issuer.ID {
			p = &ps[i]
		}
	}
	if p == nil {
		return nil, nil, ErrNotPeerCard
	}
	id, ok := strings.CutPrefix(c.ID, p.BaseURL+"/cards/")
	if !ok || id == "" || strings.ContainsAny(id, "/?#%") {
		return nil, nil, fmt.Errorf("the card's id %s is not a card of %s", c.ID, p.BaseURL)
	}
	proof, err := h.Client.get(ctx, p.BaseURL, "/api/v1/cards/"+url.PathEscape(id)+"/tlog-proof")
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", p.BaseURL, err)
	}
	pp, cp, err := card.VerifyInclusion(signed, string(proof), p.LogKey)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", p.BaseURL, err)
	}
	witnesses := []string{h.WitnessKey}
	for _, o := range ps {
		if o.ID != p.ID && o.WitnessKey != "" {
			witnesses = append(witnesses, o.WitnessKey)
		}
	}
	if cp.Cosigners, err = card.Cosigners(cp.Note, p.LogKey, witnesses); err != nil {
		return nil, nil, err
	}
	if len(cp.Cosigners) < h.Quorum {
		return nil, nil, fmt.Errorf("%w: the checkpoint of size %d of %s carries %d of the %d witness cosignatures required here",
			ErrQuorum, cp.Size, cp.Origin, len(cp.Cosigners), h.Quorum)
	}
	return pp, cp, nil
}

// Verifier is a card verifier for a trusted peer's cards alone.
func (h *Hub) Verifier(ctx context.Context, ps []assessments.Peer, p *assessments.Peer, now time.Time) (*card.Verifier, error) {
	doc, err := card.ParseDIDDocument([]byte(p.DIDDocument))
	if err != nil {
		return nil, err
	}
	return &card.Verifier{
		Trusted:         map[string]*card.DIDDocument{doc.ID: doc},
		Now:             now,
		StatusList:      func(u string) ([]byte, error) { return h.StatusList(ctx, ps, u) },
		Inclusion:       func(signed []byte) (*card.ParsedProof, *card.Checkpoint, error) { return h.Inclusion(ctx, ps, signed) },
		FrameworkDigest: h.FrameworkDigest,
	}, nil
}

// feedLimit is the page size the hub reads: a few hundred kilobytes,
// well within the client's bound on an answer.
const feedLimit = 50

// SyncResult says what one sync of a peer did.
type SyncResult struct {
	Kept, Refused, Revoked int
	// Practices is how many of the peer's published practices are kept
	// after the sync; PracticesRefused how many it refused.
	Practices, PracticesRefused int
	After                       int64
	Problem                     string // why the sync stopped before the end of the feed, or of the practices
}

// Sync reads a trusted peer's feed from where the last sync stopped and
// keeps every card that verifies in full; a card refused for good (a bad
// signature, another issuer, an expired card) is recorded in the audit
// and passed over, while a card that cannot be checked yet (its status
// list unreachable, its checkpoint not yet cosigned) stops the sync there,
// to be tried again. Then it checks again the status of the cards kept
// before, so that revoked ones leave the comparison.
func (h *Hub) Sync(ctx context.Context, peerID uint) (res SyncResult, err error) {
	h.syncing.Lock()
	defer h.syncing.Unlock()
	ps, err := h.Store.TrustedPeers(ctx)
	if err != nil {
		return res, err
	}
	var p *assessments.Peer
	for i := range ps {
		if ps[i].ID == peerID {
			p = &ps[i]
		}
	}
	if p == nil {
		return res, fmt.Errorf("%w: peer %d is not trusted", assessments.ErrReadOnly, peerID)
	}
	st, err := h.Store.PeerSync(ctx, peerID)
	if err != nil {
		return res, err
	}
	res.After = st.After
	v, err := h.Verifier(ctx, ps, p, time.Now())
	if err != nil {
		return res, err
	}
	// One sync reads each status list once, whatever the TTL.
	lists := map[string][]byte{}
	v.StatusList = func(u string) ([]byte, error) {
		if data, ok := lists[u]; ok {
			return data, nil
		}
		data, err := h.StatusList(ctx, ps, u)
		if err == nil {
			lists[u] = data
		}
		return data, err
	}
	res.Problem = h.read(ctx, p, v, &res)
	if err := h.Store.RecordPeerSync(ctx, peerID, res.After, res.Kept, res.Refused, res.Problem); err != nil {
		return res, err
	}
	kept, err := h.Store.PeerCardsToRecheck(ctx, peerID)
	if err != nil {
		return res, err
	}
	recheck := *v
	recheck.Inclusion = nil // the card's place in the log does not change
	for _, pc := range kept {
		if r := recheck.Verify(pc.Data); r.Revoked {
			if err := h.Store.MarkPeerCardRevoked(ctx, peerID, pc.ID); err != nil {
				return res, err
			}
			res.Revoked++
		}
	}
	if problem := h.practices(ctx, p, &res); problem != "" && res.Problem == "" {
		res.Problem = problem
		return res, h.Store.RecordPeerSync(ctx, peerID, res.After, 0, 0, problem)
	}
	return res, nil
}

// practicesLimit is the page size of a peer's practices: a practice is a
// few kilobytes at most, well within the client's bound on an answer.
const practicesLimit = 50

// practices pulls the peer's published practices, after its cards so that
// a practice citing a card kept by this sync is kept too, and makes them
// the peer's practices here. A peer that cannot be read to the end keeps
// what it had: a practice is only removed when the peer no longer lists it.
func (h *Hub) practices(ctx context.Context, p *assessments.Peer, res *SyncResult) string {
	var all []assessments.PeerPractice
	// Pages are bounded too: a peer listing only practices it has from
	// its own peers still ends.
	for page := 1; page <= 2*assessments.MaxPeerPractices/practicesLimit && len(all) < assessments.MaxPeerPractices; page++ {
		ps, more, err := h.Client.Practices(ctx, p.BaseURL, page, practicesLimit)
		if err != nil {
			return "practices: " + p.BaseURL + " " + err.Error()
		}
		all = append(all, ps...)
		if !more {
			break
		}
	}
	kept, refused, err := h.Store.ReplacePeerPractices(ctx, p.ID, all)
	if err != nil {
		return "practices: " + err.Error()
	}
	res.Practices, res.PracticesRefused = kept, refused
	return ""
}

// read goes through the feed from res.After, keeping and refusing cards;
// it returns why it stopped early, or "" at the end of the feed.
func (h *Hub) read(ctx context.Context, p *assessments.Peer, v *card.Verifier, res *SyncResult) string {
	for {
		page, err := h.Client.Feed(ctx, p.BaseURL, res.After, feedLimit)
		if err != nil {
			return p.BaseURL + " " + err.Error()
		}
		if len(page.Cards) == 0 {
			return ""
		}
		for _, fc := range page.Cards {
			if fc.LogIndex != res.After {
				return fmt.Sprintf("the feed skipped from log index %d to %d", res.After, fc.LogIndex)
			}
			r := v.Verify(fc.Card)
			switch why, transient := judge(r); {
			case transient:
				return fmt.Sprintf("card %d: %s", fc.LogIndex, why)
			case why != "":
				if err := h.Store.RefusePeerCard(ctx, p.ID, fc.LogIndex, why); err != nil {
					return err.Error()
				}
				res.Refused++
			default:
				if _, err := h.Store.KeepPeerCard(ctx, p.ID, fc.LogIndex, fc.Card, r.Revoked); err != nil {
					if err := h.Store.RefusePeerCard(ctx, p.ID, fc.LogIndex, assessments.UserError(err).Error()); err != nil {
						return err.Error()
					}
					res.Refused++
				} else {
					res.Kept++
				}
			}
			res.After = fc.LogIndex + 1
		}
		if res.After >= page.Size {
			return ""
		}
	}
}

// judge reads a verification: "" to keep the card (a revoked card is kept
// as revoked), else why not, and whether trying again later may succeed.
func judge(r card.Report) (why string, transient bool) {
	for _, ch := range r.Checks {
		if ch.OK {
			continue
		}
		switch {
		case ch.Name == card.CheckRevocation && ch.Outcome == "revoked":
			continue
		case ch.Name == card.CheckLog, ch.Name == card.CheckFramework,
			ch.Name == card.CheckRevocation && ch.Outcome != "bad",
			ch.Name == card.CheckValidity && ch.Outcome == "early":
			return ch.Name + ": " + ch.Detail, true
		default:
			return ch.Name + ": " + ch.Detail, false
		}
	}
	return "", false
}
