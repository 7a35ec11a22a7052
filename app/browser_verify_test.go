package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// testVerifyStates opens each state of the verify page (valid, tampered,
// revoked, not a card, unknown id) in English and Russian: its verdict is
// said in words, axe-core finds nothing, nothing scrolls sideways at
// 375 px, and each is saved as a screenshot at 1280 and 375 px.
func (b *browserSuite) testVerifyStates(t *testing.T) {
	ctx := context.Background()
	a, p := b.a, b.p
	card := func(name string) string {
		id := a.approve(p.actorA, p.actorRev, name, 2026, func(i int) int { return 1 + i%5 }, true)
		rec, err := a.s.store.CardOf(ctx, p.actorA, id)
		if err != nil {
			t.Fatal(err)
		}
		return rec.ID
	}
	valid, revoked := card("Verify: land registry"), card("Verify: import licences")
	if _, err := a.s.store.Revoke(ctx, p.actorRev, revoked, "scores corrected after an appeal"); err != nil {
		t.Fatal(err)
	}
	rec, _ := a.s.store.Card(ctx, valid)
	paste := func(text string) func(tb *tab) {
		return func(tb *tab) {
			q, _ := json.Marshal(text)
			tb.follow(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
				const f = document.querySelector('form[action="/verify"]');
				f.elements.card.value = %s;
				f.submit();
			})()`, q)))
		}
	}
	states := []struct {
		name   string
		path   string
		act    func(tb *tab)
		status int64
		class  string
	}{
		{"valid", "/verify?card=" + valid, nil, 200, "verdict-ok"},
		{"tampered", "/verify", paste(strings.Replace(string(rec.Data), `"period":2026`, `"period":2027`, 1)), 200, "verdict-bad"},
		{"revoked", "/verify?card=" + revoked, nil, 200, "verdict-revoked"},
		{"not-a-card", "/verify", paste("hello"), 200, "verdict-bad"},
		{"unknown-id", "/verify?card=does-not-exist", nil, 404, "verdict-bad"},
	}
	tb := b.newTab(t, "visitor")
	for _, lang := range languages {
		t.Run(lang, func(t *testing.T) {
			tb.t = t
			tb.openOK("/verify")
			if tb.lang() != lang {
				tb.switchLang(lang)
			}
			for _, st := range states {
				name := fmt.Sprintf("verify %s (%s)", st.name, lang)
				status := tb.open(st.path)
				if st.act != nil {
					st.act(tb)
					status = js[int64](tb, `performance.getEntriesByType('navigation')[0]?.responseStatus ?? 0`)
				}
				if status != st.status {
					t.Errorf("%s: status %d, want %d", name, status, st.status)
				}
				verdict := js[string](tb, `document.querySelector('.verdict.`+st.class+`[role="status"] h2')?.innerText ?? ''`)
				// Ten columns of text, a Chinese character counting two:
				// words, not only an icon.
				if textColumns(strings.TrimSpace(verdict)) < 10 {
					t.Errorf("%s: no %s verdict in words: %q", name, st.class, verdict)
				}
				// axe, no sideways scrolling, the header, and a screenshot,
				// at 1280 and 375 px.
				b.checkViews(tb, name, fmt.Sprintf("verify-%s-%s", st.name, lang))
			}
		})
	}
}
