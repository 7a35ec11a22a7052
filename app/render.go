package main

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"math"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
	"github.com/unescap/dmf/static"
)

//go:embed templates/*.html
var templateFiles embed.FS

// renderer renders pages: one template set per page, each made of the
// layout, the shared partials and the page itself, parsed once at start
// and shared by every language: what depends on the language (words,
// numbers) is a method of the view, so a set is not parsed four times
// (which kept 50 MB of parse trees live and the collector busy).
type renderer struct {
	pages     map[string]*template.Template // page → set
	msgs      *catalog
	ref       *frameworks.Reference
	countries *assessments.Countries
	assets    map[string]string // static path → content digest
	// unread counts a user's unread notifications for the header; set by
	// newApp once the store is open.
	unread func(ctx context.Context, userID uint) (int64, error)
}

func newRenderer(msgs *catalog, ref *frameworks.Reference, countries *assessments.Countries) (*renderer, error) {
	assets, err := static.Versions()
	if err != nil {
		return nil, err
	}
	r := &renderer{pages: map[string]*template.Template{}, msgs: msgs, ref: ref, countries: countries, assets: assets}
	if err := r.parse(); err != nil {
		return nil, err
	}
	return r, nil
}

// parse reads every page's template set.
func (r *renderer) parse() error {
	funcs := template.FuncMap{
		"add":   func(a, b int) int { return a + b },
		"map":   dict,
		"fid":   FieldID,
		"deref": deref,
	}
	pages, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return err
	}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if strings.HasPrefix(name, "_") {
			continue // layout and partials
		}
		files := []string{"templates/_*.html", p}
		if name == "country" {
			// The coordinator's form asks its questions with the
			// questionnaire's "question" template; country.html comes
			// last, so its "content" is the one kept.
			files = []string{"templates/_*.html", "templates/questionnaire.html", p}
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, files...)
		if err != nil {
			return fmt.Errorf("parse template %s: %w", name, err)
		}
		r.pages[name] = t
	}
	return nil
}

// Render implements echo.Renderer. data is a *view.
func (r *renderer) Render(w io.Writer, name string, data any, c echo.Context) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	// Render to a buffer so that a template error becomes a clean error page
	// instead of half a page.
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return err
	}
	_, err := buf.WriteTo(w)
	return err
}

// view is what every page template receives: the page's own data plus
// what the layout needs. Its methods are the templates' helpers, bound to
// the request's language.
type view struct {
	Lang   string
	Path   string // the request path, for the language switch
	Title  string // page title, already translated
	User   *assessments.User
	CSRF   string // token for the _csrf field of forms
	Data   any
	Errors map[string]assessments.Message // form problems by field
	Notice string                         // a translated status message ("Saved.")
	Unread int64                          // the user's unread notifications, for the header

	r *renderer
}

func (r *renderer) view(c echo.Context, title string, data any) *view {
	csrf, _ := c.Get(csrfKey).(string)
	v := &view{Lang: langOf(c), Path: c.Request().URL.RequestURI(), Title: title, User: userOf(c), CSRF: csrf, Data: data, r: r}
	if v.User != nil && r.unread != nil {
		v.Unread, _ = r.unread(c.Request().Context(), v.User.ID) // a missing count is no reason to fail a page
	}
	return v
}

// withErrors attaches form problems to a view.
func (v *view) withErrors(err *assessments.ValidationError) *view {
	if err != nil {
		v.Errors = err.Fields
	}
	return v
}

// Msg shows a domain message in the page's language.
func (v *view) Msg(m assessments.Message) string { return v.r.msgs.Message(v.Lang, m) }

// Detail is a card check's technical detail in the page's language.
func (v *view) Detail(format string, args []any) template.HTML {
	return v.r.msgs.Detail(v.Lang, format, args)
}

// Err is the translated problem with a form field, or "". Problems with
// list items (evidence[2]) count as problems with the list's field.
func (v *view) Err(field string) string {
	if m, ok := v.Errors[field]; ok {
		return v.Msg(m)
	}
	for f, m := range v.Errors {
		if strings.HasPrefix(f, field+"[") {
			return v.Msg(m)
		}
	}
	return ""
}

