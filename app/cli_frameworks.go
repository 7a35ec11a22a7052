package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// frameworksCommand runs "frameworks validate FILE...": it checks each file
// as the server would at start and prints every problem with its path.
func frameworksCommand(args []string, stdout io.Writer) error {
	if len(args) < 2 || args[0] != "validate" {
		return &exitError{2, errors.New("usage: dmf frameworks validate FILE [FILE ...]")}
	}
	failed := 0
	for _, name := range args[1:] {
		data, err := os.ReadFile(name)
		if err != nil {
			return &exitError{1, err}
		}
		ed, err := frameworks.Parse(name, data)
		if err == nil {
			err = assessments.CheckBasket(ed) // its categories must be the app's service categories
		}
		var ps frameworks.Problems
		switch {
		case errors.As(err, &ps):
			failed++
			for _, p := range ps {
				p.File = name
				fmt.Fprintln(stdout, p)
			}
		case err != nil:
			return &exitError{1, err}
		default:
			fmt.Fprintf(stdout, "%s: ok: %s %s, %d dimensions, %d indicators, digest %s\n",
				name, ed.ID, ed.Version, len(ed.Dimensions), ed.IndicatorCount(), ed.Digest)
		}
	}
	if failed > 0 {
		return &exitError{1, fmt.Errorf("%d of %d file(s) have problems", failed, len(args)-1)}
	}
	return nil
}
