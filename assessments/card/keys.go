package card

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	tdnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// Key is an issuer signing key. Its ID is dated (key-2026-1) so that a
// verification method names when it was made; retired keys are kept so
// that old cards still verify.
type Key struct {
	ID      string // key-YYYY-N
	Private ed25519.PrivateKey
}

// Public returns the key's public half.
func (k Key) Public() ed25519.PublicKey { return k.Private.Public().(ed25519.PublicKey) }

var keyFile = regexp.MustCompile(`^key-(\d{4})-(\d+)\.pem$`)

// Keys holds the issuer keys and the transparency log's note key, read
// from a directory where each private key is its own file of mode 0600.
type Keys struct {
	dir    string
	Issuer []Key // oldest first; the last one signs new cards
	Log    note.Signer
	LogKey string // the log's verifier key, in signed-note form
	// Witness cosigns peers' checkpoints (C2SP tlog-cosignature, Ed25519
	// cosignature/v1); WitnessKey is its verifier key in that form.
	Witness    note.Signer
	WitnessKey string
}

// LoadKeys reads the keys in dir, creating the directory, a first issuer
// key, a log key named origin and a witness key named witness when they do
// not exist yet.
func LoadKeys(dir, origin, witness string, now time.Time) (*Keys, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ks := &Keys{dir: dir}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !keyFile.MatchString(e.Name()) {
			continue
		}
		k, err := readKey(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ks.Issuer = append(ks.Issuer, k)
	}
	sortKeys(ks.Issuer)
	if len(ks.Issuer) == 0 {
		if _, err := ks.Rotate(now); err != nil {
			return nil, err
		}
	}
	if err := ks.loadLogKey(origin); err != nil {
		return nil, err
	}
	if err := ks.loadWitnessKey(witness); err != nil {
		return nil, err
	}
	return ks, nil
}

// Active is the key that signs new cards and status lists.
func (ks *Keys) Active() Key { return ks.Issuer[len(ks.Issuer)-1] }

// Rotate adds a new issuer key dated now; new cards use it, and the old
// keys stay published so that old cards still verify.
func (ks *Keys) Rotate(now time.Time) (Key, error) {
	year, n := now.UTC().Year(), 1
	for _, k := range ks.Issuer {
		if y, m := keyParts(k.ID); y == year && m >= n {
			n = m + 1
		}
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Key{}, err
	}
	k := Key{ID: fmt.Sprintf("key-%d-%d", year, n), Private: priv}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return Key{}, err
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	// O_EXCL: two processes rotating at once cannot overwrite each other.
	f, err := os.OpenFile(filepath.Join(ks.dir, k.ID+".pem"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Key{}, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return Key{}, err
	}
	if err := f.Close(); err != nil {
		return Key{}, err
	}
	ks.Issuer = append(ks.Issuer, k)
	sortKeys(ks.Issuer)
	return k, nil
}

func readKey(path string) (Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Key{}, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return Key{}, fmt.Errorf("%s: not a PEM private key", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return Key{}, fmt.Errorf("%s: %w", path, err)
	}
	priv, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return Key{}, fmt.Errorf("%s: not an Ed25519 key", path)
	}
	return Key{ID: strings.TrimSuffix(filepath.Base(path), ".pem"), Private: priv}, nil
}

func keyParts(id string) (year, n int) {
	m := keyFile.FindStringSubmatch(id + ".pem")
	if m == nil {
		return 0, 0
	}
	year, _ = strconv.Atoi(m[1])
	n, _ = strconv.Atoi(m[2])
	return year, n
}

func sortKeys(keys []Key) {
	sort.Slice(keys, func(i, j int) bool {
		yi, ni := keyParts(keys[i].ID)
		yj, nj := keyParts(keys[j].ID)
		return yi < yj || (yi == yj && ni < nj)
	})
}

// loadLogKey reads or creates the log's note key. Its name is the log's
// origin, fixed at creation so that the log keeps its identity even if the
// instance's URL changes later.
func (ks *Keys) loadLogKey(origin string) error {
	skey, vkey, err := noteKey(filepath.Join(ks.dir, "log.key"), origin)
	if err != nil {
		return err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return fmt.Errorf("log.key: %w", err)
	}
	ks.Log, ks.LogKey = signer, vkey
	return nil
}

// loadWitnessKey reads or creates the witness key. It is stored as a
// plain Ed25519 note key and used as a timestamped cosignature/v1 key,
// whose verifier key (algorithm 0x04) is what peers pin.
func (ks *Keys) loadWitnessKey(name string) error {
	skey, vkey, err := noteKey(filepath.Join(ks.dir, "witness.key"), name)
	if err != nil {
		return err
	}
	signer, err := tdnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		return fmt.Errorf("witness.key: %w", err)
	}
	if ks.WitnessKey, err = tdnote.VKeyToCosignatureV1(vkey); err != nil {
		return fmt.Errorf("witness.key: %w", err)
	}
	ks.Witness = signer
	return nil
}

// noteKey reads a signed-note key pair from path, or creates it named
// name, the file of mode 0600 holding the signer and verifier keys on two
// lines.
func noteKey(path, name string) (skey, vkey string, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		skey, vkey, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			return "", "", err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", "", err
		}
		if _, err := f.WriteString(skey + "\n" + vkey + "\n"); err != nil {
			f.Close()
			return "", "", err
		}
		if err := f.Close(); err != nil {
			return "", "", err
		}
		data = []byte(skey + "\n" + vkey + "\n")
	} else if err != nil {
		return "", "", err
	}
	lines := strings.Fields(string(data))
	if len(lines) != 2 {
		return "", "", fmt.Errorf("%s: want the signer key and the verifier key on two lines", path)
	}
	return lines[0], lines[1], nil
}
