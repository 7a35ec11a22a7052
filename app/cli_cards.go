package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/unescap/dmf/assessments/card"
	"github.com/unescap/dmf/frameworks"
)

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// cardsCommand runs "cards verify FILE": every check of the verify page,
// offline, against pinned files: the issuer's DID document, its status
// list, the card's tlog-proof and the log's key.
func cardsCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return &exitError{2, errors.New("usage: dmf cards verify --did DID.json [--status LIST.json] [--proof CARD.tlog-proof --log-key VKEY] CARD.json")}
	}
	fs := flag.NewFlagSet("cards verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dids, lists listFlag
	fs.Var(&dids, "did", "a pinned DID document of a trusted issuer (repeatable)")
	fs.Var(&lists, "status", "a status list credential, as served at its URL (repeatable)")
	proofFile := fs.String("proof", "", "the card's C2SP tlog-proof file")
	logKey := fs.String("log-key", "", "the log's verifier key (signed-note form, or a file holding it), as GET /api/v1/log gives it")
	at := fs.String("now", "", "check the validity window at this time (RFC 3339); default now")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 || len(dids) == 0 {
		return &exitError{2, errors.New("usage: dmf cards verify --did DID.json [--status LIST.json] [--proof CARD.tlog-proof --log-key VKEY] CARD.json")}
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return &exitError{1, err}
	}
	v := &card.Verifier{Trusted: map[string]*card.DIDDocument{}, Now: time.Now()}
	if *at != "" {
		if v.Now, err = time.Parse(time.RFC3339, *at); err != nil {
			return &exitError{2, fmt.Errorf("-now: %w", err)}
		}
	}
	for _, path := range dids {
		raw, err := os.ReadFile(path)
		if err != nil {
			return &exitError{1, err}
		}
		doc, err := card.ParseDIDDocument(raw)
		if err != nil {
			return &exitError{1, fmt.Errorf("%s: %w", path, err)}
		}
		v.Trusted[doc.ID] = doc
	}
	byURL := map[string][]byte{}
	for _, path := range lists {
		raw, err := os.ReadFile(path)
		if err != nil {
			return &exitError{1, err}
		}
		var head struct{ ID string }
		if err := json.Unmarshal(raw, &head); err != nil || head.ID == "" {
			return &exitError{1, fmt.Errorf("%s: not a status list credential", path)}
		}
		byURL[head.ID] = raw
	}
	v.StatusList = func(url string) ([]byte, error) {
		if raw, ok := byURL[url]; ok {
			return raw, nil
		}
		return nil, errors.New("not given with --status")
	}
	if *proofFile != "" {
		proof, err := os.ReadFile(*proofFile)
		if err != nil {
			return &exitError{1, err}
		}
		vkey := *logKey
		if raw, err := os.ReadFile(vkey); err == nil {
			vkey = strings.TrimSpace(string(raw))
		}
		v.Inclusion = func(signed []byte) (*card.ParsedProof, *card.Checkpoint, error) {
			return card.VerifyInclusion(signed, string(proof), vkey)
		}
	}
	cat, _, err := frameworks.Embedded()
	if err != nil {
		return err
	}
	v.FrameworkDigest = func(id, version string) (string, bool) {
		ed, ok := cat.Edition(id, version)
		if !ok || version == "" {
			return "", false
		}
		return ed.DigestSRI(), true
	}
	r := v.Verify(data)
	for _, c := range r.Checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(stdout, "%s %-10s %s\n", mark, c.Name, c.Detail)
	}
	if !r.Valid {
		return &exitError{1, errors.New("the card is not valid")}
	}
	fmt.Fprintln(stdout, "the card is valid")
	return nil
}

// keysCommand runs "keys rotate": a new dated issuer key signs new cards
// from the next start on; the old keys stay in the DID document.
func keysCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		return &exitError{2, errors.New("usage: dmf keys rotate [serve flags such as -data-dir, -base-url]")}
	}
	cfg, err := loadConfig("keys rotate", args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	is, err := newIssuer(cfg, time.Now())
	if err != nil {
		return err
	}
	k, err := is.Keys.Rotate(time.Now())
	if err != nil {
		return err
	}
	// Opening publishes the issuer's keys, the new one with them.
	store, err := openStore(context.Background(), cfg.Database, newLogger(cfg, stderr), is)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.KeyRotated(context.Background(), is.DID, k.ID); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %s#%s: %s/.well-known/did.json lists it now, with the %d older key(s); running servers sign with it after a restart\n",
		is.DID, k.ID, cfg.BaseURL, len(is.Keys.Issuer)-1)
	return nil
}
