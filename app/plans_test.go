package main

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func dueNextYear() string { return time.Now().UTC().AddDate(1, 0, 0).Format("2006-01-02") }

// TestPlanAPI: the plan's rules as API clients meet them.
func TestPlanAPI(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.approve(p.actorA, p.actorRev, "Company register", 2025, func(int) int { return 2 }, true)
	path := "/api/v1/assessments/" + strconv.Itoa(int(id)) + "/plan"
	owner, other, rev := a.api(p.a, pw), a.api(p.b, pw), a.api(p.rev, pw)

	if st, body := owner.call("GET", path, nil); st != http.StatusOK || len(body["items"].([]any)) != 0 || body["editable"] != true {
		t.Fatalf("empty plan: %d %v", st, body)
	}
	good := map[string]any{"indicator": "SERV.1", "target_level": 4, "actions": "One login for every form", "owner": "CIO office", "due": dueNextYear()}
	st, body := owner.call("PUT", path, map[string]any{"items": []any{good}})
	if st != http.StatusOK {
		t.Fatalf("save: %d %v", st, body)
	}
	item := body["items"].([]any)[0].(map[string]any)
	if item["current_level"] != 2.0 || item["target_level"] != 4.0 || item["due"] != good["due"] {
		t.Errorf("saved item: %v", item)
	}
	// 422 names the item and the field; nothing saved is lost.
	st, body = owner.call("PUT", path, map[string]any{"items": []any{
		map[string]any{"indicator": "SERV.2", "target_level": 2, "actions": "x", "due": dueNextYear()},
		map[string]any{"indicator": "SERV.3", "target_level": 3, "actions": "x", "due": "2001-01-01"},
		map[string]any{"indicator": "SERV.4", "target_level": 9, "actions": "x", "due": dueNextYear()},
	}})
	fields, _ := body["error"].(map[string]any)["fields"].(map[string]any)
	if st != http.StatusUnprocessableEntity || fields["items[0].target_level"] == nil || fields["items[1].due"] == nil || fields["items[2].target_level"] == nil {
		t.Errorf("bad plan: %d %v", st, body)
	}
	if _, body := rev.call("GET", path, nil); len(body["items"].([]any)) != 1 || body["editable"] != false {
		t.Errorf("the reviewer reads the saved plan: %v", body)
	}
	if st, _ := rev.call("PUT", path, map[string]any{"items": []any{}}); st != http.StatusForbidden {
		t.Errorf("reviewer writes: %d", st)
	}
	if st, _ := other.call("GET", path, nil); st != http.StatusNotFound {
		t.Errorf("another organisation reads: %d", st)
	}
	if st, _ := other.call("PUT", path, map[string]any{"items": []any{}}); st != http.StatusNotFound {
		t.Errorf("another organisation writes: %d", st)
	}
	if st, body := owner.call("PUT", path, `{"items":[{"indicator":"SERV.1","target_level":"high"}]}`); st != http.StatusUnprocessableEntity {
		t.Errorf("a level as text: %d %v", st, body)
	}
}

// TestPlanPages: the plan form works without JavaScript, a refused plan
// comes back as sent with its problems, the report prints the plan,
// reviewers read it, and next year's result shows what was reached.
func TestPlanPages(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.approve(p.actorA, p.actorRev, "Company register", 2025, func(int) int { return 2 }, true)
	base := "/assessments/" + strconv.Itoa(int(id))
	b := a.browser()
	b.login(p.a, pw)
	if resp, body := b.get(base + "/result"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="plan.0.indicator"`) {
		t.Fatalf("result page has no plan form: %d", resp.StatusCode)
	}
	form := url.Values{
		"plan.0.indicator": {"SERV.1"}, "plan.0.target_level": {"4"}, "plan.0.actions": {"One login for every form"},
		"plan.0.owner": {"CIO office"}, "plan.0.due": {"2001-02-03"},
		"plan.1.indicator": {""}, "plan.1.target_level": {"1"}, // a blank row
	}
	resp, body := b.post(base+"/plan", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-plan-0-due-error"`) || !strings.Contains(body, "One login for every form") {
		t.Fatalf("refused plan: %d", resp.StatusCode)
	}
	form.Set("plan.0.due", dueNextYear())
	if resp, _ := b.post(base+"/plan", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save plan: %d", resp.StatusCode)
	}
	if _, body := b.get(base + "/report"); !strings.Contains(body, "One login for every form") || !strings.Contains(body, "CIO office") {
		t.Error("the report does not print the plan")
	}
	rev := a.browser()
	rev.login(p.rev, pw)
	if _, body := rev.get(base + "/result"); !strings.Contains(body, "One login for every form") || strings.Contains(body, `name="plan.0.indicator"`) {
		t.Error("the reviewer should read the plan, without a form")
	}

	// Next year: SERV.1 reached 4 (target 4: reached).
	next := a.approve(p.actorA, p.actorRev, "Company register", 2026, func(i int) int { return 4 }, false)
	_, body = b.get("/assessments/" + strconv.Itoa(int(next)) + "/result")
	if !strings.Contains(body, "Targets set in 2025") || !strings.Contains(body, ">reached<") || !strings.Contains(body, "&#43;2") {
		i := strings.Index(body, "carried-h")
		t.Errorf("next year's result does not show the plan's progress: %q", body[max(0, i):min(len(body), max(0, i)+3000)])
	}
}
