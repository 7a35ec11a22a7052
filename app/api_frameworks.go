package main

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/frameworks"
)

// editionSummary is one entry of GET /api/v1/frameworks.
type editionSummary struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Title   any    `json:"title"` // a Text, or a string with ?lang=
	Digest  string `json:"digest"`
	Latest  bool   `json:"latest"`
}

// apiFrameworks lists every edition, newest version of each id first.
func (s *server) apiFrameworks(c echo.Context) error {
	lang := c.QueryParam("lang")
	out := []editionSummary{}
	for _, ed := range s.editions.Editions() {
		latest, _ := s.editions.Edition(ed.ID, "")
		var title any = ed.Pinned().Title
		if lang != "" {
			title = ed.Title.In(lang)
		}
		out = append(out, editionSummary{ID: ed.ID, Version: ed.Version, Title: title, Digest: ed.Digest, Latest: latest == ed})
	}
	return c.JSON(http.StatusOK, out)
}

// apiFramework returns a whole edition. Editions never change once
// published, so the digest is a strong ETag. With ?lang= every text is
// flattened to a string in that language.
func (s *server) apiFramework(c echo.Context) error {
	ed, err := s.edition(c)
	if err != nil {
		return err
	}
	etag := `"` + ed.Digest + `"`
	lang := c.QueryParam("lang")
	if lang != "" {
		etag = `"` + ed.Digest + "-" + lang + `"`
	}
	c.Response().Header().Set("ETag", etag)
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	if c.Request().Header.Get("If-None-Match") == etag {
		return c.NoContent(http.StatusNotModified)
	}
	if lang == "" {
		// Exactly the pinned edition, which the digest covers: translation
		// overlays are not part of it.
		return c.JSON(http.StatusOK, ed.Pinned())
	}
	raw, err := json.Marshal(ed)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return err
	}
	flattenTexts(doc, ed.Lang(lang))
	if status, ok := ed.Translation(lang); ok {
		doc["translation"] = map[string]any{"language": lang, "status": status, "pinned": false}
	}
	return c.JSON(http.StatusOK, doc)
}

// textKeys are the keys whose values are language maps in an edition.
var textKeys = map[string]bool{"title": true, "description": true, "publisher": true, "label": true, "question": true, "help": true, "text": true}

// flattenTexts replaces each language map under a text key by its text in
// lang (falling back like frameworks.Text.In).
func flattenTexts(v any, lang string) any {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if m, ok := child.(map[string]any); ok && textKeys[k] {
				t := frameworks.Text{}
				for l, s := range m {
					t[l], _ = s.(string)
				}
				v[k] = t.In(lang)
				continue
			}
			v[k] = flattenTexts(child, lang)
		}
	case []any:
		for i := range v {
			v[i] = flattenTexts(v[i], lang)
		}
	}
	return v
}
