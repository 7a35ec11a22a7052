package assessments

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/unescap/dmf/assessments/card"
	"github.com/unescap/dmf/frameworks"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// PeerCard is a trusted peer's card that this instance (typically ESCAP's
// regional hub) keeps after verifying it in full: the card as issued and
// what the comparison reads from it.
type PeerCard struct {
	ID               string    `gorm:"primaryKey;size:300" json:"id"` // the card's id, an address on the peer
	PeerID           uint      `gorm:"not null;uniqueIndex:ux_peer_card_log,priority:1" json:"peer_id"`
	LogIndex         int64     `gorm:"not null;uniqueIndex:ux_peer_card_log,priority:2" json:"log_index"`
	Data             []byte    `gorm:"not null" json:"-"`
	Issuer           string    `gorm:"not null" json:"issuer"`
	Country          string    `gorm:"not null;index:ix_peer_cards_compare,priority:4" json:"country"`
	Category         string    `gorm:"not null;default:''" json:"category"`
	Service          string    `gorm:"not null" json:"service"` // the subject's id
	ServiceName      string    `gorm:"not null;default:''" json:"service_name"`
	Provider         string    `gorm:"not null;default:''" json:"provider"`
	FrameworkID      string    `gorm:"not null;index:ix_peer_cards_compare,priority:1" json:"framework_id"`
	FrameworkVersion string    `gorm:"not null;index:ix_peer_cards_compare,priority:2" json:"framework_version"`
	Period           int       `gorm:"not null;index:ix_peer_cards_compare,priority:3" json:"period"`
	Score            float64   `gorm:"not null" json:"score"`
	Level            int       `gorm:"not null" json:"level"`
	Dimensions       string    `gorm:"not null" json:"-"` // JSON: dimension id → score
	StatusList       string    `gorm:"not null;default:''" json:"status_list"`
	Revoked          bool      `gorm:"not null;default:false" json:"revoked"`
	VerifiedAt       time.Time `gorm:"not null" json:"verified_at"`
	CreatedAt        time.Time `gorm:"not null" json:"created_at"`
}

// peerSync is how far a peer's card feed has been read: After is the
// number of its log entries handled (kept or refused for good).
type peerSync struct {
	PeerID   uint  `gorm:"primaryKey;autoIncrement:false"`
	After    int64 `gorm:"not null"`
	SyncedAt *time.Time
	Kept     int    `gorm:"not null;default:0"`
	Refused  int    `gorm:"not null;default:0"`
	Problem  string `gorm:"not null;default:''"`
}

// PeerSyncState is what the hub knows of its reading of a peer's feed.
type PeerSyncState struct {
	After    int64      `json:"after"`
	SyncedAt *time.Time `json:"synced_at,omitempty"`
	Kept     int        `json:"kept"`    // cards kept so far
	Refused  int        `json:"refused"` // cards refused for good so far
	Revoked  int        `json:"revoked"` // kept cards the peer has revoked since
	Problem  string     `json:"problem,omitempty"`
}

// trustedPeer returns a peer that is trusted now, or an error saying it
// is not.
func trustedPeer(tx *gorm.DB, id uint) (*Peer, error) {
	var p Peer
	if err := tx.First(&p, id).Error; err != nil {
		return nil, notFound(err)
	}
	if p.Status != PeerTrusted {
		return nil, fmt.Errorf("%w: the peer is %s, not trusted", ErrReadOnly, p.Status)
	}
	return &p, nil
}

// PeerSync returns how far a trusted peer's feed has been read.
func (s *Store) PeerSync(ctx context.Context, peerID uint) (_ PeerSyncState, err error) {
	defer wrap(&err, "read the sync state of peer %d", peerID)
	var row peerSync
	err = s.db.WithContext(ctx).Where("peer_id = ?", peerID).Limit(1).Find(&row).Error
	st := PeerSyncState{After: row.After, SyncedAt: row.SyncedAt, Kept: row.Kept, Refused: row.Refused, Problem: row.Problem}
	if err != nil {
		return st, err
	}
	var revoked int64
	err = s.db.WithContext(ctx).Model(&PeerCard{}).Where("peer_id = ? AND revoked = ?", peerID, true).Count(&revoked).Error
	st.Revoked = int(revoked)
	return st, err
}

