package assessments

import (
	"context"
	"errors"
	"fmt"

	"github.com/unescap/dmf/assessments/card"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"gorm.io/gorm"
)

// tlogHash is one stored hash of the transparency log's Merkle tree, at
// the index golang.org/x/mod/sumdb/tlog assigns (about two per leaf).
type tlogHash struct {
	Index int64  `gorm:"primaryKey;autoIncrement:false"`
	Hash  []byte `gorm:"not null"`
}

func (tlogHash) TableName() string { return "tlog_hashes" }

// tlogCheckpoint is a signed checkpoint. The tree size is the primary key,
// so the database itself refuses a second, different checkpoint for a size.
type tlogCheckpoint struct {
	Size int64  `gorm:"primaryKey;autoIncrement:false"`
	Note string `gorm:"not null"`
}

func (tlogCheckpoint) TableName() string { return "tlog_checkpoints" }

// hashReader reads stored tree hashes for tlog, inside a transaction or
// not.
type hashReader struct{ db *gorm.DB }

// ReadHashes reads in a fixed statement (see execSQL): every approval
// reads a few hashes to append its card, in the writer's turn.
func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	args := make([]any, len(indexes))
	for i, idx := range indexes {
		args[i] = idx
	}
	rows, err := querySQL(r.db, `SELECT "index", hash FROM tlog_hashes WHERE "index" IN `+inList(len(indexes)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byIndex := make(map[int64][]byte, len(indexes))
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return nil, err
		}
		byIndex[idx] = h
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		h, ok := byIndex[idx]
		if !ok || len(h) != tlog.HashSize {
			return nil, fmt.Errorf("transparency log: stored hash %d is missing", idx)
		}
		copy(out[i][:], h)
	}
	return out, nil
}

// logSize is the size of the latest signed checkpoint.
func logSize(tx *gorm.DB) (int64, error) {
	var size *int64
	if err := tx.Model(&tlogCheckpoint{}).Select("MAX(size)").Scan(&size).Error; err != nil {
		return 0, err
	}
	if size == nil {
		return 0, nil
	}
	return *size, nil
}

// logLockID names the PostgreSQL advisory lock that serializes appends.
const logLockID = 0x646d66 // "dmf"

// lockLog serializes issuance across instances until the transaction ends:
// one log, one checkpoint per size, status indexes picked one at a time.
// SQLite's IMMEDIATE transaction already holds the only write lock.
func lockLog(tx *gorm.DB) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(?)", logLockID).Error
}

// pendingLog is the log as a batch of approvals grows it, inside the
// batch's transaction, which holds the log lock: the size so far and the
// size of the last signed checkpoint.
type pendingLog struct {
	size, signed int64
	// The current status list and its cards, once counted (see statusUse).
	statusCounted          bool
	statusList, statusUsed int
}

type pendingLogKey struct{}

// logBatch is the approvals' batch hook (see batch.go): it takes the log
// lock before any job locks a row, so that batches of several instances
// queue for the log instead of deadlocking, lets the jobs append their
// cards, and signs ONE checkpoint for the size they reach.
func (s *Store) logBatch(tx *gorm.DB, jobs func(tx *gorm.DB) error) error {
	if s.issuer == nil {
		return jobs(tx)
	}
	if err := lockLog(tx); err != nil {
		return err
	}
	size, err := logSize(tx)
	if err != nil {
		return err
	}
	p := &pendingLog{size: size, signed: size}
	if err := jobs(tx.WithContext(context.WithValue(tx.Statement.Context, pendingLogKey{}, p))); err != nil {
		return err
	}
	if p.size == p.signed {
		return nil
	}
	return s.signCheckpoint(tx, p.size)
}

