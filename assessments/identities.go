package assessments

import (
	"context"
	"errors"
	"net/mail"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Identity links an OpenID Connect identity, an issuer's subject, to a DMF
// account. Who the account is (its role and organisation) stays DMF's
// decision: the provider only proves that this is the same person.
type Identity struct {
	ID       uint   `gorm:"primaryKey" json:"id"`
	UserID   uint   `gorm:"not null;index" json:"user_id"`
	Provider string `gorm:"not null;size:64" json:"provider"` // the name the instance gives the provider
	Issuer   string `gorm:"not null;size:500;uniqueIndex:ux_identity_issuer_subject" json:"issuer"`
	// Subject is nil for a link an admin made by email before the person
	// first signed in with the provider.
	Subject      *string    `gorm:"size:255;uniqueIndex:ux_identity_issuer_subject" json:"subject,omitempty"`
	Email        string     `gorm:"not null;size:254" json:"email"` // the provider's verified email when linked
	CreatedAt    time.Time  `gorm:"not null" json:"created_at"`
	LastSignInAt *time.Time `json:"last_sign_in_at,omitempty"`
}

// Pending reports whether the link waits for the person's first sign-in.
func (i Identity) Pending() bool { return i.Subject == nil }

// Claims is what a provider's checked ID token says about the person.
type Claims struct {
	Provider      string // the instance's name of the provider
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool // false when the provider did not say
	Name          string
}

// AutoCreate lets a provider create an account on first sign-in: a
// respondent of Organisation, for verified emails of the Domains only.
type AutoCreate struct {
	Domains        []string
	OrganisationID uint
}

// Why a single sign-on was refused; the sign-in page explains each.
const (
	RefusedUnlinked   = "unlinked"   // no account is linked to the identity, and none may be created
	RefusedUnverified = "unverified" // the provider did not confirm the email
	RefusedDisabled   = "disabled"   // the linked account is disabled
	RefusedExists     = "exists"     // an account has the email but is not linked to the identity
	RefusedLinked     = "linked"     // (linking) the identity is already another account's
	RefusedFailed     = "failed"     // the protocol failed: state, code, token or nonce
)

// SignInRefusedError is a refused single sign-on.
type SignInRefusedError struct{ Reason string }

func (e *SignInRefusedError) Error() string { return "single sign-on refused: " + e.Reason }

// Is makes a refusal count as a failed sign-in (401) wherever one is handled.
func (e *SignInRefusedError) Is(target error) bool { return target == ErrBadCredentials }

// limitsSSO are the counters a single sign-on is charged to: the client's
// address, as password guesses from an unknown client are. There is no
// password to guess, but a refused sign-in is still a failure to count.
func (o Origin) limitsSSO() []limit {
	return []limit{{"addr:" + o.Addr, MaxFailsAddress}}
}

// SignInWithIdentity signs in with a provider's checked claims. A linked
// identity signs in to its account; otherwise an admin's link by the same
// verified email is completed, or, where the provider allows it for the
// email's domain, a respondent is created. Anything else is refused, and
// counted and audited as a failed sign-in.
func (s *Store) SignInWithIdentity(ctx context.Context, c Claims, auto *AutoCreate, from Origin) (_ *User, err error) {
	defer wrap(&err, "sign in with %s", c.Provider)
	ids, _, err := s.reserve(ctx, from.limitsSSO())
	if err != nil {
		return nil, err
	}
	email := strings.ToLower(strings.TrimSpace(c.Email))
	var id Identity
	err = s.db.WithContext(ctx).Where("issuer = ? AND subject = ?", c.Issuer, c.Subject).First(&id).Error
	switch {
	case err == nil:
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return nil, err
	case !c.EmailVerified || email == "":
		return nil, s.refuse(ctx, c, RefusedUnverified)
	default:
		// An admin's link by email, waiting for this first sign-in.
		err = s.db.WithContext(ctx).Where("issuer = ? AND subject IS NULL AND email = ?", c.Issuer, email).First(&id).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			u, err := s.createFromIdentity(ctx, c, email, auto)
			if err != nil {
				return nil, err
			}
			return u, s.release(ctx, ids)
		case err != nil:
			return nil, err
		}
	}
	u, err := s.User(ctx, id.UserID)
	if err != nil {
		return nil, err
	}
	if u.DisabledAt != nil {
		return nil, s.refuse(ctx, c, RefusedDisabled)
	}
	by := u.Actor()
	err = s.write(ctx, func(tx *gorm.DB) error {
		up := map[string]any{"last_sign_in_at": s.now()}
		if id.Pending() {
			up["subject"] = c.Subject
			if err := s.audit(tx, &by, "identity.linked", "user", u.ID, nil, identityAudit(c, "admin link completed")); err != nil {
				return err
			}
		}
		if err := tx.Model(&Identity{}).Where("id = ?", id.ID).Updates(up).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) { // linked elsewhere a moment ago
				return &SignInRefusedError{Reason: RefusedLinked}
			}
			return err
		}
		return s.audit(tx, &by, "user.signed_in", "user", u.ID, nil, identityAudit(c, "single sign-on"))
	})
	if err != nil {
		return nil, err
	}
	return u, s.release(ctx, ids)
}

