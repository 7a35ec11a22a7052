package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/mail"
)

// Config is every setting of the server. Each has a flag and a DMF_
// environment variable; a flag wins over the variable. The messages of
// complete name the variable; the flag's name follows from it.
type Config struct {
	Addr            string        // DMF_ADDR: listen address
	Database        string        // DMF_DATABASE: SQLite file path or postgres:// URL
	BaseURL         string        // DMF_BASE_URL: public URL; issuer DID and card links derive from it
	DataDir         string        // DMF_DATA_DIR: signing keys; defaults beside the database
	LogLevel        slog.Level    // DMF_LOG_LEVEL: debug, info, warn, error
	LogFormat       string        // DMF_LOG_FORMAT: text or json
	ShutdownTimeout time.Duration // DMF_SHUTDOWN_TIMEOUT: how long in-flight requests may finish
	AdminEmail      string        // DMF_ADMIN_EMAIL: the first administrator's account on an empty database
	// DMF_PUBLIC_MIN_SERVICES: a country appears in the public comparison
	// only with at least this many approved services, so that single
	// agencies are not exposed.
	PublicMinServices int
	LoginDelay        time.Duration // DMF_LOGIN_DELAY: first delay after repeated failed sign-ins; it doubles
	IssuerName        string        // DMF_ISSUER_NAME: the issuer name on cards
	TrustedDIDs       []string      // DMF_TRUSTED_DIDS: pinned DID documents of other instances (files, comma-separated)
	Demo              bool          // -demo: seed demonstration data before serving
	PprofAddr         string        // DMF_PPROF_ADDR: loopback address for Go's pprof profiles; empty: off
	MetricsAddr       string        // DMF_METRICS_ADDR: listener for /metrics alone; empty: /metrics on the main listener, loopback only
	// DMF_TRUSTED_PROXIES: reverse proxies (CIDRs) whose X-Forwarded-For
	// names the client; empty: the header is ignored.
	TrustedProxies []*net.IPNet
	// DMF_SMTP_URL: the SMTP server mail goes through; empty: in-app
	// notifications only. Its password is never logged (see SMTP.String).
	SMTPURL  string
	SMTP     mail.Settings // parsed from SMTPURL
	MailFrom string        // DMF_MAIL_FROM: the From of every message
	// DMF_OIDC_ISSUER, DMF_OIDC_CLIENT_ID, DMF_OIDC_CLIENT_SECRET and
	// DMF_OIDC_LABEL (one provider) or DMF_OIDC_PROVIDERS (a YAML file of
	// several): single sign-on with OpenID Connect; none: passwords only.
	OIDC []OIDCProvider
	// DMF_REQUIRE_MFA: the roles that must sign in with a second factor
	// (default reviewer,admin; "none": nobody). The zero Config, as tests
	// build it, requires nobody; TestSecondFactorRequiredByDefault runs
	// with the default.
	RequireMFA []assessments.Role
	// DMF_PEERS: base URLs of other DMF instances trusted from the start,
	// as if an admin had added and confirmed them (scripted set-ups).
	Peers []string
	// The regional hub (§9): how long a peer's status list is reused
	// (DMF_STATUS_TTL), the witness cosignatures a peer's checkpoint needs
	// (DMF_WITNESS_QUORUM) and how often peers' cards are pulled
	// (DMF_PEER_SYNC; 0: only when an admin asks).
	StatusTTL     time.Duration
	WitnessQuorum int
	PeerSync      time.Duration
}

// Mail reports whether the instance sends mail.
func (c *Config) Mail() bool { return c.SMTPURL != "" }