// KeepPeerCard stores a card of a trusted peer that the caller verified in
// full (signature by the peer's key, status, inclusion in the peer's log
// under a witnessed checkpoint) at its log index. The card must be the
// peer's own: its issuer is the peer's DID. Keeping it again updates its
// revoked flag.
func (s *Store) KeepPeerCard(ctx context.Context, peerID uint, logIndex int64, signed []byte, revoked bool) (_ *PeerCard, err error) {
	defer wrap(&err, "keep card %d of peer %d", logIndex, peerID)
	c, err := card.Parse(signed)
	if err != nil {
		return nil, err
	}
	a := c.CredentialSubject.Assessment
	dims := map[string]float64{}
	for _, d := range a.Dimensions {
		dims[d.Dimension] = d.Score
	}
	dj, err := json.Marshal(dims)
	if err != nil {
		return nil, err
	}
	country := strings.ToUpper(c.CredentialSubject.Provider.Country)
	if _, ok := s.countries.Country(country); !ok {
		return nil, fieldError("country", "%q is not the ISO 3166-1 alpha-3 code of an ESCAP member or associate member", country)
	}
	if a.Period < MinPeriod || a.Period > MaxPeriod {
		return nil, fieldError("period", "must be a year between %d and %d", MinPeriod, MaxPeriod)
	}
	var rec PeerCard
	err = s.write(ctx, func(tx *gorm.DB) error {
		p, err := trustedPeer(tx, peerID)
		if err != nil {
			return err
		}
		if c.Issuer.ID != p.DID || !strings.HasPrefix(c.ID, p.BaseURL+"/cards/") {
			return fmt.Errorf("%w: the card of %s is not one %s issued", ErrForbidden, c.Issuer.ID, p.BaseURL)
		}
		now := s.now()
		rec = PeerCard{ID: c.ID, PeerID: peerID, LogIndex: logIndex, Data: signed, Issuer: c.Issuer.ID, Country: country,
			Category: c.CredentialSubject.Category, Service: c.CredentialSubject.ID, ServiceName: c.CredentialSubject.Name,
			Provider: c.CredentialSubject.Provider.Name, FrameworkID: a.Framework.Identifier, FrameworkVersion: a.Framework.Version,
			Period: a.Period, Score: a.Overall.Score, Level: a.Overall.Level, Dimensions: string(dj),
			StatusList: c.CredentialStatus.StatusListCredential, Revoked: revoked, VerifiedAt: now, CreatedAt: now}
		var old PeerCard
		found := tx.Where("id = ?", c.ID).Limit(1).Find(&old).RowsAffected > 0
		if found && old.PeerID != peerID {
			return fmt.Errorf("%w: card %s is already kept from another peer", ErrDuplicate, c.ID)
		}
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}},
			DoUpdates: clause.AssignmentColumns([]string{"revoked", "verified_at"})}).Create(&rec).Error; err != nil {
			return err
		}
		if found && old.Revoked == revoked {
			return nil
		}
		return s.audit(tx, nil, "peer_card.kept", "peer_card", c.ID, nil,
			map[string]any{"peer_id": peerID, "log_index": logIndex, "country": country, "period": a.Period, "revoked": revoked})
	})
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// PeerCardsToRecheck are the kept, unrevoked cards of a peer, whose status
// each sync checks again.
func (s *Store) PeerCardsToRecheck(ctx context.Context, peerID uint) (_ []PeerCard, err error) {
	defer wrap(&err, "list the cards of peer %d", peerID)
	var out []PeerCard
	err = s.db.WithContext(ctx).Where("peer_id = ? AND revoked = ?", peerID, false).Order("log_index").Find(&out).Error
	return out, err
}

// MarkPeerCardRevoked records that a peer revoked a card this instance
// keeps: it leaves the comparison at once.
func (s *Store) MarkPeerCardRevoked(ctx context.Context, peerID uint, id string) (err error) {
	defer wrap(&err, "mark card %s of peer %d revoked", id, peerID)
	return s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&PeerCard{}).Where("id = ? AND peer_id = ? AND revoked = ?", id, peerID, false).
			Updates(map[string]any{"revoked": true, "verified_at": s.now()})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return s.audit(tx, nil, "peer_card.revoked", "peer_card", id, map[string]any{"revoked": false}, map[string]any{"revoked": true, "peer_id": peerID})
	})
}

