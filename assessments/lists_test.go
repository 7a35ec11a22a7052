package assessments_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/unescap/dmf/assessments"
)

// TestListsPageSearchAndSort: a list longer than a page comes in pages
// that together hold every row once; search and sort narrow and order it;
// a sort outside the whitelist is refused, naming the field.
func TestListsPageSearchAndSort(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for i := range 23 {
		name := fmt.Sprintf("Licence %02d", i)
		if i%2 == 1 {
			name = fmt.Sprintf("Permit 100%% %02d", i)
		}
		svc, err := w.s.CreateService(ctx, w.a, assessments.Service{Name: name, Category: "licensing"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.CreateAssessment(ctx, w.a, assessments.NewAssessment{ServiceID: svc.ID, FrameworkID: w.ed.ID, Period: 2026}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[uint]bool{}
	var total int64
	for page := 1; ; page++ {
		p, err := w.s.AssessmentPage(ctx, w.rev, assessments.Filter{}, assessments.ListQuery{Page: page, Limit: 10, Sort: "service"})
		if err != nil {
			t.Fatal(err)
		}
		total = p.Total
		for _, a := range p.Items {
			if seen[a.ID] {
				t.Fatalf("assessment %d on two pages", a.ID)
			}
			seen[a.ID] = true
			if a.Service.Name == "" {
				t.Fatal("a listed assessment comes without its service")
			}
		}
		if !p.HasNext() {
			if page != 3 {
				t.Fatalf("%d pages for 23 rows of 10", page)
			}
			break
		}
	}
	if total != 23 || len(seen) != 23 {
		t.Fatalf("total %d, seen %d; want 23", total, len(seen))
	}

	p, err := w.s.AssessmentPage(ctx, w.rev, assessments.Filter{}, assessments.ListQuery{Q: "100%", Sort: "-service"})
	if err != nil || p.Total != 11 || p.Items[0].Service.Name != "Permit 100% 21" {
		t.Fatalf("search for a literal %%: %v %+v", err, p)
	}
	p, _ = w.s.AssessmentPage(ctx, w.rev, assessments.Filter{}, assessments.ListQuery{Q: "ministry of JUSTICE"})
	if p.Total != 23 {
		t.Fatalf("search by organisation name found %d", p.Total)
	}
	if p, _ := w.s.AssessmentPage(ctx, w.b, assessments.Filter{}, assessments.ListQuery{}); p.Total != 0 {
		t.Fatalf("another organisation's respondent sees %d assessments", p.Total)
	}

	for _, q := range []assessments.ListQuery{{Sort: "name; DROP TABLE users"}, {Limit: 100000}, {Page: -1}} {
		_, err := w.s.AssessmentPage(ctx, w.rev, assessments.Filter{}, q)
		var ve *assessments.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("%+v: %v, want a validation error", q, err)
		}
	}

	us, err := w.s.UserPage(ctx, w.admin, assessments.ListQuery{Q: "ESCAP.org", Sort: "-email"})
	if err != nil || us.Total != 2 || us.Items[0].Email != "reviewer@escap.org" {
		t.Fatalf("users: %v %+v", err, us)
	}
	if _, err := w.s.UserPage(ctx, w.rev, assessments.ListQuery{}); !errors.Is(err, assessments.ErrForbidden) {
		t.Fatalf("a reviewer lists users: %v", err)
	}
	os, err := w.s.OrganisationPage(ctx, w.admin, assessments.ListQuery{Q: "uzb"})
	if err != nil || os.Total != 1 || os.Items[0].Name != "Tax Committee" {
		t.Fatalf("organisations: %v %+v", err, os)
	}
	ss, err := w.s.ServicePage(ctx, w.a, assessments.ListQuery{Q: "permit", Limit: 5, Page: 3})
	if err != nil || ss.Total != 11 || len(ss.Items) != 1 || ss.Pages() != 3 {
		t.Fatalf("services: %v %+v", err, ss)
	}
}

// TestAuditPageNamesAndFilters: the audit log names actors and targets,
// and filters by actor, action, target and date.
func TestAuditPageNamesAndFilters(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.draft(t)
	p, err := w.s.AuditPage(ctx, w.admin, assessments.AuditFilter{Actor: "justice.kz"}, assessments.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 2 { // the service and the assessment
		t.Fatalf("%d events by a@justice.kz", p.Total)
	}
	e := p.Items[0]
	if e.Action != "assessment.created" || e.ActorEmail != "a@justice.kz" || e.TargetName != "Business registration, 2026" {
		t.Fatalf("newest entry: %+v", e)
	}
	p, _ = w.s.AuditPage(ctx, w.admin, assessments.AuditFilter{Action: "user.created", TargetType: "user"}, assessments.ListQuery{Sort: "at"})
	if p.Total != 4 || p.Items[0].TargetName != "a@justice.kz" {
		t.Fatalf("user.created: %+v", p)
	}
	p, _ = w.s.AuditPage(ctx, w.admin, assessments.AuditFilter{From: time.Now().Add(time.Hour)}, assessments.ListQuery{})
	if p.Total != 0 {
		t.Fatalf("%d events from the future", p.Total)
	}
	p, _ = w.s.AuditPage(ctx, w.admin, assessments.AuditFilter{To: time.Now().Add(time.Hour)}, assessments.ListQuery{Limit: 3})
	if p.Total < 8 || len(p.Items) != 3 {
		t.Fatalf("events until now: %+v", p)
	}
	if _, err := w.s.AuditPage(ctx, w.rev, assessments.AuditFilter{}, assessments.ListQuery{}); !errors.Is(err, assessments.ErrForbidden) {
		t.Fatalf("a reviewer reads the audit log: %v", err)
	}
}
