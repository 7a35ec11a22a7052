package assessments

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// CreateService registers a service of the respondent's organisation.
func (s *Store) CreateService(ctx context.Context, by Actor, svc Service) (_ *Service, err error) {
	defer wrap(&err, "create service")
	if !by.CanAssess() {
		return nil, ErrForbidden
	}
	// Server-owned fields, whatever the caller filled in.
	svc.ID, svc.CreatedAt, svc.UpdatedAt = 0, time.Time{}, time.Time{}
	svc.OrganisationID = by.OrganisationID
	svc.Name = strings.TrimSpace(svc.Name)
	svc.URL = strings.TrimSpace(svc.URL)
	svc.Description = strings.ReplaceAll(strings.TrimSpace(svc.Description), "\r\n", "\n")
	if err := validateService(svc); err != nil {
		return nil, err
	}
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&svc).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return fieldError("name", "your organisation already has a service with this name")
			}
			return err
		}
		return s.audit(tx, &by, "service.created", "service", svc.ID, nil, svc)
	})
	if err != nil {
		return nil, err
	}
	return &svc, nil
}

func validateService(svc Service) error {
	v := invalid{}
	if svc.Name == "" || len([]rune(svc.Name)) > 200 {
		v.add("name", "must be 1 to 200 characters")
	}
	checkText(v, "name", svc.Name)
	if strings.ContainsAny(svc.Name, "\n\t") {
		v.add("name", "must be one line")
	}
	if !slices.Contains(ServiceCategories, svc.Category) {
		v.add("category", "must be one of %s", strings.Join(ServiceCategories, ", "))
	}
	if svc.LifeEvent != "" && !slices.Contains(LifeEvents, svc.LifeEvent) {
		v.add("life_event", "must be one of %s", strings.Join(LifeEvents, ", "))
	}
	if svc.URL != "" {
		if m := checkURL(svc.URL); m.Format != "" {
			v.addMessage("url", m)
		}
	}
	if len([]rune(svc.Description)) > 2000 {
		v.add("description", "must be at most 2000 characters")
	}
	checkText(v, "description", svc.Description)
	return v.err()
}

// visibleTo restricts a query on a table with organisation_id to what the
// actor may see: respondents their organisation's rows, reviewers and
// admins everything.
func visibleTo(q *gorm.DB, by Actor, column string) *gorm.DB {
	switch {
	case by.SeesAllOrganisations():
		return q
	case by.CanAssess():
		return q.Where(column+" = ?", by.OrganisationID)
	}
	return q.Where("1 = 0")
}

// Services lists the services the actor may see, by name.
func (s *Store) Services(ctx context.Context, by Actor) (_ []Service, err error) {
	defer wrap(&err, "list services")
	var out []Service
	err = visibleTo(s.db.WithContext(ctx), by, "organisation_id").Order("name").Find(&out).Error
	return out, err
}

// Service returns a service the actor may see; others' services do not
// exist as far as the actor can tell.
func (s *Store) Service(ctx context.Context, by Actor, id uint) (_ *Service, err error) {
	defer wrap(&err, "read service %d", id)
	var svc Service
	err = visibleTo(s.db.WithContext(ctx), by, "organisation_id").First(&svc, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &svc, err
}

// readService reads a service in a fixed statement (see execSQL): each
// approval reads its assessment's, in the writer's turn.
func readService(tx *gorm.DB, id uint) (*Service, error) {
	var v Service
	var created, updated sql.NullTime
	if err := queryOne(tx, "SELECT id, organisation_id, name, category, life_event, url, description, retired_at, created_at, updated_at FROM services WHERE id = ?", []any{id},
		&v.ID, &v.OrganisationID, &v.Name, &v.Category, &v.LifeEvent, &v.URL, &v.Description, &v.RetiredAt, &created, &updated); err != nil {
		return nil, err
	}
	v.CreatedAt, v.UpdatedAt = created.Time, updated.Time
	return &v, nil
}

// ServiceByName returns the respondent's service with this name.
func (s *Store) ServiceByName(ctx context.Context, by Actor, name string) (_ *Service, err error) {
	defer wrap(&err, "find service %q", name)
	var svc Service
	err = visibleTo(s.db.WithContext(ctx), by, "organisation_id").Where("name = ?", strings.TrimSpace(name)).First(&svc).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &svc, err
}
