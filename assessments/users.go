package assessments

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Session and sign-in limits.
const (
	SessionIdle       = 2 * time.Hour  // a session unused this long ends
	SessionLifetime   = 12 * time.Hour // a session ends this long after sign-in, used or not
	TokenLifetime     = 30 * 24 * time.Hour
	touchSessionAfter = time.Minute
)

// NewUser is what it takes to create an account.
type NewUser struct {
	Email          string
	Name           string
	Password       string
	Role           Role
	OrganisationID uint // respondents only
	// MustChangePassword forces a new password at first sign-in, for
	// passwords that someone else has seen (generated or set by an admin).
	MustChangePassword bool
}

// CreateUser adds an account. by is the admin who does it, or nil for the
// command line and first start.
func (s *Store) CreateUser(ctx context.Context, by *Actor, nu NewUser) (_ *User, err error) {
	defer wrap(&err, "create user")
	if by != nil && !by.CanAdminister() {
		return nil, ErrForbidden
	}
	nu.Email = strings.ToLower(strings.TrimSpace(nu.Email))
	nu.Name = strings.TrimSpace(nu.Name)
	v := invalid{}
	if addr, err := mail.ParseAddress(nu.Email); err != nil || addr.Address != nu.Email || len(nu.Email) > 254 {
		v.add("email", "must be an email address such as name@agency.gov")
	}
	checkText(v, "email", nu.Email)
	if nu.Name == "" {
		nu.Name = strings.SplitN(nu.Email, "@", 2)[0]
	}
	checkText(v, "name", nu.Name)
	if len(nu.Name) > 200 {
		v.add("name", "must be at most 200 characters")
	}
	if !nu.Role.Valid() {
		v.add("role", "must be respondent, coordinator, reviewer or admin")
	}
	if m := CheckPassword(nu.Password, nu.Email); m.Format != "" {
		v.addMessage("password", m)
	}
	var orgID *uint
	var org *Organisation
	switch {
	case nu.Role == RoleRespondent && nu.OrganisationID == 0:
		v.add("organisation", "a respondent belongs to an organisation")
	case nu.Role == RoleCoordinator && nu.OrganisationID == 0:
		v.add("organisation", "a coordinator belongs to an organisation of the country they coordinate")
	case nu.Role.HasOrganisation():
		if org, err = s.Organisation(ctx, nu.OrganisationID); err != nil {
			v.add("organisation", "no such organisation")
		}
		orgID = &nu.OrganisationID
	case nu.OrganisationID != 0:
		v.add("organisation", "only respondents and coordinators belong to an organisation")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	var hash string
	if aerr := s.argon(ctx, func() { hash, err = hashPassword(nu.Password) }); aerr != nil {
		return nil, aerr
	}
	if err != nil {
		return nil, err
	}
	u := &User{Email: nu.Email, Name: nu.Name, PasswordHash: hash, Role: nu.Role, OrganisationID: orgID, MustChangePassword: nu.MustChangePassword}
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(u).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return fieldError("email", "an account with this email already exists")
			}
			return err
		}
		if err := s.audit(tx, by, "user.created", "user", u.ID, nil, userAudit(u)); err != nil {
			return err
		}
		if by == nil { // the command line and first start: nobody to tell
			return nil
		}
		return s.notifyUser(tx, u.ID, NoticeAccountCreated)
	})
	if err != nil {
		return nil, err
	}
	u.Organisation = org // so that u.Actor() knows the country, as a signed-in user's does
	return u, nil
}

// userAudit is what the audit log keeps of a user: never the hash.
func userAudit(u *User) map[string]any {
	return map[string]any{"email": u.Email, "name": u.Name, "role": u.Role, "organisation_id": u.OrganisationID, "disabled_at": u.DisabledAt}
}