// createFromIdentity creates a respondent for an identity no account is
// linked to, where the provider's settings allow it for the email's
// domain, and links the identity to it.
func (s *Store) createFromIdentity(ctx context.Context, c Claims, email string, auto *AutoCreate) (*User, error) {
	if auto == nil || !slices.Contains(auto.Domains, emailDomain(email)) {
		return nil, s.refuse(ctx, c, RefusedUnlinked)
	}
	var n int64
	if err := s.db.WithContext(ctx).Model(&User{}).Where("email = ?", email).Count(&n).Error; err != nil {
		return nil, err
	}
	if n > 0 {
		// Never linked by email alone: the account's owner links it while
		// signed in, or an admin does.
		return nil, s.refuse(ctx, c, RefusedExists)
	}
	name := strings.TrimSpace(c.Name)
	v := invalid{}
	checkText(v, "name", name)
	if v.err() != nil || len(name) > 200 {
		name = "" // the provider's name does not fit: CreateUser takes the email's
	}
	// The password is random and never shown: the account signs in with
	// the provider, or after a password reset by mail.
	u, err := s.CreateUser(ctx, nil, NewUser{Email: email, Name: name, Password: randomPassword(), Role: RoleRespondent, OrganisationID: auto.OrganisationID})
	if err != nil {
		return nil, err
	}
	by := u.Actor()
	now := s.now()
	err = s.write(ctx, func(tx *gorm.DB) error {
		sub := c.Subject
		if err := tx.Create(&Identity{UserID: u.ID, Provider: c.Provider, Issuer: c.Issuer, Subject: &sub, Email: email, CreatedAt: now, LastSignInAt: &now}).Error; err != nil {
			return err
		}
		if err := s.audit(tx, &by, "identity.linked", "user", u.ID, nil, identityAudit(c, "account created at first sign-in")); err != nil {
			return err
		}
		return s.audit(tx, &by, "user.signed_in", "user", u.ID, nil, identityAudit(c, "single sign-on"))
	})
	return u, err
}

func emailDomain(email string) string {
	_, domain, _ := strings.Cut(email, "@")
	return domain
}

// refuse records a refused single sign-on in the audit log and returns
// the refusal. The attempt stays counted against the client.
func (s *Store) refuse(ctx context.Context, c Claims, reason string) error {
	err := s.write(ctx, func(tx *gorm.DB) error {
		return s.audit(tx, nil, "user.sign_in_refused", "identity", c.Issuer+" "+c.Subject, nil, map[string]any{
			"provider": c.Provider, "email": c.Email, "email_verified": c.EmailVerified, "reason": reason,
		})
	})
	if err != nil {
		return err
	}
	return &SignInRefusedError{Reason: reason}
}

// SignInFailed counts and audits a single sign-on that failed before any
// identity was known (a wrong state, a replayed code, a token that does
// not check out). It returns ErrThrottled when the client has failed too
// often, and otherwise the refusal.
func (s *Store) SignInFailed(ctx context.Context, provider, issuer, detail string, from Origin) (err error) {
	defer wrap(&err, "record a failed sign-in with %s", provider)
	if _, _, err := s.reserve(ctx, from.limitsSSO()); err != nil {
		return err
	}
	err = s.write(ctx, func(tx *gorm.DB) error {
		return s.audit(tx, nil, "user.sign_in_refused", "identity", issuer, nil, map[string]any{"provider": provider, "reason": RefusedFailed, "detail": detail})
	})
	if err != nil {
		return err
	}
	return &SignInRefusedError{Reason: RefusedFailed}
}

