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
	if err := privateDatabase(*database); err != nil {
		return err
	}
	// The copy holds what the database does: it is created here, empty and
	// 0600, for VACUUM INTO to fill (SQLite would make it 0644).
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return &exitError{1, fmt.Errorf("%s exists; choose a new file", target)}
	}
	if err != nil {
		return &exitError{1, err}
	}
	f.Close()
	store, err := assessments.Open(ctx, *database, newLogger(Config{LogFormat: "text"}, stderr))
	if err != nil {
		os.Remove(target)
		return err
	}
	defer store.Close()
	if err := store.Backup(ctx, target); err != nil {
		os.Remove(target)
		return &exitError{1, err}
	}
	fmt.Fprintf(stdout, "backed up %s to %s\nThe signing keys are not in the database: back up the keys directory of DMF_DATA_DIR too, and keep it secret.\n", *database, target)
	return nil
}
