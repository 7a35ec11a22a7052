package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPICoversEveryRoute: the served contract is JSON of OpenAPI 3.1,
// public and readable from any origin, and it lists exactly the routes
// Echo has under /api/v1 (method and path), each with its responses, so
// that it cannot drift from the code.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	a := newTestApp(t)
	rec := a.get("/api/v1/openapi.json")
	if rec.Code != http.StatusOK || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("GET /api/v1/openapi.json: %d, CORS %q", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi: %q, want 3.1.x", doc.OpenAPI)
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	var routes []string
	for _, r := range a.e.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Path == "/api/v1/*" || r.Method == "HEAD" {
			continue // the catch-all answers 404 for every path Echo does not know
		}
		routes = append(routes, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
			var o struct {
				Summary   string                     `json:"summary"`
				Responses map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(op, &o); err != nil || o.Summary == "" || len(o.Responses) == 0 {
				t.Errorf("%s %s: no summary or responses (%v)", method, path, err)
			}
		}
	}
	for _, r := range routes {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in app/openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("app/openapi.json documents %s, which is not a route", d)
		}
	}
	if !strings.Contains(rec.Body.String(), `"#/components/schemas/Error"`) {
		t.Error("the error shape is not described")
	}
	// People find it from every page.
	if home := a.get("/"); !strings.Contains(home.Body.String(), `href="/api/v1/openapi.json"`) {
		t.Error("the home page does not link the API contract")
	}
	// Every reference names something the document defines.
	var all map[string]any
	json.Unmarshal(rec.Body.Bytes(), &all)
	for _, m := range regexp.MustCompile(`"\$ref": ?"#/components/([a-zA-Z]+)/([a-zA-Z]+)"`).FindAllStringSubmatch(rec.Body.String(), -1) {
		kind, _ := all["components"].(map[string]any)[m[1]].(map[string]any)
		if _, ok := kind[m[2]]; !ok {
			t.Errorf("$ref to %s/%s, which is not defined", m[1], m[2])
		}
	}
}
