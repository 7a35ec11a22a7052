package main

import (
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"
)

// Steps that cannot be taken back by the one who takes them (submit,
// approve, return, revoke) ask first. The step's form posts without
// confirm=yes; once the input is checked the server answers with a page
// that says what will happen and what comes next, and carries the posted
// fields on to the same address with confirm=yes. No script needed.

// confirmPage is the question asked before a step.
type confirmPage struct {
	Title  string   // translated: "Submit this assessment for review?"
	Lead   string   // translated: what the step does
	Next   string   // translated: what happens after it
	Quote  string   // the user's own words going with the step, if any
	Action string   // where the form posts
	Button string   // translated label of the confirm button
	Cancel string   // where "cancel" leads
	Fields []hidden // the posted fields, carried on
}

type hidden struct{ Name, Value string }

// confirmed reports whether the step's form comes from its confirm page.
func confirmed(c echo.Context) bool { return c.FormValue("confirm") == "yes" }

// askConfirm renders the confirm page of a step with the posted form.
func (s *server) askConfirm(c echo.Context, p *confirmPage) error {
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the form could not be read")
	}
	names := make([]string, 0, len(form))
	for name := range form {
		if name != "_csrf" && name != "confirm" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range form[name] {
			p.Fields = append(p.Fields, hidden{name, v})
		}
	}
	return c.Render(http.StatusOK, "confirm", s.render.view(c, p.Title, p))
}
