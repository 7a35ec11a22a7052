package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
)

// journeyText is what the people of a journey type in their language.
type journeyText struct {
	service, comment, note string
}

var journeyWords = map[string]journeyText{
	"en": {"Online company registration", "Add evidence.", "No e-signature yet?"},
	"fr": {"Immatriculation des sociétés en ligne", "Ajoutez des justificatifs.", "Pas encore de signature électronique ?"},
	"zh": {"企业在线登记", "请补充证明材料。", "还没有电子签名吗？"},
}

// journeyData is what a page may show in another language because a
// person typed or configured it: every journey's words (the English
// journey's service is in the same respondent's lists), the fixture's
// organisations, service and user names, and the issuer's and the sign-in
// provider's names (settings).
func (b *browserSuite) journeyData() []string {
	out := []string{"Ministry of Justice", "Tax Committee", "Digital development office", "Business registration", "reviewer", "admin",
		b.a.s.issuer.Name, "Government ID"}
	for _, w := range journeyWords {
		out = append(out, w.service, w.comment, w.note)
	}
	return out
}

// pageTextsJS lists every text a person meets on the page, with the
// language it is marked as: text nodes (hidden ones too: a closed
// <details> or a status shown later is still read), the labels screen
// readers announce, and the title. Code, commands and identifiers in
// <code>, <pre>, <kbd> and <samp> are not words, and what a <textarea>
// holds is what the person typed or pasted (a card on /verify).
const pageTextsJS = `(() => {
	const out = [], langOf = e => (e && e.closest('[lang]')?.getAttribute('lang')) || '';
	const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n; (n = w.nextNode()); ) {
		const e = n.parentElement;
		if (!e || e.closest('script,style,template,code,pre,kbd,samp,textarea')) continue;
		const s = n.textContent.replace(/\s+/g, ' ').trim();
		if (s) out.push({text: s, lang: langOf(e)});
	}
	for (const e of document.querySelectorAll('[alt],[aria-label],[title],[placeholder],input[type=submit],input[type=button]'))
		for (const a of ['alt', 'aria-label', 'title', 'placeholder', 'value']) {
			if (a === 'value' && e.tagName !== 'INPUT') continue;
			const s = (e.getAttribute(a) || '').trim();
			if (s) out.push({text: s, lang: langOf(e)});
		}
	out.push({text: document.title, lang: document.documentElement.lang});
	return out;
})()`

type pageText struct {
	Text string `json:"text"`
	Lang string `json:"lang"`
}

// englishWords are words that are English and not French: one of them on a
// French page is an untranslated text. (Words both languages spell alike —
// service, dimension, version, actions, score, page, public, question,
// comment, change, organisation, on, or — are left out.)
var englishWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`the and of to your you with this that is are not for from by be was were has have had
		will can all what how who which when where there here sign save saved submit submitted answer answered answers
		assessment assessments review reviewer reviewers card cards level levels overall country countries
		organization search next previous back home help account password email download
		print verify valid invalid framework edition indicator indicators step result results issuer revoked approved
		returned draft none yes no only more less than then after before while should must may need needs please
		comments evidence chart private show hide open close changed`) {
		englishWords[w] = true
	}
}

var (
	latinWord = regexp.MustCompile(`\p{Latin}[\p{Latin}'’]*`)
	// Not words: addresses, paths, file names, identifiers with digits,
	// dots or hyphens (SERV.2, eddsa-jcs-2022, card.json) and acronyms
	// (DMF, JSON, API, XLSX, PDF, DID, UTC, W3C).
	notWords = regexp.MustCompile(`https?://\S+|\S+@\S+|(^|\s)/\S+|\S*[\d._/-]\S*|\b\p{Lu}{2,}\d*\b`)
	// Names every language writes the same way: products, protocols, the
	// W3C standard "Verifiable Credentials", and "apostille", the Hague
	// Convention's term, which the Chinese edition gives as a gloss.
	properNames = map[string]bool{"excel": true, "openapi": true, "http": true, "https": true,
		"verifiable": true, "credentials": true, "apostille": true,
		// The second-factor page names the apps to install and JavaScript.
		"javascript": true, "freeotp": true, "google": true, "microsoft": true, "authenticator": true}
)

