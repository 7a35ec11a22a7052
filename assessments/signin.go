package assessments

import (
	"context"
	"errors"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Sign-in throttling. Following OWASP's device cookies, a client that has
// signed in to an account before (the app verifies its signed cookie and
// passes its nonce as Origin.Device) is counted on its own; everyone else
// is counted per account and per address. So strangers guessing at an
// account, or many accounts from one address (a proxy everyone shares),
// cannot lock out the people who use them.
const (
	LoginWindow     = 15 * time.Minute
	MaxFailsAccount = 10 // failed sign-ins per account per window from unknown clients, then 429
	MaxFailsAddress = 50 // failed sign-ins per client address per window from unknown clients
	MaxFailsDevice  = 5  // failed sign-ins per device cookie per window
)

// Origin is where a sign-in attempt comes from.
type Origin struct {
	Addr   string // the client's address
	Device string // the nonce of the client's valid device cookie for the account tried, or ""
}

// limit is one counter an attempt is charged to, and its ceiling.
type limit struct {
	key string
	max int64
}

func (o Origin) limits(email string) []limit {
	if o.Device != "" {
		return []limit{{"device:" + o.Device, MaxFailsDevice}}
	}
	return []limit{{"account:" + email, MaxFailsAccount}, {"addr:" + o.Addr, MaxFailsAddress}}
}

// BadCredentialsError is a failed sign-in. Failures is how many the
// account (or device) has had in the window, for the growing delay.
type BadCredentialsError struct{ Failures int }

func (e *BadCredentialsError) Error() string        { return ErrBadCredentials.Error() }
func (e *BadCredentialsError) Is(target error) bool { return target == ErrBadCredentials }

// LoginDelay is how long to wait before answering a failed sign-in:
// nothing for the first two failures, then unit, doubling with each
// further failure up to 32 units (with the default unit of 250 ms: a
// quarter second up to eight), so guessing gets slower and slower while a
// typo costs nothing.
func LoginDelay(failures int, unit time.Duration) time.Duration {
	if failures < 3 {
		return 0
	}
	return unit << min(failures-3, 5)
}

// reserve charges an attempt to each counter before the password is
// checked, or returns ErrThrottled if one is full. Counting and charging
// are one step, so parallel attempts cannot all read the same old count:
// on SQLite the single writer (write) serialises them, on PostgreSQL a
// transaction-scoped advisory lock per counter does, across instances.
// It returns the reserved rows and the first counter's earlier failures.
func (s *Store) reserve(ctx context.Context, limits []limit) (ids []uint, failures int, err error) {
	if err := s.purgeAttempts(ctx); err != nil {
		return nil, 0, err
	}
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := lockCounters(tx, limits); err != nil {
			return err
		}
		now := s.now()
		rows := make([]loginAttempt, len(limits))
		for i, l := range limits {
			var n int64
			if err := tx.Model(&loginAttempt{}).Where("key = ? AND at > ?", l.key, now.Add(-LoginWindow)).Count(&n).Error; err != nil {
				return err
			}
			if n >= l.max {
				return ErrThrottled
			}
			if i == 0 {
				failures = int(n)
			}
			rows[i] = loginAttempt{Key: l.key, At: now}
		}
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
		ids = ids[:0]
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		return nil
	})
	return ids, failures, err
}

// lockCounters takes PostgreSQL advisory locks on the counters until the
// transaction ends, in a fixed order so that two attempts never wait on
// each other. SQLite's write lock already covers them.
func lockCounters(tx *gorm.DB, limits []limit) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	keys := make([]int64, len(limits))
	for i, l := range limits {
		h := fnv.New64a()
		h.Write([]byte("dmf sign-in " + l.key))
		keys[i] = int64(h.Sum64())
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", k).Error; err != nil {
			return err
		}
	}
	return nil
}

// purgeAttempts deletes the attempts that have left the window, at most
// once a window per instance, so that the table holds one window of
// attempts however long a guessing campaign goes on. It is a write of its
// own: inside reserve's, a throttled attempt's rollback would undo it.
func (s *Store) purgeAttempts(ctx context.Context) error {
	now := s.now()
	if now.Unix()-s.purged.Load() < int64(LoginWindow/time.Second) {
		return nil
	}
	err := s.write(ctx, func(tx *gorm.DB) error {
		return tx.Where("at <= ?", now.Add(-LoginWindow)).Delete(&loginAttempt{}).Error
	})
	if err == nil {
		s.purged.Store(now.Unix())
	}
	return err
}

// release gives back the attempts of a sign-in that succeeded.
func (s *Store) release(ctx context.Context, ids []uint) error {
	return s.write(ctx, func(tx *gorm.DB) error { return tx.Delete(&loginAttempt{}, ids).Error })
}

