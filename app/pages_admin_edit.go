package main

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

// The administrators' edit pages for one account, organisation or service.
// Each form posts every field it shows, so an unticked box means "no".

type userForm struct {
	Name           string
	Role           assessments.Role
	OrganisationID uint
	Disabled       bool
}

type userEditPage struct {
	User          *assessments.User
	Form          userForm
	Organisations []assessments.Organisation
	Roles         []assessments.Role
	Password      string // a new one-time password, shown once
	Identities    []assessments.Identity
	Providers     []ssoButton // to link an identity with
}

func (s *server) userEditPage(c echo.Context) (*userEditPage, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	u, err := s.store.User(ctx, id)
	if err != nil {
		return nil, err
	}
	orgs, err := s.store.Organisations(ctx)
	if err != nil {
		return nil, err
	}
	f := userForm{Name: u.Name, Role: u.Role, Disabled: u.DisabledAt != nil}
	if u.OrganisationID != nil {
		f.OrganisationID = *u.OrganisationID
	}
	ids, err := s.store.Identities(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return &userEditPage{User: u, Form: f, Organisations: orgs, Roles: assessments.Roles, Identities: ids, Providers: s.ssoButtons(langOf(c))}, nil
}

func (s *server) renderUserEdit(c echo.Context, status int, p *userEditPage, ve *assessments.ValidationError) error {
	v := s.render.view(c, s.msgs.T(langOf(c), "admin.user.edit", p.User.Email), p).withErrors(ve)
	v.Notice = s.notice(c)
	return c.Render(status, "admin_user", v)
}

// showUser shows an account with forms to edit it and reset its password.
func (s *server) showUser(c echo.Context) error {
	p, err := s.userEditPage(c)
	if err != nil {
		return err
	}
	return s.renderUserEdit(c, http.StatusOK, p, nil)
}

// updateUser saves the edit form of an account.
func (s *server) updateUser(c echo.Context) error {
	p, err := s.userEditPage(c)
	if err != nil {
		return err
	}
	orgID, _ := strconv.ParseUint(c.FormValue("organisation"), 10, 32)
	p.Form = userForm{Name: c.FormValue("name"), Role: assessments.Role(c.FormValue("role")), OrganisationID: uint(orgID), Disabled: c.FormValue("disabled") != ""}
	org := p.Form.OrganisationID
	_, err = s.store.UpdateUser(c.Request().Context(), actorOf(c), p.User.ID, assessments.UserChange{
		Name: &p.Form.Name, Role: &p.Form.Role, OrganisationID: &org, Disabled: &p.Form.Disabled,
	})
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		return s.renderUserEdit(c, http.StatusUnprocessableEntity, p, ve)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+strconv.Itoa(int(p.User.ID))+"?notice=user-saved")
}

// resetUserPassword gives the account a new one-time password and shows
// it once, in the answer rather than a redirect, so it never travels in a
// URL.
func (s *server) resetUserPassword(c echo.Context) error {
	p, err := s.userEditPage(c)
	if err != nil {
		return err
	}
	if p.Password, err = s.store.ResetPassword(c.Request().Context(), actorOf(c), p.User.ID); err != nil {
		return err
	}
	return s.renderUserEdit(c, http.StatusOK, p, nil)
}

type organisationEditPage struct {
	Organisation *assessments.Organisation
	Form         assessments.Organisation
	Countries    *assessments.Countries
	Kinds        []string
}

func (s *server) organisationEditPage(c echo.Context) (*organisationEditPage, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	o, err := s.store.Organisation(c.Request().Context(), id)
	if err != nil {
		return nil, err
	}
	return &organisationEditPage{Organisation: o, Form: *o, Countries: s.store.Countries(), Kinds: assessments.OrganisationKinds}, nil
}

func (s *server) renderOrganisationEdit(c echo.Context, status int, p *organisationEditPage, ve *assessments.ValidationError) error {
	v := s.render.view(c, s.msgs.T(langOf(c), "admin.organisation.edit", p.Organisation.Name), p).withErrors(ve)
	v.Notice = s.notice(c)
	return c.Render(status, "admin_organisation", v)
}