// ErrorList is the form problems in a stable order, for the error summary.
func (v *view) ErrorList() []fieldProblem {
	out := make([]fieldProblem, 0, len(v.Errors))
	for f, m := range v.Errors {
		out = append(out, fieldProblem{Field: f, ID: FieldID(f), Label: v.FieldLabel(f), Message: v.Msg(m)})
	}
	slices.SortFunc(out, func(a, b fieldProblem) int { return strings.Compare(a.Field, b.Field) })
	return out
}

type fieldProblem struct{ Field, ID, Label, Message string }

// FieldLabel names a field for the error summary: a form label if the
// catalog has one ("field.email"), else the field's own name.
func (v *view) FieldLabel(field string) string {
	if l, ok := v.cellLabel(field); ok {
		return l
	}
	if m := practiceReviewField.FindStringSubmatch(field); m != nil {
		return v.T("field." + m[1]) // p12.comment: the comment of one practice's review form
	}
	if m := planField.FindStringSubmatch(field); m != nil {
		// plan.0.due → "Target 1 — due date"
		n, _ := strconv.Atoi(m[1])
		return v.T("plan.target", n+1) + " — " + v.T("plan."+m[2])
	}
	if rest, ok := strings.CutPrefix(field, "answers."); ok {
		// answers.SERV.1.level → "SERV.1 — level"
		if i := strings.LastIndexByte(rest, '.'); i > 0 {
			part, _, _ := strings.Cut(rest[i+1:], "[")
			if v.r.msgs.has("field.answer." + part) {
				return rest[:i] + " — " + v.T("field.answer."+part)
			}
		}
		return rest
	}
	if id, ok := strings.CutPrefix(field, "indicators."); ok {
		return v.T("field.indicator_note", id) // a reviewer's comment on one indicator
	}
	if v.r.msgs.has("field." + field) {
		return v.T("field." + field)
	}
	return field
}

// FieldID turns a field name (answers.SERV.1.level) into an HTML id
// (f-answers-SERV-1-level), so that error links can point at inputs.
func FieldID(field string) string {
	if i := strings.IndexByte(field, '['); i >= 0 {
		field = field[:i] // a list item's problem points at the list's input
	}
	return "f-" + strings.NewReplacer(".", "-", " ", "-").Replace(field)
}

// Actor is the viewer as the domain's authorization sees it, so that
// templates ask the same rules as the routes ({{if .Actor.CanAssess}}).
func (v *view) Actor() assessments.Actor {
	if v.User == nil {
		return assessments.Actor{}
	}
	return v.User.Actor()
}

// T translates an interface text.
func (v *view) T(key string, args ...any) string { return v.r.msgs.T(v.Lang, key, args...) }

// N is T for a text about a count: "1 assessment", "5 оценок". The count is
// an int or an int64 (a pager's total), as templates cannot convert.
func (v *view) N(key string, n any, args ...any) string {
	var c int
	switch n := n.(type) {
	case int:
		c = n
	case int64:
		c = int(n)
	default:
		return "[" + key + "]"
	}
	return v.r.msgs.N(v.Lang, key, c, args...)
}

// X picks the request's language from a framework text.
func (v *view) X(t frameworks.Text) string { return t.In(v.Lang) }

// DimensionTitle is the title of an edition's dimension, or its id.
func (v *view) DimensionTitle(ed *frameworks.Edition, id string) string {
	if d, ok := ed.Dimension(id); ok {
		return d.Title.In(v.Lang)
	}
	return id
}

// Paras splits a framework text into paragraphs at blank lines.
func (v *view) Paras(t frameworks.Text) []string {
	var out []string
	for _, p := range strings.Split(strings.TrimSpace(t.In(v.Lang)), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.Join(strings.Fields(p), " "))
		}
	}
	return out
}

// Asset returns the cache-busting URL of a static file.
func (v *view) Asset(name string) string {
	return "/static/" + v.r.assets[name] + "/" + name
}

// Languages lists the interface languages, for the switch.
func (v *view) Languages() []string { return languages }

