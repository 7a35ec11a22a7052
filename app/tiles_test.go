package main

import (
	"context"
	be "encoding/binary"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments/card"
	"golang.org/x/mod/sumdb/tlog"
)

// httpTiles is a standard tlog-tiles client: x/mod/sumdb/tlog's
// TileReader over HTTP, with the C2SP paths (no height; "entries").
type httpTiles struct {
	t    *testing.T
	base string
	seen map[string]string // path → Cache-Control
}

func (r *httpTiles) Height() int { return 8 }
func (r *httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	var out [][]byte
	for _, t := range tiles {
		data, err := r.get(strings.Replace(strings.TrimPrefix(t.Path(), "tile/8/"), "data/", "entries/", 1))
		if err != nil {
			return nil, err
		}
		out = append(out, data)
	}
	return out, nil
}
func (r *httpTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func (r *httpTiles) get(path string) ([]byte, error) {
	resp, err := http.Get(r.base + "/log/tile/" + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %d", path, resp.StatusCode)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Set-Cookie") != "" {
		r.t.Errorf("%s is not a shareable trust resource", path)
	}
	r.seen[path] = resp.Header.Get("Cache-Control")
	return data, nil
}

// TestLogAsTiles reads the log of issued cards only through /log/checkpoint
// and /log/tile/ with a standard tlog-tiles client and finds every card in
// it; partial tiles are cached briefly.
func TestLogAsTiles(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	ctx := context.Background()
	var cards [][]byte
	for i := range 3 {
		id := a.approve(p.actorA, p.actorRev, fmt.Sprintf("Tiled service %d", i), 2026, func(int) int { return 3 }, true)
		rec, err := a.s.store.CardOf(ctx, p.actorA, id)
		if err != nil {
			t.Fatal(err)
		}
		cards = append(cards, rec.Data)
	}
	base := a.server()
	resp, err := http.Get(base + "/log/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	signed, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cp, err := card.OpenCheckpoint(string(signed), a.s.issuer.Keys.LogKey)
	if err != nil || cp.Size != 3 {
		t.Fatalf("/log/checkpoint: %v %v", cp, err)
	}
	r := &httpTiles{t: t, base: base, seen: map[string]string{}}
	thr := tlog.TileHashReader(tlog.Tree{N: cp.Size, Hash: cp.Root}, r)
	entries, err := r.get("entries/000.p/3")
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cards {
		leaf, _ := card.LeafData(c)
		if n := be.BigEndian.Uint16(entries); int(n) != len(leaf) || string(entries[2:2+n]) != string(leaf) {
			t.Errorf("entry %d is not card %d's leaf data", i, i)
		}
		entries = entries[2+len(leaf):]
		proof, err := tlog.ProveRecord(cp.Size, int64(i), thr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(proof, cp.Size, cp.Root, int64(i), tlog.RecordHash(leaf)); err != nil {
			t.Errorf("card %d is not in the log read from tiles: %v", i, err)
		}
	}
	if cc := r.seen["0/000.p/3"]; !strings.Contains(cc, "max-age=10") {
		t.Errorf("partial tile cached as %q", cc)
	}
	if _, err := r.get("0/000"); err == nil {
		t.Errorf("a full tile beyond the log's size exists")
	}
}
