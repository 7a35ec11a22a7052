package main

import (
	"html/template"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/frameworks"
)

// showHome explains what the tool is and where to start.
func (s *server) showHome(c echo.Context) error {
	v := s.render.view(c, "", map[string]any{"Editions": s.editions.Latest()})
	return c.Render(http.StatusOK, "home", v)
}

// listFrameworks lists every edition the instance knows.
func (s *server) listFrameworks(c echo.Context) error {
	v := s.render.view(c, s.msgs.T(langOf(c), "frameworks.title"), map[string]any{"Editions": s.editions.Editions()})
	return c.Render(http.StatusOK, "frameworks", v)
}

// edition finds the edition named by the :id path parameter and an
// optional ?version=, or answers 404.
func (s *server) edition(c echo.Context) (*frameworks.Edition, error) {
	ed, ok := s.editions.Edition(c.Param("id"), c.QueryParam("version"))
	if !ok {
		return nil, echo.NewHTTPError(http.StatusNotFound, "no such framework edition")
	}
	return ed, nil
}

type frameworkPage struct {
	Edition     *frameworks.Edition
	Versions    []*frameworks.Edition
	TotalWeight float64
	Query       string // ?version=… when an older version is shown
	// The edition this one continues, and what changed from it, in the
	// page's language.
	Previous *frameworks.Edition
	Changes  []template.HTML
}

func (s *server) frameworkPage(c echo.Context) (*frameworkPage, error) {
	ed, err := s.edition(c)
	if err != nil {
		return nil, err
	}
	p := &frameworkPage{Edition: ed, Versions: s.editions.Versions(ed.ID)}
	for _, d := range ed.Dimensions {
		p.TotalWeight += d.Weight
	}
	if latest, _ := s.editions.Edition(ed.ID, ""); latest != ed {
		p.Query = "?version=" + ed.Version
	}
	return p, nil
}

// showFramework presents an edition: its scale, its dimensions and how
// scores are computed.
func (s *server) showFramework(c echo.Context) error {
	p, err := s.frameworkPage(c)
	if err != nil {
		return err
	}
	if prev, ok := s.editions.Previous(p.Edition); ok {
		p.Previous, p.Changes = prev, s.changelog(langOf(c), prev, p.Edition)
	}
	v := s.render.view(c, p.Edition.Title.In(langOf(c)), p)
	return c.Render(http.StatusOK, "framework", v)
}

// showDimension presents one dimension with each indicator's question,
// level descriptors and the advice for moving up.
func (s *server) showDimension(c echo.Context) error {
	p, err := s.frameworkPage(c)
	if err != nil {
		return err
	}
	dim, ok := p.Edition.Dimension(c.Param("dim"))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "no such dimension")
	}
	counts, err := s.store.PracticeCounts(c.Request().Context(), p.Edition.ID)
	if err != nil {
		return err
	}
	v := s.render.view(c, dim.Title.In(langOf(c)), map[string]any{"Page": p, "Dimension": dim, "Practices": counts})
	return c.Render(http.StatusOK, "dimension", v)
}

// showReference lists the reference content.
func (s *server) showReference(c echo.Context) error {
	v := s.render.view(c, s.msgs.T(langOf(c), "reference.title"), s.ref)
	return c.Render(http.StatusOK, "reference", v)
}

// actionLineUse is an action line with the dimensions that serve it.
type actionLineUse struct {
	Line       frameworks.ActionLine
	Dimensions []dimensionRef
	Topics     []frameworks.Topic
}

type dimensionRef struct {
	Edition   *frameworks.Edition
	Dimension *frameworks.Dimension
}

// showActionLines lists the WSIS action lines and, for each, the framework
// dimensions mapped to it, derived from the editions themselves.
func (s *server) showActionLines(c echo.Context) error {
	lines := make([]actionLineUse, len(s.ref.ActionLines))
	for i, al := range s.ref.ActionLines {
		lines[i].Line = al
		for _, ed := range s.editions.Latest() {
			for d := range ed.Dimensions {
				if slices.Contains(ed.Dimensions[d].WSIS, al.ID) {
					lines[i].Dimensions = append(lines[i].Dimensions, dimensionRef{ed, &ed.Dimensions[d]})
				}
			}
		}
		for _, t := range s.ref.Topics {
			if slices.Contains(t.WSIS, al.ID) {
				lines[i].Topics = append(lines[i].Topics, t)
			}
		}
	}
	v := s.render.view(c, s.msgs.T(langOf(c), "wsis.title"), lines)
	return c.Render(http.StatusOK, "wsis", v)
}

// showTopic presents one reference topic with its dated facts.
func (s *server) showTopic(c echo.Context) error {
	for i := range s.ref.Topics {
		if t := &s.ref.Topics[i]; t.ID == c.Param("topic") {
			v := s.render.view(c, t.Title.In(langOf(c)), t)
			return c.Render(http.StatusOK, "topic", v)
		}
	}
	return echo.NewHTTPError(http.StatusNotFound, "no such reference topic")
}
