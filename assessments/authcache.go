package assessments

import (
	"context"
	"sync"
	"time"
)

// authGeneration counts the changes that can end or narrow someone's
// access: database triggers (migration 00009) add one whenever an account
// or organisation is changed or deleted, a token revoked or a session
// ended, whichever code path or instance did it.
type authGeneration struct {
	ID int64 `gorm:"primaryKey;autoIncrement:false"`
	N  int64 `gorm:"not null"`
}

func (authGeneration) TableName() string { return "auth_generations" }

// authCache remembers who the recently seen sessions and API tokens belong
// to, so that a request is authenticated with one small read (the
// generation) instead of two. An entry is trusted only while the
// generation is the one it was read under: a revocation, a disabled
// account or a password change on any instance changes the generation, so
// it takes effect on the next request everywhere, not when an entry ages.
type authCache struct {
	mu      sync.Mutex
	gen     int64
	entries map[string]authEntry // by secretID
}

// authEntry is a session or token as read with its user.
type authEntry struct {
	user    User
	org     Organisation // the user's, if any
	expires time.Time    // the session's or token's end
	seen    time.Time    // when its use was last recorded (last_seen_at, last_used_at)
}

// maxAuthEntries bounds the cache; when it is full it starts again.
const maxAuthEntries = 10000

// generation reads the current generation.
func (s *Store) generation(ctx context.Context) (int64, error) { return s.readGeneration(ctx, 1) }

// readGeneration reads generation id: 1 counts changes to access, 2 to
// what verification reads (verifycache.go). A fixed statement (see
// execSQL): every request reads one.
func (s *Store) readGeneration(ctx context.Context, id int) (int64, error) {
	var n int64
	err := queryOne(s.db.WithContext(ctx), "SELECT n FROM auth_generations WHERE id = ?", []any{id}, &n)
	return n, err
}

// cachedUser returns the user of a secret from the cache, if it holds a
// live entry of the current generation gen whose use need not be recorded
// yet (touchSessionAfter, well within SessionIdle); otherwise the caller
// reads the database, which also records the use.
func (c *authCache) cachedUser(id string, gen int64, now time.Time) (*User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		c.gen, c.entries = gen, nil
		return nil, false
	}
	e, ok := c.entries[id]
	if !ok || !now.Before(e.expires) || now.Sub(e.seen) > touchSessionAfter {
		return nil, false
	}
	u := e.user
	if u.Organisation != nil {
		org := e.org
		u.Organisation = &org
	}
	return &u, true
}

// remember caches what was read under generation gen.
func (c *authCache) remember(id string, gen int64, u *User, expires, seen time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return // read under an older generation, or the cache moved on
	}
	if c.entries == nil || len(c.entries) >= maxAuthEntries {
		c.entries = map[string]authEntry{}
	}
	e := authEntry{user: *u, expires: expires, seen: seen}
	if u.Organisation != nil {
		e.org = *u.Organisation
	}
	c.entries[id] = e
}
