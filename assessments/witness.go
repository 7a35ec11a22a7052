package assessments

import (
	"time"
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

// witnessPush is a checkpoint to push to a peer's witness, written in the
// transaction that signs the checkpoint; the peers worker sends it,
// retrying with back-off, and marks it done.
type witnessPush struct {
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

func (witnessPush) TableName() string { return "witness_outbox" }