// loadConfig reads the environment, then the flags of a serve-like command.
// Each flag's variable is its name in capitals after DMF_ (-base-url:
// DMF_BASE_URL), and goes through the flag's own parser, so that a value
// the flag refuses stops the start in the environment too.
func loadConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var cfg Config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "listen address (DMF_ADDR)")
	fs.StringVar(&cfg.Database, "database", "dmf.db", "SQLite file or postgres:// URL (DMF_DATABASE)")
	fs.StringVar(&cfg.BaseURL, "base-url", "", "public URL of this instance; default http://ADDR (DMF_BASE_URL)")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "directory for signing keys; default beside the database (DMF_DATA_DIR)")
	fs.TextVar(&cfg.LogLevel, "log-level", slog.LevelInfo, "debug, info, warn or error (DMF_LOG_LEVEL)")
	fs.StringVar(&cfg.LogFormat, "log-format", "text", "text or json (DMF_LOG_FORMAT)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "time allowed for in-flight requests on shutdown (DMF_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&cfg.AdminEmail, "admin-email", "admin@localhost", "first administrator's email on an empty database (DMF_ADMIN_EMAIL)")
	fs.IntVar(&cfg.PublicMinServices, "public-min-services", 3, "approved services a country needs to appear in the public comparison (DMF_PUBLIC_MIN_SERVICES)")
	fs.DurationVar(&cfg.LoginDelay, "login-delay", 250*time.Millisecond, "delay after the third failed sign-in in a row, doubling after each further one (DMF_LOGIN_DELAY)")
	fs.StringVar(&cfg.IssuerName, "issuer-name", "", "issuer name on cards; default from the base URL (DMF_ISSUER_NAME)")
	trusted := fs.String("trusted-dids", "", "comma-separated files of other instances' pinned DID documents (DMF_TRUSTED_DIDS)")
	fs.StringVar(&cfg.PprofAddr, "pprof-addr", "", "loopback address serving Go's pprof profiles, such as 127.0.0.1:6060; empty disables (DMF_PPROF_ADDR)")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "address of a listener serving only /metrics, such as :9090; empty: /metrics on the main listener to loopback peers only (DMF_METRICS_ADDR)")
	proxies := fs.String("trusted-proxies", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client (DMF_TRUSTED_PROXIES)")
	fs.StringVar(&cfg.SMTPURL, "smtp-url", "", "SMTP server for mail: smtp://user:pass@host:587 (STARTTLS) or smtps://...; empty: no mail (DMF_SMTP_URL)")
	fs.StringVar(&cfg.MailFrom, "mail-from", "", "From address of mail, such as \"DMF <dmf@agency.gov>\"; required with DMF_SMTP_URL (DMF_MAIL_FROM)")
	var sso oidcSettings
	fs.StringVar(&sso.issuer, "oidc-issuer", "", "issuer URL of the OpenID Connect provider for single sign-on (DMF_OIDC_ISSUER)")
	fs.StringVar(&sso.clientID, "oidc-client-id", "", "DMF's client id at that provider (DMF_OIDC_CLIENT_ID)")
	fs.StringVar(&sso.clientSecret, "oidc-client-secret", "", "DMF's client secret at that provider; prefer the variable to the flag (DMF_OIDC_CLIENT_SECRET)")
	fs.StringVar(&sso.label, "oidc-label", "", "the provider's name on the sign-in button, such as \"Government ID\"; default its host (DMF_OIDC_LABEL)")
	fs.StringVar(&sso.providers, "oidc-providers", "", "YAML file of several OpenID Connect providers, instead of the -oidc-* settings (DMF_OIDC_PROVIDERS)")
	peerList := fs.String("peers", "", "comma-separated base URLs of other DMF instances to trust from the start, without an admin's confirmation (DMF_PEERS)")
	fs.DurationVar(&cfg.StatusTTL, "status-ttl", 5*time.Minute, "how long a peer's status list is reused before it is fetched again; 0: every time (DMF_STATUS_TTL)")
	fs.IntVar(&cfg.WitnessQuorum, "witness-quorum", 1, "cosignatures from witnesses trusted here that a peer's checkpoint needs for its cards to verify; 0: none (DMF_WITNESS_QUORUM)")
	fs.DurationVar(&cfg.PeerSync, "peer-sync", 10*time.Minute, "how often trusted peers' cards are pulled; 0: only when an admin asks (DMF_PEER_SYNC)")
	fs.BoolVar(&cfg.Demo, "demo", name == "demo", "seed demonstration organisations, users and assessments")
	requireMFA := fs.String("require-mfa", defaultRequireMFA, "comma-separated roles that must sign in with a second factor, or none; off in the demo unless set (DMF_REQUIRE_MFA)")

	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		key := envName(f.Name)
		v := getenv(key)
		if v == "" || envErr != nil || f.Name == "demo" { // -demo is a command-line choice, not a setting
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			envErr = fmt.Errorf("%s: %q %s", key, v, expected(f, err))
		}
	})
	if envErr != nil {
		return cfg, envErr
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	for _, f := range strings.Split(*trusted, ",") {
		if f = strings.TrimSpace(f); f != "" {
			cfg.TrustedDIDs = append(cfg.TrustedDIDs, f)
		}
	}
	proxyNets, err := parseCIDRs(*proxies)
	if err != nil {
		return cfg, fmt.Errorf("DMF_TRUSTED_PROXIES (-trusted-proxies): %w", err)
	}
	cfg.TrustedProxies = proxyNets
	set := getenv(envName("require-mfa")) != ""
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "require-mfa" })
	if cfg.Demo && !set {
		// The demo's accounts are shared and have no second factor.
		*requireMFA = "none"
	}
	if cfg.RequireMFA, err = parseRoles(*requireMFA); err != nil {
		return cfg, fmt.Errorf("DMF_REQUIRE_MFA (-require-mfa): %w", err)
	}
	for _, p := range strings.Split(*peerList, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		base, err := assessments.NormalizePeerURL(p)
		if err != nil {
			return cfg, fmt.Errorf("DMF_PEERS (-peers): %q is not the base URL of a DMF instance, such as https://dmf.example.gov", p)
		}
		cfg.Peers = append(cfg.Peers, base)
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if cfg.OIDC, err = loadOIDC(sso, getenv); err != nil {
		return cfg, err
	}
	return cfg, cfg.complete()
}

