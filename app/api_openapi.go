package main

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPI is the contract of the JSON API, an OpenAPI 3.1 document kept
// beside the routes: TestOpenAPICoversEveryRoute fails when a route under
// /api/v1 is missing from it or it names one that does not exist.
//
//go:embed openapi.json
var openAPI []byte

// apiOpenAPI serves the API's contract, to people and to client generators.
func (s *server) apiOpenAPI(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPI)
}
