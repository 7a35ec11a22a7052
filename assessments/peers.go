package assessments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/unescap/dmf/assessments/card"
	"golang.org/x/mod/sumdb/note"
	"gorm.io/gorm"
)

// The states of a peer: added and fetched (pending), confirmed by an
// admin who compared the fingerprints (trusted), and no longer trusted
// (ended). Old verifications stay in the audit log.
const (
	PeerPending = "pending"
	PeerTrusted = "trusted"
	PeerEnded   = "ended"
)

// Peer is another DMF instance (another state's, or ESCAP's hub). Its DID
// document, log key and witness key are kept as they were when an admin
// confirmed them: a later change is refused, not followed (see
// RefreshPeer).
type Peer struct {
	ID          uint       `gorm:"primaryKey" json:"id"`
	BaseURL     string     `gorm:"not null;uniqueIndex:ux_peer_base_url" json:"base_url"`
	Status      string     `gorm:"not null" json:"status"`
	DID         string     `gorm:"column:did;not null;default:''" json:"did"`
	DIDDocument string     `gorm:"column:did_document;not null;default:''" json:"-"` // as fetched, JSON
	LogOrigin   string     `gorm:"not null;default:''" json:"log_origin"`
	LogKey      string     `gorm:"not null;default:''" json:"log_key"`     // signed-note verifier key
	WitnessKey  string     `gorm:"not null;default:''" json:"witness_key"` // cosignature/v1 verifier key; may be empty
	CreatedAt   time.Time  `gorm:"not null" json:"created_at"`
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"`
	EndedAt     *time.Time `json:"ended_at,omitempty"`
	CheckedAt   *time.Time `json:"checked_at,omitempty"` // the last refresh, successful or not
	Problem     string     `gorm:"not null;default:''" json:"problem,omitempty"`

	// What an admin compares with the peer's own admins before confirming.
	Keys               []PeerKey `gorm:"-" json:"keys"`
	LogFingerprint     string    `gorm:"-" json:"log_fingerprint"`
	WitnessFingerprint string    `gorm:"-" json:"witness_fingerprint,omitempty"`
}

// PeerKey is one issuer key of a peer with its fingerprint.
type PeerKey struct {
	ID          string `json:"id"`
	Fingerprint string `json:"fingerprint"`
}

// PeerInfo is what a peer publishes about itself, as the peers client
// fetched it from the peer's base URL.
type PeerInfo struct {
	BaseURL     string
	DIDDocument []byte // /.well-known/did.json as served
	LogOrigin   string // GET /api/v1/log
	LogKey      string
	WitnessKey  string // GET /api/v1/witness; empty for an instance without one
}

// Fingerprint is a short, readable digest of a public key for people to
// compare over the phone: the first 16 bytes of its SHA-256 in groups of
// four hex digits.
func Fingerprint(key string) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:16])
	var parts []string
	for i := 0; i < len(h); i += 4 {
		parts = append(parts, h[i:i+4])
	}
	return strings.Join(parts, " ")
}

// fill computes the fingerprints shown next to a peer.
func (p *Peer) fill() {
	p.Keys = nil
	if doc, err := card.ParseDIDDocument([]byte(p.DIDDocument)); err == nil {
		for _, m := range doc.VerificationMethod {
			p.Keys = append(p.Keys, PeerKey{ID: m.ID, Fingerprint: Fingerprint(m.PublicKeyMultibase)})
		}
	}
	p.LogFingerprint, p.WitnessFingerprint = Fingerprint(p.LogKey), Fingerprint(p.WitnessKey)
}

// NormalizePeerURL checks a peer's base URL and puts it in the one form
// it is stored in: scheme and host in lower case, no trailing slash.
func NormalizePeerURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	v := invalid{}
	checkText(v, "base_url", raw)
	if err := v.err(); err != nil {
		return "", err
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", fieldError("base_url", "must be the address of a DMF instance, such as https://dmf.example.gov")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fieldError("base_url", "must have no user name, query or fragment")
	}
	if len(raw) > 300 {
		return "", fieldError("base_url", "must be at most 300 characters")
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	return strings.TrimRight(u.String(), "/"), nil
}

