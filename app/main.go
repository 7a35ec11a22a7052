// Command dmf serves the Digital Maturity Framework application: the
// framework browser, self-assessments, reviews, country comparison and the
// signed maturity business card. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "dmf:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitError carries a process exit status for commands whose failure is an
// answer, not a crash (a framework file with problems exits 1).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

const usage = `usage: dmf [command] [flags]

commands:
  serve                        run the web application (default)
  demo                         seed demonstration data, then serve (same as serve -demo)
  demo -federation [-dir dmf-federation -addrs A,B,HUB]
                               three instances on three loopback ports (KAZ, UZB and a regional hub),
                               each with its own database and keys, trusting one another
  users add --email E --role R [--password P|-] [--org NAME --country ISO3]
                               create an account
  users reset-password --email E
                               give an account a new one-time password (a locked-out admin)
  frameworks validate FILE...  check framework edition files; exit 1 on problems
  cards verify --did DID.json [--status LIST.json] [--proof P --log-key K] CARD.json
                               verify a card offline; exit 1 if it is not valid
  keys rotate                  add a new dated issuer key (old cards keep verifying)
  backup FILE                  consistent copy of the SQLite database, safe while serving
  loadtest [-respondents 32 -duration 30s ...]
                               drive a server subprocess with simulated users; print rates and latencies
  conformance [-addr 127.0.0.1:0]
                               VC-API server with a throw-away did:key issuer, for the W3C test suites only

Run "dmf serve -h" for the settings; each flag has a DMF_ environment variable.
`

// run is the whole program, separated from main so that tests can call it
// with their own arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve", "demo":
		if cmd == "demo" && slices.ContainsFunc(args, func(a string) bool { return a == "-federation" || a == "--federation" || a == "-federation=true" }) {
			return demoFederationCommand(ctx, args, stdout, stderr)
		}
		return serve(ctx, cmd, args, getenv, stdout, stderr)
	case "users":
		return usersCommand(ctx, args, getenv, stdin, stdout, stderr)
	case "frameworks":
		return frameworksCommand(args, stdout)
	case "cards":
		return cardsCommand(args, getenv, stdout, stderr)
	case "keys":
		return keysCommand(args, getenv, stdout, stderr)
	case "backup":
		return backupCommand(ctx, args, getenv, stdout, stderr)
	case "loadtest":
		return loadtestCommand(ctx, args, stdout, stderr)
	case "conformance":
		return conformanceCommand(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &exitError{2, fmt.Errorf("unknown command %q", cmd)}
}
