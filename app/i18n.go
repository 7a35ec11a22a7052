package main

import (
	"embed"
	"fmt"
	"html/template"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/unescap/dmf/assessments"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	xnumber "golang.org/x/text/number"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

// languages the interface is translated into; the first is the default.
// They are ESCAP's working languages: English, Russian, French and Chinese
// (Simplified, "zh").
var languages = []string{"en", "ru", "fr", "zh"}

// catalog holds the interface texts of every language. Every key exists in
// every language: a test fails otherwise, and the app refuses to start.
type catalog struct {
	msgs map[string]map[string]string // lang → key → text
	// plurals holds the texts that depend on a count: lang → key → CLDR
	// plural form ("one", "few", "many", "other"…) → text. In the YAML such a
	// key maps to its forms instead of a string.
	plurals map[string]map[string]map[string]string
	domain  map[string]map[string]string // lang → English domain message → translation
	matcher language.Matcher
}

func loadCatalog() (*catalog, error) {
	c := &catalog{msgs: map[string]map[string]string{}, plurals: map[string]map[string]map[string]string{},
		domain: map[string]map[string]string{}}
	var tags []language.Tag
	for _, lang := range languages {
		data, err := localeFiles.ReadFile(path.Join("locales", lang+".yaml"))
		if err != nil {
			return nil, err
		}
		nodes := map[string]yaml.Node{}
		if err := yaml.Unmarshal(data, &nodes); err != nil {
			return nil, fmt.Errorf("locales/%s.yaml: %w", lang, err)
		}
		m, p := map[string]string{}, map[string]map[string]string{}
		for k, n := range nodes {
			if n.Kind == yaml.MappingNode {
				forms := map[string]string{}
				if err := n.Decode(&forms); err != nil {
					return nil, fmt.Errorf("locales/%s.yaml: %s: %w", lang, k, err)
				}
				p[k] = forms
				continue
			}
			if err := n.Decode(new(string)); err != nil {
				return nil, fmt.Errorf("locales/%s.yaml: %s: %w", lang, k, err)
			}
			m[k] = n.Value
		}
		c.msgs[lang], c.plurals[lang] = m, p
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
// leaves empty (interface texts and domain messages), and each plural form
// a language's rules need that a counted text lacks.
func (c *catalog) missing() []string {
	keys, counted := map[string]bool{}, map[string]bool{}
	for _, lang := range languages {
		for k := range c.msgs[lang] {
			keys[k] = true
		}
		for k := range c.plurals[lang] {
			counted[k] = true
		}
	}
	// Domain messages: every translated language has each key any has.
	formats := map[string]bool{}
	for _, lang := range languages[1:] {
		for k := range c.domain[lang] {
			formats[k] = true
		}
	}
	var out []string
	for _, lang := range languages[1:] {
		for k := range formats {
			if strings.TrimSpace(c.domain[lang][k]) == "" {
				out = append(out, "messages."+lang+": "+k)
			}
		}
	}
	for _, lang := range languages {
		for k := range keys {
			if strings.TrimSpace(c.msgs[lang][k]) == "" && !counted[k] {
				out = append(out, lang+": "+k)
			}
		}
		for k := range counted {
			forms, ok := c.plurals[lang][k]
			if !ok {
				out = append(out, lang+": "+k+" (needs plural forms)")
				continue
			}
			for _, f := range pluralForms(lang) {
				if strings.TrimSpace(forms[f]) == "" {
					out = append(out, lang+": "+k+"."+f)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// formNames are the CLDR names of the plural forms, as the YAML spells them.
var formNames = map[plural.Form]string{plural.Other: "other", plural.Zero: "zero", plural.One: "one",
	plural.Two: "two", plural.Few: "few", plural.Many: "many"}

// pluralForm is the CLDR cardinal form of the whole number n in lang.
func pluralForm(lang string, n int) string {
	if n < 0 {
		n = -n
	}
	// x/text's CLDR data predates French "many" (CLDR 38: whole millions,
	// « 1 000 000 d'indicateurs »), so that one rule is applied here.
	if lang == "fr" && n != 0 && n%1000000 == 0 {
		return "many"
	}
	return formNames[plural.Cardinal.MatchPlural(language.Make(lang), n, 0, 0, 0, 0)]
}

// pluralForms lists the forms lang's rules give whole numbers, plus "other",
// the fallback every language has (Russian: one, few, many and other;
// English: one and other; French: one, many and other; Chinese: other).
// Whole numbers up to 1000 show every form the CLDR integer rules use
// (they depend on the last two or three digits), and a million French many.
func pluralForms(lang string) []string {
	seen := map[string]bool{"other": true, pluralForm(lang, 1000000): true}
	for n := range 1000 {
		seen[pluralForm(lang, n)] = true
	}
	out := make([]string, 0, len(seen))
	for _, f := range formNames {
		if seen[f] {
			out = append(out, f)
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

// N returns the text of key for a count n in lang, in the plural form lang's
// rules give n, formatted with args (or with n itself when there are none).
func (c *catalog) N(lang, key string, n int, args ...any) string {
	forms, ok := c.plurals[lang][key]
	if !ok {
		return "[" + key + "]"
	}
	s, ok := forms[pluralForm(lang, n)]
	if !ok {
		s = forms["other"]
	}
	if len(args) == 0 {
		args = []any{n}
	}
	return fmt.Sprintf(s, args...)
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
	_, counted := c.plurals[languages[0]][key]
	return ok || counted
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

// formatNumber writes x with prec decimals as people read numbers in lang:
// French "1 234,5" (decimal comma, narrow no-break spaces between
// thousands, as CLDR and the Imprimerie nationale have it; x/text's data
// still has the wider no-break space), Chinese "1,234.5". English and
// Russian pages keep the plain form they always had. JSON, CSV, XLSX and
// form values never use this: they stay machine formats.
func formatNumber(lang string, x float64, prec int) string {
	switch lang {
	case "fr", "zh":
		s := message.NewPrinter(language.Make(lang)).Sprint(xnumber.Decimal(x, xnumber.Scale(prec)))
		return strings.ReplaceAll(s, "\u00a0", "\u202f")
	}
	return strconv.FormatFloat(x, 'f', prec, 64)
}