// checkPeerInfo checks what a peer published: a DID document of the
// did:web its base URL implies, a log key named by its origin, and a
// witness key if any.
func (s *Store) checkPeerInfo(info PeerInfo) (*card.DIDDocument, error) {
	base, err := NormalizePeerURL(info.BaseURL)
	if err != nil {
		return nil, err
	}
	if s.issuer != nil && (base == s.issuer.BaseURL || info.LogOrigin == s.issuer.Origin) {
		return nil, fieldError("base_url", "is this instance's own address")
	}
	doc, err := card.ParseDIDDocument(info.DIDDocument)
	if err != nil {
		return nil, fieldError("base_url", "does not publish a valid DID document: %s", err.Error())
	}
	want, _ := card.DIDWeb(base)
	if doc.ID != want {
		return nil, fieldError("base_url", "publishes the DID document of %s, not of %s", doc.ID, want)
	}
	if _, err := note.NewVerifier(info.LogKey); err != nil {
		return nil, fieldError("base_url", "publishes a log key that is not a signed-note verifier key")
	}
	if name, _, _ := strings.Cut(info.LogKey, "+"); name != info.LogOrigin || name == "" {
		return nil, fieldError("base_url", "publishes a log key whose name is not the log's origin")
	}
	return doc, nil
}

// ErrPeerChanged is a peer publishing something other than what an admin
// confirmed: a key gone or changed, or another log key.
var ErrPeerChanged = errors.New("the peer's keys changed")

// AddPeer records a peer an admin added, with what it published, as
// pending until an admin confirms the fingerprints. A peer that was ended
// can be added again.
func (s *Store) AddPeer(ctx context.Context, by Actor, info PeerInfo) (_ *Peer, err error) {
	defer wrap(&err, "add peer %s", info.BaseURL)
	if !by.CanAdminister() {
		return nil, fmt.Errorf("%w: only administrators add peers", ErrForbidden)
	}
	return s.addPeer(ctx, &by, info, false)
}

// PreconfirmPeer trusts a peer listed in DMF_PEERS at start, as if an
// admin had added and confirmed it. A peer already trusted is refreshed.
func (s *Store) PreconfirmPeer(ctx context.Context, info PeerInfo) (_ *Peer, err error) {
	defer wrap(&err, "trust peer %s from the settings", info.BaseURL)
	base, err := NormalizePeerURL(info.BaseURL)
	if err != nil {
		return nil, err
	}
	var p Peer
	err = s.db.WithContext(ctx).Where("base_url = ? AND status = ?", base, PeerTrusted).First(&p).Error
	if err == nil {
		if err := s.RefreshPeer(ctx, p.ID, info); err != nil {
			return nil, err
		}
		return s.peer(ctx, p.ID)
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, err
	}
	return s.addPeer(ctx, nil, info, true)
}