// Alternate is this page's address in lang, for the hreflang alternates:
// ?lang= chooses the language of one response without changing the
// remembered choice; with lang "" (x-default) the browser's language decides.
func (v *view) Alternate(lang string) string {
	u, err := url.Parse(v.Path)
	if err != nil {
		return "/"
	}
	q := u.Query()
	q.Del("lang")
	if lang != "" {
		q.Set("lang", lang)
	}
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// EditionLang says, when the page's language is not one the edition was
// published in, where its texts come from: a translation overlay outside
// the pinned edition (see frameworks/overlay.go), or, with none, the
// edition's own language shown instead (edition 1.0.0 in French and
// Chinese). Empty in the edition's own languages.
func (v *view) EditionLang(ed *frameworks.Edition) string {
	if ed == nil || slices.Contains(ed.Languages, v.Lang) {
		return ""
	}
	if _, ok := ed.Translation(v.Lang); ok {
		return v.T("edition.translation")
	}
	return v.T("edition.untranslated", v.LangName(ed.Lang(v.Lang)))
}

// TextLang is the language t is shown in when that is not the page's (an
// edition without texts in it falls back to its own language), for a lang
// attribute on the element: screen readers then read it right, and the
// language checks of the browser tests know it is deliberate.
func (v *view) TextLang(t frameworks.Text) string { return textLang(t, v.Lang) }

func textLang(t frameworks.Text, lang string) string {
	if t[lang] != "" || t["en"] == "" {
		return ""
	}
	return "en" // what Text.In falls back to
}

// Colon ends a label before its value as the language writes it: French
// puts a no-break space before the colon, Chinese uses the full-width one.
func (v *view) Colon() string {
	switch v.Lang {
	case "fr":
		return "\u00a0: "
	case "zh":
		return "："
	}
	return ": "
}

// LangCode is the short form of a language's name that the phone header
// shows (the full name stays the link's accessible name): EN, RU, FR and
// 中文, which Chinese readers know better than ZH.
func (v *view) LangCode(lang string) string {
	if lang == "zh" {
		return "中文"
	}
	return strings.ToUpper(lang)
}

// LangName is a language's own name.
func (v *view) LangName(lang string) string { return v.r.msgs.T(lang, "lang.self") }

// Current reports whether the page is in the site section at prefix, for
// aria-current in the navigation.
func (v *view) Current(prefix string) bool {
	p := strings.SplitN(v.Path, "?", 2)[0]
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}

// Range shows the score range of level i of an edition: "40 – 60".
func (v *view) Range(ed *frameworks.Edition, i int) string {
	upper := 100.0
	if i+1 < len(ed.Levels) {
		upper = ed.Levels[i+1].Min
	}
	return fmt.Sprintf("%s – %s", strconv.FormatFloat(ed.Levels[i].Min, 'f', -1, 64), strconv.FormatFloat(upper, 'f', -1, 64))
}

// Perspectives names a dimension's stakeholder perspectives.
func (v *view) Perspectives(ed *frameworks.Edition, ids []string) string {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		if p, ok := ed.Perspective(id); ok {
			names = append(names, p.Title.In(v.Lang))
		}
	}
	return strings.Join(names, ", ")
}

// ActionLineTitle is the name of a WSIS action line (C1–C11).
func (v *view) ActionLineTitle(id string) string {
	for _, al := range v.r.ref.ActionLines {
		if al.ID == id {
			return al.Title.In(v.Lang)
		}
	}
	return id
}

// CountryName is a country's name in the page's language.
func (v *view) CountryName(code string) string {
	if c, ok := v.r.countries.Country(code); ok {
		return c.Name.In(v.Lang)
	}
	return code
}

// SubregionName is an ESCAP subregion's name in the page's language.
func (v *view) SubregionName(id string) string {
	if s, ok := v.r.countries.Subregion(id); ok {
		return s.Name.In(v.Lang)
	}
	return id
}

// Score shows a score as the language writes numbers, to one decimal.
func (v *view) Score(x float64) string { return formatNumber(v.Lang, assessments.Round1(x), 1) }

// Pct shows part as a whole percentage of whole.
func (v *view) Pct(part, whole float64) string {
	return formatNumber(v.Lang, math.Round(100*part/whole), 0)
}

// Maybe shows a score, or a dash for a missing (NaN) value.
func (v *view) Maybe(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return v.Score(x)
}

// Tens is a score rounded down to tens (0–10), for bar widths set by
// CSS classes rather than inline styles, which the CSP forbids.
func (v *view) Tens(score float64) int { return max(0, min(10, int(score/10))) }

// Day shows the date part of an RFC 3339 time.
func (v *view) Day(ts string) string {
	if len(ts) >= 10 {
		return ts[:10]
	}
	return ts
}

// Host shortens a source link to its host name for display.
func (v *view) Host(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return strings.TrimPrefix(u.Host, "www.")
}

