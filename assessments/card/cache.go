package card

import (
	"crypto/ed25519"
	"crypto/sha256"
	"sync"
)

// Cache keeps what verifications can share because it does not change
// between them: public keys parsed from their multibase form, status lists
// whose signature and encoding have been checked (by the SHA-256 of the
// credential as fetched, so a list is checked again as soon as it changes),
// and checkpoints whose signature has been checked (by the signed note and
// the key). A verification with a cache is the same as one without; it
// only skips repeating work. It is safe for concurrent use; the zero value
// is ready, and a nil *Cache caches nothing.
type Cache struct {
	mu          sync.Mutex
	keys        map[string]ed25519.PublicKey
	lists       map[[sha256.Size]byte]*checkedList
	checkpoints map[string]*Checkpoint
}

// maxCached bounds each of the cache's maps; a full map starts again.
const maxCached = 256

// checkedList is a status list whose proof verified with key (the
// verification method vm) and whose bits decoded.
type checkedList struct {
	list StatusListCredential
	bits Bitstring
	vm   string
	key  ed25519.PublicKey
}

func put[K comparable, V any](c *Cache, m *map[K]V, k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if *m == nil || len(*m) >= maxCached {
		*m = map[K]V{}
	}
	(*m)[k] = v
}

func get[K comparable, V any](c *Cache, m map[K]V, k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := m[k]
	return v, ok
}

// publicKey parses a publicKeyMultibase, once.
func (c *Cache) publicKey(multibase string) (ed25519.PublicKey, error) {
	if c == nil {
		return ParsePublicKeyMultibase(multibase)
	}
	if k, ok := get(c, c.keys, multibase); ok {
		return k, nil
	}
	k, err := ParsePublicKeyMultibase(multibase)
	if err == nil {
		put(c, &c.keys, multibase, k)
	}
	return k, err
}

func (c *Cache) list(sum [sha256.Size]byte) (*checkedList, bool) {
	if c == nil {
		return nil, false
	}
	return get(c, c.lists, sum)
}

func (c *Cache) putList(sum [sha256.Size]byte, l *checkedList) {
	if c != nil {
		put(c, &c.lists, sum, l)
	}
}

// OpenCheckpoint is OpenCheckpoint, each signed note verified once.
func (c *Cache) OpenCheckpoint(signed, vkey string) (*Checkpoint, error) {
	if c == nil {
		return OpenCheckpoint(signed, vkey)
	}
	k := vkey + "\n" + signed
	if cp, ok := get(c, c.checkpoints, k); ok {
		return cp, nil
	}
	cp, err := OpenCheckpoint(signed, vkey)
	if err == nil {
		put(c, &c.checkpoints, k, cp)
	}
	return cp, err
}
