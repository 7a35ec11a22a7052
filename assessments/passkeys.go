package assessments

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Passkeys are kept here as the WebAuthn library records them (JSON the
// web layer makes and reads); the ceremonies themselves, which check
// origins and signatures, are the web layer's, with the library.

// Ceremony kinds of a passkey challenge.
const (
	PasskeyRegister = "register"
	PasskeyLogin    = "login"
)

// SavePasskeyChallenge keeps the state of a passkey ceremony a user has
// begun, replacing any earlier one of the same kind.
func (s *Store) SavePasskeyChallenge(ctx context.Context, userID uint, kind string, data []byte) (err error) {
	defer wrap(&err, "begin a passkey %s for user %d", kind, userID)
	c := passkeyChallenge{UserID: userID, Kind: kind, Data: data, ExpiresAt: s.now().Add(challengeLifetime)}
	return s.write(ctx, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&c).Error
	})
}

// TakePasskeyChallenge returns the state of a user's passkey ceremony and
// deletes it, so that an answer to its challenge is accepted once.
func (s *Store) TakePasskeyChallenge(ctx context.Context, userID uint, kind string) (_ []byte, err error) {
	defer wrap(&err, "finish a passkey %s for user %d", kind, userID)
	var c passkeyChallenge
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("user_id = ? AND kind = ?", userID, kind).First(&c).Error; err != nil {
			return err
		}
		return tx.Delete(&c).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && s.now().After(c.ExpiresAt)) {
		return nil, ErrExpired
	}
	return c.Data, err
}

// Passkeys lists a user's passkeys, oldest first.
func (s *Store) Passkeys(ctx context.Context, userID uint) (_ []Passkey, err error) {
	defer wrap(&err, "list the passkeys of user %d", userID)
	var ps []Passkey
	err = s.db.WithContext(ctx).Where("user_id = ?", userID).Order("created_at").Find(&ps).Error
	return ps, err
}

// CheckPasskeyName refuses a passkey name that is not one short line.
func CheckPasskeyName(name string) error {
	v := invalid{}
	checkText(v, "name", name)
	if strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > MaxTokenName || strings.ContainsAny(name, "\n\t") {
		v.add("name", "must be one line of at most %d characters", MaxTokenName)
	}
	return v.err()
}

// AddPasskey records a passkey the user has just registered. For a user
// who had no second factor it is now one, and they get recovery codes,
// returned this once.
func (s *Store) AddPasskey(ctx context.Context, userID uint, id, name string, credential []byte) (_ []string, err error) {
	defer wrap(&err, "add a passkey for user %d", userID)
	if err := CheckPasskeyName(name); err != nil {
		return nil, err
	}
	u, err := s.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	var codes []string
	if u.SecondFactorAt == nil {
		codes = newRecoveryCodes()
	}
	by := u.Actor()
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&Passkey{ID: id, UserID: userID, Name: name, Credential: credential, CreatedAt: s.now()}).Error; err != nil {
			return err
		}
		if codes != nil {
			if err := s.replaceRecoveryCodes(tx, userID, codes); err != nil {
				return err
			}
		}
		if err := s.factorAdded(tx, u); err != nil {
			return err
		}
		return s.audit(tx, &by, "passkey.added", "user", userID, nil, map[string]any{"name": name})
	})
	return codes, err
}

// RemovePasskey deletes one of the user's passkeys; the last factor gone,
// the recovery codes go too.
func (s *Store) RemovePasskey(ctx context.Context, userID uint, id string) (err error) {
	defer wrap(&err, "remove a passkey of user %d", userID)
	by := Actor{UserID: userID}
	return s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Where("user_id = ? AND id = ?", userID, id).Delete(&Passkey{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := s.dropFactorIfNone(tx, userID); err != nil {
			return err
		}
		return s.audit(tx, &by, "passkey.removed", "user", userID, nil, nil)
	})
}

// CompletePasskeySignIn finishes a pending sign-in with a passkey whose
// assertion the web layer has verified against the user's credentials:
// it stores the credential's new state (its signature counter) and
// returns the token of a full session in place of the pending one.
func (s *Store) CompletePasskeySignIn(ctx context.Context, pending, id string, credential []byte) (_ string, err error) {
	defer wrap(&err, "complete a sign-in with a passkey")
	u, err := s.PendingUser(ctx, pending)
	if err != nil {
		return "", err
	}
	err = s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Passkey{}).Where("user_id = ? AND id = ?", u.ID, id).Updates(map[string]any{"credential": credential, "last_used_at": s.now()})
		if res.Error == nil && res.RowsAffected == 0 {
			return ErrNotFound
		}
		return res.Error
	})
	if err != nil {
		return "", err
	}
	return s.promote(ctx, u.ID, pending)
}