// appendLog adds a leaf to the log, inside a batch of approvals (see
// logBatch), and returns its index. The batch signs the checkpoint that
// covers it before it commits.
func (s *Store) appendLog(tx *gorm.DB, leaf []byte) (int64, error) {
	p, ok := tx.Statement.Context.Value(pendingLogKey{}).(*pendingLog)
	if !ok {
		return 0, errors.New("transparency log: an append outside a batch of approvals")
	}
	hashes, err := tlog.StoredHashes(p.size, leaf, hashReader{tx})
	if err != nil {
		return 0, err
	}
	start := tlog.StoredHashIndex(0, p.size)
	err = insertRows(tx, "tlog_hashes", []string{`"index"`, "hash"}, len(hashes), func(i int) []any {
		return []any{start + int64(i), hashes[i][:]}
	}, "")
	if err != nil {
		return 0, err
	}
	p.size++
	return p.size - 1, nil
}

// signCheckpoint signs and stores the checkpoint of the tree of a size
// whose hashes are stored. It is the one place checkpoints are signed.
func (s *Store) signCheckpoint(tx *gorm.DB, size int64) error {
	root, err := tlog.TreeHash(size, hashReader{tx})
	if err != nil {
		return err
	}
	signed, err := note.Sign(&note.Note{Text: card.CheckpointBody(s.issuer.Origin, size, root)}, s.issuer.Keys.Log)
	if err != nil {
		return err
	}
	if err := tx.Create(&tlogCheckpoint{Size: size, Note: string(signed)}).Error; err != nil {
		return err
	}
	// The one hook of witnessing (§9): each signed checkpoint goes to the
	// trusted peers' witnesses.
	return s.queueWitnessPushes(tx, size)
}

// LogInfo describes the transparency log.
type LogInfo struct {
	Origin string `json:"origin"`
	VKey   string `json:"vkey"`
	Size   int64  `json:"size"`
}

// Log returns the log's origin, verifier key and size.
func (s *Store) Log(ctx context.Context) (_ LogInfo, err error) {
	defer wrap(&err, "read the log")
	if s.issuer == nil {
		return LogInfo{}, ErrNotFound
	}
	size, err := logSize(s.db.WithContext(ctx))
	return LogInfo{Origin: s.issuer.Origin, VKey: s.issuer.Keys.LogKey, Size: size}, err
}

// Checkpoint returns the latest signed checkpoint with the witnesses'
// cosignatures collected; an empty log has an unsigned-size-0 checkpoint
// only in memory, so it answers ErrNotFound.
func (s *Store) Checkpoint(ctx context.Context) (_ string, err error) {
	defer wrap(&err, "read the checkpoint")
	var cp tlogCheckpoint
	db := s.db.WithContext(ctx)
	err = db.Order("size DESC").First(&cp).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	return withCosignatures(db, cp)
}

// CheckpointAt returns the signed checkpoint of a tree size, for witnesses
// and auditors who check that the log only grows.
func (s *Store) CheckpointAt(ctx context.Context, size int64) (_ string, err error) {
	defer wrap(&err, "read the checkpoint of size %d", size)
	var cp tlogCheckpoint
	db := s.db.WithContext(ctx)
	err = db.Where("size = ?", size).First(&cp).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	return withCosignatures(db, cp)
}

// Consistency proves that the tree of size old is a prefix of the tree of
// size new; both must be sizes the log has signed.
func (s *Store) Consistency(ctx context.Context, old, new int64) (_ tlog.TreeProof, err error) {
	defer wrap(&err, "consistency proof %d to %d", old, new)
	db := s.db.WithContext(ctx)
	size, err := logSize(db)
	if err != nil {
		return nil, err
	}
	if old < 1 || old > new || new > size {
		return nil, fieldError("old", "must satisfy 1 ≤ old ≤ new ≤ %d, the log's size", size)
	}
	return tlog.ProveTree(new, old, hashReader{db})
}

// inclusionProof proves that the leaf at index is in the latest tree.
func (s *Store) inclusionProof(db *gorm.DB, index int64) (string, error) {
	var cp tlogCheckpoint
	if err := db.Order("size DESC").First(&cp).Error; err != nil {
		return "", err
	}
	proof, err := tlog.ProveRecord(cp.Size, index, hashReader{db})
	if err != nil {
		return "", err
	}
	signed, err := withCosignatures(db, cp)
	if err != nil {
		return "", err
	}
	return card.FormatProof(index, proof, signed), nil
}
