package frameworks_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/unescap/dmf/frameworks"
)

func allTypes(t *testing.T) *frameworks.Edition {
	t.Helper()
	ed, err := frameworks.Parse("testdata/all-types.yaml", []byte(readTestdata(t, "all-types.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	return ed
}

// TestOverlayMerges: French and Chinese overlays add their texts to every
// text of the edition, while its digest, canonical content and untranslated
// JSON stay those of the pinned file.
func TestOverlayMerges(t *testing.T) {
	ed := allTypes(t)
	canon, _ := ed.Canonical()
	pinnedJSON, _ := json.Marshal(ed)
	fr, err := frameworks.ApplyOverlay(ed, "testdata/all-types.fr.yaml", []byte(readTestdata(t, "all-types.fr.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	both, err := frameworks.ApplyOverlay(fr, "testdata/all-types.zh.yaml", []byte(readTestdata(t, "all-types.zh.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*frameworks.Edition{fr, both} {
		if e.Digest != ed.Digest || e.DigestSRI() != ed.DigestSRI() {
			t.Errorf("digest changed: %s %s", e.Digest, e.DigestSRI())
		}
		if c, _ := e.Canonical(); !bytes.Equal(c, canon) {
			t.Error("canonical content changed")
		}
		if j, _ := json.Marshal(e.Pinned()); !bytes.Equal(j, pinnedJSON) {
			t.Error("the pinned edition's JSON changed")
		}
		if strings.Join(e.Languages, " ") != "en ru" {
			t.Errorf("declared languages changed: %v", e.Languages)
		}
	}
	if got := strings.Join(both.Translations(), " "); got != "fr zh" {
		t.Errorf("translations = %q", got)
	}
	if st, ok := both.Translation("zh"); !ok || !strings.Contains(st, "review") {
		t.Errorf("zh status %q %v", st, ok)
	}
	if _, ok := both.Translation("ru"); ok {
		t.Error("Russian is the edition's own, not an overlay")
	}
	if both.Lang("fr") != "fr" || both.Lang("zh") != "zh" || ed.Lang("fr") != "en" {
		t.Errorf("Lang: %s %s %s", both.Lang("fr"), both.Lang("zh"), ed.Lang("fr"))
	}
	ind, _, _ := both.Indicator("A.2")
	if ind.Question.In("fr") != "Quels canaux ?" || ind.Question.In("zh") != "有哪些渠道？" || ind.Question.In("en") != "Which channels?" {
		t.Errorf("A.2 question: %v", ind.Question)
	}
	if o, _ := ind.Option("none"); o.Label.In("zh") != "以上皆无" {
		t.Errorf("option label: %v", o.Label)
	}
	if r, _ := ind.Recommendation(3); r.Text.In("fr") != "ajoutez les autres" {
		t.Errorf("recommendation: %v", r.Text)
	}
	if both.LevelLabel(3).In("zh") != "确立级" || both.Perspectives[0].Title.In("fr") != "PME" || both.Title.In("fr") != "Tous les types d'indicateurs" {
		t.Error("levels, perspectives or title not merged")
	}
	// The pinned edition and the French-only one are untouched.
	if orig, _, _ := ed.Indicator("A.2"); orig.Question.In("fr") != "Which channels?" {
		t.Errorf("the pinned edition got a French text: %v", orig.Question)
	}
	if ind, _, _ := fr.Indicator("A.2"); ind.Question["zh"] != "" {
		t.Error("the French overlay's edition got Chinese")
	}
	// A second overlay of the same language is refused.
	if _, err := frameworks.ApplyOverlay(fr, "testdata/all-types.fr.yaml", []byte(readTestdata(t, "all-types.fr.yaml"))); err == nil {
		t.Error("a second French overlay was accepted")
	}
}

// TestOverlayProblems: each kind of bad overlay is refused with the file,
// line and path of the problem.
func TestOverlayProblems(t *testing.T) {
	ed := allTypes(t)
	for _, c := range []struct{ file, path, msg string }{
		{"wrong-edition", "overlay", "names edition test-all-types@0.2.0, but this overlay belongs to test-all-types@0.1.0"},
		{"unknown-key", "dimensions[1].indicators[1].questoin", `unknown key "questoin"`},
		{"unknown-id", "dimensions[1].indicators[1]", `unknown indicator "B.9"`},
		{"other-language", "dimensions[1].indicators[1].question", `text in "ru"; this overlay holds "fr" only`},
		{"missing-text", "dimensions[1].indicators[1].question", "text missing"},
		{"empty-text", "dimensions[1].indicators[1].question", "text is empty"},
		{"extra-text", "dimensions[1].description", "the edition has no such text"},
	} {
		name := "testdata/overlays/" + c.file + ".fr.yaml"
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = frameworks.ApplyOverlay(ed, name, data)
		var ps frameworks.Problems
		if !errors.As(err, &ps) {
			t.Errorf("%s: accepted or no problems: %v", c.file, err)
			continue
		}
		found := false
		for _, p := range ps {
			if p.File == name && p.Path == c.path && p.Line > 0 && strings.Contains(p.Message, c.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: want %s: %s, got\n%v", c.file, c.path, c.msg, err)
		}
	}
	// The unknown id also leaves the edition's B.2 untranslated.
	data, _ := os.ReadFile("testdata/overlays/unknown-id.fr.yaml")
	_, err := frameworks.ApplyOverlay(ed, "testdata/overlays/unknown-id.fr.yaml", data)
	if err == nil || !strings.Contains(err.Error(), `indicator "B.2" is missing`) {
		t.Errorf("missing B.2 not reported: %v", err)
	}
	// An overlay of a language the edition has, or named for another one.
	ru := strings.Replace(readTestdata(t, "all-types.fr.yaml"), "language: fr", "language: ru", 1)
	if _, err := frameworks.ApplyOverlay(ed, "x.ru.yaml", []byte(ru)); err == nil || !strings.Contains(err.Error(), "has its own ru texts") {
		t.Errorf("Russian overlay: %v", err)
	}
	if _, err := frameworks.ApplyOverlay(ed, "all-types.zh.yaml", []byte(readTestdata(t, "all-types.fr.yaml"))); err == nil || !strings.Contains(err.Error(), `the file name says "zh"`) {
		t.Errorf("misnamed overlay: %v", err)
	}
}

// TestEmbeddedOverlays: the shipped editions load with their overlays; the
// pinned 1.1.0 keeps its digest whatever overlays lie beside it, and the
// French and Chinese overlays are complete (the loader refuses anything
// less). Until the translators' files are merged they may be absent,
// which fails in CI.
func TestEmbeddedOverlays(t *testing.T) {
	cat, _, err := frameworks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ed, ok := cat.Edition(frameworks.DefaultID, "1.1.0")
	if !ok {
		t.Fatal("no edition 1.1.0")
	}
	raw, err := os.ReadFile("data/escap-dmf-dps-sme-1.1.0.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := frameworks.Parse("data/escap-dmf-dps-sme-1.1.0.yaml", raw)
	if err != nil {
		t.Fatal(err)
	}
	if ed.Digest != pinned.Digest {
		t.Errorf("digest with overlays %s, pinned file %s", ed.Digest, pinned.Digest)
	}
	old, _ := cat.Edition(frameworks.DefaultID, "1.0.0")
	if len(old.Translations()) != 0 {
		t.Errorf("edition 1.0.0 has overlays %v; it shows English in French and Chinese", old.Translations())
	}
	for _, lang := range []string{"fr", "zh"} {
		if _, ok := ed.Translation(lang); ok {
			continue
		}
		msg := "edition 1.1.0 has no " + lang + " overlay (" + frameworks.OverlayFile("data/escap-dmf-dps-sme-1.1.0.yaml", lang) + ")"
		if os.Getenv("DMF_CI") == "1" {
			t.Error(msg)
		} else {
			t.Log(msg + "; the translators' branch is not merged yet")
		}
	}
}

// TestChangesIgnoreOverlays: a translation overlay on the older edition
// is no change, and the changelog titles its entries with the overlays'
// texts (the removed indicator from the older edition's French).
func TestChangesIgnoreOverlays(t *testing.T) {
	old := allTypes(t)
	next := parseTestdata(t, "all-types-0.2.0.yaml")
	fr, err := frameworks.ApplyOverlay(old, "testdata/all-types.fr.yaml", []byte(readTestdata(t, "all-types.fr.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	kinds := func(cs []frameworks.Change) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Kind+" "+c.ID)
		}
		return out
	}
	plain, translated := frameworks.Changes(old, next), frameworks.Changes(fr, next)
	if !slices.Equal(kinds(plain), kinds(translated)) {
		t.Errorf("an overlay changed the changelog:\n%v\n%v", kinds(plain), kinds(translated))
	}
	removed := slices.IndexFunc(translated, func(c frameworks.Change) bool { return c.Kind == frameworks.ChangeRemoved && c.ID == "B.2" })
	if removed < 0 || translated[removed].Title.In("fr") != "Autre chose ?" {
		t.Errorf("removed B.2 not titled in French: %v", translated)
	}
}