func (s *Store) addPeer(ctx context.Context, by *Actor, info PeerInfo, trust bool) (*Peer, error) {
	doc, err := s.checkPeerInfo(info)
	if err != nil {
		return nil, err
	}
	base, _ := NormalizePeerURL(info.BaseURL)
	var p Peer
	err = s.write(ctx, func(tx *gorm.DB) error {
		now := s.now()
		err := forUpdate(tx).Where("base_url = ?", base).First(&p).Error
		switch {
		case err == nil && p.Status != PeerEnded:
			return fmt.Errorf("%w: %s is already a peer (%s)", ErrDuplicate, base, p.Status)
		case err != nil && !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		p = Peer{ID: p.ID, BaseURL: base, Status: PeerPending, DID: doc.ID, DIDDocument: string(info.DIDDocument),
			LogOrigin: info.LogOrigin, LogKey: info.LogKey, WitnessKey: info.WitnessKey, CreatedAt: now, CheckedAt: &now}
		if trust {
			p.Status, p.ConfirmedAt = PeerTrusted, &now
		}
		if err := tx.Save(&p).Error; err != nil {
			return err
		}
		p.fill()
		after := map[string]any{"base_url": base, "did": p.DID, "status": p.Status, "log_key": p.LogKey, "witness_key": p.WitnessKey, "keys": p.Keys}
		if trust {
			after["source"] = "DMF_PEERS"
			if err := s.queueWitnessPushTo(tx, &p); err != nil {
				return err
			}
		}
		return s.audit(tx, by, "peer.added", "peer", p.ID, nil, after)
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// ConfirmPeer trusts a pending peer: its issuer keys count as trusted
// issuers, its log is witnessed here and this log's checkpoints go to its
// witness.
func (s *Store) ConfirmPeer(ctx context.Context, by Actor, id uint) (_ *Peer, err error) {
	defer wrap(&err, "confirm peer %d", id)
	if !by.CanAdminister() {
		return nil, fmt.Errorf("%w: only administrators confirm peers", ErrForbidden)
	}
	err = s.write(ctx, func(tx *gorm.DB) error {
		var p Peer
		if err := forUpdate(tx).First(&p, id).Error; err != nil {
			return notFound(err)
		}
		if p.Status != PeerPending {
			return fmt.Errorf("%w: the peer is %s; only a pending peer is confirmed", ErrReadOnly, p.Status)
		}
		now := s.now()
		if err := tx.Model(&p).Updates(map[string]any{"status": PeerTrusted, "confirmed_at": now}).Error; err != nil {
			return err
		}
		if err := s.queueWitnessPushTo(tx, &p); err != nil {
			return err
		}
		return s.audit(tx, &by, "peer.confirmed", "peer", id, map[string]any{"status": PeerPending}, map[string]any{"status": PeerTrusted, "log_key": p.LogKey, "did": p.DID})
	})
	if err != nil {
		return nil, err
	}
	return s.peer(ctx, id)
}

// EndPeer ends the trust in a peer: its cards no longer verify as trusted
// here, its log is no longer witnessed, and no more checkpoints go to it.
func (s *Store) EndPeer(ctx context.Context, by Actor, id uint) (_ *Peer, err error) {
	defer wrap(&err, "end peer %d", id)
	if !by.CanAdminister() {
		return nil, fmt.Errorf("%w: only administrators end peers", ErrForbidden)
	}
	err = s.write(ctx, func(tx *gorm.DB) error {
		var p Peer
		if err := forUpdate(tx).First(&p, id).Error; err != nil {
			return notFound(err)
		}
		if p.Status == PeerEnded {
			return fmt.Errorf("%w: the peer is already ended", ErrReadOnly)
		}
		now := s.now()
		if err := tx.Model(&p).Updates(map[string]any{"status": PeerEnded, "ended_at": now}).Error; err != nil {
			return err
		}
		if err := tx.Model(&WitnessPush{}).Where("peer_id = ? AND done_at IS NULL", id).
			Updates(map[string]any{"done_at": now, "last_error": "the peer was ended"}).Error; err != nil {
			return err
		}
		return s.audit(tx, &by, "peer.ended", "peer", id, map[string]any{"status": p.Status}, map[string]any{"status": PeerEnded})
	})
	if err != nil {
		return nil, err
	}
	return s.peer(ctx, id)
}

// Peers lists every peer, newest first, for admins.
func (s *Store) Peers(ctx context.Context, by Actor) (_ []Peer, err error) {
	defer wrap(&err, "list peers")
	if !by.CanAdminister() {
		return nil, fmt.Errorf("%w: only administrators see peers", ErrForbidden)
	}
	var ps []Peer
	if err := s.db.WithContext(ctx).Order("id DESC").Find(&ps).Error; err != nil {
		return nil, err
	}
	for i := range ps {
		ps[i].fill()
	}
	return ps, nil
}

// Peer returns one peer, for admins.
func (s *Store) Peer(ctx context.Context, by Actor, id uint) (_ *Peer, err error) {
	defer wrap(&err, "read peer %d", id)
	if !by.CanAdminister() {
		return nil, fmt.Errorf("%w: only administrators see peers", ErrForbidden)
	}
	return s.peer(ctx, id)
}

func (s *Store) peer(ctx context.Context, id uint) (*Peer, error) {
	var p Peer
	if err := s.db.WithContext(ctx).First(&p, id).Error; err != nil {
		return nil, notFound(err)
	}
	p.fill()
	return &p, nil
}

// TrustedPeers lists the trusted peers, for the workers that refresh
// their keys, push checkpoints to them and read their cards.
func (s *Store) TrustedPeers(ctx context.Context) (_ []Peer, err error) {
	defer wrap(&err, "list trusted peers")
	return s.cachedPeers(ctx, func() ([]Peer, error) {
		var ps []Peer
		if err := s.db.WithContext(ctx).Where("status = ?", PeerTrusted).Order("id").Find(&ps).Error; err != nil {
			return nil, err
		}
		for i := range ps {
			ps[i].fill()
		}
		return ps, nil
	})
}

// TrustedIssuers are the DID documents of the trusted peers, as
// confirmed (and grown by added keys): their cards' issuers are trusted
// here as this instance's own are.
func (s *Store) TrustedIssuers(ctx context.Context) (_ map[string]*card.DIDDocument, err error) {
	defer wrap(&err, "read the trusted peers' DID documents")
	ps, err := s.TrustedPeers(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]*card.DIDDocument{}
	for _, p := range ps {
		doc, err := card.ParseDIDDocument([]byte(p.DIDDocument))
		if err != nil {
			return nil, fmt.Errorf("peer %d: %w", p.ID, err)
		}
		out[doc.ID] = doc
	}
	return out, nil
}

// RefreshPeer compares what a trusted peer publishes now with what was
// confirmed. A new issuer key is added (and audited); a key that is gone
// or changed, or another log or witness key, is refused: the confirmed
// keys stay, the admins are told and ErrPeerChanged is returned.
func (s *Store) RefreshPeer(ctx context.Context, id uint, info PeerInfo) (err error) {
	defer wrap(&err, "refresh peer %d", id)
	newDoc, err := s.checkPeerInfo(info)
	if err != nil {
		return s.peerUnreachable(ctx, id, UserError(err).Error())
	}
	var refused string
	err = s.write(ctx, func(tx *gorm.DB) error {
		var p Peer
		if err := forUpdate(tx).First(&p, id).Error; err != nil {
			return notFound(err)
		}
		if p.Status != PeerTrusted {
			return fmt.Errorf("%w: the peer is %s", ErrReadOnly, p.Status)
		}
		oldDoc, err := card.ParseDIDDocument([]byte(p.DIDDocument))
		if err != nil {
			return err
		}
		var problems, added []string
		if info.LogKey != p.LogKey {
			problems = append(problems, fmt.Sprintf("the log key changed from %s to %s", p.LogKey, info.LogKey))
		}
		if p.WitnessKey != "" && info.WitnessKey != p.WitnessKey {
			problems = append(problems, fmt.Sprintf("the witness key changed from %s to %q", p.WitnessKey, info.WitnessKey))
		}
		newKeys := map[string]string{}
		for _, m := range newDoc.VerificationMethod {
			newKeys[m.ID] = m.PublicKeyMultibase
		}
		for _, m := range oldDoc.VerificationMethod {
			switch k, ok := newKeys[m.ID]; {
			case !ok:
				problems = append(problems, fmt.Sprintf("the issuer key %s disappeared", m.ID))
			case k != m.PublicKeyMultibase:
				problems = append(problems, fmt.Sprintf("the issuer key %s changed", m.ID))
			}
			delete(newKeys, m.ID)
		}
		for k := range newKeys {
			added = append(added, k)
		}
		slices.Sort(added)
		now := s.now()
		if len(problems) > 0 {
			refused = strings.Join(problems, "; ")
			before := p.Problem // Updates below sets p's fields too
			if err := tx.Model(&p).Updates(map[string]any{"checked_at": now, "problem": refused}).Error; err != nil {
				return err
			}
			if refused == before {
				return nil // already reported
			}
			if err := s.audit(tx, nil, "peer.keys_refused", "peer", id, nil, map[string]any{"problem": refused}); err != nil {
				return err
			}
			return s.notifyAdmins(tx, NoticePeerKeysRefused, p.BaseURL+": "+refused, "/admin/peers")
		}
		updates := map[string]any{"checked_at": now, "problem": ""}
		if len(added) > 0 {
			updates["did_document"] = string(info.DIDDocument)
		}
		if p.WitnessKey == "" && info.WitnessKey != "" {
			updates["witness_key"] = info.WitnessKey
			added = append(added, "witness key "+info.WitnessKey)
		}
		if err := tx.Model(&p).Updates(updates).Error; err != nil {
			return err
		}
		if len(added) == 0 {
			return nil
		}
		return s.audit(tx, nil, "peer.keys_added", "peer", id, nil, map[string]any{"added": added})
	})
	if err == nil && refused != "" {
		return fmt.Errorf("%w: %s", ErrPeerChanged, refused)
	}
	return err
}

// peerUnreachable records why a peer could not be checked.
func (s *Store) peerUnreachable(ctx context.Context, id uint, reason string) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&Peer{}).Where("id = ?", id).Updates(map[string]any{"checked_at": s.now(), "problem": reason}).Error
	})
}

// PeerUnreachable records that a trusted peer could not be reached or did
// not answer as a DMF instance, shown to admins beside the peer.
func (s *Store) PeerUnreachable(ctx context.Context, id uint, reason string) (err error) {
	defer wrap(&err, "record a problem of peer %d", id)
	return s.peerUnreachable(ctx, id, reason)
}

// admins are the accounts told about peers and witnesses.
func admins(tx *gorm.DB) ([]User, error) {
	var us []User
	err := tx.Where("role = ? AND disabled_at IS NULL", RoleAdmin).Order("id").Find(&us).Error
	return us, err
}

// notifyAdmins tells every administrator about something a peer did.
func (s *Store) notifyAdmins(tx *gorm.DB, kind, detail, link string) error {
	us, err := admins(tx)
	if err != nil {
		return err
	}
	return s.notify(tx, us, Notification{Kind: kind, Comment: detail}, MailData{Comment: detail, Link: link})
}
