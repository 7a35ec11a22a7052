package assessments

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments/card"
	"github.com/unescap/dmf/frameworks"
	"golang.org/x/mod/sumdb/tlog"
	"gorm.io/gorm"
)

// storeTiles reads tiles through Store.Tile, as a tlog-tiles client
// reads them over HTTP: x/mod/sumdb/tlog's paths, minus the height, with
// "entries" for "data".
type storeTiles struct {
	t *testing.T
	s *Store
}

func (r storeTiles) Height() int { return tileHeight }
func (r storeTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	var out [][]byte
	for _, t := range tiles {
		path := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", tileHeight))
		data, _, err := r.s.Tile(context.Background(), path)
		if err != nil {
			return nil, err
		}
		out = append(out, data)
	}
	return out, nil
}
func (r storeTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// TestTilesProveTheLog: a log of 300 entries read only through its tiles
// (x/mod/sumdb/tlog's TileHashReader checks each tile against the signed
// root) proves every entry, and the entry tiles hold each leaf's data. A
// full tile is marked full; tiles past the log's size do not exist.
func TestTilesProveTheLog(t *testing.T) {
	ctx := context.Background()
	builtin, _, err := frameworks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keys, err := card.LoadKeys(filepath.Join(dir, "keys"), "dmf.example/cards-log", "dmf.example/witness", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	is := &Issuer{BaseURL: "https://dmf.example", DID: "did:web:dmf.example", Name: "Test", Origin: "dmf.example/cards-log", Keys: keys}
	s, err := Open(ctx, Options{Database: filepath.Join(dir, "x.db"), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Editions: builtin, Issuer: is})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 300
	leaves := make([][]byte, n)
	err = s.write(ctx, func(tx *gorm.DB) error {
		for i := range leaves {
			sum := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
			leaves[i] = sum[:]
			idx, err := s.appendLog(tx, leaves[i])
			if err != nil {
				return err
			}
			rec := CardRecord{ID: fmt.Sprint("card-", i), AssessmentID: uint(i + 1), Data: []byte("{}"), LeafHash: hex.EncodeToString(leaves[i]),
				StatusList: 1, StatusIndex: i, LogIndex: idx, IssuedAt: s.now()}
			if err := tx.Create(&rec).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := s.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := card.OpenCheckpoint(signed, keys.LogKey)
	if err != nil || cp.Size != n {
		t.Fatalf("checkpoint: %+v %v", cp, err)
	}
	tree := tlog.Tree{N: cp.Size, Hash: cp.Root}
	thr := tlog.TileHashReader(tree, storeTiles{t, s})
	for i := int64(0); i < n; i++ {
		proof, err := tlog.ProveRecord(n, i, thr)
		if err != nil {
			t.Fatalf("prove %d from tiles: %v", i, err)
		}
		if err := tlog.CheckRecord(proof, n, cp.Root, i, tlog.RecordHash(leaves[i])); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	// The entries: a full bundle of 256 and a partial one of 44.
	for _, c := range []struct {
		path  string
		first int
		count int
		full  bool
	}{{"entries/000", 0, 256, true}, {"entries/001.p/44", 256, 44, false}} {
		data, full, err := s.Tile(ctx, c.path)
		if err != nil || full != c.full {
			t.Fatalf("%s: full %v, %v", c.path, full, err)
		}
		for i := 0; i < c.count; i++ {
			if l := binary.BigEndian.Uint16(data); l != 32 || string(data[2:34]) != string(leaves[c.first+i]) {
				t.Fatalf("%s: entry %d is not the leaf data", c.path, i)
			}
			data = data[34:]
		}
		if len(data) != 0 {
			t.Errorf("%s: %d bytes too many", c.path, len(data))
		}
	}
	if _, full, err := s.Tile(ctx, "0/000"); err != nil || !full {
		t.Errorf("full hash tile: %v %v", full, err)
	}
	for _, beyond := range []string{"0/001.p/45", "0/002.p/1", "1/000", "entries/001", "entries/001.p/45", "0/x", "2/000.p/1", "nonsense"} {
		if _, _, err := s.Tile(ctx, beyond); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want not found", beyond, err)
		}
	}
}
