package main

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// showPublicService is the public page of a service, which a card's
// credentialSubject.id names: what its issued cards state, and links to
// them. A service without an issued card is not found.
func (s *server) showPublicService(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p, err := s.store.PublicService(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "service", s.render.view(c, p.Name, p))
}

// showPublicOrganisation is the public page of a card's provider: its
// services that have issued cards.
func (s *server) showPublicOrganisation(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p, err := s.store.PublicOrganisation(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "organisation", s.render.view(c, p.Organisation.Name, p))
}