// RefusePeerCard records, in the audit log, a card of a peer's feed that
// failed verification for good (a bad signature, another issuer): it is
// not kept.
func (s *Store) RefusePeerCard(ctx context.Context, peerID uint, logIndex int64, reason string) (err error) {
	defer wrap(&err, "refuse card %d of peer %d", logIndex, peerID)
	return s.write(ctx, func(tx *gorm.DB) error {
		return s.audit(tx, nil, "peer_card.refused", "peer", peerID, nil, map[string]any{"log_index": logIndex, "reason": reason})
	})
}

// RecordPeerSync records how far a sync read a peer's feed and what it
// kept and refused; problem is why it stopped early ("" when it read to
// the end).
func (s *Store) RecordPeerSync(ctx context.Context, peerID uint, after int64, kept, refused int, problem string) (err error) {
	defer wrap(&err, "record the sync of peer %d", peerID)
	if len(problem) > 500 {
		problem = problem[:500]
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		var old peerSync
		tx.Where("peer_id = ?", peerID).Limit(1).Find(&old)
		now := s.now()
		row := peerSync{PeerID: peerID, After: max(after, old.After), SyncedAt: &now, Kept: old.Kept + kept, Refused: old.Refused + refused, Problem: problem}
		if err := tx.Save(&row).Error; err != nil {
			return err
		}
		if kept == 0 && refused == 0 && problem == old.Problem {
			return nil
		}
		return s.audit(tx, nil, "peer.synced", "peer", peerID, map[string]any{"after": old.After},
			map[string]any{"after": row.After, "kept": kept, "refused": refused, "problem": problem})
	})
}

// peerRow is a kept, unrevoked card of a trusted peer as the comparison
// reads it.
type peerRow struct {
	Country, Category, Service, Dimensions, BaseURL string
	PeerID                                          uint
	Period                                          int
	LogIndex                                        int64
	Score                                           float64
}

// peerRows reads the cards of trusted peers that count in a comparison of
// an edition: unrevoked, one per service and period (the latest in the
// peer's log, should a peer ever have issued two).
func (s *Store) peerRows(ctx context.Context, ed *frameworks.Edition, period int, countries []string) ([]peerRow, error) {
	q := s.db.WithContext(ctx).Table("peer_cards").
		Select("peer_cards.country, peer_cards.category, peer_cards.service, peer_cards.dimensions, peers.base_url, peer_cards.peer_id, peer_cards.period, peer_cards.log_index, peer_cards.score").
		Joins("JOIN peers ON peers.id = peer_cards.peer_id").
		Where("peers.status = ? AND peer_cards.revoked = ? AND peer_cards.framework_id = ? AND peer_cards.framework_version = ?", PeerTrusted, false, ed.ID, ed.Version)
	if period != 0 {
		q = q.Where("peer_cards.period = ?", period)
	}
	if len(countries) > 0 {
		q = q.Where("peer_cards.country IN ?", countries)
	}
	var rows []peerRow
	if err := q.Order("peer_cards.country, peer_cards.period, peer_cards.peer_id, peer_cards.log_index").Scan(&rows).Error; err != nil {
		return nil, err
	}
	type key struct {
		peer    uint
		service string
		period  int
	}
	latest := map[key]int{}
	var out []peerRow
	for _, r := range rows {
		k := key{r.PeerID, r.Service, r.Period}
		if i, ok := latest[k]; ok {
			out[i] = r // ordered by log index: a later card replaces an earlier one
			continue
		}
		latest[k] = len(out)
		out = append(out, r)
	}
	return out, nil
}

// The rule that keeps a country from being counted twice: a country that
// trusted peers attest in an edition and period (its own national
// instance, as a rule) is compared from the peers' cards alone, and this
// instance's own approved assessments of that country are left out, in
// that period only. The state's own instance is where its agencies assess
// their services; a copy assessed again at the hub would count a service
// twice. Several peers attesting one country are pooled, each service once.

