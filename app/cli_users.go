package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/unescap/dmf/assessments"
)

// usersCommand runs "users add": it creates an account directly in the
// database, for setting up an instance from a shell; and "users
// reset-password", for when no administrator can sign in any more.
func usersCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "reset-password" {
		return resetPasswordCommand(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "reset-second-factor" {
		return resetSecondFactorCommand(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "add" {
		return &exitError{2, errors.New("usage: dmf users add --email E [--password P|-] --role respondent|coordinator|reviewer|admin [--org NAME --country ISO3]\n       dmf users reset-password --email E\n       dmf users reset-second-factor --email E")}
	}
	fs := flag.NewFlagSet("users add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email address (required)")
	name := fs.String("name", "", "display name (default: from the email)")
	password := fs.String("password", "", `password; "-" reads it from standard input; empty generates one that must be changed at first sign-in`)
	role := fs.String("role", "", "respondent, coordinator, reviewer or admin (required)")
	org := fs.String("org", "", "organisation name (respondents, coordinators); created if it does not exist")
	country := fs.String("country", "", "ISO 3166-1 alpha-3 code of the organisation's country")
	kind := fs.String("kind", "agency", "kind of a new organisation: "+strings.Join(assessments.OrganisationKinds, ", "))
	database := fs.String("database", envOr(getenv, "DMF_DATABASE", "dmf.db"), "SQLite file (DMF_DATABASE)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	store, err := openStore(ctx, *database, newLogger(Config{LogFormat: "text"}, stderr), nil)
	if err != nil {
		return err
	}
	defer store.Close()

	nu := assessments.NewUser{Email: *email, Name: *name, Password: *password, Role: assessments.Role(*role)}
	switch *password {
	case "-":
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		nu.Password = strings.TrimRight(line, "\r\n")
	case "":
		nu.Password, nu.MustChangePassword = rand.Text(), true
	}
	if *org != "" {
		o, err := store.OrganisationByName(ctx, *org, *country)
		if errors.Is(err, assessments.ErrNotFound) {
			o, err = store.CreateOrganisation(ctx, nil, assessments.Organisation{Name: *org, Country: *country, Kind: *kind})
		}
		if err != nil {
			return &exitError{1, fmt.Errorf("organisation: %w", err)}
		}
		nu.OrganisationID = o.ID
	}
	u, err := store.CreateUser(ctx, nil, nu)
	if err != nil {
		return &exitError{1, err}
	}
	fmt.Fprintf(stdout, "created %s (%s)\n", u.Email, u.Role)
	if *password == "" {
		fmt.Fprintf(stdout, "one-time password (must be changed at first sign-in): %s\n", nu.Password)
	}
	return nil
}

// resetPasswordCommand gives an account a new one-time password from the
// server's shell: the way back in for an administrator who lost theirs
// when no other administrator can reset it on the page. Like a reset by an
// admin, it ends every session and token of the account; the audit log
// records it without a user, as the command line.
func resetPasswordCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return accountCommand(ctx, "users reset-password", args, getenv, stderr, func(store *assessments.Store, u *assessments.User) error {
		password, err := store.ResetPassword(ctx, assessments.Actor{Role: assessments.RoleAdmin}, u.ID)
		if err != nil {
			return &exitError{1, err}
		}
		fmt.Fprintf(stdout, "reset the password of %s (%s); every session and API token of the account has ended\n", u.Email, u.Role)
		fmt.Fprintf(stdout, "one-time password (must be changed at the next sign-in): %s\n", password)
		if u.DisabledAt != nil {
			fmt.Fprintln(stdout, "the account is disabled: an administrator re-enables it on its page")
		}
		return nil
	})
}

// resetSecondFactorCommand removes an account's second factors from the
// server's shell: the way back in for an administrator who lost their
// phone, key and recovery codes when no other administrator can reset
// them on the page. The user is notified, and the audit log records it
// without a user, as the command line.
func resetSecondFactorCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return accountCommand(ctx, "users reset-second-factor", args, getenv, stderr, func(store *assessments.Store, u *assessments.User) error {
		if err := store.ResetSecondFactor(ctx, assessments.Actor{Role: assessments.RoleAdmin}, u.ID); err != nil {
			return &exitError{1, err}
		}
		fmt.Fprintf(stdout, "removed the second factor of %s (%s): they sign in with their password and set up a new one\n", u.Email, u.Role)
		return nil
	})
}

// accountCommand runs a shell command on the account named by -email, in
// the database named by -database or DMF_DATABASE.
func accountCommand(ctx context.Context, name string, args []string, getenv func(string) string, stderr io.Writer, do func(*assessments.Store, *assessments.User) error) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email address of the account (required)")
	database := fs.String("database", envOr(getenv, "DMF_DATABASE", "dmf.db"), "SQLite file (DMF_DATABASE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, err := openStore(ctx, *database, newLogger(Config{LogFormat: "text"}, stderr), nil)
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := store.UserByEmail(ctx, *email)
	if errors.Is(err, assessments.ErrNotFound) {
		return &exitError{1, fmt.Errorf("no account with the email %q", *email)}
	}
	if err != nil {
		return err
	}
	return do(store, u)
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
