package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/peers"
)

// Peers are other DMF instances this one trusts (§9): an admin adds one by
// its base URL, the app fetches what it publishes, and the admin confirms
// the fingerprints shown after comparing them with the peer's admins.

// fetchPeer reads what a peer publishes, as a field error on base_url
// when it does not answer as a DMF instance.
func (s *server) fetchPeer(ctx context.Context, base string) (assessments.PeerInfo, error) {
	info, err := s.peers.Fetch(ctx, base)
	var pe *peers.Error
	if errors.As(err, &pe) {
		return info, &assessments.ValidationError{Fields: map[string]assessments.Message{"base_url": pe.Message}}
	}
	return info, err
}

type peerRequest struct {
	BaseURL string `json:"base_url"`
}

// apiPeers lists the peers with their fingerprints.
func (s *server) apiPeers(c echo.Context) error {
	ps, err := s.store.Peers(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []assessments.Peer{}
	}
	return c.JSON(http.StatusOK, ps)
}

// apiAddPeer fetches a peer's DID document, log key and witness key and
// records it as pending, answering with the fingerprints to confirm.
func (s *server) apiAddPeer(c echo.Context) error {
	var req peerRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	p, err := s.addPeer(c, req.BaseURL)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p)
}

func (s *server) addPeer(c echo.Context, raw string) (*assessments.Peer, error) {
	base, err := assessments.NormalizePeerURL(raw)
	if err != nil {
		return nil, err
	}
	info, err := s.fetchPeer(c.Request().Context(), base)
	if err != nil {
		return nil, err
	}
	return s.store.AddPeer(c.Request().Context(), actorOf(c), info)
}

// apiConfirmPeer trusts a pending peer.
func (s *server) apiConfirmPeer(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p, err := s.store.ConfirmPeer(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// apiEndPeer ends the trust in a peer.
func (s *server) apiEndPeer(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p, err := s.store.EndPeer(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// apiWitness publishes this instance's witness key, which peers pin.
func (s *server) apiWitness(c echo.Context) error {
	keys := s.issuer.Keys
	return c.JSON(http.StatusOK, map[string]string{"name": keys.Witness.Name(), "vkey": keys.WitnessKey})
}

type peersPage struct {
	Peers    []assessments.Peer
	Evidence []assessments.WitnessEvidence // inconsistent checkpoints this witness refused
	BaseURL  string                        // the add form's value, kept on an error
}

func (s *server) peersPage(c echo.Context, status int, base string, ve *assessments.ValidationError) error {
	ps, err := s.store.Peers(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	ev, err := s.store.Evidence(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	v := s.render.view(c, s.msgs.T(langOf(c), "admin.peers"), &peersPage{Peers: ps, Evidence: ev, BaseURL: base})
	v.Notice = s.notice(c)
	if ve != nil {
		v = v.withErrors(ve)
	}
	return c.Render(status, "admin_peers", v)
}

// showPeers lists the peers, with forms to add, confirm and end them.
func (s *server) showPeers(c echo.Context) error {
	return s.peersPage(c, http.StatusOK, "", nil)
}

// createPeer adds a peer from the page's form; it is pending until
// confirmed.
func (s *server) createPeer(c echo.Context) error {
	base := c.FormValue("base_url")
	_, err := s.addPeer(c, base)
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		return s.peersPage(c, http.StatusUnprocessableEntity, base, ve)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/peers?notice=peer-added")
}

// confirmPeer confirms a pending peer from the page.
func (s *server) confirmPeer(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := s.store.ConfirmPeer(c.Request().Context(), actorOf(c), id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/peers?notice=peer-confirmed")
}

// endPeer ends the trust in a peer from the page.
func (s *server) endPeer(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := s.store.EndPeer(c.Request().Context(), actorOf(c), id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/peers?notice=peer-ended")
}

// peerRefresh is how often the trusted peers' keys are checked again.
const peerRefresh = 15 * time.Minute

// startPeers trusts the peers of DMF_PEERS, retrying in the background
// those not reachable yet (peers often start together), and checks the
// trusted peers' keys periodically. The func it returns stops it.
func (s *server) startPeers(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		pending := append([]string(nil), s.cfg.Peers...)
		wait := time.Second
		for len(pending) > 0 {
			var left []string
			for _, base := range pending {
				info, err := s.peers.Fetch(ctx, base)
				if err == nil {
					_, err = s.store.PreconfirmPeer(ctx, info)
				}
				if err != nil {
					s.log.Warn("peer from DMF_PEERS not trusted yet; retrying", "peer", base, "err", err)
					left = append(left, base)
					continue
				}
				s.log.Info("trusted peer from DMF_PEERS", "peer", base)
			}
			pending = left
			if len(pending) == 0 {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, time.Minute)
		}
		for {
			s.refreshPeers(ctx)
			select {
			case <-ctx.Done():
				return
			case <-time.After(peerRefresh):
			}
		}
	}()
	return func() { cancel(); <-done }
}

// refreshPeers compares what each trusted peer publishes now with what
// was confirmed; RefreshPeer adds new keys and refuses changed ones.
func (s *server) refreshPeers(ctx context.Context) {
	ps, err := s.store.TrustedPeers(ctx)
	if err != nil {
		s.log.Error("list trusted peers", "err", err)
		return
	}
	for _, p := range ps {
		info, err := s.peers.Fetch(ctx, p.BaseURL)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.store.PeerUnreachable(ctx, p.ID, err.Error())
			continue
		}
		if err := s.store.RefreshPeer(ctx, p.ID, info); err != nil {
			s.log.Warn("peer refused", "peer", p.BaseURL, "err", err)
		}
	}
}

// showTile serves a tile of the log (C2SP tlog-tiles). A full tile never
// changes and is cached for a year; a partial one briefly, as the next
// card makes a wider one.
func (s *server) showTile(c echo.Context) error {
	data, full, err := s.store.Tile(c.Request().Context(), c.Param("*"))
	if err != nil {
		return err
	}
	if full {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Response().Header().Set("Cache-Control", "public, max-age=10")
	}
	return c.Blob(http.StatusOK, "application/octet-stream", data)
}

// maxCheckpointRequest bounds an add-checkpoint body: 63 proof lines and
// a checkpoint with a few signatures fit in a few kilobytes.
const maxCheckpointRequest = 64 << 10

// apiAddCheckpoint is this instance's witness (C2SP tlog-witness): it
// answers with the cosignature, or with the status the spec gives each
// refusal, in plain text as the spec's clients expect.
func (s *server) apiAddCheckpoint(c echo.Context) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxCheckpointRequest+1))
	if err != nil || len(body) > maxCheckpointRequest {
		return c.String(http.StatusBadRequest, "the request is too large or could not be read\n")
	}
	cosig, err := s.store.AddCheckpoint(c.Request().Context(), body)
	var refusal *assessments.WitnessRefusal
	if errors.As(err, &refusal) {
		status := map[string]int{
			assessments.RefusedMalformed: http.StatusBadRequest, assessments.RefusedSignature: http.StatusForbidden,
			assessments.RefusedUnknownLog: http.StatusNotFound, assessments.RefusedOldSize: http.StatusConflict,
			assessments.RefusedInconsistent: http.StatusConflict, assessments.RefusedProof: http.StatusUnprocessableEntity,
		}[refusal.Reason]
		if refusal.Reason == assessments.RefusedOldSize {
			return c.Blob(status, "text/x.tlog.size", []byte(strconv.FormatInt(refusal.Size, 10)+"\n"))
		}
		return c.String(status, refusal.Detail+"\n")
	}
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", cosig)
}

// startWitnesser starts the worker that pushes this log's checkpoints to
// the trusted peers' witnesses. The func it returns stops it.
func (s *server) startWitnesser(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	w := &peers.Witnesser{Store: s.store, Client: s.peers, Log: s.log, Pushed: s.metrics.witnessPushed}
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}
