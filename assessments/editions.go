package assessments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/unescap/dmf/frameworks"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// editionRecord keeps the canonical content of every edition the instance
// has served, so that an edition stays readable after a newer binary drops
// it, and so that an edition in use can be proven unchanged.
type editionRecord struct {
	ID          uint   `gorm:"primaryKey"`
	FrameworkID string `gorm:"not null;uniqueIndex:ux_edition_version"`
	Version     string `gorm:"not null;uniqueIndex:ux_edition_version"`
	Digest      string `gorm:"not null"`
	Content     []byte `gorm:"not null"` // canonical JSON, as digested
	LockedAt    *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (editionRecord) TableName() string { return "editions" }

// ErrEditionChanged means an edition file differs from the stored content
// of an edition that assessments already use.
var ErrEditionChanged = errors.New("edition changed after use")

// syncEditions records the built-in editions and makes the store's catalog
// every edition the instance knows: the built-in ones plus those stored
// from earlier releases. A built-in edition whose content differs from a
// locked (used) stored one is refused: a used edition is immutable, and a
// corrected text must be published as a new version. Open runs it, so
// the catalog is there before any method needs it.
func (s *Store) syncEditions(ctx context.Context, builtin *frameworks.Catalog) error {
	var all []*frameworks.Edition
	err := s.write(ctx, func(tx *gorm.DB) error {
		for _, ed := range builtin.Editions() {
			if err := CheckBasket(ed); err != nil {
				return err
			}
			var rec editionRecord
			err := tx.Where("framework_id = ? AND version = ?", ed.ID, ed.Version).First(&rec).Error
			switch {
			case errors.Is(err, gorm.ErrRecordNotFound):
				canon, err := ed.Canonical()
				if err != nil {
					return err
				}
				rec = editionRecord{FrameworkID: ed.ID, Version: ed.Version, Digest: ed.Digest, Content: canon}
				// Another instance may record it at the same moment; theirs is the same.
				if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&rec).Error; err != nil {
					return fmt.Errorf("record edition %s: %w", ed.Key(), err)
				}
			case err != nil:
				return err
			case rec.Digest != ed.Digest && rec.LockedAt != nil:
				return fmt.Errorf("%w: %s is used by assessments since %s with digest %s, but the built-in file now has digest %s; publish the change under a new version",
					ErrEditionChanged, ed.Key(), rec.LockedAt.Format(time.DateOnly), rec.Digest, ed.Digest)
			case rec.Digest != ed.Digest:
				canon, err := ed.Canonical()
				if err != nil {
					return err
				}
				if err := tx.Model(&rec).Updates(map[string]any{"digest": ed.Digest, "content": canon}).Error; err != nil {
					return err
				}
			}
			all = append(all, ed)
		}
		var stored []editionRecord
		if err := tx.Find(&stored).Error; err != nil {
			return err
		}
		for _, rec := range stored {
			if _, ok := builtin.Edition(rec.FrameworkID, rec.Version); ok {
				continue
			}
			ed, err := frameworks.Parse(rec.FrameworkID+"@"+rec.Version+" (stored)", rec.Content)
			if err != nil {
				return fmt.Errorf("stored edition %s@%s: %w", rec.FrameworkID, rec.Version, err)
			}
			if ed.Digest != rec.Digest {
				return fmt.Errorf("stored edition %s: content does not match its digest %s", ed.Key(), rec.Digest)
			}
			all = append(all, ed)
		}
		return nil
	})
	if err != nil {
		return err
	}
	cat, err := frameworks.NewCatalog(all...)
	if err != nil {
		return err
	}
	s.editions = cat
	return nil
}