// SignInThrottled reports whether the client may not try to sign in now,
// checked before a single sign-on starts. It charges nothing.
func (s *Store) SignInThrottled(ctx context.Context, from Origin) (_ bool, err error) {
	defer wrap(&err, "read sign-in failures")
	l := from.limitsSSO()[0]
	var n int64
	err = s.db.WithContext(ctx).Model(&loginAttempt{}).Where("key = ? AND at > ?", l.key, s.now().Add(-LoginWindow)).Count(&n).Error
	return n >= l.max, err
}

func identityAudit(c Claims, how string) map[string]any {
	return map[string]any{"provider": c.Provider, "issuer": c.Issuer, "subject": c.Subject, "email": c.Email, "how": how}
}

// LinkIdentity links the identity a signed-in user has just proven with
// the provider to their own account. The provider must have verified the
// email; an identity linked to another account stays where it is.
func (s *Store) LinkIdentity(ctx context.Context, by Actor, c Claims) (_ *Identity, err error) {
	defer wrap(&err, "link a %s identity to user %d", c.Provider, by.UserID)
	if by.UserID == 0 {
		return nil, ErrForbidden
	}
	if !c.EmailVerified || c.Email == "" {
		return nil, s.refuse(ctx, c, RefusedUnverified)
	}
	sub, email, now := c.Subject, strings.ToLower(strings.TrimSpace(c.Email)), s.now()
	var id *Identity
	err = s.write(ctx, func(tx *gorm.DB) error {
		var other Identity
		switch err := tx.Where("issuer = ? AND subject = ?", c.Issuer, c.Subject).First(&other).Error; {
		case err == nil && other.UserID == by.UserID:
			id = &other
			return nil // linked already
		case err == nil:
			return &SignInRefusedError{Reason: RefusedLinked}
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		// One identity per provider and account: a new one replaces the
		// user's earlier or pending link with the same provider.
		if err := tx.Where("user_id = ? AND issuer = ?", by.UserID, c.Issuer).Delete(&Identity{}).Error; err != nil {
			return err
		}
		id = &Identity{UserID: by.UserID, Provider: c.Provider, Issuer: c.Issuer, Subject: &sub, Email: email, CreatedAt: now}
		if err := tx.Create(id).Error; err != nil {
			return err
		}
		return s.audit(tx, &by, "identity.linked", "user", by.UserID, nil, identityAudit(c, "linked by the user"))
	})
	return id, err
}

// AddIdentity is an admin's link of an account to whoever signs in with
// the provider with the given verified email; the first such sign-in
// completes it. An admin cannot know a provider's subject beforehand.
func (s *Store) AddIdentity(ctx context.Context, by Actor, userID uint, provider, issuer, email string) (_ *Identity, err error) {
	defer wrap(&err, "link user %d to %s", userID, provider)
	if !by.CanAdminister() {
		return nil, ErrForbidden
	}
	if _, err := s.User(ctx, userID); err != nil {
		return nil, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || len(email) > 254 {
		return nil, fieldError("email", "must be an email address such as name@agency.gov")
	}
	id := &Identity{UserID: userID, Provider: provider, Issuer: issuer, Email: email, CreatedAt: s.now()}
	err = s.write(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Identity{}).Where("issuer = ? AND (user_id = ? OR (subject IS NULL AND email = ?))", issuer, userID, email).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return fieldError("email", "this account, or this email, is already linked with this provider: unlink it first")
		}
		if err := tx.Create(id).Error; err != nil {
			return err
		}
		return s.audit(tx, &by, "identity.linked", "user", userID, nil, map[string]any{"provider": provider, "issuer": issuer, "email": email, "how": "linked by an admin"})
	})
	return id, err
}

// RemoveIdentity unlinks one of a user's identities (an admin's decision).
func (s *Store) RemoveIdentity(ctx context.Context, by Actor, userID, identityID uint) (err error) {
	defer wrap(&err, "unlink identity %d of user %d", identityID, userID)
	if !by.CanAdminister() {
		return ErrForbidden
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		var id Identity
		if err := tx.Where("id = ? AND user_id = ?", identityID, userID).First(&id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if err := tx.Delete(&id).Error; err != nil {
			return err
		}
		return s.audit(tx, &by, "identity.unlinked", "user", userID, map[string]any{"provider": id.Provider, "issuer": id.Issuer, "subject": id.Subject, "email": id.Email}, nil)
	})
}

// Identities lists a user's linked identities, the oldest first.
func (s *Store) Identities(ctx context.Context, userID uint) (_ []Identity, err error) {
	defer wrap(&err, "list the identities of user %d", userID)
	var ids []Identity
	err = s.db.WithContext(ctx).Where("user_id = ?", userID).Order("id").Find(&ids).Error
	return ids, err
}
