package assessments

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"gorm.io/gorm"
)

// A second factor: a TOTP app (RFC 6238) or passkeys (WebAuthn), with ten
// single-use recovery codes for the day the phone is lost. A session made
// for a user who has one is pending (see CreateSession) until the second
// factor is given, whatever the first factor was.

const (
	// PendingLifetime is how long a pending session waits for its second
	// factor before the sign-in starts over.
	PendingLifetime = 10 * time.Minute
	// RecoveryCodes is how many recovery codes a user is given at a time.
	RecoveryCodes = 10
	totpPeriod    = 30 // seconds per time step
	// challengeLifetime is how long a passkey ceremony may take.
	challengeLifetime = 5 * time.Minute
)

// Sentinels of the second factor.
var (
	// ErrSecondFactorRequired: the account has a second factor and the
	// request did not give one (POST /api/v1/tokens without otp). 401.
	ErrSecondFactorRequired = errors.New("this account has a second factor: send otp, a code of the authenticator app or a recovery code")
	// ErrEnrolmentRequired: the user's role must use a second factor and
	// the user has none yet; only setting one up is allowed. 403.
	ErrEnrolmentRequired = errors.New("your role must sign in with a second factor: set one up first (POST /api/v1/account/totp)")
)

// PendingSessionError is what SessionUser says of a session still waiting
// for its second factor.
type PendingSessionError struct{ UserID uint }

func (e *PendingSessionError) Error() string {
	return "the second factor of this sign-in is still to come"
}

// totpFactor is a user's TOTP secret, sealed (AES-GCM under a key kept
// outside the database), so that a copy of the database does not yield
// codes. LastStep is the last time step whose code was accepted: a code of
// it or an earlier one never works again.
type totpFactor struct {
	UserID      uint       `gorm:"primaryKey;autoIncrement:false"`
	Sealed      []byte     `gorm:"not null"`
	ConfirmedAt *time.Time // nil until the user proves the app has it
	LastStep    int64      `gorm:"not null;default:0"`
	CreatedAt   time.Time  `gorm:"not null"`
}

func (totpFactor) TableName() string { return "totp_factors" }

// recoveryCode is a single-use code, stored as the SHA-256 of its
// normalised text: it is random, so a fast hash is enough.
type recoveryCode struct {
	ID     uint   `gorm:"primaryKey"`
	UserID uint   `gorm:"not null;index"`
	Hash   string `gorm:"not null;size:64"`
	UsedAt *time.Time
}

func (recoveryCode) TableName() string { return "recovery_codes" }

