package assessments

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// tileHeight is the C2SP tlog-tiles height: 256 hashes or entries a tile.
const tileHeight = 8

// Tile returns a tile of the log as C2SP tlog-tiles serves it under
// tile/: path is "<L>/<N>[.p/<W>]" for hashes or "entries/<N>[.p/<W>]"
// for the entries, each entry being a card's leaf data (card.LeafData)
// with a two-byte big-endian length. full reports a full tile, which never
// changes. A tile beyond the log's size is ErrNotFound.
func (s *Store) Tile(ctx context.Context, path string) (data []byte, full bool, err error) {
	defer wrap(&err, "read tile %s", path)
	// The C2SP paths are x/mod/sumdb/tlog's without the height, and with
	// "entries" for its "data": let tlog parse and check them.
	level, rest, ok := strings.Cut(path, "/")
	if !ok {
		return nil, false, ErrNotFound
	}
	if level == "entries" {
		level = "data"
	}
	t, err := tlog.ParseTilePath(fmt.Sprintf("tile/%d/%s/%s", tileHeight, level, rest))
	if err != nil {
		return nil, false, ErrNotFound
	}
	db := s.db.WithContext(ctx)
	size, err := logSize(db)
	if err != nil {
		return nil, false, err
	}
	full = t.W == 1<<tileHeight
	if t.L < 0 {
		start, end := t.N<<tileHeight, t.N<<tileHeight+int64(t.W)
		if end > size {
			return nil, false, ErrNotFound
		}
		data, err := s.entryBundle(ctx, start, end)
		return data, full, err
	}
	// The tile's last hash at level L*8 covers this many leaves.
	if (t.N<<tileHeight+int64(t.W))<<(tileHeight*t.L) > size {
		return nil, false, ErrNotFound
	}
	data, err = tlog.ReadTileData(t, hashReader{db})
	return data, full, err
}

// entryBundle is the entries [start, end) of the log: each card's leaf
// data, length-prefixed. Every index has a card; a gap is a broken log.
func (s *Store) entryBundle(ctx context.Context, start, end int64) ([]byte, error) {
	var rows []CardRecord
	err := s.db.WithContext(ctx).Select("log_index", "leaf_hash").Where("log_index >= ? AND log_index < ?", start, end).Order("log_index").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, (end-start)*34)
	for i, r := range rows {
		leaf, err := hex.DecodeString(r.LeafHash)
		if err != nil || r.LogIndex != start+int64(i) {
			return nil, fmt.Errorf("the log has no card at index %d", start+int64(i))
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(leaf)))
		out = append(out, leaf...)
	}
	if int64(len(rows)) != end-start {
		return nil, fmt.Errorf("the log has %d cards in [%d, %d)", len(rows), start, end)
	}
	return out, nil
}