// Authenticate checks an email and password. Unknown emails and wrong
// passwords fail alike, in the same time. Each attempt is charged to its
// counters before the password is checked and given back if it was right;
// past a limit the answer is ErrThrottled without looking at the password.
func (s *Store) Authenticate(ctx context.Context, email, password string, from Origin) (_ *User, err error) {
	defer wrap(&err, "sign in")
	email = strings.ToLower(strings.TrimSpace(email))
	ids, failures, err := s.reserve(ctx, from.limits(email))
	if err != nil {
		return nil, err
	}
	var u User
	err = s.db.WithContext(ctx).Where("email = ?", email).First(&u).Error
	hash := u.PasswordHash
	if err != nil {
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, err
		}
		hash = dummyHash
	}
	var ok bool
	var verr error
	if aerr := s.argon(ctx, func() { ok, verr = s.verifyPassword(password, hash) }); aerr != nil {
		return nil, aerr
	}
	if err != nil || verr != nil || !ok || u.DisabledAt != nil {
		return nil, &BadCredentialsError{Failures: failures + 1}
	}
	if err := s.release(ctx, ids); err != nil {
		return nil, err
	}
	return s.User(ctx, u.ID)
}

// ChangePassword sets a new password after checking the current one,
// which is throttled and counted like a sign-in, and ends the user's other
// sessions (all but the one whose cookie token is keep), so that a stolen
// session does not outlive the change.
func (s *Store) ChangePassword(ctx context.Context, userID uint, current, next, keep string, from Origin) (err error) {
	defer wrap(&err, "change the password of user %d", userID)
	u, err := s.checkOwnPassword(ctx, userID, "current", current, from)
	if err != nil {
		return err
	}
	return s.setPassword(ctx, u, current, next, keep)
}

// checkOwnPassword checks a signed-in user's password before a change
// that needs it, throttled and counted like a sign-in; a wrong one is a
// problem of field.
func (s *Store) checkOwnPassword(ctx context.Context, userID uint, field, password string, from Origin) (*User, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	ids, _, err := s.reserve(ctx, from.limits(u.Email))
	if err != nil {
		return nil, err
	}
	var ok bool
	if err := s.argon(ctx, func() { ok, _ = s.verifyPassword(password, u.PasswordHash) }); err != nil {
		return nil, err
	}
	if !ok {
		return nil, fieldError(field, "this is not your current password")
	}
	return u, s.release(ctx, ids)
}

// ChangeSignInPassword changes an account's password with its email and
// current password, checked as a sign-in: the way for an account with a
// one-time password, which gets no API token, to choose its own.
func (s *Store) ChangeSignInPassword(ctx context.Context, email, current, next string, from Origin) (err error) {
	defer wrap(&err, "change a password at sign-in")
	u, err := s.Authenticate(ctx, email, current, from)
	if err != nil {
		return err
	}
	return s.setPassword(ctx, u, current, next, "")
}

// setPassword stores a new password for a user whose current one has been
// checked, and ends every session of the user but keep's and every API
// token, so that nothing stolen outlives the change.
func (s *Store) setPassword(ctx context.Context, u *User, current, next, keep string) error {
	if m := CheckPassword(next, u.Email); m.Format != "" {
		return &ValidationError{Fields: map[string]Message{"password": m}}
	}
	if next == current {
		return fieldError("password", "choose a password different from the current one")
	}
	var (
		hash string
		err  error
	)
	if aerr := s.argon(ctx, func() { hash, err = hashPassword(next) }); aerr != nil {
		return aerr
	}
	if err != nil {
		return err
	}
	by := u.Actor()
	return s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(u).Updates(map[string]any{"password_hash": hash, "must_change_password": false}).Error; err != nil {
			return err
		}
		return s.endAccess(tx, &by, u.ID, keep, "user.password_changed")
	})
}

// endAccess ends every session of a user except the one whose cookie token
// is keep ("" for none) and revokes every API token, and records why.
func (s *Store) endAccess(tx *gorm.DB, by *Actor, userID uint, keep, action string) error {
	ended := tx.Where("user_id = ? AND id <> ?", userID, secretID(keep)).Delete(&session{})
	if ended.Error != nil {
		return ended.Error
	}
	revoked := tx.Model(&APIToken{}).Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", s.now())
	if revoked.Error != nil {
		return revoked.Error
	}
	return s.audit(tx, by, action, "user", userID, nil, map[string]any{"sessions_ended": ended.RowsAffected, "tokens_revoked": revoked.RowsAffected})
}