// showOrganisation shows the edit form of an organisation.
func (s *server) showOrganisation(c echo.Context) error {
	p, err := s.organisationEditPage(c)
	if err != nil {
		return err
	}
	return s.renderOrganisationEdit(c, http.StatusOK, p, nil)
}

// updateOrganisation saves the edit form of an organisation.
func (s *server) updateOrganisation(c echo.Context) error {
	p, err := s.organisationEditPage(c)
	if err != nil {
		return err
	}
	p.Form.Name, p.Form.Country, p.Form.Kind = c.FormValue("name"), c.FormValue("country"), c.FormValue("kind")
	_, err = s.store.UpdateOrganisation(c.Request().Context(), actorOf(c), p.Organisation.ID, assessments.OrganisationChange{
		Name: &p.Form.Name, Country: &p.Form.Country, Kind: &p.Form.Kind,
	})
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		return s.renderOrganisationEdit(c, http.StatusUnprocessableEntity, p, ve)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/organisations/"+strconv.Itoa(int(p.Organisation.ID))+"?notice=organisation-saved")
}

type adminServicesPage struct {
	Services      []assessments.Service
	Organisations map[uint]assessments.Organisation
}

// listAllServices shows every organisation's services, retired ones
// included, each linked to its edit form.
func (s *server) listAllServices(c echo.Context) error {
	ctx := c.Request().Context()
	list, err := s.store.AllServices(ctx, actorOf(c))
	if err != nil {
		return err
	}
	orgs, err := s.store.Organisations(ctx)
	if err != nil {
		return err
	}
	p := &adminServicesPage{Services: list, Organisations: map[uint]assessments.Organisation{}}
	for _, o := range orgs {
		p.Organisations[o.ID] = o
	}
	v := s.render.view(c, s.msgs.T(langOf(c), "admin.services"), p)
	v.Notice = s.notice(c)
	return c.Render(http.StatusOK, "admin_services", v)
}

type serviceForm struct {
	Name, Category, URL string
	Retired             bool
}

type serviceEditPage struct {
	Service      *assessments.Service
	Organisation *assessments.Organisation
	Form         serviceForm
	Categories   []string
}

func (s *server) serviceEditPage(c echo.Context) (*serviceEditPage, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	svc, err := s.store.Service(ctx, actorOf(c), id)
	if err != nil {
		return nil, err
	}
	org, err := s.store.Organisation(ctx, svc.OrganisationID)
	if err != nil {
		return nil, err
	}
	f := serviceForm{Name: svc.Name, Category: svc.Category, URL: svc.URL, Retired: svc.RetiredAt != nil}
	return &serviceEditPage{Service: svc, Organisation: org, Form: f, Categories: assessments.ServiceCategories}, nil
}

func (s *server) renderServiceEdit(c echo.Context, status int, p *serviceEditPage, ve *assessments.ValidationError) error {
	v := s.render.view(c, s.msgs.T(langOf(c), "admin.service.edit", p.Service.Name), p).withErrors(ve)
	v.Notice = s.notice(c)
	return c.Render(status, "admin_service", v)
}

// showService shows the edit form of a service.
func (s *server) showService(c echo.Context) error {
	p, err := s.serviceEditPage(c)
	if err != nil {
		return err
	}
	return s.renderServiceEdit(c, http.StatusOK, p, nil)
}

// updateService saves the edit form of a service.
func (s *server) updateService(c echo.Context) error {
	p, err := s.serviceEditPage(c)
	if err != nil {
		return err
	}
	p.Form = serviceForm{Name: c.FormValue("name"), Category: c.FormValue("category"), URL: c.FormValue("url"), Retired: c.FormValue("retired") != ""}
	_, err = s.store.UpdateService(c.Request().Context(), actorOf(c), p.Service.ID, assessments.ServiceChange{
		Name: &p.Form.Name, Category: &p.Form.Category, URL: &p.Form.URL, Retired: &p.Form.Retired,
	})
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		return s.renderServiceEdit(c, http.StatusUnprocessableEntity, p, ve)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/services/"+strconv.Itoa(int(p.Service.ID))+"?notice=service-saved")
}
