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
// database, for setting up an instance from a shell.
func usersCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return &exitError{2, errors.New("usage: dmf users add --email E [--password P|-] --role respondent|coordinator|reviewer|admin [--org NAME --country ISO3]")}
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

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
