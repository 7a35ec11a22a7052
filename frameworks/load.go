package frameworks

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/go-playground/validator/v10"
	"go.yaml.in/yaml/v3"
)

//go:embed data/*.yaml
var embedded embed.FS

// referenceFile is the one file in data/ that is not an edition.
const referenceFile = "reference.yaml"

// maxFileSize bounds what the loader reads; real editions are ~100 KB.
const maxFileSize = 4 << 20

// Embedded loads and validates the editions and reference content built
// into the binary, with the translation overlays beside each edition
// (see overlay.go) merged in.
func Embedded() (*Catalog, *Reference, error) {
	names, err := fs.Glob(embedded, "data/*.yaml")
	if err != nil {
		return nil, nil, err
	}
	var eds []*Edition
	var ref *Reference
	var errs []error
	var overlays []string
	byFile := map[string]int{} // edition file → index in eds
	for _, name := range names {
		if _, _, ok := isOverlayFile(name); ok {
			overlays = append(overlays, name) // once every edition is read
			continue
		}
		data, err := embedded.ReadFile(name)
		if err != nil {
			return nil, nil, err
		}
		if path.Base(name) == referenceFile {
			ref, err = ParseReference(name, data)
		} else {
			var ed *Edition
			ed, err = Parse(name, data)
			byFile[name] = len(eds)
			eds = append(eds, ed)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	for _, name := range overlays {
		edFile, _, _ := isOverlayFile(name)
		i, ok := byFile[edFile]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: a translation overlay, but there is no edition %s beside it", name, path.Base(edFile)))
			continue
		}
		if eds[i] == nil {
			continue // the edition's own problems are reported
		}
		data, err := embedded.ReadFile(name)
		if err != nil {
			return nil, nil, err
		}
		ed, err := ApplyOverlay(eds[i], name, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		eds[i] = ed
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	if ref == nil {
		return nil, nil, fmt.Errorf("frameworks: %s is missing", referenceFile)
	}
	cat, err := NewCatalog(eds...)
	return cat, ref, err
}

// Parse decodes and validates one edition file. On failure the error is
// Problems listing everything wrong with the file, each with its path.
func Parse(file string, data []byte) (*Edition, error) {
	var ed Edition
	pl, err := decodeStrict(file, data, &ed)
	if err != nil {
		return nil, err
	}
	pl.checkAfterDecode(func() {
		structural(pl, &ed)
		checkEdition(pl, &ed)
	})
	if len(pl.list) > 0 {
		return nil, pl.list
	}
	ed.index()
	ed.file, ed.root = file, pl.root
	if err := ed.seal(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &ed, nil
}

// ParseReference decodes and validates the reference content file.
func ParseReference(file string, data []byte) (*Reference, error) {
	var ref Reference
	pl, err := decodeStrict(file, data, &ref)
	if err != nil {
		return nil, err
	}
	pl.checkAfterDecode(func() {
		structural(pl, &ref)
		checkReference(pl, &ref)
	})
	if len(pl.list) > 0 {
		return nil, pl.list
	}
	return &ref, nil
}

// decodeStrict decodes YAML twice: into a node tree, which gives lines for
// messages, and into v with unknown keys rejected, so a misspelt key is an
// error rather than a silently missing text.
func decodeStrict(file string, data []byte, v any) (*problemList, error) {
	pl := &problemList{file: file}
	if len(data) > maxFileSize {
		pl.add("", "file is larger than %d bytes", maxFileSize)
		return nil, pl.list
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		pl.decodeError(err)
		return nil, pl.list
	}
	if root.Kind == 0 {
		pl.add("", "file is empty")
		return nil, pl.list
	}
	pl.root = &root
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		pl.decodeError(err)
	}
	return pl, nil
}

var (
	editionIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$`)
	slugPattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	itemIDPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	langPattern      = regexp.MustCompile(`^[a-z]{2,3}$`)
	wsisPattern      = regexp.MustCompile(`^C([1-9]|1[01])$`)
	datePattern      = regexp.MustCompile(`^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$`)
)

// newValidator returns a validator that names fields by their YAML keys,
// so its messages use the same paths as the file.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	for tag, re := range map[string]*regexp.Regexp{
		"edition_id": editionIDPattern, "slug": slugPattern, "item_id": itemIDPattern,
		"lang_code": langPattern, "wsis_line": wsisPattern, "partial_date": datePattern,
	} {
		re := re
		v.RegisterValidation(tag, func(fl validator.FieldLevel) bool {
			return re.MatchString(fl.Field().String())
		})
	}
	return v
}

// tagMessages explains each validation tag in a sentence.
var tagMessages = map[string]string{
	"edition_id":   "must be lowercase letters, digits and hyphens, such as escap-dmf-dps-sme",
	"slug":         "must be lowercase letters, digits and hyphens",
	"item_id":      "must be letters, digits, '.', '_' or '-' (at most 64), such as SERV.1",
	"lang_code":    "must be a two- or three-letter language code such as en or ru",
	"wsis_line":    "must be a WSIS action line C1 to C11",
	"partial_date": "must be a date written 2025, 2025-08 or 2025-08-26",
	"semver":       "must be a semantic version such as 1.0.0",
	"http_url":     "must be an http or https URL",
}

// structural runs the validator tags and reports each failure as a problem.
func structural(pl *problemList, v any) {
	err := newValidator().Struct(v)
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return
	}
	for _, fe := range ves {
		_, p, _ := strings.Cut(fe.Namespace(), ".")
		pl.add(p, "%s", fieldMessage(fe))
	}
}

func fieldMessage(fe validator.FieldError) string {
	if msg, ok := tagMessages[fe.Tag()]; ok {
		return fmt.Sprintf("%s (found %q)", msg, fmt.Sprint(fe.Value()))
	}
	list := fe.Kind() == reflect.Slice || fe.Kind() == reflect.Map
	switch fe.Tag() {
	case "required":
		return "is required"
	case "min":
		if list {
			return fmt.Sprintf("needs at least %s item(s)", fe.Param())
		}
		return fmt.Sprintf("must be at least %s (found %v)", fe.Param(), fe.Value())
	case "max":
		return fmt.Sprintf("must be at most %s (found %v)", fe.Param(), fe.Value())
	case "gt":
		return fmt.Sprintf("must be greater than %s (found %v)", fe.Param(), fe.Value())
	case "oneof":
		return fmt.Sprintf("must be one of %s (found %q)", strings.ReplaceAll(fe.Param(), " ", ", "), fmt.Sprint(fe.Value()))
	}
	return fmt.Sprintf("fails the %q rule", fe.Tag())
}

// index records where each indicator is, for lookups by id.
func (e *Edition) index() {
	e.indicators = make(map[string]IndicatorRef)
	n := 0
	for d := range e.Dimensions {
		for i := range e.Dimensions[d].Indicators {
			e.indicators[e.Dimensions[d].Indicators[i].ID] = IndicatorRef{Dimension: d, Index: i, Ordinal: n}
			n++
		}
	}
}

// Canonical returns the edition's canonical content: its JSON form without
// the digest, canonicalised with RFC 8785 (JCS). Both digests are computed
// over these bytes, so anyone can recompute them from the API's JSON.
//
// With overlays applied it is still the pinned edition's: translations are
// outside the pinned content and never change its digest.
func (e *Edition) Canonical() ([]byte, error) {
	if e.pinned != nil {
		return e.pinned.Canonical()
	}
	c := *e
	c.Digest = ""
	raw, err := json.Marshal(&c)
	if err != nil {
		return nil, err
	}
	// RFC 8785 by jsontext, as the cards are (see card.canonicalJSON).
	canon := jsontext.Value(raw)
	if err := canon.Canonicalize(); err != nil {
		return nil, err
	}
	return canon, nil
}

func (e *Edition) seal() error {
	canon, err := e.Canonical()
	if err != nil {
		return fmt.Errorf("canonicalise edition: %w", err)
	}
	sum := sha256.Sum256(canon)
	e.Digest = "sha256:" + hex.EncodeToString(sum[:])
	s384 := sha512.Sum384(canon)
	e.sha384 = s384[:]
	return nil
}

// DigestSRI is the sha384 Subresource Integrity digest of the canonical
// content, as a card's relatedResource carries it.
func (e *Edition) DigestSRI() string {
	return "sha384-" + base64.StdEncoding.EncodeToString(e.sha384)
}

// Key identifies an edition: id@version.
func (e *Edition) Key() string { return e.ID + "@" + e.Version }
