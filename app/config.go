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
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the server. Each has a flag and a DMF_
// environment variable; a flag wins over the variable.
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
	// DMF_TRUSTED_PROXIES: reverse proxies (CIDRs) whose X-Forwarded-For
	// names the client; empty: the header is ignored.
	TrustedProxies []*net.IPNet
}

// loadConfig reads the environment, then the flags of a serve-like command.
func loadConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	env := func(key, def string) string { return envOr(getenv, key, def) }
	var cfg Config
	var level string
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", env("DMF_ADDR", "127.0.0.1:8080"), "listen address (DMF_ADDR)")
	fs.StringVar(&cfg.Database, "database", env("DMF_DATABASE", "dmf.db"), "SQLite file or postgres:// URL (DMF_DATABASE)")
	fs.StringVar(&cfg.BaseURL, "base-url", env("DMF_BASE_URL", ""), "public URL of this instance; default http://ADDR (DMF_BASE_URL)")
	fs.StringVar(&cfg.DataDir, "data-dir", env("DMF_DATA_DIR", ""), "directory for signing keys; default beside the database (DMF_DATA_DIR)")
	fs.StringVar(&level, "log-level", env("DMF_LOG_LEVEL", "info"), "debug, info, warn or error (DMF_LOG_LEVEL)")
	fs.StringVar(&cfg.LogFormat, "log-format", env("DMF_LOG_FORMAT", "text"), "text or json (DMF_LOG_FORMAT)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", envDuration(getenv, "DMF_SHUTDOWN_TIMEOUT", 15*time.Second), "time allowed for in-flight requests on shutdown (DMF_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&cfg.AdminEmail, "admin-email", env("DMF_ADMIN_EMAIL", "admin@localhost"), "first administrator's email on an empty database (DMF_ADMIN_EMAIL)")
	fs.IntVar(&cfg.PublicMinServices, "public-min-services", envInt(getenv, "DMF_PUBLIC_MIN_SERVICES", 3), "approved services a country needs to appear in the public comparison (DMF_PUBLIC_MIN_SERVICES)")
	fs.DurationVar(&cfg.LoginDelay, "login-delay", envDuration(getenv, "DMF_LOGIN_DELAY", 250*time.Millisecond), "delay after the third failed sign-in in a row, doubling after each further one (DMF_LOGIN_DELAY)")
	fs.StringVar(&cfg.IssuerName, "issuer-name", env("DMF_ISSUER_NAME", ""), "issuer name on cards; default from the base URL (DMF_ISSUER_NAME)")
	trusted := fs.String("trusted-dids", env("DMF_TRUSTED_DIDS", ""), "comma-separated files of other instances' pinned DID documents (DMF_TRUSTED_DIDS)")
	fs.StringVar(&cfg.PprofAddr, "pprof-addr", env("DMF_PPROF_ADDR", ""), "loopback address serving Go's pprof profiles, such as 127.0.0.1:6060; empty disables (DMF_PPROF_ADDR)")
	proxies := fs.String("trusted-proxies", env("DMF_TRUSTED_PROXIES", ""), "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client (DMF_TRUSTED_PROXIES)")
	fs.BoolVar(&cfg.Demo, "demo", name == "demo", "seed demonstration organisations, users and assessments")
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
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return cfg, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	return cfg, cfg.complete()
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

func envInt(getenv func(string) string, key string, def int) int {
	if n, err := strconv.Atoi(getenv(key)); err == nil {
		return n
	}
	return def
}

func envDuration(getenv func(string) string, key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(getenv(key)); err == nil {
		return d
	}
	return def
}

// complete checks the settings and fills in the derived defaults.
func (c *Config) complete() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("address %q: %w", c.Addr, err)
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("base URL %q: must be an absolute http or https URL", c.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("base URL: must not carry a query or fragment")
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.PprofAddr != "" {
		// Profiles show internals (goroutine stacks hold request data); they
		// are for an operator on the machine, never for the network.
		host, _, err := net.SplitHostPort(c.PprofAddr)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return fmt.Errorf("pprof address %q: must be a loopback address such as 127.0.0.1:6060", c.PprofAddr)
		}
	}
	if c.PublicMinServices < 1 {
		return fmt.Errorf("public minimum of services %d: must be at least 1", c.PublicMinServices)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("log format %q: use text or json", c.LogFormat)
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