// withPeerScores adds the countries that trusted peers attest to the
// local country scores, replacing a country's local scores when peers
// attest it; the result stays in code order.
func (s *Store) withPeerScores(ctx context.Context, ed *frameworks.Edition, period int, countries []string, local []CountryScores) ([]CountryScores, error) {
	rows, err := s.peerRows(ctx, ed, period, countries)
	if err != nil || len(rows) == 0 {
		return local, err
	}
	byCountry := map[string]*CountryScores{}
	dimN := map[string]map[string]int{}
	var order []string
	for _, r := range rows {
		cs := byCountry[r.Country]
		if cs == nil {
			cs = &CountryScores{Code: r.Country, Dimensions: map[string]Stat{}}
			byCountry[r.Country], dimN[r.Country] = cs, map[string]int{}
			order = append(order, r.Country)
		}
		cs.Overall = addStat(cs.Overall, cs.Services, r.Score)
		cs.Services++
		var dims map[string]float64
		if err := json.Unmarshal([]byte(r.Dimensions), &dims); err != nil {
			return nil, fmt.Errorf("peer card of %s: %w", r.Service, err)
		}
		for id, v := range dims {
			cs.Dimensions[id] = addStat(cs.Dimensions[id], dimN[r.Country][id], v)
			dimN[r.Country][id]++
		}
		if !slices.Contains(cs.Sources, r.BaseURL) {
			cs.Sources = append(cs.Sources, r.BaseURL)
		}
	}
	out := slices.DeleteFunc(slices.Clone(local), func(c CountryScores) bool { return byCountry[c.Code] != nil })
	for _, code := range order {
		slices.Sort(byCountry[code].Sources)
		out = append(out, *byCountry[code])
	}
	slices.SortStableFunc(out, func(a, b CountryScores) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}

// addStat folds one more value into a running mean with its range.
func addStat(st Stat, n int, v float64) Stat {
	if n == 0 {
		return Stat{Mean: v, Min: v, Max: v}
	}
	return Stat{Mean: (st.Mean*float64(n) + v) / float64(n+1), Min: min(st.Min, v), Max: max(st.Max, v)}
}

// withPeerTrend replaces, per country and period, the local trend points
// with the peers' when peers attest that country in that period.
func (s *Store) withPeerTrend(ctx context.Context, ed *frameworks.Edition, countries []string, local []trendPoint) ([]trendPoint, error) {
	rows, err := s.peerRows(ctx, ed, 0, countries)
	if err != nil || len(rows) == 0 {
		return local, err
	}
	type key struct {
		country string
		period  int
	}
	peer := map[key]*trendPoint{}
	var order []key
	for _, r := range rows {
		k := key{r.Country, r.Period}
		p := peer[k]
		if p == nil {
			p = &trendPoint{Country: r.Country, Period: r.Period}
			peer[k] = p
			order = append(order, k)
		}
		p.Mean = (p.Mean*float64(p.Services) + r.Score) / float64(p.Services+1)
		p.Services++
	}
	out := slices.DeleteFunc(slices.Clone(local), func(p trendPoint) bool { return peer[key{p.Country, p.Period}] != nil })
	for _, k := range order {
		out = append(out, *peer[k])
	}
	slices.SortStableFunc(out, func(a, b trendPoint) int {
		if c := strings.Compare(a.Country, b.Country); c != 0 {
			return c
		}
		return a.Period - b.Period
	})
	return out, nil
}

// peerPeriods adds the periods that trusted peers' cards of an edition
// are of, newest first.
func (s *Store) peerPeriods(ctx context.Context, ed *frameworks.Edition, local []int) ([]int, error) {
	var ps []int
	err := s.db.WithContext(ctx).Table("peer_cards").Joins("JOIN peers ON peers.id = peer_cards.peer_id").
		Where("peers.status = ? AND peer_cards.revoked = ? AND peer_cards.framework_id = ? AND peer_cards.framework_version = ?", PeerTrusted, false, ed.ID, ed.Version).
		Distinct().Pluck("peer_cards.period", &ps).Error
	if err != nil {
		return nil, err
	}
	out := slices.Clone(local)
	for _, p := range ps {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b int) int { return b - a })
	return out, nil
}

// peerBasket counts, for the shown countries that peers attest, their
// services per service category from the peers' cards.
func (s *Store) peerBasket(ctx context.Context, cmpn *Comparison, codes []string) (map[string]map[string]int, error) {
	rows, err := s.peerRows(ctx, cmpn.Edition, cmpn.Period, codes)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]int{}
	for _, r := range rows {
		if out[r.Country] == nil {
			out[r.Country] = map[string]int{}
		}
		out[r.Country][r.Category]++
	}
	return out, nil
}

// FromPeers reports whether a shown country is compared from trusted
// peers' cards.
func (cmpn *Comparison) FromPeers() bool {
	for _, r := range cmpn.Countries {
		if len(r.Sources) > 0 {
			return true
		}
	}
	return false
}