// checkNoEnglish fails the test for every text on the page, in the page's
// language, that is English: an interface text left untranslated (it
// equals an English catalogue text whose translation differs), or, in
// French, a text with English words, in Chinese, with Latin words that are
// not names, codes or acronyms. Texts people typed (data) and texts marked
// as another language (the language switch's own names) are left out.
func (b *browserSuite) checkNoEnglish(tb *tab, lang string, data ...string) {
	tb.t.Helper()
	english := map[string]string{} // English text → key
	for k, v := range b.a.s.msgs.msgs["en"] {
		if !strings.Contains(v, "%") {
			english[v] = k
		}
	}
	seen := map[string]bool{}
	for _, pt := range js[[]pageText](tb, pageTextsJS) {
		if pt.Lang != "" && pt.Lang != lang || seen[pt.Text] {
			continue
		}
		seen[pt.Text] = true
		if k, ok := english[pt.Text]; ok && b.a.s.msgs.T(lang, k) != pt.Text {
			tb.t.Errorf("%s on %s: untranslated %s text %q", lang, tb.path(), k, pt.Text)
			continue
		}
		s := pt.Text
		for _, d := range data {
			s = strings.ReplaceAll(s, d, " ")
		}
		s = notWords.ReplaceAllString(s, " ")
		var bad []string
		for _, w := range latinWord.FindAllString(s, -1) {
			lw := strings.ToLower(w)
			switch {
			case properNames[lw]:
			case lang == "zh" && len([]rune(w)) >= 2:
				bad = append(bad, w)
			case lang == "fr" && englishWords[lw]:
				bad = append(bad, w)
			}
		}
		if len(bad) > 0 {
			tb.t.Errorf("%s on %s: English words %v in %q", lang, tb.path(), bad, pt.Text)
		}
	}
}

// glyphsJS draws each Han character of the page's main heading and body
// text in the page's own font on a canvas, and compares the pictures with
// what an unassigned code point draws (the .notdef "tofu" box): a missing
// Chinese font draws every character as that same box. It returns how many
// characters were drawn, how many look like .notdef, and how many distinct
// pictures they made.
const glyphsJS = `(() => {
	const h = document.querySelector('main h1') || document.body, cs = getComputedStyle(h);
	const c = document.createElement('canvas'); c.width = c.height = 64;
	const g = c.getContext('2d', {willReadFrequently: true});
	g.font = cs.fontWeight + ' 40px ' + cs.fontFamily;
	const draw = ch => { g.clearRect(0, 0, 64, 64); g.fillText(ch, 8, 48); return Array.from(g.getImageData(0, 0, 64, 64).data).join(); };
	const notdef = draw('\u{10FFFD}');
	const han = [...new Set(Array.from(h.textContent + document.body.innerText).filter(ch => /\p{Script=Han}/u.test(ch)))].slice(0, 24);
	const pics = han.map(draw);
	return {drawn: han.length, tofu: pics.filter(p => p === notdef).length, distinct: new Set(pics).size,
		fontsReady: document.fonts.status, family: cs.fontFamily};
})()`

type glyphReport struct {
	Drawn      int    `json:"drawn"`
	Tofu       int    `json:"tofu"`
	Distinct   int    `json:"distinct"`
	FontsReady string `json:"fontsReady"`
	Family     string `json:"family"`
}

// testChineseGlyphs: Chinese pages, their chart and the printed card draw
// real glyphs, not tofu boxes, on screen and in print; the card and the
// result are saved as screenshots in Chinese to look at.
func (b *browserSuite) testChineseGlyphs(t *testing.T) {
	// Without any font for Chinese the check below must fail; say why at
	// once (where fontconfig can tell), or skip outside CI.
	if out, err := exec.Command("fc-list", ":lang=zh").Output(); err == nil && len(bytes.TrimSpace(out)) == 0 {
		needs(t, "font with Chinese glyphs", "apt-get install fonts-noto-cjk")
	}
	st := b.a.s.store
	id := b.a.approve(b.p.actorA, b.p.actorRev, "企业在线登记（字形检查）", 2024, func(i int) int { return 1 + i%5 }, true)
	rec, err := st.CardOf(t.Context(), b.p.actorA, id)
	if err != nil {
		t.Fatal(err)
	}
	tb := b.newTab(t, "respondent")
	b.signIn(tb, b.p.a)
	tb.switchLang("zh")
	for _, p := range []string{"/", fmt.Sprintf("/assessments/%d/result", id), "/cards/" + rec.ID, fmt.Sprintf("/assessments/%d/report", id)} {
		tb.openOK(p)
		for _, media := range []string{"screen", "print"} {
			call(tb, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
			g := js[glyphReport](tb, glyphsJS)
			if g.Drawn < 4 || g.Tofu > 0 || g.Distinct < g.Drawn {
				t.Errorf("%s (%s): %d Chinese characters drawn, %d as tofu boxes, %d distinct, in %s: is a Chinese font installed (fonts-noto-cjk)?",
					p, media, g.Drawn, g.Tofu, g.Distinct, g.Family)
			}
		}
		call(tb, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
	}
	tb.openOK("/cards/" + rec.ID)
	tb.screenshot(b.shotDir(t), "zh-card", 1)
	tb.openOK(fmt.Sprintf("/assessments/%d/result", id))
	tb.screenshot(b.shotDir(t), "zh-result", 0.5)
}
