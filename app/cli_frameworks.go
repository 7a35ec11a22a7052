package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// frameworksCommand runs "frameworks validate FILE...": it checks each file
// as the server would at start and prints every problem with its path. An
// edition that continues a previous one is also checked against it, found
// among the files given or the editions built in.
func frameworksCommand(args []string, stdout io.Writer) error {
	if len(args) < 2 || args[0] != "validate" {
		return &exitError{2, errors.New("usage: dmf frameworks validate FILE [FILE ...]")}
	}
	failed := 0
	report := func(err error) bool {
		var ps frameworks.Problems
		if !errors.As(err, &ps) {
			return false
		}
		failed++
		for _, p := range ps {
			fmt.Fprintln(stdout, p)
		}
		return true
	}
	var parsed []*frameworks.Edition
	names := map[*frameworks.Edition]string{}
	var overlays []string
	for _, name := range args[1:] {
		if _, _, ok := frameworks.IsOverlayFile(name); ok {
			overlays = append(overlays, name) // checked against its edition below
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			return &exitError{1, err}
		}
		ed, err := frameworks.Parse(name, data)
		if err == nil {
			err = assessments.CheckBasket(ed) // its categories must be the app's service categories
		}
		var ps frameworks.Problems
		if errors.As(err, &ps) {
			for i := range ps {
				ps[i].File = name
			}
		}
		switch {
		case report(err):
		case err != nil:
			return &exitError{1, err}
		default:
			parsed = append(parsed, ed)
			names[ed] = name
		}
	}
	var builtin *frameworks.Catalog
	for _, ed := range parsed {
		name := names[ed]
		if ed.Previous != "" {
			prev := findEdition(parsed, ed.ID, ed.Previous)
			if prev == nil {
				if builtin == nil {
					var err error
					if builtin, _, err = frameworks.Embedded(); err != nil {
						return &exitError{1, fmt.Errorf("built-in framework content is invalid:\n%w", err)}
					}
				}
				prev, _ = builtin.Edition(ed.ID, ed.Previous)
			}
			if prev == nil {
				fmt.Fprintf(stdout, "%s: note: %s@%s, which previous names, is neither built in nor given; replaces not checked (the server refuses the edition without it)\n", name, ed.ID, ed.Previous)
			} else if report(frameworks.CheckPrevious(ed, prev)) {
				continue
			}
		}
		fmt.Fprintf(stdout, "%s: ok: %s %s, %d dimensions, %d indicators, digest %s\n",
			name, ed.ID, ed.Version, len(ed.Dimensions), ed.IndicatorCount(), ed.Digest)
	}
	for _, name := range overlays {
		if err := validateOverlay(name, parsed, names, stdout, report); err != nil {
			return &exitError{1, err}
		}
	}
	if failed > 0 {
		return &exitError{1, fmt.Errorf("%d of %d file(s) have problems", failed, len(args)-1)}
	}
	return nil
}

// validateOverlay checks a translation overlay against the edition file
// beside it (parsed already when it was given too); problems go to report.
func validateOverlay(name string, parsed []*frameworks.Edition, names map[*frameworks.Edition]string, stdout io.Writer, report func(error) bool) error {
	editionFile, lang, _ := frameworks.IsOverlayFile(name)
	var ed *frameworks.Edition
	for _, e := range parsed {
		if filepath.Clean(names[e]) == filepath.Clean(editionFile) {
			ed = e
		}
	}
	if ed == nil {
		data, err := os.ReadFile(editionFile)
		if err != nil {
			return fmt.Errorf("%s is a translation overlay of %s, which cannot be read: %w", name, editionFile, err)
		}
		if ed, err = frameworks.Parse(editionFile, data); err != nil {
			if !report(err) {
				return err
			}
			return nil
		}
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	merged, err := frameworks.ApplyOverlay(ed, name, data)
	if report(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if merged.Digest != ed.Digest {
		return fmt.Errorf("%s changed the digest of %s", name, ed.Key())
	}
	fmt.Fprintf(stdout, "%s: ok: %s translation of %s %s, outside its pinned digest %s\n", name, lang, ed.ID, ed.Version, ed.Digest)
	return nil
}

func findEdition(eds []*frameworks.Edition, id, version string) *frameworks.Edition {
	for _, e := range eds {
		if e.ID == id && e.Version == version {
			return e
		}
	}
	return nil
}
