package assessments

import (
	"context"
	"errors"
	"hash/fnv"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// What administrators change about accounts, organisations and services
// over the years. Nothing here deletes a row: an account is disabled, a
// service retired, so that every assessment, card and audit event keeps
// pointing at what it referred to.

// UserChange is what an admin changes about an account; a nil field stays
// as it is.
type UserChange struct {
	Name *string
	Role *Role
	// OrganisationID is the respondent's organisation; 0 means none. Left
	// nil while the role becomes reviewer or admin, it is cleared.
	OrganisationID *uint
	Disabled       *bool
}

// UpdateUser edits, disables or re-enables an account. Disabling ends its
// sessions and revokes its API tokens at once (and a disabled account's
// leftovers are refused anyway, see liveUser); its history stays. The last
// active administrator can be neither demoted nor disabled: that would
// leave nobody to run the instance.
func (s *Store) UpdateUser(ctx context.Context, by Actor, id uint, ch UserChange) (_ *User, err error) {
	defer wrap(&err, "update user %d", id)
	if !by.CanAdminister() {
		return nil, ErrForbidden
	}
	v := invalid{}
	if ch.Name != nil {
		name := strings.TrimSpace(*ch.Name)
		ch.Name = &name
		checkUserName(v, name)
	}
	if ch.Role != nil && !ch.Role.Valid() {
		v.add("role", "must be respondent, coordinator, reviewer or admin")
	}
	if ch.OrganisationID != nil && *ch.OrganisationID != 0 {
		if _, err := s.Organisation(ctx, *ch.OrganisationID); err != nil {
			v.add("organisation", "no such organisation")
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	var u User
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := lockAccounts(tx); err != nil {
			return err
		}
		if err := forUpdate(tx).First(&u, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		before := userAudit(&u)
		after := u
		if ch.Name != nil {
			after.Name = *ch.Name
		}
		if ch.Role != nil {
			after.Role = *ch.Role
		}
		switch {
		case ch.OrganisationID != nil && *ch.OrganisationID == 0:
			after.OrganisationID = nil
		case ch.OrganisationID != nil:
			after.OrganisationID = ch.OrganisationID
		case !after.Role.HasOrganisation():
			after.OrganisationID = nil
		}
		disabling := ch.Disabled != nil && *ch.Disabled && u.DisabledAt == nil
		if ch.Disabled != nil && !*ch.Disabled {
			after.DisabledAt = nil
		} else if disabling {
			now := s.now()
			after.DisabledAt = &now
		}
		v := invalid{}
		switch {
		case after.Role == RoleRespondent && after.OrganisationID == nil:
			v.add("organisation", "a respondent belongs to an organisation")
		case after.Role == RoleCoordinator && after.OrganisationID == nil:
			v.add("organisation", "a coordinator belongs to an organisation of the country they coordinate")
		case !after.Role.HasOrganisation() && after.OrganisationID != nil:
			v.add("organisation", "only respondents and coordinators belong to an organisation")
		}
		if activeAdmin(&u) && !activeAdmin(&after) {
			var admins []User
			if err := tx.Where("role = ? AND disabled_at IS NULL AND id <> ?", RoleAdmin, u.ID).Find(&admins).Error; err != nil {
				return err
			}
			if len(admins) == 0 {
				if after.Role != RoleAdmin {
					v.add("role", "the last active administrator cannot be demoted: make someone else an administrator first")
				} else {
					v.add("disabled", "the last active administrator cannot be disabled: make someone else an administrator first")
				}
			}
		}
		if err := v.err(); err != nil {
			return err
		}
		err := tx.Model(&u).Select("name", "role", "organisation_id", "disabled_at", "updated_at").Updates(map[string]any{
			"updated_at": s.now(), "name": after.Name, "role": after.Role, "organisation_id": after.OrganisationID, "disabled_at": after.DisabledAt,
		}).Error
		if err != nil {
			return err
		}
		if err := s.audit(tx, &by, "user.updated", "user", u.ID, before, userAudit(&after)); err != nil {
			return err
		}
		if disabling {
			return s.endAccess(tx, &by, u.ID, "", "user.disabled")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.User(ctx, id)
}

// lockAccounts serialises account changes on PostgreSQL until the
// transaction ends, so that two admins disabling each other at once
// cannot both pass the last-admin check (row locks alone would deadlock
// them). SQLite's single writer already does.
func lockAccounts(tx *gorm.DB) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte("dmf accounts"))
	return tx.Exec("SELECT pg_advisory_xact_lock(?)", int64(h.Sum64())).Error
}

func activeAdmin(u *User) bool { return u.Role == RoleAdmin && u.DisabledAt == nil }

func checkUserName(v invalid, name string) {
	if name == "" || len(name) > 200 {
		v.add("name", "must be 1 to 200 characters")
	}
	checkText(v, "name", name)
	if strings.ContainsAny(name, "\n\t") {
		v.add("name", "must be one line")
	}
}

// UserByEmail returns the account with this email.
func (s *Store) UserByEmail(ctx context.Context, email string) (_ *User, err error) {
	defer wrap(&err, "find user %q", email)
	var u User
	err = s.db.WithContext(ctx).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).First(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &u, err
}

// ResetPassword gives an account a new generated password, returned to be
// shown once, which must be changed at the next sign-in. It ends every
// session and API token of the account, so whoever had it is out.
func (s *Store) ResetPassword(ctx context.Context, by Actor, id uint) (_ string, err error) {
	defer wrap(&err, "reset the password of user %d", id)
	if !by.CanAdminister() {
		return "", ErrForbidden
	}
	if _, err := s.User(ctx, id); err != nil {
		return "", err
	}
	pw := randomPassword()
	var hash string
	if aerr := s.argon(ctx, func() { hash, err = hashPassword(pw) }); aerr != nil {
		return "", aerr
	}
	if err != nil {
		return "", err
	}
	err = s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{"password_hash": hash, "must_change_password": true})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := s.endAccess(tx, &by, id, "", "user.password_reset"); err != nil {
			return err
		}
		// The user is told, never sent the password: an admin hands that
		// over, and a mailbox is no place for it.
		return s.notifyUser(tx, id, NoticePasswordReset)
	})
	if err != nil {
		return "", err
	}
	return pw, nil
}