// defaultRequireMFA: reviewers and admins change or publish results, and
// OWASP ASVS level 2 expects a second factor for such accounts.
const defaultRequireMFA = "reviewer,admin"

// parseRoles reads DMF_REQUIRE_MFA: a comma-separated list of roles, or
// none.
func parseRoles(list string) ([]assessments.Role, error) {
	if strings.TrimSpace(list) == "none" {
		return nil, nil
	}
	var out []assessments.Role
	for _, f := range strings.Split(list, ",") {
		r := assessments.Role(strings.TrimSpace(f))
		if !r.Valid() {
			return nil, fmt.Errorf("%q is not a role: use a comma-separated list of respondent, reviewer, admin and coordinator, or none", f)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// envName is the environment variable of a flag: -base-url is DMF_BASE_URL.
func envName(flagName string) string {
	return "DMF_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseCIDRs reads a comma-separated list of CIDRs such as 10.0.0.0/8.
func parseCIDRs(list string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or 192.0.2.7/32", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// expected says what a flag's value should have been.
func expected(f *flag.Flag, err error) string {
	var v any
	if g, ok := f.Value.(flag.Getter); ok {
		v = g.Get()
	}
	switch v.(type) {
	case int:
		return "is not an integer"
	case time.Duration:
		return "is not a duration such as 250ms, 15s or 2m"
	case bool:
		return "is not true or false"
	case *slog.Level:
		return "is not a log level: use debug, info, warn or error"
	}
	return "is not valid: " + err.Error()
}

// complete checks the settings and fills in the derived defaults.
func (c *Config) complete() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("DMF_ADDR: address %q: %w", c.Addr, err)
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("DMF_BASE_URL: %q must be an absolute http or https URL", c.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("DMF_BASE_URL: must not carry a query or fragment")
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.PprofAddr != "" {
		// Profiles show internals (goroutine stacks hold request data); they
		// are for an operator on the machine, never for the network.
		host, _, err := net.SplitHostPort(c.PprofAddr)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return fmt.Errorf("DMF_PPROF_ADDR: %q must be a loopback address such as 127.0.0.1:6060", c.PprofAddr)
		}
	}
	if c.PublicMinServices < 1 {
		return fmt.Errorf("DMF_PUBLIC_MIN_SERVICES: %d must be at least 1", c.PublicMinServices)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return fmt.Errorf("DMF_METRICS_ADDR: address %q: %w", c.MetricsAddr, err)
		}
	}
	if c.ShutdownTimeout < 0 {
		return fmt.Errorf("DMF_SHUTDOWN_TIMEOUT: %v must not be negative", c.ShutdownTimeout)
	}
	if c.StatusTTL < 0 {
		return fmt.Errorf("DMF_STATUS_TTL: %v must not be negative", c.StatusTTL)
	}
	if c.WitnessQuorum < 0 {
		return fmt.Errorf("DMF_WITNESS_QUORUM: %d must not be negative", c.WitnessQuorum)
	}
	if c.PeerSync < 0 || (c.PeerSync > 0 && c.PeerSync < time.Second) {
		return fmt.Errorf("DMF_PEER_SYNC: %v must be 0 (off) or at least 1s", c.PeerSync)
	}
	if c.LoginDelay < 0 {
		return fmt.Errorf("DMF_LOGIN_DELAY: %v must not be negative", c.LoginDelay)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("DMF_LOG_FORMAT: %q is not a log format: use text or json", c.LogFormat)
	}
	if c.SMTPURL != "" {
		s, err := mail.ParseURL(c.SMTPURL)
		if err != nil { // never the URL itself: it may hold the password
			return fmt.Errorf("DMF_SMTP_URL: %w", err)
		}
		c.SMTP = s
		if c.MailFrom == "" {
			return errors.New("DMF_MAIL_FROM: required with DMF_SMTP_URL")
		}
		if c.MailFrom, err = mail.ParseFrom(c.MailFrom); err != nil {
			return fmt.Errorf("DMF_MAIL_FROM: %w", err)
		}
	} else if c.MailFrom != "" {
		return errors.New("DMF_MAIL_FROM: set without DMF_SMTP_URL, so no mail would be sent")
	}
	if c.DataDir == "" {
		c.DataDir = "."
		if !c.Postgres() {
			c.DataDir = filepath.Dir(c.Database)
		}
	}
	return nil
}

// keyDir is where the signing keys live: DMF_DATA_DIR/keys, mode 0700.
func (c *Config) keyDir() string { return filepath.Join(c.DataDir, "keys") }

// Postgres reports whether the database is a PostgreSQL URL.
func (c *Config) Postgres() bool {
	return strings.HasPrefix(c.Database, "postgres://") || strings.HasPrefix(c.Database, "postgresql://")
}

// Secure reports whether the instance is served over https, which turns on
// Secure cookies and HSTS.
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }
