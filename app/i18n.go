package main

import (
	"embed"
	"fmt"
	"html/template"
	"path"
	"slices"
	"strings"

	"github.com/unescap/dmf/assessments"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

// languages the interface is translated into; the first is the default.
var languages = []string{"en", "ru"}

// catalog holds the interface texts of every language. Every key exists in
// every language: a test fails otherwise, and the app refuses to start.
type catalog struct {
	msgs    map[string]map[string]string // lang → key → text
	domain  map[string]map[string]string // lang → English domain message → translation
	matcher language.Matcher
}

func loadCatalog() (*catalog, error) {
	c := &catalog{msgs: map[string]map[string]string{}, domain: map[string]map[string]string{}}
	var tags []language.Tag
	for _, lang := range languages {
		data, err := localeFiles.ReadFile(path.Join("locales", lang+".yaml"))
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := yaml.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("locales/%s.yaml: %w", lang, err)
		}
		c.msgs[lang] = m
		if lang != languages[0] {
			data, err := localeFiles.ReadFile(path.Join("locales", "messages."+lang+".yaml"))
			if err != nil {
				return nil, err
			}
			d := map[string]string{}
			if err := yaml.Unmarshal(data, &d); err != nil {
				return nil, fmt.Errorf("locales/messages.%s.yaml: %w", lang, err)
			}
			c.domain[lang] = d
		}
		tags = append(tags, language.Make(lang))
	}
	c.matcher = language.NewMatcher(tags)
	if missing := c.missing(); len(missing) > 0 {
		return nil, fmt.Errorf("interface texts missing: %s", strings.Join(missing, "; "))
	}
	return c, nil
}

// missing lists each key that some language has and another lacks or
// leaves empty.
func (c *catalog) missing() []string {
	keys := map[string]bool{}
	for _, m := range c.msgs {
		for k := range m {
			keys[k] = true
		}
	}
	var out []string
	for _, lang := range languages {
		for k := range keys {
			if strings.TrimSpace(c.msgs[lang][k]) == "" {
				out = append(out, lang+": "+k)
			}
		}
	}
	slices.Sort(out)
	return out
}

// T returns the text for key in lang, formatted with args. An unknown key
// shows as itself in brackets, so it is visible on the page and in tests.
func (c *catalog) T(lang, key string, args ...any) string {
	s, ok := c.msgs[lang][key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Message translates a domain message: its English format is the key in
// the language's messages file; English and untranslated ones show as is.
func (c *catalog) Message(lang string, m assessments.Message) string {
	if f, ok := c.domain[lang][m.Format]; ok {
		return fmt.Sprintf(f, m.Args...)
	}
	return m.String()
}

// Detail translates a technical detail (a card check's Format and Args,
// keyed like domain messages) to HTML: each argument — a DID, URL, digest
// or the parser's own words — is set in <code>, apart from the sentence.
func (c *catalog) Detail(lang, format string, args []any) template.HTML {
	if f, ok := c.domain[lang][format]; ok {
		format = f
	}
	coded := make([]any, len(args))
	for i, a := range args {
		coded[i] = codeArg{a}
	}
	s := template.HTMLEscapeString(fmt.Sprintf(format, coded...))
	s = strings.NewReplacer("\x02", "<code>", "\x03", "</code>").Replace(s)
	return template.HTML(s)
}

// codeArg formats its value as asked, between markers Detail turns into
// <code> once the rest is escaped.
type codeArg struct{ v any }

func (a codeArg) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "\x02"+fmt.FormatString(f, verb)+"\x03", a.v)
}

// has reports whether key exists (in the default language, and so in all).
func (c *catalog) has(key string) bool {
	_, ok := c.msgs[languages[0]][key]
	return ok
}

// match picks the interface language for an Accept-Language header.
func (c *catalog) match(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return languages[0]
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return languages[0]
	}
	return languages[i]
}

func supported(lang string) bool { return slices.Contains(languages, lang) }
