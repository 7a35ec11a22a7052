package main

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
)

// TestApproveAndRevokeAskFirst: approving and revoking show what will
// happen and what comes next, change nothing until confirmed, and then
// lead to where the result is: the assessment with its card, the card.
func TestApproveAndRevokeAskFirst(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	ctx := context.Background()
	id := a.approve(p.actorA, p.actorRev, "Confirmed service", 2026, func(int) int { return 3 }, false)
	rev := a.browser()
	rev.login(p.rev, pw)
	review := fmt.Sprintf("/assessments/%d/review", id)

	resp, body := rev.post(review, url.Values{"decision": {"approve"}, "comment": {"Well supported."}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, a.s.msgs.T("en", "confirm.approve.title")) ||
		!strings.Contains(body, template.HTMLEscapeString(a.s.msgs.T("en", "confirm.approve.next"))) || !strings.Contains(body, `href="`+review+`"`) {
		t.Fatalf("approve without confirming: %d", resp.StatusCode)
	}
	if as, _ := a.s.store.Assessment(ctx, p.actorRev, id); as.Status != assessments.StatusSubmitted {
		t.Fatalf("approved before confirming: %s", as.Status)
	}
	resp, _ = rev.post(review, url.Values{"decision": {"approve"}, "comment": {"Well supported."}, "confirm": {"yes"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != fmt.Sprintf("/assessments/%d?notice=approved", id) {
		t.Fatalf("approve: %d %s", resp.StatusCode, loc)
	}
	rec, err := a.s.store.CardOf(ctx, p.actorRev, id)
	if err != nil {
		t.Fatal(err)
	}
	_, body = rev.get(resp.Header.Get("Location"))
	if !strings.Contains(body, template.HTMLEscapeString(a.s.msgs.T("en", "notice.approved"))) || !strings.Contains(body, `href="/cards/`+rec.ID+`"`) {
		t.Errorf("after approving, the page does not say what the card is and where")
	}

	revoke := "/cards/" + rec.ID + "/revoke"
	if resp, _ := rev.post(revoke, url.Values{"reason": {""}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("revoke without a reason asks instead of refusing: %d", resp.StatusCode)
	}
	resp, body = rev.post(revoke, url.Values{"reason": {"Issued by mistake."}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, a.s.msgs.T("en", "confirm.revoke.title")) || !strings.Contains(body, "Issued by mistake.") {
		t.Fatalf("revoke without confirming: %d", resp.StatusCode)
	}
	if c, _ := a.s.store.Card(ctx, rec.ID); c.RevokedAt != nil {
		t.Fatal("revoked before confirming")
	}
	resp, _ = rev.post(revoke, url.Values{"reason": {"Issued by mistake."}, "confirm": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if c, _ := a.s.store.Card(ctx, rec.ID); c.RevokedAt == nil {
		t.Fatal("not revoked after confirming")
	}
}
