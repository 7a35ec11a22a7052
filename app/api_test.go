package main

import (
	"encoding/json"
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
