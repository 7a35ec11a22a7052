package assessments

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tdnote "github.com/transparency-dev/formats/note"
	"github.com/unescap/dmf/assessments/card"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"gorm.io/gorm"
)

// witnessedLog is, on the witness side, the latest checkpoint this
// instance cosigned for a peer's log (C2SP tlog-witness keeps exactly
// that per origin).
type witnessedLog struct {
	Origin    string    `gorm:"primaryKey;size:300"`
	PeerID    uint      `gorm:"not null"`
	Size      int64     `gorm:"not null"`
	Root      []byte    `gorm:"not null"`
	Note      string    `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// WitnessEvidence is a checkpoint a peer's log presented that is
// inconsistent with the one this witness had cosigned: kept as proof of
// the log's misbehaviour (both are signed by the log's key).
type WitnessEvidence struct {
	ID           uint      `gorm:"primaryKey" json:"id"`
	Origin       string    `gorm:"not null" json:"origin"`
	PeerID       uint      `gorm:"not null" json:"peer_id"`
	CosignedSize int64     `gorm:"not null" json:"cosigned_size"`
	CosignedNote string    `gorm:"not null" json:"cosigned_note"`
	Request      string    `gorm:"not null" json:"request"` // the add-checkpoint body as received
	Reason       string    `gorm:"not null" json:"reason"`
	CreatedAt    time.Time `gorm:"not null" json:"created_at"`
}

func (WitnessEvidence) TableName() string { return "witness_evidence" }

// logCosignature is, on the log side, a peer witness's cosignature of
// this log's checkpoint of a size: note signature lines, served with the
// checkpoint.
type logCosignature struct {
	Size      int64     `gorm:"primaryKey;autoIncrement:false"`
	PeerID    uint      `gorm:"primaryKey;autoIncrement:false"`
	Signature string    `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// WitnessPush is a checkpoint to push to a peer's witness, written in the
// transaction that signs the checkpoint; the peers worker sends it,
// retrying with back-off, and marks it done.
type WitnessPush struct {
	ID            uint       `gorm:"primaryKey"`
	PeerID        uint       `gorm:"not null"`
	Size          int64      `gorm:"not null"`
	CreatedAt     time.Time  `gorm:"not null"`
	NextAttemptAt time.Time  `gorm:"not null;index:ix_witness_outbox_due,priority:2"`
	Attempts      int        `gorm:"not null;default:0"`
	LastError     string     `gorm:"not null;default:''"`
	Claim         string     `gorm:"not null;default:''"`
	DoneAt        *time.Time `gorm:"index:ix_witness_outbox_due,priority:1"`
}

func (WitnessPush) TableName() string { return "witness_outbox" }

// Why a witness refuses a checkpoint, as C2SP tlog-witness names them
// (the app answers each with the status the spec gives).
const (
	RefusedMalformed    = "malformed"    // 400
	RefusedSignature    = "signature"    // 403: not signed by the log's key
	RefusedUnknownLog   = "unknown-log"  // 404: no trusted peer has this origin
	RefusedOldSize      = "old-size"     // 409 with the size last cosigned
	RefusedInconsistent = "inconsistent" // 409: same size, another root (evidence kept)
	RefusedProof        = "proof"        // 422: the consistency proof fails (evidence kept)
)

// WitnessRefusal is a checkpoint this witness did not cosign.
type WitnessRefusal struct {
	Reason string
	Size   int64 // RefusedOldSize: the size of the checkpoint last cosigned
	Detail string
}

func (e *WitnessRefusal) Error() string { return "checkpoint refused (" + e.Reason + "): " + e.Detail }

func refuse(reason, format string, args ...any) *WitnessRefusal {
	return &WitnessRefusal{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// maxProofLines is the most consistency proof lines a request may carry.
const maxProofLines = 63

// parseAddCheckpoint reads a tlog-witness add-checkpoint body: "old N",
// the proof lines, an empty line, and the signed checkpoint.
func parseAddCheckpoint(body []byte) (old int64, proof tlog.TreeProof, signed []byte, err error) {
	head, rest, ok := bytes.Cut(body, []byte("\n\n"))
	if !ok {
		return 0, nil, nil, refuse(RefusedMalformed, "no empty line before the checkpoint")
	}
	lines := strings.Split(string(head), "\n")
	n, found := strings.CutPrefix(lines[0], "old ")
	old, perr := strconv.ParseInt(n, 10, 64)
	if !found || perr != nil || old < 0 || (len(n) > 1 && n[0] == '0') {
		return 0, nil, nil, refuse(RefusedMalformed, "the first line must be \"old\" and a tree size")
	}
	if len(lines)-1 > maxProofLines {
		return 0, nil, nil, refuse(RefusedMalformed, "more than %d proof lines", maxProofLines)
	}
	for _, l := range lines[1:] {
		h, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(h) != tlog.HashSize {
			return 0, nil, nil, refuse(RefusedMalformed, "a proof line is not a base64 hash")
		}
		proof = append(proof, tlog.Hash(h))
	}
	return old, proof, rest, nil
}

// AddCheckpoint is the witness (C2SP tlog-witness add-checkpoint): it
// cosigns a trusted peer's checkpoint when it is consistent with the last
// one it cosigned for that log, records it, and returns the cosignature
// lines (cosignature/v1). Otherwise it returns a *WitnessRefusal; an
// inconsistent checkpoint or proof is kept as evidence and the admins are
// told.
func (s *Store) AddCheckpoint(ctx context.Context, body []byte) (_ []byte, err error) {
	defer wrap(&err, "witness a checkpoint")
	if s.issuer == nil || s.issuer.Keys.Witness == nil {
		return nil, refuse(RefusedUnknownLog, "this instance witnesses no logs")
	}
	old, proof, signed, err := parseAddCheckpoint(body)
	if err != nil {
		return nil, err
	}
	origin, _, _ := strings.Cut(string(signed), "\n")
	var peer Peer
	err = s.db.WithContext(ctx).Where("log_origin = ? AND status = ?", origin, PeerTrusted).First(&peer).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, refuse(RefusedUnknownLog, "no trusted peer has the log %q", origin)
	}
	if err != nil {
		return nil, err
	}
	cp, err := card.OpenCheckpoint(string(signed), peer.LogKey)
	if err != nil {
		return nil, refuse(RefusedSignature, "%v", err)
	}
	if old > cp.Size {
		return nil, refuse(RefusedMalformed, "old size %d is larger than the checkpoint's %d", old, cp.Size)
	}
	if old == 0 && len(proof) > 0 {
		return nil, refuse(RefusedMalformed, "a proof from size 0")
	}
	text, _, _ := strings.Cut(string(signed), "\n\n")
	var cosig []byte
	var refusal *WitnessRefusal
	err = s.write(ctx, func(tx *gorm.DB) error {
		var last witnessedLog
		found := forUpdate(tx).Where("origin = ?", origin).Limit(1).Find(&last)
		if found.Error != nil {
			return found.Error
		}
		if old != last.Size {
			refusal = &WitnessRefusal{Reason: RefusedOldSize, Size: last.Size, Detail: fmt.Sprintf("the last checkpoint cosigned has size %d, not %d", last.Size, old)}
			return nil
		}
		switch {
		case old > 0 && old == cp.Size && tlog.Hash(last.Root) != cp.Root:
			refusal = refuse(RefusedInconsistent, "%s presented a checkpoint of size %d with another root than the one cosigned: a split view", origin, old)
		case old > 0 && old < cp.Size && tlog.CheckTree(proof, cp.Size, cp.Root, old, tlog.Hash(last.Root)) != nil:
			refusal = refuse(RefusedProof, "%s's checkpoint of size %d is not consistent with the one of size %d cosigned: its history was rewritten", origin, cp.Size, old)
		}
		if refusal != nil {
			ev := WitnessEvidence{Origin: origin, PeerID: peer.ID, CosignedSize: last.Size, CosignedNote: last.Note, Request: string(body), Reason: refusal.Detail, CreatedAt: s.now()}
			if err := tx.Create(&ev).Error; err != nil {
				return err
			}
			if err := s.audit(tx, nil, "witness.inconsistent", "peer", peer.ID, map[string]any{"size": last.Size}, map[string]any{"size": cp.Size, "evidence": ev.ID, "reason": refusal.Detail}); err != nil {
				return err
			}
			return s.notifyAdmins(tx, NoticeSplitView, refusal.Detail, "/admin/peers")
		}
		signedNote, err := note.Sign(&note.Note{Text: text + "\n"}, s.issuer.Keys.Witness)
		if err != nil {
			return err
		}
		cosig = signedNote[len(text)+2:]
		rec := witnessedLog{Origin: origin, PeerID: peer.ID, Size: cp.Size, Root: cp.Root[:], Note: string(signed), UpdatedAt: s.now()}
		if err := tx.Save(&rec).Error; err != nil {
			return err
		}
		return s.audit(tx, nil, "witness.cosigned", "peer", peer.ID, map[string]any{"size": last.Size}, map[string]any{"origin": origin, "size": cp.Size})
	})
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, refusal
	}
	return cosig, nil
}

// Evidence lists the inconsistent checkpoints this witness kept, newest
// first, for admins.
func (s *Store) Evidence(ctx context.Context, by Actor) (_ []WitnessEvidence, err error) {
	defer wrap(&err, "list witness evidence")
	if !by.CanAdminister() {
		return nil, fmt.Errorf("%w: only administrators see the witness's evidence", ErrForbidden)
	}
	var out []WitnessEvidence
	err = s.db.WithContext(ctx).Order("id DESC").Find(&out).Error
	return out, err
}

// queueWitnessPushes asks every trusted peer's witness to cosign the
// checkpoint of size just signed, in the transaction that signed it: the
// peers worker sends them. It is the one hook in appendLog.
func (s *Store) queueWitnessPushes(tx *gorm.DB, size int64) error {
	var ids []uint
	if err := tx.Model(&Peer{}).Where("status = ? AND witness_key <> ''", PeerTrusted).Order("id").Pluck("id", &ids).Error; err != nil {
		return err
	}
	now := s.now()
	for _, id := range ids {
		if err := tx.Create(&WitnessPush{PeerID: id, Size: size, CreatedAt: now, NextAttemptAt: now}).Error; err != nil {
			return err
		}
	}
	return nil
}

// ClaimWitnessPush takes the next push due, with its peer, or nil when
// none is; the claim holds for lease, as ClaimMail's does.
func (s *Store) ClaimWitnessPush(ctx context.Context, claim string, lease time.Duration) (_ *WitnessPush, _ *Peer, err error) {
	defer wrap(&err, "claim a witness push")
	var due int64
	if err := s.db.WithContext(ctx).Model(&WitnessPush{}).Where("done_at IS NULL AND next_attempt_at <= ?", s.now()).Limit(1).Count(&due).Error; err != nil || due == 0 {
		return nil, nil, err
	}
	var p *WitnessPush
	err = s.write(ctx, func(tx *gorm.DB) error {
		now := s.now()
		q := tx.Where("done_at IS NULL AND next_attempt_at <= ?", now).Order("next_attempt_at, id").Limit(1)
		if tx.Dialector.Name() == "postgres" {
			q = q.Clauses(skipLocked)
		}
		var found []WitnessPush
		if err := q.Find(&found).Error; err != nil || len(found) == 0 {
			return err
		}
		p = &found[0]
		p.Claim, p.NextAttemptAt, p.Attempts = claim, now.Add(lease), p.Attempts+1
		return tx.Model(p).Select("claim", "next_attempt_at", "attempts").Updates(p).Error
	})
	if err != nil || p == nil {
		return nil, nil, err
	}
	peer, err := s.peer(ctx, p.PeerID)
	if err != nil {
		return nil, nil, err
	}
	return p, peer, nil
}

// WitnessRequest is the add-checkpoint body for a peer's witness: the
// latest checkpoint with a consistency proof from old, the size that
// witness last cosigned (old < 0: as recorded here). It returns the
// checkpoint's size too.
func (s *Store) WitnessRequest(ctx context.Context, peerID uint, old int64) (_ []byte, _ int64, err error) {
	defer wrap(&err, "build the witness request for peer %d", peerID)
	db := s.db.WithContext(ctx)
	if old < 0 {
		var last *int64
		if err := db.Model(&logCosignature{}).Where("peer_id = ?", peerID).Select("MAX(size)").Scan(&last).Error; err != nil {
			return nil, 0, err
		}
		old = 0
		if last != nil {
			old = *last
		}
	}
	var cp tlogCheckpoint
	if err := db.Order("size DESC").First(&cp).Error; err != nil {
		return nil, 0, notFound(err)
	}
	if old > cp.Size {
		return nil, cp.Size, fmt.Errorf("the witness has cosigned size %d, more than this log's %d: this log lost its history", old, cp.Size)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "old %d\n", old)
	if old > 0 && old < cp.Size {
		proof, err := tlog.ProveTree(cp.Size, old, hashReader{db})
		if err != nil {
			return nil, 0, err
		}
		for _, h := range proof {
			b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
		}
	}
	b.WriteString("\n" + cp.Note)
	return []byte(b.String()), cp.Size, nil
}

// WitnessCosigned records a peer witness's answer to a push of the
// checkpoint of size: the cosignature lines that verify with the peer's
// witness key are kept and served with the checkpoint, and the pushes to
// that peer up to size are done.
func (s *Store) WitnessCosigned(ctx context.Context, push *WitnessPush, peer *Peer, size int64, lines []byte) (err error) {
	defer wrap(&err, "record the cosignature of peer %d on size %d", peer.ID, size)
	v, err := tdnote.NewVerifierForCosignatureV1(peer.WitnessKey)
	if err != nil {
		return err
	}
	cp, err := s.CheckpointAt(ctx, size)
	if err != nil {
		return err
	}
	text, _, _ := strings.Cut(cp, "\n\n")
	n, err := note.Open([]byte(text+"\n\n"+string(lines)), note.VerifierList(v))
	if err != nil {
		return fmt.Errorf("the witness's answer has no valid cosignature: %w", err)
	}
	var sig strings.Builder
	for _, g := range n.Sigs {
		fmt.Fprintf(&sig, "— %s %s\n", g.Name, g.Base64)
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("size = ? AND peer_id = ?", size, peer.ID).Delete(&logCosignature{}).Error; err != nil {
			return err
		}
		if err := tx.Create(&logCosignature{Size: size, PeerID: peer.ID, Signature: sig.String(), CreatedAt: s.now()}).Error; err != nil {
			return err
		}
		if err := tx.Model(&WitnessPush{}).Where("peer_id = ? AND size <= ? AND done_at IS NULL", peer.ID, size).
			Updates(map[string]any{"done_at": s.now(), "last_error": "", "claim": ""}).Error; err != nil {
			return err
		}
		return s.audit(tx, nil, "log.cosigned", "peer", peer.ID, nil, map[string]any{"size": size, "witness": v.Name()})
	})
}

