package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// OIDCProvider is one OpenID Connect provider people may sign in with.
type OIDCProvider struct {
	Name         string            // in DMF's URLs (/login/oidc/NAME) and the audit log
	Issuer       string            // the provider's issuer URL, as its ID tokens name it
	ClientID     string            // DMF's client at the provider
	ClientSecret string            // never logged or shown
	Label        map[string]string // the button's name by language; "en" at least
	// AutoCreate, when set, creates a respondent of an organisation on the
	// first sign-in of a verified email of one of its domains.
	AutoCreateDomains []string
	AutoCreateOrg     uint
}

// LabelIn is the provider's name for people reading lang.
func (p *OIDCProvider) LabelIn(lang string) string {
	if l := p.Label[lang]; l != "" {
		return l
	}
	return p.Label["en"]
}

// providersFile is DMF_OIDC_PROVIDERS: several providers in YAML.
type providersFile struct {
	Providers []struct {
		Name             string            `yaml:"name"`
		Issuer           string            `yaml:"issuer"`
		ClientID         string            `yaml:"client_id"`
		ClientSecretEnv  string            `yaml:"client_secret_env"`
		ClientSecretFile string            `yaml:"client_secret_file"`
		Label            map[string]string `yaml:"label"`
		AutoCreate       *struct {
			Domains        []string `yaml:"domains"`
			OrganisationID uint     `yaml:"organisation_id"`
		} `yaml:"auto_create"`
	} `yaml:"providers"`
}

// oidcSettings are the raw single-sign-on settings as given.
type oidcSettings struct {
	issuer, clientID, clientSecret, label, providers string
}

// loadOIDC turns the settings into providers, or says which one is wrong.
// A client secret comes from an environment variable or a file the file
// names, never from the providers file itself, so that the file can be
// kept with the rest of the configuration.
func loadOIDC(s oidcSettings, getenv func(string) string) ([]OIDCProvider, error) {
	single := s.issuer != "" || s.clientID != "" || s.clientSecret != ""
	switch {
	case single && s.providers != "":
		return nil, errors.New("DMF_OIDC_PROVIDERS: set either it or DMF_OIDC_ISSUER, DMF_OIDC_CLIENT_ID and DMF_OIDC_CLIENT_SECRET, not both")
	case single:
		p := OIDCProvider{Name: "sso", Issuer: s.issuer, ClientID: s.clientID, ClientSecret: s.clientSecret}
		if s.label != "" {
			p.Label = map[string]string{"en": s.label}
		}
		if p.Issuer == "" {
			return nil, errors.New("DMF_OIDC_ISSUER: required with DMF_OIDC_CLIENT_ID and DMF_OIDC_CLIENT_SECRET")
		}
		if err := p.check("DMF_OIDC_"); err != nil {
			return nil, err
		}
		return []OIDCProvider{p}, nil
	case s.providers == "":
		return nil, nil
	}
	where := "DMF_OIDC_PROVIDERS (" + s.providers + ")"
	data, err := os.ReadFile(s.providers)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	var f providersFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if len(f.Providers) == 0 {
		return nil, fmt.Errorf("%s: lists no providers", where)
	}
	var out []OIDCProvider
	for i, e := range f.Providers {
		at := fmt.Sprintf("%s: providers[%d] (%s): ", where, i, e.Name)
		p := OIDCProvider{Name: e.Name, Issuer: e.Issuer, ClientID: e.ClientID, Label: e.Label}
		switch {
		case (e.ClientSecretEnv == "") == (e.ClientSecretFile == ""):
			return nil, errors.New(at + "give the client secret as client_secret_env (a variable's name) or client_secret_file, one of them")
		case e.ClientSecretEnv != "":
			if p.ClientSecret = getenv(e.ClientSecretEnv); p.ClientSecret == "" {
				return nil, fmt.Errorf("%sclient_secret_env: the variable %s is not set", at, e.ClientSecretEnv)
			}
		default:
			b, err := os.ReadFile(e.ClientSecretFile)
			if err != nil {
				return nil, fmt.Errorf("%sclient_secret_file: %w", at, err)
			}
			if p.ClientSecret = strings.TrimSpace(string(b)); p.ClientSecret == "" {
				return nil, fmt.Errorf("%sclient_secret_file: %s is empty", at, e.ClientSecretFile)
			}
		}
		if a := e.AutoCreate; a != nil {
			if len(a.Domains) == 0 || a.OrganisationID == 0 {
				return nil, errors.New(at + "auto_create needs domains (such as [ministry.gov.example]) and the organisation_id new respondents join")
			}
			for _, d := range a.Domains {
				if !domainPattern.MatchString(d) {
					return nil, fmt.Errorf("%sauto_create: %q is not an email domain such as ministry.gov.example (lower case, no @)", at, d)
				}
			}
			p.AutoCreateDomains, p.AutoCreateOrg = a.Domains, a.OrganisationID
		}
		if err := p.check(at); err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(o OIDCProvider) bool { return o.Name == p.Name }) {
			return nil, fmt.Errorf("%sname: %q is used twice", at, p.Name)
		}
		out = append(out, p)
	}
	return out, nil
}

var (
	providerName  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
	langCode      = regexp.MustCompile(`^[a-z]{2}$`)
	domainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
)

// check validates a provider; at names it in messages.
func (p *OIDCProvider) check(at string) error {
	if !providerName.MatchString(p.Name) {
		return fmt.Errorf("%sname: %q must be 1 to 32 lower-case letters, digits or hyphens, such as gov-id", at, p.Name)
	}
	u, err := url.Parse(p.Issuer)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%sissuer: %q must be the provider's issuer URL, such as https://id.gov.example/realms/ministry", at, p.Issuer)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopbackHost(u.Hostname())) {
		// Tokens and secrets travel to it: plain http only on this machine.
		return fmt.Errorf("%sissuer: %q must be an https URL (http only on a loopback address)", at, p.Issuer)
	}
	if p.ClientID == "" {
		return fmt.Errorf("%sclient_id: required: the client id DMF is registered under at the provider", at)
	}
	if p.ClientSecret == "" {
		return fmt.Errorf("%sclient_secret: required: DMF signs in as a confidential client", at)
	}
	if p.Label == nil {
		p.Label = map[string]string{}
	}
	for lang, l := range p.Label {
		if !slices.Contains(languages, lang) && !langCode.MatchString(lang) {
			return fmt.Errorf("%slabel: %q is not a language code such as en or ru", at, lang)
		}
		if l == "" || len([]rune(l)) > 60 || strings.IndexFunc(l, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			return fmt.Errorf("%slabel.%s: must be one line of 1 to 60 printable characters", at, lang)
		}
	}
	if p.Label["en"] == "" {
		p.Label["en"] = u.Hostname() // the provider's host says where the button leads
	}
	return nil
}

func loopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
