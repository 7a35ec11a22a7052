package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

// deviceCookie names an account that this browser or API client has
// signed in to, signed by the server: OWASP's device cookies. Its
// attempts at that account are counted on their own, so strangers who
// exhaust the account's or the address's limit do not lock it out.
const (
	deviceCookie   = "dmf_device"
	deviceLifetime = 180 * 24 * time.Hour
)

// loadSecret reads the key that signs device cookies and CSRF tokens,
// creating it on first start. It sits with the signing keys, so instances
// sharing a data directory share it, and stays out of the database, so a
// copy of the database cannot mint device cookies.
func loadSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, "cookie.key")
	for range 2 {
		data, err := os.ReadFile(path)
		if err == nil {
			key, err := hex.DecodeString(strings.TrimSpace(string(data)))
			if err != nil || len(key) != 32 {
				return nil, fmt.Errorf("%s: not a 32-byte hex key", path)
			}
			return key, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		// Written aside and linked into place, so that an instance starting
		// at the same moment reads either no file or a whole one.
		tmp := fmt.Sprintf("%s.%s", path, rand.Text())
		key := make([]byte, 32)
		rand.Read(key)
		if err := os.WriteFile(tmp, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
			return nil, err
		}
		err = os.Link(tmp, path)
		os.Remove(tmp)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%s: could not be created", path)
}

// sign is the server's HMAC of parts for one purpose, so that a value
// signed for one use is worthless for another.
func (s *server) sign(purpose string, parts ...string) string {
	m := hmac.New(sha256.New, s.secret)
	for _, p := range append([]string{purpose}, parts...) {
		fmt.Fprintf(m, "%d:%s;", len(p), p)
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func normalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// origin is where an attempt to sign in to email comes from: the client's
// address and, if it holds a valid device cookie for that account, the
// cookie's nonce.
func (s *server) origin(c echo.Context, email string) assessments.Origin {
	o := assessments.Origin{Addr: c.RealIP()}
	ck, err := c.Cookie(deviceCookie)
	if err != nil {
		return o
	}
	parts := strings.Split(ck.Value, ".")
	if len(parts) != 3 {
		return o
	}
	named, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || string(named) != normalEmail(email) {
		return o
	}
	if hmac.Equal([]byte(parts[2]), []byte(s.sign("device", string(named), parts[1]))) {
		o.Device = parts[1]
	}
	return o
}

// issueDevice gives a client that has just signed in to email a device
// cookie for that account, unless it holds one already.
func (s *server) issueDevice(c echo.Context, email string) {
	email = normalEmail(email)
	if s.origin(c, email).Device != "" {
		return
	}
	nonce := rand.Text()
	c.SetCookie(&http.Cookie{
		Name: deviceCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(email)) + "." + nonce + "." + s.sign("device", email, nonce),
		Path: "/", MaxAge: int(deviceLifetime / time.Second), HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode,
	})
}