// WitnessPushFailed records a failed push and when to try again.
func (s *Store) WitnessPushFailed(ctx context.Context, push *WitnessPush, reason string, retryIn time.Duration) (err error) {
	defer wrap(&err, "record a failed witness push %d", push.ID)
	if len(reason) > 500 {
		reason = reason[:500]
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&WitnessPush{}).Where("id = ? AND claim = ? AND done_at IS NULL", push.ID, push.Claim).
			Updates(map[string]any{"next_attempt_at": s.now().Add(retryIn), "last_error": reason, "claim": ""}).Error
	})
}

// WitnessRefused records that a peer's witness refused this log's
// checkpoint of size as inconsistent with one it cosigned: this log showed
// a split view or lost its history. The pushes to that witness up to size
// end (retrying cannot help), and the admins are told.
func (s *Store) WitnessRefused(ctx context.Context, push *WitnessPush, peer *Peer, size int64, detail string) (err error) {
	defer wrap(&err, "record the refusal of witness push %d", push.ID)
	if len(detail) > 500 {
		detail = detail[:500]
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&WitnessPush{}).Where("peer_id = ? AND size <= ? AND done_at IS NULL", peer.ID, max(size, push.Size)).
			Updates(map[string]any{"done_at": s.now(), "last_error": detail, "claim": ""}).Error; err != nil {
			return err
		}
		msg := fmt.Sprintf("the witness of %s refused this log's checkpoint of size %d: %s", peer.BaseURL, size, detail)
		if err := s.audit(tx, nil, "log.refused_by_witness", "peer", peer.ID, nil, map[string]any{"size": size, "detail": detail}); err != nil {
			return err
		}
		return s.notifyAdmins(tx, NoticeSplitView, msg, "/admin/peers")
	})
}

// WitnessQueueDepth counts the pushes not done yet, for metrics.
func (s *Store) WitnessQueueDepth(ctx context.Context) (n int64, err error) {
	defer wrap(&err, "count the witness outbox")
	err = s.db.WithContext(ctx).Model(&WitnessPush{}).Where("done_at IS NULL").Count(&n).Error
	return n, err
}

// withCosignatures is a checkpoint as served: the log's signature and
// every cosignature collected for its size.
func withCosignatures(db *gorm.DB, cp tlogCheckpoint) (string, error) {
	var cs []logCosignature
	if err := db.Where("size = ?", cp.Size).Order("peer_id").Find(&cs).Error; err != nil {
		return "", err
	}
	out := cp.Note
	for _, c := range cs {
		out += c.Signature
	}
	return out, nil
}
