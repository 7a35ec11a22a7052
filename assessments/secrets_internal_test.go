package assessments

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pquerna/otp/totp"
	"github.com/unescap/dmf/frameworks"
)

// TestSecretsStoredHashed: the database holds no usable secret: passwords
// as Argon2id hashes, sessions and API tokens as SHA-256 of the token.
func TestSecretsStoredHashed(t *testing.T) {
	ctx := context.Background()
	builtin, _, err := frameworks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, Options{Database: filepath.Join(t.TempDir(), "x.db"), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Editions: builtin, Secret: []byte("a test key of 32 bytes, not kept")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const password = "a long and secret pass phrase"
	u, err := s.CreateUser(ctx, nil, NewUser{Email: "r@example.org", Password: password, Role: RoleReviewer})
	if err != nil {
		t.Fatal(err)
	}
	session, _ := s.CreateSession(ctx, u.ID)
	token, _, _ := s.CreateToken(ctx, u.ID, "t")
	totpSecret, otpURL, err := s.StartTOTP(ctx, u.ID, "DMF test")
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(totpSecret, s.now())
	recovery, err := s.ConfirmTOTP(ctx, u.ID, code)
	if err != nil {
		t.Fatal(err)
	}
	var dump strings.Builder
	for _, table := range []string{"users", "sessions", "api_tokens", "audit_events", "totp_factors", "recovery_codes"} {
		rows, err := s.db.Raw("SELECT * FROM " + table).Rows()
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			for _, v := range vals {
				switch x := v.(type) {
				case []byte:
					dump.Write(x)
				case string:
					dump.WriteString(x)
				}
				dump.WriteString("|")
			}
		}
		rows.Close()
	}
	secrets := map[string]string{"password": password, "session": session, "token": token, "TOTP secret": totpSecret, "otpauth URL": otpURL}
	for i, c := range recovery {
		secrets[fmt.Sprintf("recovery code %d", i)] = normalCode(c)
	}
	for name, secret := range secrets {
		if strings.Contains(dump.String(), secret) {
			t.Errorf("the %s is stored in clear", name)
		}
	}
	if !strings.Contains(dump.String(), "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Error("no Argon2id hash stored")
	}
	// A sealed TOTP secret is bound to its user: copied to another
	// account's row, it does not open.
	var f totpFactor
	if err := s.db.First(&f, "user_id = ?", u.ID).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := s.open(f.Sealed, u.ID+1); err == nil {
		t.Error("a sealed secret opens for another user")
	}
}
