package main

import (
	"crypto/rand"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

type usersPage struct {
	Users         []assessments.User
	Organisations []assessments.Organisation
	Roles         []assessments.Role
	Form          assessments.NewUser
	Created       *assessments.User
	Password      string // a generated password, shown once
	Pager         *pager
}

func (s *server) usersPage(c echo.Context) (*usersPage, error) {
	ctx := c.Request().Context()
	lq, err := listQuery(c)
	if err != nil {
		return nil, err
	}
	users, err := s.store.UserPage(ctx, actorOf(c), lq)
	if err != nil {
		return nil, err
	}
	orgs, err := s.store.Organisations(ctx)
	if err != nil {
		return nil, err
	}
	return &usersPage{Users: users.Items, Pager: newPager(c, users, "email", "name", "role", "created"), Organisations: orgs, Roles: assessments.Roles, Form: assessments.NewUser{Role: assessments.RoleRespondent}}, nil
}

// listUsers shows the accounts and a form to add one.
func (s *server) listUsers(c echo.Context) error {
	p, err := s.usersPage(c)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "admin_users", s.render.view(c, s.msgs.T(langOf(c), "admin.users"), p))
}

// createUser adds an account. Without a password one is generated, shown
// once, and must be changed at first sign-in.
func (s *server) createUser(c echo.Context) error {
	p, err := s.usersPage(c)
	if err != nil {
		return err
	}
	orgID, _ := strconv.ParseUint(c.FormValue("organisation"), 10, 32)
	p.Form = assessments.NewUser{
		Email: c.FormValue("email"), Name: c.FormValue("name"), Role: assessments.Role(c.FormValue("role")),
		OrganisationID: uint(orgID), Password: c.FormValue("password"), MustChangePassword: true,
	}
	generated := p.Form.Password == ""
	if generated {
		p.Form.Password = rand.Text()
	}
	password := p.Form.Password
	by := actorOf(c)
	u, err := s.store.CreateUser(c.Request().Context(), &by, p.Form)
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		p.Form.Password = ""
		v := s.render.view(c, s.msgs.T(langOf(c), "admin.users"), p).withErrors(ve)
		return c.Render(http.StatusUnprocessableEntity, "admin_users", v)
	}
	if err != nil {
		return err
	}
	// Render instead of redirecting, so the generated password is shown
	// once and never travels in a URL.
	if p, err = s.usersPage(c); err != nil {
		return err
	}
	p.Created = u
	if generated {
		p.Password = password
	}
	return c.Render(http.StatusCreated, "admin_users", s.render.view(c, s.msgs.T(langOf(c), "admin.users"), p))
}

type organisationsPage struct {
	Organisations []assessments.Organisation
	Countries     *assessments.Countries
	Kinds         []string
	Form          assessments.Organisation
	Pager         *pager
}

func (s *server) organisationsPage(c echo.Context) (*organisationsPage, error) {
	lq, err := listQuery(c)
	if err != nil {
		return nil, err
	}
	orgs, err := s.store.OrganisationPage(c.Request().Context(), actorOf(c), lq)
	if err != nil {
		return nil, err
	}
	return &organisationsPage{Organisations: orgs.Items, Pager: newPager(c, orgs, "name", "country", "kind", "created"), Countries: s.store.Countries(), Kinds: assessments.OrganisationKinds, Form: assessments.Organisation{Kind: "agency"}}, nil
}

// listOrganisations shows organisations and a form to add one.
func (s *server) listOrganisations(c echo.Context) error {
	p, err := s.organisationsPage(c)
	if err != nil {
		return err
	}
	v := s.render.view(c, s.msgs.T(langOf(c), "admin.organisations"), p)
	v.Notice = s.notice(c)
	return c.Render(http.StatusOK, "admin_organisations", v)
}

func (s *server) createOrganisation(c echo.Context) error {
	form := assessments.Organisation{Name: c.FormValue("name"), Country: c.FormValue("country"), Kind: c.FormValue("kind")}
	by := actorOf(c)
	_, err := s.store.CreateOrganisation(c.Request().Context(), &by, form)
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		p, err := s.organisationsPage(c)
		if err != nil {
			return err
		}
		p.Form = form
		v := s.render.view(c, s.msgs.T(langOf(c), "admin.organisations"), p).withErrors(ve)
		return c.Render(http.StatusUnprocessableEntity, "admin_organisations", v)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/organisations?notice=organisation-added")
}
