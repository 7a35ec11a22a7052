package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments/card"
)

// vocabTerms are the terms of the card's context, in the order the
// vocabulary page defines them; each is an anchor there (/vocab#Term),
// which is the term's IRI.
func vocabTerms() []string {
	return []string{
		"DigitalMaturityCard", "DigitalPublicService", "GovernmentOrganization", "MaturityAssessment", "AssessmentSummary",
		"image", "category", "provider", "country", "assessment", "period", "submitted", "approved", "framework",
		"identifier", "version", "title", "overall", "dimensions", "dimension", "score", "level", "label",
	}
}

// showVocab is the page that defines every term of the card's context.
func (s *server) showVocab(c echo.Context) error {
	return c.Render(http.StatusOK, "vocab", s.render.view(c, s.msgs.T(langOf(c), "vocab.title"), vocabTerms()))
}

// showContextV2 serves version 2 of the card's JSON-LD context, whose
// bytes every card since pins by digest.
func (s *server) showContextV2(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "application/ld+json", card.ContextV2(s.issuer.BaseURL))
}

// showSchema serves the card's JSON Schema, pinned in cards by digest.
func (s *server) showSchema(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "application/schema+json", card.SchemaV1(s.issuer.BaseURL))
}

// showCardImage draws the card as the card's image: the service, its
// provider, the overall level and score, in the card's first language.
func (s *server) showCardImage(c echo.Context) error {
	rec, err := s.store.Card(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	cd, err := card.Parse(rec.Data)
	if err != nil {
		return err
	}
	sub := cd.CredentialSubject
	a := sub.Assessment
	esc := func(v string) string {
		var b bytes.Buffer
		xml.EscapeText(&b, []byte(v))
		return b.String()
	}
	status := ""
	if rec.RevokedAt != nil {
		status = `<text x="24" y="214" font-size="16" fill="#b00020">revoked</text>`
	}
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="560" height="240" viewBox="0 0 560 240" role="img" aria-label="%s">`+
		`<rect width="560" height="240" rx="12" fill="#fff" stroke="#1b3a5c" stroke-width="2"/>`+
		`<text x="24" y="40" font-family="sans-serif" font-size="14" fill="#555">%s</text>`+
		`<text x="24" y="78" font-family="sans-serif" font-size="24" font-weight="bold" fill="#1b3a5c">%s</text>`+
		`<text x="24" y="108" font-family="sans-serif" font-size="16" fill="#333">%s · %s</text>`+
		`<text x="24" y="156" font-family="sans-serif" font-size="20" fill="#1b3a5c">%d · %s · %.1f/100</text>`+
		`<text x="24" y="186" font-family="sans-serif" font-size="13" fill="#555">%s %s · %d · %s</text>%s</svg>`,
		esc(cd.Name.In("")), esc(cd.Name.In("")), esc(sub.Name), esc(sub.Provider.Name), esc(sub.Provider.Country),
		a.Overall.Level, esc(a.Overall.Label), a.Overall.Score, esc(a.Framework.Identifier), esc(a.Framework.Version), a.Period, esc(cd.Issuer.Name), status)
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "image/svg+xml", []byte(svg))
}
