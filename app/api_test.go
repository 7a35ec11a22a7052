package main

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"
)

func TestAPIFrameworks(t *testing.T) {
	a := newTestApp(t)
	rec := a.get("/api/v1/frameworks")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("status %d %v", rec.Code, rec.Header())
	}
	var list []struct {
		ID, Version, Digest string
		Title               map[string]string
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range list {
		if e.ID == "escap-dmf-dps-sme" && e.Version == "1.0.0" && strings.HasPrefix(e.Digest, "sha256:") && e.Title["en"] != "" && e.Title["ru"] != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("DMF edition not listed: %s", rec.Body.String())
	}
}

// TestAPIFrameworkShape checks the keys that clients rely on (app/openapi.json).
func TestAPIFrameworkShape(t *testing.T) {
	a := newTestApp(t)
	rec := a.get("/api/v1/frameworks/escap-dmf-dps-sme")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	var ed map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &ed); err != nil {
		t.Fatal(err)
	}
	requireKeys(t, "edition", ed, "id", "version", "digest", "title", "languages", "levels", "dimensions")
	levels := ed["levels"].([]any)
	requireKeys(t, "level", levels[0].(map[string]any), "level", "min", "label")
	dims := ed["dimensions"].([]any)
	if len(dims) != 7 {
		t.Errorf("%d dimensions", len(dims))
	}
	dim := dims[0].(map[string]any)
	requireKeys(t, "dimension", dim, "id", "weight", "title", "wsis", "perspectives", "indicators")
	ind := dim["indicators"].([]any)[0].(map[string]any)
	requireKeys(t, "indicator", ind, "id", "weight", "type", "question", "help", "not_applicable", "options", "recommendations")
	opt := ind["options"].([]any)[0].(map[string]any)
	requireKeys(t, "option", opt, "id", "level", "label")
	if title, ok := ed["title"].(map[string]any); !ok || title["en"] == nil || title["ru"] == nil {
		t.Errorf("title is not a language map: %v", ed["title"])
	}

	// The digest is the ETag; a client that has the edition gets 304.
	etag := rec.Header().Get("ETag")
	if etag != `"`+ed["digest"].(string)+`"` {
		t.Errorf("ETag %q", etag)
	}
	if rec := a.get("/api/v1/frameworks/escap-dmf-dps-sme", "If-None-Match", etag); rec.Code != http.StatusNotModified {
		t.Errorf("conditional GET: %d", rec.Code)
	}
}

func TestAPIFrameworkFlattenedLanguage(t *testing.T) {
	a := newTestApp(t)
	rec := a.get("/api/v1/frameworks/escap-dmf-dps-sme?lang=ru")
	var ed struct {
		Title      string
		Levels     []struct{ Label string }
		Dimensions []struct {
			Title      string
			Indicators []struct {
				Question string
				Options  []struct{ Label string }
			}
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &ed); err != nil {
		t.Fatalf("flattened edition does not have string texts: %v", err)
	}
	want, _ := a.s.editions.Edition("escap-dmf-dps-sme", "")
	if ed.Title != want.Title["ru"] || ed.Levels[0].Label != want.Levels[0].Label["ru"] ||
		ed.Dimensions[1].Indicators[0].Question != want.Dimensions[1].Indicators[0].Question["ru"] {
		t.Errorf("not the Russian texts: %q", ed.Title)
	}
}

func requireKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %q", what, k)
		}
	}
}

// TestAPIFrameworkTranslation: untranslated, an edition is exactly its
// pinned content (what the digest covers); ?lang=fr or zh flattens to the
// overlay's texts and says they are a translation outside the pinned
// edition, while edition 1.0.0, which has no overlays, stays English.
func TestAPIFrameworkTranslation(t *testing.T) {
	a := newTestApp(t)
	ed, _ := a.s.editions.Edition("escap-dmf-dps-sme", "1.1.0")
	pinned, _ := json.Marshal(ed.Pinned())
	if got := a.get("/api/v1/frameworks/escap-dmf-dps-sme?version=1.1.0").Body.Bytes(); !bytes.Equal(bytes.TrimSpace(got), pinned) {
		t.Error("the untranslated edition is not the pinned one")
	}
	for _, lang := range []string{"fr", "zh"} {
		var doc struct {
			Title       string
			Translation *struct {
				Language, Status string
				Pinned           bool
			}
		}
		if err := json.Unmarshal(a.get("/api/v1/frameworks/escap-dmf-dps-sme?version=1.1.0&lang="+lang).Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if status, ok := ed.Translation(lang); ok {
			if doc.Title != ed.Title[lang] || doc.Translation == nil || doc.Translation.Language != lang || doc.Translation.Pinned || doc.Translation.Status != status {
				t.Errorf("%s: %q %+v", lang, doc.Title, doc.Translation)
			}
		} else if doc.Title != ed.Title["en"] || doc.Translation != nil {
			t.Errorf("%s without overlay: %q %+v", lang, doc.Title, doc.Translation)
		}
		doc.Translation = nil
		if err := json.Unmarshal(a.get("/api/v1/frameworks/escap-dmf-dps-sme?version=1.0.0&lang="+lang).Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		old, _ := a.s.editions.Edition("escap-dmf-dps-sme", "1.0.0")
		if doc.Title != old.Title["en"] || doc.Translation != nil {
			t.Errorf("1.0.0 in %s: %q %+v", lang, doc.Title, doc.Translation)
		}
	}
}

// TestEditionLanguageNote: in French and Chinese a page of an edition says
// where its texts come from: the project's translation outside the pinned
// edition, or, for 1.0.0, English shown as the edition has no such texts.
func TestEditionLanguageNote(t *testing.T) {
	a := newTestApp(t)
	ed, _ := a.s.editions.Edition("escap-dmf-dps-sme", "1.1.0")
	for _, lang := range []string{"fr", "zh"} {
		body := a.get("/frameworks/escap-dmf-dps-sme?version=1.0.0&lang=" + lang).Body.String()
		if want := html.EscapeString(a.s.msgs.T(lang, "edition.untranslated", "English")); !strings.Contains(body, want) {
			t.Errorf("1.0.0 in %s lacks %q", lang, want)
		}
		want := a.s.msgs.T(lang, "edition.untranslated", "English")
		if _, ok := ed.Translation(lang); ok {
			want = a.s.msgs.T(lang, "edition.translation")
		}
		if body := a.get("/frameworks/escap-dmf-dps-sme?version=1.1.0&lang=" + lang).Body.String(); !strings.Contains(body, html.EscapeString(want)) {
			t.Errorf("1.1.0 in %s lacks %q", lang, want)
		}
	}
	for _, lang := range []string{"en", "ru"} {
		if body := a.get("/frameworks/escap-dmf-dps-sme?version=1.0.0&lang=" + lang).Body.String(); strings.Contains(body, "edition-lang") {
			t.Errorf("%s: a language note on the edition's own language", lang)
		}
	}
}
