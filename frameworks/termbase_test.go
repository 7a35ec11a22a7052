package frameworks_test

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/unescap/dmf/frameworks"
	"go.yaml.in/yaml/v3"
)

// term is one entry of termbase.yaml. The fr and zh columns are pointers so
// that the test can tell an empty column (to be filled) from a missing one.
type term struct {
	ID    string              `yaml:"id"`
	EN    string              `yaml:"en"`
	RU    string              `yaml:"ru"`
	FR    *string             `yaml:"fr"`
	ZH    *string             `yaml:"zh"`
	Note  string              `yaml:"note"`
	Avoid map[string][]string `yaml:"avoid"`
	Match map[string][]string `yaml:"match"`
}

func readTermbase(t *testing.T) []term {
	t.Helper()
	data, err := os.ReadFile("termbase.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tb struct {
		Terms []term `yaml:"terms"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&tb); err != nil {
		t.Fatalf("termbase.yaml: %v", err)
	}
	return tb.Terms
}

// TestTermbaseParses: every term has an English and a Russian rendering and
// the fr and zh columns the translation issue fills, and the terms the
// expert review named are there.
func TestTermbaseParses(t *testing.T) {
	terms := readTermbase(t)
	seen := map[string]bool{}
	for _, tm := range terms {
		if tm.ID == "" || tm.EN == "" || tm.RU == "" {
			t.Errorf("term %q needs an id, en and ru", tm.ID)
		}
		if seen[tm.ID] {
			t.Errorf("term %q is listed twice", tm.ID)
		}
		seen[tm.ID] = true
		if tm.FR == nil || tm.ZH == nil {
			t.Errorf("term %q lacks the fr or zh column (leave it empty until it is translated)", tm.ID)
		}
		for lang := range tm.Avoid {
			if lang != "en" && lang != "ru" {
				t.Errorf("term %q: avoid lists a language the editions do not have: %s", tm.ID, lang)
			}
		}
		if len(tm.Match) > 0 && (len(tm.Match["en"]) == 0 || len(tm.Match["ru"]) == 0) {
			t.Errorf("term %q: match needs both en forms and ru stems", tm.ID)
		}
	}
	for _, id := range []string{"framework", "trust-service-provider", "verifiable-credential", "capacity-building",
		"interoperability", "digital-public-service", "sme", "e-id", "qualified-electronic-signature",
		"once-only-principle", "life-event", "proactive-service"} {
		if !seen[id] {
			t.Errorf("termbase lacks %q", id)
		}
	}
}

// TestEditionUsesItsTerms: in the newest DMF edition, no text uses a
// variant the termbase rules out, and wherever the English uses a term the
// Russian of the same text uses its one rendering.
func TestEditionUsesItsTerms(t *testing.T) {
	terms := readTermbase(t)
	cat, _, err := frameworks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ed, ok := cat.Edition(frameworks.DefaultID, "")
	if !ok {
		t.Fatal("no DMF edition")
	}
	texts := editionTexts(t, ed)
	// Question, help, five options and five recommendations per indicator.
	if len(texts) < 12*ed.IndicatorCount() {
		t.Fatalf("found only %d texts in %s; the walk missed some", len(texts), ed.Key())
	}
	for _, tx := range texts {
		for _, tm := range terms {
			for lang, variants := range tm.Avoid {
				for _, v := range variants {
					if strings.Contains(strings.ToLower(tx[lang]), strings.ToLower(v)) {
						t.Errorf("%s: %s text uses %q, which the termbase rules out for %q (use %q): %s", ed.Key(), lang, v, tm.ID, tm.renderingIn(lang), tx[lang])
					}
				}
			}
			if len(tm.Match) == 0 || !slices.ContainsFunc(tm.Match["en"], func(f string) bool { return strings.Contains(tx["en"], f) }) {
				continue
			}
			ru := strings.ToLower(tx["ru"])
			if !slices.ContainsFunc(tm.Match["ru"], func(s string) bool { return strings.Contains(ru, strings.ToLower(s)) }) {
				t.Errorf("%s: the English uses %q but the Russian lacks %q (%s):\n  en: %s\n  ru: %s", ed.Key(), tm.EN, tm.RU, strings.Join(tm.Match["ru"], " / "), tx["en"], tx["ru"])
			}
		}
	}
}

func (tm term) renderingIn(lang string) string {
	if lang == "ru" {
		return tm.RU
	}
	return tm.EN
}

// editionTexts collects every text of the edition in every language: in its
// JSON form, a text is an object whose keys are exactly the languages (its
// own and those its translation overlays add).
func editionTexts(t *testing.T, ed *frameworks.Edition) []map[string]string {
	raw, err := json.Marshal(ed)
	if err != nil {
		t.Fatal(err)
	}
	var root any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if tx, ok := asText(v, append(slices.Clone(ed.Languages), ed.Translations()...)); ok {
				out = append(out, tx)
				return
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(root)
	return out
}

func asText(m map[string]any, langs []string) (map[string]string, bool) {
	if len(m) != len(langs) {
		return nil, false
	}
	tx := map[string]string{}
	for _, l := range langs {
		s, ok := m[l].(string)
		if !ok {
			return nil, false
		}
		tx[l] = s
	}
	return tx, true
}
