package assessments

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

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
	s, err := Open(ctx, Options{Database: filepath.Join(t.TempDir(), "x.db"), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Editions: builtin})
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
	var dump strings.Builder
	for _, table := range []string{"users", "sessions", "api_tokens", "audit_events"} {
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
	for name, secret := range map[string]string{"password": password, "session": session, "token": token} {
		if strings.Contains(dump.String(), secret) {
			t.Errorf("the %s is stored in clear", name)
		}
	}
	if !strings.Contains(dump.String(), "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Error("no Argon2id hash stored")
	}
}
