package assessments

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// A trusted peer's published practices come to the hub with its cards:
// each sync pulls the peer's own practices and keeps those whose card is
// one of the peer's cards kept here after full verification. The card
// carries the overall and dimension levels, not the indicator's; the
// practice's level is the peer's record of it, taken only at 4 or 5 and
// only with a card of the same edition. They live in practices, so search,
// filters and counts treat them as local ones, with the peer as source.

// fromTrusted keeps local practices and those of peers trusted now.
const fromTrusted = "(practices.peer_id = 0 OR practices.peer_id IN (SELECT id FROM peers WHERE status = ?))"

// PeerPractice is a practice as a peer publishes it.
type PeerPractice struct {
	ID               uint
	CardID           string // the card's address at the peer
	Indicator        string
	Title            string
	Summary          string
	Contact          string
	Links            []string
	Language         string
	Level            int
	FrameworkID      string
	FrameworkVersion string
	PublishedAt      *time.Time
}

// MaxPeerPractices bounds how many practices one peer's sync keeps.
const MaxPeerPractices = 5000

// ReplacePeerPractices makes a trusted peer's practices here those given:
// new ones are added, changed ones updated in place (their address here
// stays), and those the peer no longer publishes removed. A practice is
// refused when its card is not a kept card of this peer of the same
// edition, its level is below 4, its indicator is not the edition's, or its
// texts break the rules local practices follow.
func (s *Store) ReplacePeerPractices(ctx context.Context, peerID uint, in []PeerPractice) (kept, refused int, err error) {
	defer wrap(&err, "keep the practices of peer %d", peerID)
	if len(in) > MaxPeerPractices {
		in = in[:MaxPeerPractices]
	}
	err = s.write(ctx, func(tx *gorm.DB) error {
		if _, err := trustedPeer(tx, peerID); err != nil {
			return err
		}
		var cards []PeerCard
		if err := tx.Omit("Data").Where("peer_id = ?", peerID).Find(&cards).Error; err != nil {
			return err
		}
		byID := make(map[string]PeerCard, len(cards))
		for _, c := range cards {
			byID[c.ID] = c
		}
		var old []Practice
		if err := tx.Where("peer_id = ?", peerID).Find(&old).Error; err != nil {
			return err
		}
		before := make(map[uint]Practice, len(old))
		for _, p := range old {
			before[p.PeerPracticeID] = p
		}
		seen := map[uint]bool{}
		changed := 0
		for _, pp := range in {
			p, ok := s.peerPractice(peerID, pp, byID)
			if !ok || seen[pp.ID] {
				refused++
				continue
			}
			seen[pp.ID] = true
			kept++
			if o, ok := before[pp.ID]; ok {
				p.ID, p.CreatedAt = o.ID, o.CreatedAt
				if samePeerPractice(o, p) {
					continue
				}
				if err := tx.Save(&p).Error; err != nil {
					return err
				}
			} else if err := tx.Create(&p).Error; err != nil {
				return err
			}
			changed++
		}
		var gone []uint
		for id, o := range before {
			if !seen[id] {
				gone = append(gone, o.ID)
			}
		}
		if len(gone) > 0 {
			if err := tx.Where("id IN ?", gone).Delete(&Practice{}).Error; err != nil {
				return err
			}
		}
		if changed == 0 && len(gone) == 0 {
			return nil
		}
		return s.audit(tx, nil, "peer_practices.synced", "peer", peerID, map[string]any{"practices": len(old)},
			map[string]any{"practices": kept, "changed": changed, "removed": len(gone), "refused": refused})
	})
	if err != nil {
		return 0, 0, err
	}
	return kept, refused, nil
}

// peerPractice checks one practice of a peer and gives the row to keep.
func (s *Store) peerPractice(peerID uint, pp PeerPractice, cards map[string]PeerCard) (Practice, bool) {
	c, ok := cards[pp.CardID]
	if !ok || pp.ID == 0 || pp.Level < PracticeMinLevel || pp.Level > 5 ||
		c.FrameworkID != pp.FrameworkID || c.FrameworkVersion != pp.FrameworkVersion {
		return Practice{}, false
	}
	ed, ok := s.editions.Edition(c.FrameworkID, c.FrameworkVersion)
	if !ok {
		return Practice{}, false
	}
	ind, ref, ok := ed.Indicator(strings.TrimSpace(pp.Indicator))
	if !ok {
		return Practice{}, false
	}
	in, err := PracticeInput{Indicator: ind.ID, Title: pp.Title, Summary: pp.Summary, Contact: pp.Contact, Links: pp.Links, Language: pp.Language}.check()
	if err != nil {
		return Practice{}, false
	}
	links, _ := json.Marshal(in.Links)
	if in.Links == nil {
		links = []byte("[]")
	}
	published := s.now()
	if pp.PublishedAt != nil {
		published = pp.PublishedAt.UTC()
	}
	return Practice{
		Country: c.Country, Category: c.Category, FrameworkID: c.FrameworkID, FrameworkVersion: c.FrameworkVersion,
		DimensionID: ed.Dimensions[ref.Dimension].ID, IndicatorID: ind.ID, Level: pp.Level, Title: in.Title, Summary: in.Summary,
		Contact: in.Contact, Links: string(links), Language: in.Language, Status: PracticePublished, SearchText: searchText(in.Title, in.Summary),
		PublishedAt: &published, PeerID: peerID, PeerPracticeID: pp.ID, PeerCardID: c.ID, PeerService: c.Service,
	}, true
}

// samePeerPractice reports whether a kept practice already says what the
// peer publishes now, so that a sync without news writes nothing.
func samePeerPractice(a, b Practice) bool {
	return a.PeerCardID == b.PeerCardID && a.IndicatorID == b.IndicatorID && a.Level == b.Level && a.Title == b.Title &&
		a.Summary == b.Summary && a.Contact == b.Contact && a.Links == b.Links && a.Language == b.Language &&
		a.Country == b.Country && a.Category == b.Category && a.PublishedAt != nil && b.PublishedAt != nil && a.PublishedAt.Equal(*b.PublishedAt)
}

// peerPracticeCards reads the peer cards and peers' base URLs that a list
// of practices cites.
func peerPracticeCards(tx *gorm.DB, ps []Practice) (map[string]PeerCard, map[uint]string, error) {
	var cardIDs []string
	var peerIDs []uint
	for _, p := range ps {
		if p.PeerID != 0 {
			cardIDs, peerIDs = append(cardIDs, p.PeerCardID), append(peerIDs, p.PeerID)
		}
	}
	cards, bases := map[string]PeerCard{}, map[uint]string{}
	if len(cardIDs) == 0 {
		return cards, bases, nil
	}
	var cs []PeerCard
	if err := tx.Omit("Data").Where("id IN ?", slices.Compact(slices.Sorted(slices.Values(cardIDs)))).Find(&cs).Error; err != nil {
		return nil, nil, err
	}
	for _, c := range cs {
		cards[c.ID] = c
	}
	var peers []Peer
	if err := tx.Select("id", "base_url").Where("id IN ?", peerIDs).Find(&peers).Error; err != nil {
		return nil, nil, fmt.Errorf("read peers: %w", err)
	}
	for _, p := range peers {
		bases[p.ID] = p.BaseURL
	}
	return cards, bases, nil
}
