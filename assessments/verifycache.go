package assessments

import (
	"context"
	"slices"
	"sync"

	"github.com/unescap/dmf/assessments/card"
)

// verifyCache keeps what verifying a card reads from the database: the
// instance's DID document, its trusted peers, its status lists and the
// inclusion proofs of recently verified cards under the latest checkpoint.
// Each verification read these again (eight statements) although they
// change only when a key, a peer, a status list, a checkpoint or a
// cosignature does; triggers count those changes in generation 2
// (migration 00016). An entry is used only under the generation it was
// read in, so a revocation or a new checkpoint counts on the next
// verification on every instance, as without the cache.
type verifyCache struct {
	mu     sync.Mutex
	gen    int64
	did    *card.DIDDocument
	peers  []Peer
	peered bool // peers was read (it may be empty)
	lists  map[int][]byte
	proofs map[string]string // by leaf (hex)
}

// maxVerifyEntries bounds the lists and the proofs kept.
const maxVerifyEntries = 1024

// verifyGenKey carries a request's verification generation (VerifyReads).
type verifyGenKey struct{}

// VerifyReads returns ctx carrying the verification generation read now,
// so that the reads of one verification share one read of it.
func (s *Store) VerifyReads(ctx context.Context) (context.Context, error) {
	n, err := s.readGeneration(ctx, 2)
	if err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, verifyGenKey{}, n), nil
}

// verifyGen is ctx's verification generation, read now if it has none.
func (s *Store) verifyGen(ctx context.Context) (int64, error) {
	if n, ok := ctx.Value(verifyGenKey{}).(int64); ok {
		return n, nil
	}
	return s.readGeneration(ctx, 2)
}

// at brings the cache to generation gen and reports whether entries may
// be used and kept: not when gen is older than what the cache has seen.
// Called with mu held.
func (c *verifyCache) at(gen int64) bool {
	if gen > c.gen {
		c.gen, c.did, c.peers, c.peered, c.lists, c.proofs = gen, nil, nil, false, nil, nil
	}
	return gen == c.gen
}

// cachedDID returns the cached DID document, or reads it with read.
func (s *Store) cachedDID(ctx context.Context, read func() (*card.DIDDocument, error)) (*card.DIDDocument, error) {
	return cached(s, ctx, read,
		func(c *verifyCache) (*card.DIDDocument, bool) { return c.did, c.did != nil },
		func(c *verifyCache, doc *card.DIDDocument) { c.did = doc })
}

// cachedPeers returns a copy of the cached trusted peers, or reads them.
func (s *Store) cachedPeers(ctx context.Context, read func() ([]Peer, error)) ([]Peer, error) {
	return cached(s, ctx, read,
		func(c *verifyCache) ([]Peer, bool) { return slices.Clone(c.peers), c.peered },
		func(c *verifyCache, ps []Peer) { c.peers, c.peered = slices.Clone(ps), true })
}

// cachedList returns status list id, cached or read.
func (s *Store) cachedList(ctx context.Context, id int, read func() ([]byte, error)) ([]byte, error) {
	return cached(s, ctx, read,
		func(c *verifyCache) ([]byte, bool) { v, ok := c.lists[id]; return v, ok },
		func(c *verifyCache, v []byte) { c.lists = bounded(c.lists, id, v) })
}

// cachedProof returns the inclusion proof of a leaf, cached or read.
func (s *Store) cachedProof(ctx context.Context, leaf string, read func() (string, error)) (string, error) {
	return cached(s, ctx, read,
		func(c *verifyCache) (string, bool) { v, ok := c.proofs[leaf]; return v, ok },
		func(c *verifyCache, v string) { c.proofs = bounded(c.proofs, leaf, v) })
}

// cached is what get finds in the cache, or read's answer, which put
// keeps for the generation it was read in (get and put run with the
// cache locked). Values are shared: callers never change them.
func cached[V any](s *Store, ctx context.Context, read func() (V, error), get func(*verifyCache) (V, bool), put func(*verifyCache, V)) (V, error) {
	var zero V
	gen, err := s.verifyGen(ctx)
	if err != nil {
		return zero, err
	}
	c := &s.verify
	c.mu.Lock()
	if c.at(gen) {
		if v, ok := get(c); ok {
			c.mu.Unlock()
			return v, nil
		}
	}
	c.mu.Unlock()
	v, err := read()
	if err != nil {
		return zero, err
	}
	c.mu.Lock()
	if c.at(gen) {
		put(c, v)
	}
	c.mu.Unlock()
	return v, nil
}

// bounded is m with k set to v, started again when full.
func bounded[K comparable, V any](m map[K]V, k K, v V) map[K]V {
	if m == nil || len(m) >= maxVerifyEntries {
		m = map[K]V{}
	}
	m[k] = v
	return m
}