// Passkey is a WebAuthn credential of a user. Credential is the
// library's record of it (public key, sign count, flags) as JSON.
type Passkey struct {
	ID         string     `gorm:"primaryKey;size:255" json:"id"` // the credential id, base64url
	UserID     uint       `gorm:"not null;index" json:"-"`
	Name       string     `gorm:"not null" json:"name"`
	Credential []byte     `gorm:"not null" json:"-"`
	CreatedAt  time.Time  `gorm:"not null" json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

func (Passkey) TableName() string { return "passkeys" }

// passkeyChallenge is the one passkey ceremony a user has under way, per
// kind ("register" or "login"): the library's session data, with the
// challenge the authenticator must sign. It is taken once.
type passkeyChallenge struct {
	UserID    uint      `gorm:"primaryKey;autoIncrement:false"`
	Kind      string    `gorm:"primaryKey;size:16"`
	Data      []byte    `gorm:"not null"`
	ExpiresAt time.Time `gorm:"not null"`
}

func (passkeyChallenge) TableName() string { return "passkey_challenges" }

// NeedsSecondFactor reports whether the user must set up a second factor
// before anything else: their role is one of required and they have none.
func (u *User) NeedsSecondFactor(required []Role) bool {
	return u.SecondFactorAt == nil && slices.Contains(required, u.Role)
}

// SecondFactors is what a user has set up, for the account page.
type SecondFactors struct {
	TOTP         bool // confirmed
	Passkeys     []Passkey
	RecoveryLeft int // unused recovery codes
}

// SecondFactorsOf lists a user's second factors.
func (s *Store) SecondFactorsOf(ctx context.Context, userID uint) (_ *SecondFactors, err error) {
	defer wrap(&err, "list the second factors of user %d", userID)
	db := s.db.WithContext(ctx)
	var f SecondFactors
	var n int64
	if err := db.Model(&totpFactor{}).Where("user_id = ? AND confirmed_at IS NOT NULL", userID).Count(&n).Error; err != nil {
		return nil, err
	}
	f.TOTP = n > 0
	if err := db.Where("user_id = ?", userID).Order("created_at").Find(&f.Passkeys).Error; err != nil {
		return nil, err
	}
	if err := db.Model(&recoveryCode{}).Where("user_id = ? AND used_at IS NULL", userID).Count(&n).Error; err != nil {
		return nil, err
	}
	f.RecoveryLeft = int(n)
	return &f, nil
}

// StartTOTP makes a new TOTP secret for a user who has none confirmed and
// returns it with its otpauth:// URL (for the QR code) under issuer's
// name. It works only once ConfirmTOTP is given a code of it.
func (s *Store) StartTOTP(ctx context.Context, userID uint, issuer string) (secret, url string, err error) {
	defer wrap(&err, "start TOTP for user %d", userID)
	u, err := s.User(ctx, userID)
	if err != nil {
		return "", "", err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: u.Email, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", err
	}
	sealed, err := s.seal([]byte(key.URL()), userID)
	if err != nil {
		return "", "", err
	}
	by := u.Actor()
	err = s.write(ctx, func(tx *gorm.DB) error {
		var old totpFactor
		switch err := tx.Where("user_id = ?", userID).First(&old).Error; {
		case err == nil && old.ConfirmedAt != nil:
			return &ValidationError{Fields: map[string]Message{"totp": {Format: "an authenticator app is already set up; turn it off first"}}}
		case err != nil && !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		if err := tx.Where("user_id = ?", userID).Delete(&totpFactor{}).Error; err != nil {
			return err
		}
		if err := tx.Create(&totpFactor{UserID: userID, Sealed: sealed, CreatedAt: s.now()}).Error; err != nil {
			return err
		}
		return s.audit(tx, &by, "totp.started", "user", userID, nil, nil)
	})
	if err != nil {
		return "", "", err
	}
	return key.Secret(), key.URL(), nil
}

// TOTPKeyURL is the secret and otpauth:// URL of a user's TOTP secret
// that is not confirmed yet, to show its QR code again.
func (s *Store) TOTPKeyURL(ctx context.Context, userID uint) (secret, url string, err error) {
	defer wrap(&err, "read the new TOTP secret of user %d", userID)
	var f totpFactor
	if err := s.db.WithContext(ctx).Where("user_id = ? AND confirmed_at IS NULL", userID).First(&f).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return "", "", ErrNotFound
		}
		return "", "", err
	}
	key, err := s.openKey(f, userID)
	if err != nil {
		return "", "", err
	}
	return key.Secret(), key.URL(), nil
}

// openKey unseals a TOTP key: its otpauth:// URL is what is sealed.
func (s *Store) openKey(f totpFactor, userID uint) (*otp.Key, error) {
	raw, err := s.open(f.Sealed, userID)
	if err != nil {
		return nil, err
	}
	return otp.NewKeyFromURL(string(raw))
}

// ConfirmTOTP turns on the TOTP secret StartTOTP made, given a current
// code of it, and returns new recovery codes, shown this once.
func (s *Store) ConfirmTOTP(ctx context.Context, userID uint, code string) (_ []string, err error) {
	defer wrap(&err, "confirm TOTP for user %d", userID)
	u, err := s.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	var f totpFactor
	if err := s.db.WithContext(ctx).Where("user_id = ? AND confirmed_at IS NULL", userID).First(&f).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fieldError("code", "start setting up the authenticator app first")
		}
		return nil, err
	}
	key, err := s.openKey(f, userID)
	if err != nil {
		return nil, err
	}
	step, ok := matchTOTP(key.Secret(), normalCode(code), s.now(), f.LastStep)
	if !ok {
		return nil, fieldError("code", "this is not the code the app shows now; check the phone's clock and try the next code")
	}
	codes := newRecoveryCodes()
	by := u.Actor()
	err = s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&totpFactor{}).Where("user_id = ? AND confirmed_at IS NULL", userID).
			Updates(map[string]any{"confirmed_at": s.now(), "last_step": step})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fieldError("code", "start setting up the authenticator app first")
		}
		if err := s.replaceRecoveryCodes(tx, userID, codes); err != nil {
			return err
		}
		if err := s.factorAdded(tx, u); err != nil {
			return err
		}
		return s.audit(tx, &by, "totp.enabled", "user", userID, nil, nil)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// NewRecoveryCodes replaces a user's recovery codes with ten new ones,
// shown this once; the old ones stop working.
func (s *Store) NewRecoveryCodes(ctx context.Context, userID uint) (_ []string, err error) {
	defer wrap(&err, "renew the recovery codes of user %d", userID)
	u, err := s.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.SecondFactorAt == nil {
		return nil, ErrNotFound
	}
	codes := newRecoveryCodes()
	by := u.Actor()
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := s.replaceRecoveryCodes(tx, userID, codes); err != nil {
			return err
		}
		return s.audit(tx, &by, "recovery_codes.renewed", "user", userID, nil, nil)
	})
	return codes, err
}

// factorAdded records that the user now has a second factor. Sessions
// already signed in stay: they were made with the password alone, by the
// person now adding the factor.
func (s *Store) factorAdded(tx *gorm.DB, u *User) error {
	if u.SecondFactorAt != nil {
		return nil
	}
	return tx.Model(&User{}).Where("id = ?", u.ID).Update("second_factor_at", s.now()).Error
}

func (s *Store) replaceRecoveryCodes(tx *gorm.DB, userID uint, codes []string) error {
	if err := tx.Where("user_id = ?", userID).Delete(&recoveryCode{}).Error; err != nil {
		return err
	}
	rows := make([]recoveryCode, len(codes))
	for i, c := range codes {
		rows[i] = recoveryCode{UserID: userID, Hash: secretID(normalCode(c))}
	}
	return tx.Create(&rows).Error
}

// newRecoveryCodes makes ten codes of ten base32 letters and digits (50
// bits each), written in two groups of five to be copied by hand.
func newRecoveryCodes() []string {
	codes := make([]string, RecoveryCodes)
	for i := range codes {
		t := strings.ToLower(rand.Text()[:10])
		codes[i] = t[:5] + "-" + t[5:]
	}
	return codes
}

// normalCode is a code as typed, without spaces and dashes, lower case.
func normalCode(code string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(code)))
}

// matchTOTP checks a six-digit code against the time steps around now
// (one either side, for clocks that drift) that are later than last, and
// returns the step it matched.
func matchTOTP(secret, code string, now time.Time, last int64) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	for _, t := range []int64{step - 1, step, step + 1} {
		if t <= last {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(t*totpPeriod, 0), totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t, true
		}
	}
	return 0, false
}

// VerifySecondFactor checks a code of the user's authenticator app or one
// of their recovery codes, throttled and counted like a password (DESIGN
// §8): each attempt is charged to the sign-in counters of the account
// before the code is checked, and given back if it was right. A TOTP code
// is accepted once (its time step is remembered, in the same update that
// accepts it, so two requests racing with one code cannot both pass); a
// recovery code is used up.
func (s *Store) VerifySecondFactor(ctx context.Context, userID uint, code string, from Origin) (err error) {
	defer wrap(&err, "check the second factor of user %d", userID)
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	ids, failures, err := s.reserve(ctx, from.limits(u.Email))
	if err != nil {
		return err
	}
	ok, err := s.useCode(ctx, u, normalCode(code))
	if err != nil {
		return err
	}
	if !ok {
		return &BadCredentialsError{Failures: failures + 1}
	}
	return s.release(ctx, ids)
}

func (s *Store) useCode(ctx context.Context, u *User, code string) (bool, error) {
	by := u.Actor()
	if len(code) == 6 {
		var f totpFactor
		err := s.db.WithContext(ctx).Where("user_id = ? AND confirmed_at IS NOT NULL", u.ID).First(&f).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		key, err := s.openKey(f, u.ID)
		if err != nil {
			return false, err
		}
		step, ok := matchTOTP(key.Secret(), code, s.now(), f.LastStep)
		if !ok {
			return false, nil
		}
		var used bool
		err = s.write(ctx, func(tx *gorm.DB) error {
			res := tx.Model(&totpFactor{}).Where("user_id = ? AND last_step < ?", u.ID, step).Update("last_step", step)
			used = res.RowsAffected == 1
			return res.Error
		})
		return used, err
	}
	if len(code) != 10 {
		return false, nil
	}
	var used bool
	err := s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&recoveryCode{}).Where("user_id = ? AND hash = ? AND used_at IS NULL", u.ID, secretID(code)).Update("used_at", s.now())
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		used = true
		var left int64
		if err := tx.Model(&recoveryCode{}).Where("user_id = ? AND used_at IS NULL", u.ID).Count(&left).Error; err != nil {
			return err
		}
		return s.audit(tx, &by, "recovery_code.used", "user", u.ID, nil, map[string]any{"left": left})
	})
	return used, err
}

// DisableTOTP turns the authenticator app off, given the password and a
// current code (or a recovery code), both checked as a sign-in. Without
// passkeys left the user has no second factor any more, and the recovery
// codes go too.
func (s *Store) DisableTOTP(ctx context.Context, userID uint, password, code string, from Origin) (err error) {
	defer wrap(&err, "turn off TOTP for user %d", userID)
	u, err := s.checkOwnPassword(ctx, userID, "password", password, from)
	if err != nil {
		return err
	}
	if err := s.VerifySecondFactor(ctx, userID, code, from); err != nil {
		if errors.Is(err, ErrBadCredentials) {
			return fieldError("code", "this code is not right, or has been used")
		}
		return err
	}
	by := u.Actor()
	return s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("user_id = ?", userID).Delete(&totpFactor{}).Error; err != nil {
			return err
		}
		if err := s.dropFactorIfNone(tx, userID); err != nil {
			return err
		}
		return s.audit(tx, &by, "totp.disabled", "user", userID, nil, nil)
	})
}

// dropFactorIfNone clears second_factor_at and the recovery codes of a
// user who has no TOTP and no passkey left.
func (s *Store) dropFactorIfNone(tx *gorm.DB, userID uint) error {
	var n, m int64
	if err := tx.Model(&totpFactor{}).Where("user_id = ? AND confirmed_at IS NOT NULL", userID).Count(&n).Error; err != nil {
		return err
	}
	if err := tx.Model(&Passkey{}).Where("user_id = ?", userID).Count(&m).Error; err != nil {
		return err
	}
	if n+m > 0 {
		return nil
	}
	if err := tx.Where("user_id = ?", userID).Delete(&recoveryCode{}).Error; err != nil {
		return err
	}
	return tx.Model(&User{}).Where("id = ?", userID).Update("second_factor_at", nil).Error
}

// ResetSecondFactor removes every second factor of a user (an admin's
// help for a lost phone or key): TOTP, passkeys and recovery codes. The
// user is told in the app and by mail, and signs in with the password
// alone until they set one up again, which their role may require at once.
func (s *Store) ResetSecondFactor(ctx context.Context, by Actor, id uint) (err error) {
	defer wrap(&err, "reset the second factor of user %d", id)
	if !by.CanAdminister() {
		return ErrForbidden
	}
	if _, err := s.User(ctx, id); err != nil {
		return err
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		for _, m := range []any{&totpFactor{}, &Passkey{}, &recoveryCode{}, &passkeyChallenge{}} {
			if err := tx.Where("user_id = ?", id).Delete(m).Error; err != nil {
				return err
			}
		}
		if err := tx.Model(&User{}).Where("id = ?", id).Update("second_factor_at", nil).Error; err != nil {
			return err
		}
		if err := s.audit(tx, &by, "user.second_factor_reset", "user", id, nil, nil); err != nil {
			return err
		}
		return s.notifyUser(tx, id, NoticeSecondFactorReset)
	})
}

// PendingUser returns the user of a session that waits for its second
// factor.
func (s *Store) PendingUser(ctx context.Context, token string) (_ *User, err error) {
	defer wrap(&err, "read a pending sign-in")
	var ss session
	if err := s.db.WithContext(ctx).Where("id = ? AND pending", secretID(token)).First(&ss).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrExpired
		}
		return nil, err
	}
	if s.now().After(ss.ExpiresAt) {
		return nil, ErrExpired
	}
	return s.liveUser(ctx, ss.UserID)
}

// CompleteSignIn checks the second factor of a pending session and, if
// it is right, ends that session and returns the token of a full one (a
// new token: nothing learnt of the pending one is worth anything after).
func (s *Store) CompleteSignIn(ctx context.Context, pending, code string, from Origin) (_ string, err error) {
	defer wrap(&err, "complete a sign-in")
	u, err := s.PendingUser(ctx, pending)
	if err != nil {
		return "", err
	}
	if err := s.VerifySecondFactor(ctx, u.ID, code, from); err != nil {
		return "", err
	}
	return s.promote(ctx, u.ID, pending)
}

// promote replaces a pending session, whose second factor was given, by a
// full one.
func (s *Store) promote(ctx context.Context, userID uint, pending string) (string, error) {
	token, id := newSecret("")
	now := s.now()
	by := Actor{UserID: userID}
	err := s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Where("id = ? AND pending", secretID(pending)).Delete(&session{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 { // used by a parallel request
			return ErrExpired
		}
		if err := tx.Create(&session{ID: id, UserID: userID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(SessionLifetime)}).Error; err != nil {
			return err
		}
		return s.audit(tx, &by, "user.signed_in_second_factor", "user", userID, nil, nil)
	})
	return token, err
}

// sealKey derives the key that seals TOTP secrets from the instance's
// secret, for this purpose alone.
func (s *Store) sealKey() ([]byte, error) {
	if len(s.secret) == 0 {
		return nil, errors.New("no key to seal second-factor secrets with (Options.Secret)")
	}
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("dmf totp secret v1"))
	return m.Sum(nil), nil
}

// seal encrypts a secret for one user: the user's id is bound to it, so a
// sealed secret copied to another user's row does not open.
func (s *Store) seal(plain []byte, userID uint) ([]byte, error) {
	gcm, err := s.gcm()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	return gcm.Seal(nonce, nonce, plain, binary.BigEndian.AppendUint64(nil, uint64(userID))), nil
}

func (s *Store) open(sealed []byte, userID uint) ([]byte, error) {
	gcm, err := s.gcm()
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("sealed secret is too short")
	}
	return gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], binary.BigEndian.AppendUint64(nil, uint64(userID)))
}

func (s *Store) gcm() (cipher.AEAD, error) {
	key, err := s.sealKey()
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