// User returns an account with its organisation.
func (s *Store) User(ctx context.Context, id uint) (_ *User, err error) {
	defer wrap(&err, "read user %d", id)
	var u User
	err = s.db.WithContext(ctx).Joins("Organisation").First(&u, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &u, err
}

// Users lists every account, by email.
func (s *Store) Users(ctx context.Context) (_ []User, err error) {
	defer wrap(&err, "list users")
	var us []User
	err = s.db.WithContext(ctx).Preload("Organisation").Order("email").Find(&us).Error
	return us, err
}

// EnsureAdmin creates the first administrator on an empty database and
// returns its generated password, to be shown once. On a database with
// users it does nothing and returns "".
func (s *Store) EnsureAdmin(ctx context.Context, email string) (_ string, err error) {
	defer wrap(&err, "create the first administrator")
	var n int64
	if err := s.db.WithContext(ctx).Model(&User{}).Count(&n).Error; err != nil || n > 0 {
		return "", err
	}
	pw := randomPassword()
	_, err = s.CreateUser(ctx, nil, NewUser{Email: email, Name: "Administrator", Password: pw, Role: RoleAdmin, MustChangePassword: true})
	return pw, err
}

// newSecret returns a random token and the hex SHA-256 under which it is
// stored.
func newSecret(prefix string) (token, id string) {
	b := make([]byte, 32)
	rand.Read(b)
	token = prefix + hex.EncodeToString(b)
	return token, secretID(token)
}

func secretID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateSession signs a user in, after their first factor (a password,
// or single sign-on), and returns the cookie token. A new token on every
// sign-in means a session id planted before sign-in is useless. For a user
// with a second factor the session is pending: it grants nothing, and
// lasts PendingLifetime, until CompleteSignIn or CompletePasskeySignIn
// replaces it with a full one. Every way of signing in goes through here,
// so none can skip the second factor.
func (s *Store) CreateSession(ctx context.Context, userID uint) (_ string, err error) {
	defer wrap(&err, "create a session for user %d", userID)
	u, err := s.User(ctx, userID)
	if err != nil {
		return "", err
	}
	token, id := newSecret("")
	now := s.now()
	ss := session{ID: id, UserID: userID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(SessionLifetime)}
	if u.SecondFactorAt != nil {
		ss.Pending, ss.ExpiresAt = true, now.Add(PendingLifetime)
	}
	err = s.write(ctx, func(tx *gorm.DB) error { return tx.Create(&ss).Error })
	return token, err
}

// SessionUser returns the user of a live session and keeps it alive.
func (s *Store) SessionUser(ctx context.Context, token string) (_ *User, err error) {
	defer wrap(&err, "read session")
	id, now := secretID(token), s.now()
	gen, err := s.generation(ctx)
	if err != nil {
		return nil, err
	}
	if u, ok := s.auth.cachedUser(id, gen, now); ok {
		return u, nil
	}
	var ss session
	db := s.db.WithContext(ctx)
	if err := db.Where("id = ?", id).First(&ss).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrExpired
		}
		return nil, err
	}
	if ss.Pending {
		if now.After(ss.ExpiresAt) {
			s.write(ctx, func(tx *gorm.DB) error { return tx.Delete(&ss).Error })
			return nil, ErrExpired
		}
		return nil, &PendingSessionError{UserID: ss.UserID}
	}
	if now.After(ss.ExpiresAt) || now.Sub(ss.LastSeenAt) > SessionIdle {
		// The row stays a while after the session ends, so that every
		// request of that browser can still say whose session it was and
		// a form it posts can be kept (KeepForm); it never works again.
		if now.After(ss.ExpiresAt.Add(KeptFormLifetime)) || now.Sub(ss.LastSeenAt) > SessionIdle+KeptFormLifetime {
			s.write(ctx, func(tx *gorm.DB) error { return tx.Delete(&ss).Error })
			return nil, ErrExpired
		}
		return nil, &SessionExpiredError{UserID: ss.UserID}
	}
	if now.Sub(ss.LastSeenAt) > touchSessionAfter { // not on every request: saves a write
		if err := s.write(ctx, func(tx *gorm.DB) error { return tx.Model(&ss).Update("last_seen_at", now).Error }); err != nil {
			return nil, err
		}
		ss.LastSeenAt = now
	}
	u, err := s.liveUser(ctx, ss.UserID)
	if err != nil {
		return nil, err
	}
	s.auth.remember(id, gen, u, ss.ExpiresAt, ss.LastSeenAt)
	return u, nil
}

// liveUser loads the account behind a session or token: a deleted or
// disabled account ends it.
func (s *Store) liveUser(ctx context.Context, id uint) (*User, error) {
	u, err := s.User(ctx, id)
	if err != nil || u.DisabledAt != nil {
		return nil, ErrExpired
	}
	return u, nil
}

// DeleteSession signs a session out on the server, so a copied cookie stops
// working too.
func (s *Store) DeleteSession(ctx context.Context, token string) (err error) {
	defer wrap(&err, "end session")
	return s.write(ctx, func(tx *gorm.DB) error { return tx.Where("id = ?", secretID(token)).Delete(&session{}).Error })
}

// MaxTokenName is the longest name an API token may have.
const MaxTokenName = 100

// CheckTokenName refuses a token name that is not one short line of text;
// the names are listed on the account page.
func CheckTokenName(name string) error {
	v := invalid{}
	checkText(v, "name", name)
	if utf8.RuneCountInString(name) > MaxTokenName || strings.ContainsAny(name, "\n\t") {
		v.add("name", "must be one line of at most %d characters", MaxTokenName)
	}
	return v.err()
}

// CreateToken issues an API token for a user; only its hash is kept.
func (s *Store) CreateToken(ctx context.Context, userID uint, name string) (_ string, _ *APIToken, err error) {
	defer wrap(&err, "create a token for user %d", userID)
	if err := CheckTokenName(name); err != nil {
		return "", nil, err
	}
	token, id := newSecret("dmf_")
	now := s.now()
	t := &APIToken{ID: id, Prefix: token[:12], UserID: userID, Name: name, CreatedAt: now, ExpiresAt: now.Add(TokenLifetime)}
	by := Actor{UserID: userID}
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(t).Error; err != nil {
			return err
		}
		return s.audit(tx, &by, "token.created", "token", t.Prefix, nil, map[string]any{"name": name, "expires_at": t.ExpiresAt})
	})
	return token, t, err
}

