package assessments

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1
// lane). They are stored with each hash, so they can rise later without
// invalidating existing passwords.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// Password rules follow NIST SP 800-63B: a minimum length for passwords
// used as the only factor, a generous maximum, any characters, and no
// composition rules.
const (
	MinPasswordLength = 15
	MaxPasswordLength = 256
)

// CheckPassword returns why a new password is unacceptable, or a zero
// Message.
func CheckPassword(pw, email string) Message {
	n := utf8.RuneCountInString(pw)
	local := strings.ToLower(strings.SplitN(email, "@", 2)[0])
	switch {
	case n < MinPasswordLength:
		return Message{"use at least %d characters; a few unrelated words make a good password", []any{MinPasswordLength}}
	case n > MaxPasswordLength:
		return Message{"use at most %d characters", []any{MaxPasswordLength}}
	case len(local) >= 4 && strings.Contains(strings.ToLower(pw), local):
		return Message{Format: "do not use your email address in the password"}
	case commonPassword(pw):
		return Message{Format: "this password appears in lists of breached passwords; choose another"}
	}
	return Message{}
}

// argon runs an Argon2id computation once a slot is free. Each takes
// 19 MiB and a core's worth of work for a few tens of milliseconds; a
// burst of sign-ins running all at once would only multiply the memory
// (32 at once is over 600 MiB) without finishing any sooner, so at most
// one per CPU runs and the rest wait their turn.
func (s *Store) argon(ctx context.Context, f func()) error {
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.hashing }()
	f()
	return nil
}

// hashPassword derives an Argon2id hash in the PHC string format.
func hashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("unrecognised password hash")

// verifyPassword checks a password and counts the check: the throttle's
// promise is a bound on these, so it is what tests and metrics watch.
func (s *Store) verifyPassword(pw, encoded string) (bool, error) {
	s.checks.Add(1)
	return verifyPassword(pw, encoded)
}

// PasswordChecks is how many passwords this store has verified since it
// was opened.
func (s *Store) PasswordChecks() int64 { return s.checks.Load() }

// verifyPassword checks pw against a PHC-format Argon2id hash in constant
// time.
func verifyPassword(pw, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	var mem, iter uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iter, &threads); err != nil {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(pw), salt, iter, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when an account does not exist, so that
// an unknown email takes as long as a wrong password.
var dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Yt2vYB0Y+QYR6l6Q2bP5l1mSgkb6yqTUXq7eV0mH0o"

// randomPassword makes a password for generated accounts: 26 base32
// characters, 130 bits.
func randomPassword() string { return rand.Text() }

//go:embed data/common-passwords.txt
var commonPasswords string

// commonPassword reports whether pw is on the bundled list of breached
// passwords long enough to pass the length rule, or is a run of at most
// three distinct characters (aaaaaaaaaaaaaaa, 121212121212121).
func commonPassword(pw string) bool {
	distinct := map[rune]bool{}
	for _, r := range pw {
		distinct[r] = true
	}
	if len(distinct) <= 3 {
		return true
	}
	lower := strings.ToLower(pw)
	for _, line := range strings.Split(commonPasswords, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") && line == lower {
			return true
		}
	}
	return false
}
