package assessments

import (
	"context"
	"errors"
	"time"

	"github.com/unescap/dmf/frameworks"
	"gorm.io/gorm"
)

// The public pages of services and organisations are what the ids inside a
// card resolve to. They show only what issued cards already make public:
// a service or organisation without an issued card does not exist for
// them, and of its assessments only those with a card are listed.

// PublicCard is an issued card as its service's public page lists it.
type PublicCard struct {
	ID               string
	Period           int
	Score            float64
	Level            int
	Label            frameworks.Text // the level's name in the edition
	FrameworkID      string
	FrameworkVersion string
	IssuedAt         time.Time
	Revoked          bool
}

// PublicService is a service with its issued cards, newest period first.
type PublicService struct {
	ID       uint
	Name     string
	Category string
	URL      string
	Provider Organisation
	Cards    []PublicCard
}

// PublicOrganisation is an organisation with its services that have
// issued cards.
type PublicOrganisation struct {
	Organisation Organisation
	Services     []PublicService
}

// PublicService returns a service that has an issued card, or ErrNotFound.
func (s *Store) PublicService(ctx context.Context, id uint) (_ *PublicService, err error) {
	defer wrap(&err, "read public service %d", id)
	db := s.db.WithContext(ctx)
	var svc Service
	if err := db.First(&svc, id).Error; err != nil {
		return nil, notFound(err)
	}
	var org Organisation
	if err := db.First(&org, svc.OrganisationID).Error; err != nil {
		return nil, notFound(err)
	}
	services, err := s.publicServices(db, []Service{svc}, org)
	if err != nil {
		return nil, err
	}
	if len(services) == 0 {
		return nil, ErrNotFound
	}
	return &services[0], nil
}

// PublicOrganisation returns an organisation that has a service with an
// issued card, or ErrNotFound.
func (s *Store) PublicOrganisation(ctx context.Context, id uint) (_ *PublicOrganisation, err error) {
	defer wrap(&err, "read public organisation %d", id)
	db := s.db.WithContext(ctx)
	var org Organisation
	if err := db.First(&org, id).Error; err != nil {
		return nil, notFound(err)
	}
	var svcs []Service
	if err := db.Where("organisation_id = ?", id).Order("name").Find(&svcs).Error; err != nil {
		return nil, err
	}
	services, err := s.publicServices(db, svcs, org)
	if err != nil {
		return nil, err
	}
	if len(services) == 0 {
		return nil, ErrNotFound
	}
	return &PublicOrganisation{Organisation: org, Services: services}, nil
}

// publicServices attaches their issued cards to services of one
// organisation and drops the services that have none.
func (s *Store) publicServices(db *gorm.DB, svcs []Service, org Organisation) ([]PublicService, error) {
	ids := make([]uint, len(svcs))
	for i, svc := range svcs {
		ids[i] = svc.ID
	}
	var rows []struct {
		ServiceID        uint
		CardID           string
		Period           int
		Score            *float64
		Level            *int
		FrameworkID      string
		FrameworkVersion string
		IssuedAt         time.Time
		RevokedAt        *time.Time
	}
	err := db.Table("cards").
		Select("assessments.service_id, cards.id AS card_id, assessments.period, assessments.score, assessments.level, "+
			"assessments.framework_id, assessments.framework_version, cards.issued_at, cards.revoked_at").
		Joins("JOIN assessments ON assessments.id = cards.assessment_id").
		Where("assessments.service_id IN ? AND assessments.status = ?", ids, StatusApproved).
		Order("assessments.period DESC, cards.issued_at DESC").
		Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	cards := map[uint][]PublicCard{}
	for _, r := range rows {
		pc := PublicCard{ID: r.CardID, Period: r.Period, FrameworkID: r.FrameworkID, FrameworkVersion: r.FrameworkVersion,
			IssuedAt: r.IssuedAt, Revoked: r.RevokedAt != nil}
		if r.Score != nil && r.Level != nil {
			pc.Score, pc.Level = Round1(*r.Score), *r.Level
		}
		if s.editions != nil {
			if ed, ok := s.editions.Edition(r.FrameworkID, r.FrameworkVersion); ok {
				pc.Label = ed.LevelLabel(pc.Level)
			}
		}
		cards[r.ServiceID] = append(cards[r.ServiceID], pc)
	}
	var out []PublicService
	for _, svc := range svcs {
		if len(cards[svc.ID]) > 0 {
			out = append(out, PublicService{ID: svc.ID, Name: svc.Name, Category: svc.Category, URL: svc.URL,
				Provider: org, Cards: cards[svc.ID]})
		}
	}
	return out, nil
}

// notFound turns GORM's missing row into the domain's ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}