// Tokens lists a user's API tokens, newest first.
func (s *Store) Tokens(ctx context.Context, userID uint) (_ []APIToken, err error) {
	defer wrap(&err, "list tokens of user %d", userID)
	var ts []APIToken
	err = s.db.WithContext(ctx).Where("user_id = ?", userID).Order("created_at DESC").Find(&ts).Error
	return ts, err
}

// RevokeToken revokes one of a user's tokens, named by its prefix or by
// the token itself.
func (s *Store) RevokeToken(ctx context.Context, userID uint, prefixOrToken string) (err error) {
	defer wrap(&err, "revoke a token of user %d", userID)
	by := Actor{UserID: userID}
	return s.write(ctx, func(tx *gorm.DB) error {
		var t APIToken
		err := tx.Where("user_id = ? AND (prefix = ? OR id = ?)", userID, prefixOrToken, secretID(prefixOrToken)).First(&t).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if t.RevokedAt != nil {
			return nil
		}
		now := s.now()
		if err := tx.Model(&t).Update("revoked_at", now).Error; err != nil {
			return err
		}
		return s.audit(tx, &by, "token.revoked", "token", t.Prefix, nil, map[string]any{"name": t.Name})
	})
}

// SetClock replaces the store's clock, for tests of timeouts.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// TokenUser returns the user of a valid, unrevoked API token.
func (s *Store) TokenUser(ctx context.Context, token string) (_ *User, err error) {
	defer wrap(&err, "read API token")
	id, now := secretID(token), s.now()
	gen, err := s.generation(ctx)
	if err != nil {
		return nil, err
	}
	if u, ok := s.auth.cachedUser(id, gen, now); ok {
		return u, nil
	}
	var t APIToken
	db := s.db.WithContext(ctx)
	if err := db.Where("id = ?", id).First(&t).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrExpired
		}
		return nil, err
	}
	if t.RevokedAt != nil || now.After(t.ExpiresAt) {
		return nil, ErrExpired
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > touchSessionAfter {
		s.write(ctx, func(tx *gorm.DB) error { return tx.Model(&t).Update("last_used_at", now).Error })
		t.LastUsedAt = &now
	}
	u, err := s.liveUser(ctx, t.UserID)
	if err != nil {
		return nil, err
	}
	s.auth.remember(id, gen, u, t.ExpiresAt, *t.LastUsedAt)
	return u, nil
}

// CreateOrganisation adds an organisation in an ESCAP member or associate
// member country.
func (s *Store) CreateOrganisation(ctx context.Context, by *Actor, o Organisation) (_ *Organisation, err error) {
	defer wrap(&err, "create organisation")
	o.Name = strings.TrimSpace(o.Name)
	o.Country = strings.ToUpper(strings.TrimSpace(o.Country))
	v := invalid{}
	if o.Name == "" || len(o.Name) > 200 {
		v.add("name", "must be 1 to 200 characters")
	}
	checkText(v, "name", o.Name)
	if _, ok := s.countries.Country(o.Country); !ok {
		v.add("country", "must be the ISO 3166-1 alpha-3 code of an ESCAP member or associate member, such as KAZ")
	}
	if o.Kind == "" {
		o.Kind = "agency"
	}
	if !slices.Contains(OrganisationKinds, o.Kind) {
		v.add("kind", "must be one of %s", strings.Join(OrganisationKinds, ", "))
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	o.ID, o.CreatedAt, o.UpdatedAt = 0, time.Time{}, time.Time{} // the server's, whatever the caller filled in
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&o).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return fieldError("name", "this country already has an organisation with this name")
			}
			return err
		}
		return s.audit(tx, by, "organisation.created", "organisation", o.ID, nil, o)
	})
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// Organisation returns one organisation.
func (s *Store) Organisation(ctx context.Context, id uint) (_ *Organisation, err error) {
	defer wrap(&err, "read organisation %d", id)
	return readOrganisation(s.db.WithContext(ctx), id)
}

// readOrganisation reads an organisation in a fixed statement (see
// execSQL): every creation and every full view of an assessment reads its
// organisation.
func readOrganisation(tx *gorm.DB, id uint) (*Organisation, error) {
	var o Organisation
	var created, updated sql.NullTime
	if err := queryOne(tx, "SELECT id, name, country, kind, created_at, updated_at FROM organisations WHERE id = ?", []any{id},
		&o.ID, &o.Name, &o.Country, &o.Kind, &created, &updated); err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = created.Time, updated.Time
	return &o, nil
}

// OrganisationByName finds an organisation by name and country.
func (s *Store) OrganisationByName(ctx context.Context, name, country string) (_ *Organisation, err error) {
	defer wrap(&err, "find organisation %q", name)
	var o Organisation
	err = s.db.WithContext(ctx).Where("name = ? AND country = ?", strings.TrimSpace(name), strings.ToUpper(country)).First(&o).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &o, err
}

// Organisations lists organisations by country and name.
func (s *Store) Organisations(ctx context.Context) (_ []Organisation, err error) {
	defer wrap(&err, "list organisations")
	var os []Organisation
	err = s.db.WithContext(ctx).Order("country, name").Find(&os).Error
	return os, err
}
