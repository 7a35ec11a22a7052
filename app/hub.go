package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/card"
	"github.com/unescap/dmf/assessments/peers"
	"github.com/unescap/dmf/frameworks"
)

// The regional hub (§9): this instance verifies its trusted peers' cards
// (their status lists fetched and cached, their inclusion in the peers'
// witnessed logs), and keeps them, pulled from the peers' feeds, for the
// comparison.

// newHub is the verifier and keeper of peers' cards, with the settings.
func newHub(cfg Config, store *assessments.Store, issuer *assessments.Issuer, editions *frameworks.Catalog) *peers.Hub {
	h := &peers.Hub{Client: &peers.Client{}, Store: store, TTL: cfg.StatusTTL, Quorum: cfg.WitnessQuorum,
		FrameworkDigest: func(id, version string) (string, bool) {
			ed, ok := editions.Edition(id, version)
			if !ok || version == "" {
				return "", false
			}
			return ed.DigestSRI(), true
		}}
	if issuer != nil {
		h.WitnessKey = issuer.Keys.WitnessKey
	}
	return h
}

// peerChecks lets v verify trusted peers' cards too (§9): their status
// lists and log inclusion come from the peer; this instance's own cards
// keep the checks v already has.
func (s *server) peerChecks(ctx context.Context, v *card.Verifier) error {
	ps, err := s.store.TrustedPeers(ctx)
	if err != nil || len(ps) == 0 {
		return err
	}
	ownStatus, ownLeaf := v.StatusList, v.LeafInclusion
	v.StatusList = func(u string) ([]byte, error) {
		if _, ok := s.issuer.StatusListID(u); ok {
			return ownStatus(u)
		}
		return s.hub.StatusList(ctx, ps, u)
	}
	// Whose log holds a card depends on its issuer, which only the signed
	// card says, so the check takes the card rather than its leaf.
	v.LeafInclusion = nil
	v.Inclusion = func(signed []byte) (*card.ParsedProof, *card.Checkpoint, error) {
		p, cp, err := s.hub.Inclusion(ctx, ps, signed)
		if !errors.Is(err, peers.ErrNotPeerCard) {
			return p, cp, err
		}
		leaf, err := card.LeafData(signed)
		if err != nil {
			return nil, nil, err
		}
		return ownLeaf(leaf)
	}
	return nil
}

// issuerOf is the base URL and log key of the instance that issued a
// verified card: a trusted peer's for its cards, so that the page's
// offline commands fetch from the issuer; else this instance's.
func (s *server) issuerOf(ctx context.Context, r *card.Report) (base, logKey string) {
	if r.Card != nil {
		if ps, err := s.store.TrustedPeers(ctx); err == nil {
			for _, p := range ps {
				if p.DID == r.Card.Issuer.ID {
					return p.BaseURL, p.LogKey
				}
			}
		}
	}
	return s.cfg.BaseURL, s.issuer.Keys.LogKey
}

// startHub pulls the trusted peers' cards every DMF_PEER_SYNC; the func
// it returns stops it.
func (s *server) startHub(ctx context.Context) (stop func()) {
	if s.cfg.PeerSync == 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(s.cfg.PeerSync):
			}
			ps, err := s.store.TrustedPeers(ctx)
			if err != nil {
				s.log.Error("list trusted peers", "err", err)
				continue
			}
			for _, p := range ps {
				res, err := s.hub.Sync(ctx, p.ID)
				if ctx.Err() != nil {
					return
				}
				if err != nil || res.Problem != "" {
					s.log.Warn("peer sync", "peer", p.BaseURL, "kept", res.Kept, "refused", res.Refused, "problem", res.Problem, "err", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

type syncJSON struct {
	Kept    int    `json:"kept"`    // cards kept by this sync
	Refused int    `json:"refused"` // cards refused for good by this sync
	Revoked int    `json:"revoked"` // kept cards found revoked by this sync
	After   int64  `json:"after"`   // the peer's log entries read so far
	Problem string `json:"problem,omitempty"`
	// Practices are the peer's published practices kept after this sync.
	Practices int `json:"practices"`
}

// apiSyncPeer pulls a trusted peer's cards, then its practices, now.
func (s *server) apiSyncPeer(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := s.store.Peer(c.Request().Context(), actorOf(c), id); err != nil {
		return err
	}
	res, err := s.hub.Sync(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, syncJSON{res.Kept, res.Refused, res.Revoked, res.After, res.Problem, res.Practices})
}

// feedDefaultLimit is the page size of the card feed when none is asked.
const feedDefaultLimit = 100

type feedCardJSON struct {
	LogIndex int64           `json:"log_index"`
	ID       string          `json:"id"`
	Proof    string          `json:"proof"` // the card's tlog-proof, to check its inclusion
	Card     json.RawMessage `json:"card"`  // the signed card as issued
}

type feedJSON struct {
	Origin string         `json:"origin"` // the log the indexes are of
	Size   int64          `json:"size"`
	Next   int64          `json:"next"` // after= of the next page; equal to size at the end
	Cards  []feedCardJSON `json:"cards"`
}

// apiCardFeed is the public feed of issued cards in log order
// (GET /api/v1/cards?after=N&limit=M), which a regional hub reads.
func (s *server) apiCardFeed(c echo.Context) error {
	after, limit := int64(0), feedDefaultLimit
	bad := map[string]assessments.Message{}
	if v := c.QueryParam("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			bad["after"] = assessments.Message{Format: "must be a log index of 0 or more"}
		}
		after = n
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			bad["limit"] = assessments.Message{Format: "must be between 1 and %d", Args: []any{assessments.MaxFeedLimit}}
		}
		limit = n
	}
	if len(bad) > 0 {
		return &assessments.ValidationError{Fields: bad}
	}
	f, err := s.store.Feed(c.Request().Context(), after, limit)
	if err != nil {
		return err
	}
	out := feedJSON{Origin: s.issuer.Origin, Size: f.Size, Next: f.Next, Cards: []feedCardJSON{}}
	for _, rec := range f.Cards {
		out.Cards = append(out.Cards, feedCardJSON{LogIndex: rec.LogIndex, ID: rec.ID,
			Proof: s.issuer.BaseURL + "/api/v1/cards/" + rec.ID + "/tlog-proof", Card: rec.Data})
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.JSON(http.StatusOK, out)
}