// OrganisationChange is what an admin changes about an organisation; a
// nil field stays as it is.
type OrganisationChange struct {
	Name, Country, Kind *string
}

// UpdateOrganisation renames an organisation or corrects its country or
// kind. The country cannot change once the organisation has assessments:
// each assessment, its scores and its signed card were made under it.
func (s *Store) UpdateOrganisation(ctx context.Context, by Actor, id uint, ch OrganisationChange) (_ *Organisation, err error) {
	defer wrap(&err, "update organisation %d", id)
	if !by.CanAdminister() {
		return nil, ErrForbidden
	}
	var o Organisation
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := forUpdate(tx).First(&o, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		before := o
		if ch.Name != nil {
			o.Name = strings.TrimSpace(*ch.Name)
		}
		if ch.Country != nil {
			o.Country = strings.ToUpper(strings.TrimSpace(*ch.Country))
		}
		if ch.Kind != nil {
			o.Kind = *ch.Kind
		}
		v := invalid{}
		if o.Name == "" || len(o.Name) > 200 {
			v.add("name", "must be 1 to 200 characters")
		}
		checkText(v, "name", o.Name)
		if strings.ContainsAny(o.Name, "\n\t") {
			v.add("name", "must be one line")
		}
		if _, ok := s.countries.Country(o.Country); !ok {
			v.add("country", "must be the ISO 3166-1 alpha-3 code of an ESCAP member or associate member, such as KAZ")
		} else if o.Country != before.Country {
			var n int64
			if err := tx.Model(&Assessment{}).Where("organisation_id = ?", o.ID).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				v.add("country", "cannot change: the organisation's assessments and cards were made in %s", before.Country)
			}
		}
		if !slices.Contains(OrganisationKinds, o.Kind) {
			v.add("kind", "must be one of %s", strings.Join(OrganisationKinds, ", "))
		}
		if err := v.err(); err != nil {
			return err
		}
		if err := tx.Model(&o).Select("name", "country", "kind", "updated_at").Updates(map[string]any{"updated_at": s.now(), "name": o.Name, "country": o.Country, "kind": o.Kind}).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return fieldError("name", "this country already has an organisation with this name")
			}
			return err
		}
		return s.audit(tx, &by, "organisation.updated", "organisation", o.ID, before, o)
	})
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// ServiceChange is what an admin changes about a service; a nil field
// stays as it is.
type ServiceChange struct {
	Name, Category, URL *string
	Retired             *bool
}

// UpdateService edits or retires a service. A retired service keeps its
// assessments and cards but gets no new assessments; re-enabling it is
// allowed, for a service retired by mistake.
func (s *Store) UpdateService(ctx context.Context, by Actor, id uint, ch ServiceChange) (_ *Service, err error) {
	defer wrap(&err, "update service %d", id)
	if !by.CanAdminister() {
		return nil, ErrForbidden
	}
	var svc Service
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := forUpdate(tx).First(&svc, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		before := svc
		if ch.Name != nil {
			svc.Name = strings.TrimSpace(*ch.Name)
		}
		if ch.Category != nil {
			svc.Category = *ch.Category
		}
		if ch.URL != nil {
			svc.URL = strings.TrimSpace(*ch.URL)
		}
		switch {
		case ch.Retired == nil:
		case *ch.Retired && svc.RetiredAt == nil:
			now := s.now()
			svc.RetiredAt = &now
		case !*ch.Retired:
			svc.RetiredAt = nil
		}
		if err := validateService(svc); err != nil {
			return err
		}
		err := tx.Model(&svc).Select("name", "category", "url", "retired_at", "updated_at").Updates(map[string]any{
			"updated_at": s.now(), "name": svc.Name, "category": svc.Category, "url": svc.URL, "retired_at": svc.RetiredAt,
		}).Error
		if err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return fieldError("name", "the organisation already has a service with this name")
			}
			return err
		}
		return s.audit(tx, &by, "service.updated", "service", svc.ID, before, svc)
	})
	if err != nil {
		return nil, err
	}
	return &svc, nil
}

// AllServices lists every organisation's services for administrators, by
// organisation and name, retired ones included.
func (s *Store) AllServices(ctx context.Context, by Actor) (_ []Service, err error) {
	defer wrap(&err, "list all services")
	if !by.CanAdminister() {
		return nil, ErrForbidden
	}
	var out []Service
	err = s.db.WithContext(ctx).Order("organisation_id, name").Find(&out).Error
	return out, err
}