// Date formats a partial ISO date (2025, 2025-08, 2025-08-26), and a range
// when end is set, in the request's language.
func (v *view) Date(start, end string) string {
	y1, m1, d1 := splitDate(start)
	y2, m2, d2 := splitDate(end)
	month := func(m int, genitive bool) string {
		if genitive {
			return v.T(fmt.Sprintf("month.gen.%d", m))
		}
		return v.T(fmt.Sprintf("month.%d", m))
	}
	year := func(y int) string { return v.T("date.year", y) }
	if v.Lang == "zh" {
		return zhDate(y1, m1, d1, y2, m2, d2, end != "")
	}
	day := func(d int) string {
		if v.Lang == "fr" && d == 1 {
			return "1er" // le 1er août, le 2 août
		}
		return strconv.Itoa(d)
	}
	switch {
	case end == "" && m1 == 0:
		return year(y1)
	case end == "" && d1 == 0:
		return month(m1, false) + " " + year(y1)
	case end == "":
		return fmt.Sprintf("%s %s %s", day(d1), month(m1, true), year(y1))
	case y1 == y2 && m1 == m2 && d1 > 0 && d2 > 0:
		return fmt.Sprintf("%s–%d %s %s", day(d1), d2, month(m1, true), year(y1))
	case y1 == y2 && d1 > 0 && d2 > 0:
		return fmt.Sprintf("%s %s – %s %s %s", day(d1), month(m1, true), day(d2), month(m2, true), year(y1))
	}
	return v.Date(start, "") + " – " + v.Date(end, "")
}

// zhDate writes a partial date or a range the Chinese way, largest unit
// first with no spaces: 2025年8月26日, 2025年8月26日至28日.
func zhDate(y1, m1, d1, y2, m2, d2 int, isRange bool) string {
	one := func(y, m, d int) string {
		s := strconv.Itoa(y) + "年"
		if m > 0 {
			s += strconv.Itoa(m) + "月"
			if d > 0 {
				s += strconv.Itoa(d) + "日"
			}
		}
		return s
	}
	switch {
	case !isRange:
		return one(y1, m1, d1)
	case y1 == y2 && m1 == m2 && d1 > 0 && d2 > 0:
		return one(y1, m1, d1) + "至" + strconv.Itoa(d2) + "日"
	case y1 == y2 && d1 > 0 && d2 > 0:
		return one(y1, m1, d1) + "至" + strconv.Itoa(m2) + "月" + strconv.Itoa(d2) + "日"
	}
	return one(y1, m1, d1) + "至" + one(y2, m2, d2)
}

// deref shows what a pointer answer field points to.
func deref(p any) any {
	switch v := p.(type) {
	case *int:
		if v != nil {
			return *v
		}
	case *float64:
		if v != nil {
			return strconv.FormatFloat(*v, 'f', -1, 64)
		}
	}
	return ""
}

// OptionAt is the option of a level indicator for level k, or nil.
func (v *view) OptionAt(ind *frameworks.Indicator, k any) *frameworks.Option {
	level, _ := k.(int)
	o, _ := ind.OptionAtLevel(level)
	return o
}

// OptionByID is an indicator's option with the given id, or nil.
func (v *view) OptionByID(ind *frameworks.Indicator, id string) *frameworks.Option {
	o, _ := ind.Option(id)
	return o
}

// Signed shows a change of score with its sign: +2.5, −1.0, 0.0.
func (v *view) Signed(x float64) string {
	x = assessments.Round1(x)
	switch {
	case x > 0:
		return "+" + formatNumber(v.Lang, x, 1)
	case x < 0:
		return "−" + formatNumber(v.Lang, -x, 1)
	}
	return formatNumber(v.Lang, 0, 1)
}

// SignedInt is a change of level with its sign: +2, −1, 0.
func (v *view) SignedInt(x int) string {
	switch {
	case x > 0:
		return "+" + strconv.Itoa(x)
	case x < 0:
		return "−" + strconv.Itoa(-x)
	}
	return "0"
}

// dict builds a map from alternating keys and values, so that a template
// can pass several values to a partial.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("map: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("map: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

func splitDate(s string) (y, m, d int) {
	parts := strings.Split(s, "-")
	nums := make([]int, 3)
	for i := 0; i < len(parts) && i < 3; i++ {
		nums[i], _ = strconv.Atoi(parts[i])
	}
	return nums[0], nums[1], nums[2]
}
