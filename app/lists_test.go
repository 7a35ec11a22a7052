package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
)

// get sends an authorised GET and returns the response with its body.
func (c *api) get(path string) (*http.Response, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// TestListsPageOverHTTP: more assessments than fit a page are all reachable
// through the API's pages and the pages' links; search and sort work;
// a sort outside the whitelist or a page that is not a number is a 422.
func TestListsPageOverHTTP(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	ctx := context.Background()
	for i := range 61 {
		svc, err := a.s.store.CreateService(ctx, p.actorA, assessments.Service{Name: fmt.Sprintf("Service %02d", i), Category: "tax"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.s.store.CreateAssessment(ctx, p.actorA, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: "escap-dmf-dps-sme", Period: 2026}); err != nil {
			t.Fatal(err)
		}
	}
	rev := a.api(p.rev, pw)
	seen := map[float64]bool{}
	next := "/api/v1/assessments?limit=25&sort=service"
	for pages := 0; next != ""; pages++ {
		resp, body := rev.get(next)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Total-Count") != "61" {
			t.Fatalf("%s: %d, total %q", next, resp.StatusCode, resp.Header.Get("X-Total-Count"))
		}
		var list []map[string]any
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatal(err)
		}
		for _, it := range list {
			seen[it["id"].(float64)] = true
		}
		next = ""
		for _, l := range strings.Split(resp.Header.Get("Link"), ",") {
			if strings.Contains(l, `rel="next"`) {
				next = strings.TrimPrefix(strings.TrimSpace(l[:strings.Index(l, ">")]), "<")
			}
		}
		if pages > 5 {
			t.Fatal("the next links never end")
		}
	}
	if len(seen) != 61 {
		t.Fatalf("the pages hold %d of 61 assessments", len(seen))
	}
	resp, body := rev.get("/api/v1/assessments?q=service+07")
	if resp.Header.Get("X-Total-Count") != "1" || !strings.Contains(string(body), "Service 07") {
		t.Fatalf("search: %s %s", resp.Header.Get("X-Total-Count"), body)
	}
	for _, bad := range []string{"sort=password_hash", "page=x", "limit=100000"} {
		resp, body := rev.get("/api/v1/assessments?" + bad)
		field := strings.SplitN(bad, "=", 2)[0]
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"`+field+`"`) {
			t.Errorf("%s: %d %.300s", bad, resp.StatusCode, body)
		}
	}

	b := a.browser()
	b.login(p.rev, pw)
	_, page := b.get("/review?status=&sort=service")
	if !strings.Contains(page, "Page 1 of 2 · 61 in all") || !strings.Contains(page, `rel="next"`) || strings.Contains(page, "Service 55") {
		t.Fatalf("review queue, page 1: no position, no next link, or too many rows")
	}
	_, page = b.get("/review?status=&sort=service&page=2")
	if !strings.Contains(page, "Service 55") || !strings.Contains(page, `rel="prev"`) {
		t.Fatal("review queue, page 2 does not show the rest")
	}
	_, page = b.get("/assessments?q=Service+60")
	if !strings.Contains(page, "Service 60") || strings.Contains(page, "Service 59") {
		t.Fatal("the assessments page does not search")
	}
	adm := a.browser()
	adm.login(p.adm, pw)
	_, page = adm.get("/admin/users?q=tax.uz")
	if !strings.Contains(page, `role="search"`) || !strings.Contains(page, `value="tax.uz"`) || !strings.Contains(page, "Page 1 of 1 · 1 in all") {
		t.Fatal("the users page has no search bar keeping the search, or no position")
	}
	if !strings.Contains(page, "b@tax.uz") || strings.Contains(page, "a@justice.kz</th>") {
		t.Fatal("the users page does not search")
	}
	_, page = adm.get("/admin/organisations?sort=-name")
	if strings.Index(page, "Tax Committee") > strings.Index(page, "Ministry of Justice") {
		t.Fatal("organisations are not sorted by name descending")
	}
	if resp, _ := adm.get("/admin/organisations?sort=password_hash"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a sort outside the whitelist: %d", resp.StatusCode)
	}
}

// TestAuditLogReadable: the audit page names who did what in words, in
// the user's language, filters by actor, action and date, and its CSV
// keeps the raw ids beside the names.
func TestAuditLogReadable(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	a.startAssessment(p.actorA)
	b := a.browser()
	b.login(p.adm, pw)
	_, page := b.get("/admin/audit?actor=justice.kz&action=service.created")
	if !strings.Contains(page, "<td>Service registered</td>") || !strings.Contains(page, "a@justice.kz") || strings.Contains(page, "<td>Assessment started</td>") {
		t.Fatalf("audit page by actor and action:\n%s", page)
	}
	_, page = b.get("/admin/audit?from=2000-01-01&to=2000-12-31")
	if !strings.Contains(page, "0 entries") {
		t.Fatal("a date range before everything still lists entries")
	}
	if resp, _ := b.get("/admin/audit?from=yesterday"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a bad date: %d", resp.StatusCode)
	}
	resp, body := b.get("/admin/audit.csv?action=assessment.created")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || resp.StatusCode != http.StatusOK || len(rows) != 2 {
		t.Fatalf("CSV: %d %v %v", resp.StatusCode, err, rows)
	}
	head, row := strings.Join(rows[0], ","), rows[1]
	if !strings.HasPrefix(head, "id,at,actor_id,actor_email,actor_name,action,action_text,target_type,target_id,target_name") ||
		row[2] != fmt.Sprint(p.actorA.UserID) || row[3] != p.a || row[5] != "assessment.created" || row[6] != "Assessment started" || row[7] != "assessment" {
		t.Fatalf("CSV row: %v / %v", rows[0], row)
	}
	b.get("/lang/ru?next=/")
	_, page = b.get("/admin/audit")
	if !strings.Contains(page, "Зарегистрирована услуга") || !strings.Contains(page, "Страница 1 из 1") {
		t.Fatal("the audit page is not in Russian")
	}
}
