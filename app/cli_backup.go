package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/unescap/dmf/assessments"
)

// backupCommand runs "backup FILE": a consistent copy of the database,
// safe while the server is running and writing.
func backupCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	database := fs.String("database", envOr(getenv, "DMF_DATABASE", "dmf.db"), "SQLite file to copy (DMF_DATABASE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &exitError{2, errors.New("usage: dmf backup [-database dmf.db] FILE")}
	}
	target := fs.Arg(0)
	if err := assessments.Backup(ctx, *database, target); err != nil {
		if errors.Is(err, os.ErrExist) {
			return &exitError{1, fmt.Errorf("%s exists; choose a new file", target)}
		}
		return &exitError{1, err}
	}
	fmt.Fprintf(stdout, "backed up %s to %s\nThe signing keys are not in the database: back up the keys directory of DMF_DATA_DIR too, and keep it secret.\n", *database, target)
	return nil
}
