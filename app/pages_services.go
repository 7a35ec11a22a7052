package main

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

type servicesPage struct {
	Services   []assessments.Service
	Form       assessments.Service
	Categories []string
	LifeEvents []string
	Pager      *pager
}

func (s *server) servicesPage(c echo.Context, form assessments.Service) (*servicesPage, error) {
	lq, err := listQuery(c)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ServicePage(c.Request().Context(), actorOf(c), lq)
	if err != nil {
		return nil, err
	}
	return &servicesPage{Services: list.Items, Form: form, Categories: assessments.ServiceCategories, LifeEvents: assessments.LifeEvents,
		Pager: newPager(c, list, "name", "category", "organisation", "created")}, nil
}

// listServices shows the organisation's services and a form to add one.
func (s *server) listServices(c echo.Context) error {
	p, err := s.servicesPage(c, assessments.Service{})
	if err != nil {
		return err
	}
	v := s.render.view(c, s.msgs.T(langOf(c), "services.title"), p)
	v.Notice = s.notice(c)
	return c.Render(http.StatusOK, "services", v)
}

// createService registers a service, then shows the list again.
func (s *server) createService(c echo.Context) error {
	form := assessments.Service{
		Name: c.FormValue("name"), Category: c.FormValue("category"), LifeEvent: c.FormValue("life_event"),
		URL: c.FormValue("url"), Description: c.FormValue("description"),
	}
	_, err := s.store.CreateService(c.Request().Context(), actorOf(c), form)
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		p, err := s.servicesPage(c, form)
		if err != nil {
			return err
		}
		v := s.render.view(c, s.msgs.T(langOf(c), "services.title"), p).withErrors(ve)
		return c.Render(http.StatusUnprocessableEntity, "services", v)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/services?notice=service-added")
}

// notice translates the ?notice= of a redirect after a successful post.
func (s *server) notice(c echo.Context) string {
	key := "notice." + c.QueryParam("notice")
	if c.QueryParam("notice") == "" || !s.msgs.has(key) {
		return ""
	}
	return s.msgs.T(langOf(c), key)
}
