package main

import (
	"crypto/rand"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

// The administrators' API for accounts, organisations and services. There
// is no DELETE: accounts are disabled and services retired, so that what
// assessments and cards refer to stays.

// apiUsers lists every account.
func (s *server) apiUsers(c echo.Context) error {
	list, err := s.store.Users(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

type newUserRequest struct {
	Email          string           `json:"email"`
	Role           assessments.Role `json:"role"`
	OrganisationID uint             `json:"organisation_id"`
	Name           string           `json:"name"`
}

// apiCreateUser adds an account with a generated one-time password,
// returned once; the user must replace it at first sign-in.
func (s *server) apiCreateUser(c echo.Context) error {
	var req newUserRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	by := actorOf(c)
	password := rand.Text()
	u, err := s.store.CreateUser(c.Request().Context(), &by, assessments.NewUser{
		Email: req.Email, Name: req.Name, Role: req.Role, OrganisationID: req.OrganisationID, Password: password, MustChangePassword: true,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"id": u.ID, "one_time_password": password})
}

// userPatch is what PATCH /api/v1/users/{id} may change; absent fields
// stay as they are, and "organisation_id": 0 clears the organisation.
type userPatch struct {
	Name           *string           `json:"name"`
	Role           *assessments.Role `json:"role"`
	OrganisationID *uint             `json:"organisation_id"`
	Disabled       *bool             `json:"disabled"`
}

// apiUpdateUser edits, disables or re-enables an account.
func (s *server) apiUpdateUser(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req userPatch
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	u, err := s.store.UpdateUser(c.Request().Context(), actorOf(c), id, assessments.UserChange{
		Name: req.Name, Role: req.Role, OrganisationID: req.OrganisationID, Disabled: req.Disabled,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

// apiResetPassword gives an account a new one-time password, returned
// once, and ends its sessions and tokens.
func (s *server) apiResetPassword(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	password, err := s.store.ResetPassword(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"one_time_password": password})
}

type organisationPatch struct {
	Name    *string `json:"name"`
	Country *string `json:"country"`
	Kind    *string `json:"kind"`
}

// apiUpdateOrganisation edits an organisation.
func (s *server) apiUpdateOrganisation(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req organisationPatch
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	o, err := s.store.UpdateOrganisation(c.Request().Context(), actorOf(c), id, assessments.OrganisationChange{Name: req.Name, Country: req.Country, Kind: req.Kind})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, o)
}

type servicePatch struct {
	Name     *string `json:"name"`
	Category *string `json:"category"`
	URL      *string `json:"url"`
	Retired  *bool   `json:"retired"`
}

// apiUpdateService edits or retires a service.
func (s *server) apiUpdateService(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req servicePatch
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	svc, err := s.store.UpdateService(c.Request().Context(), actorOf(c), id, assessments.ServiceChange{Name: req.Name, Category: req.Category, URL: req.URL, Retired: req.Retired})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, svc)
}
