package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// testWorkbookRoundTrip: in the browser, the overview's XLSX link gives
// the workbook; filled in (as a colleague would in Excel) and chosen in
// the import form, its answers are saved and the overview says so.
func (b *browserSuite) testWorkbookRoundTrip(t *testing.T) {
	id := b.draft(t, "Workbook service")
	r := b.newTab(t, "respondent")
	b.signIn(r, b.p.a)
	overview := fmt.Sprintf("/assessments/%d", id)
	r.openOK(overview)
	// The download as the browser fetches it, with the session's cookie.
	enc := js[string](r, `(async () => {
		const href = document.querySelector('a[href$="/export.xlsx"]').getAttribute('href');
		const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
		let s = ''; for (const x of bytes) s += String.fromCharCode(x);
		return btoa(s);
	})()`)
	data, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		t.Fatal(err)
	}
	ed, _ := b.a.s.editions.Edition("escap-dmf-dps-sme", "")
	cols := columnsFor(ed)
	filled := fillWorkbook(t, data, func(f *excelize.File) {
		for _, ind := range ed.Dimensions[1].Indicators {
			if !ind.CountryScoped() {
				f.SetCellValue(ed.Dimensions[1].ID, cellName(cols.Answer, rowOf(t, f, ed.Dimensions[1].ID, ind.ID)), 2)
			}
		}
	})
	file := filepath.Join(t.TempDir(), "answers.xlsx")
	if err := os.WriteFile(file, filled, 0o600); err != nil {
		t.Fatal(err)
	}
	r.do(chromedp.SetUploadFiles(chromedp.CSS(`form[action$="/import"] input[type=file]`), []string{file}))
	r.click(`form[action$="/import"] button[type=submit]`)
	if got := r.path(); got != overview+"?notice=imported" {
		t.Fatalf("after importing the workbook: %s", got)
	}
	for _, ind := range ed.Dimensions[1].Indicators {
		if ind.CountryScoped() {
			continue
		}
		if got := b.savedLevel(t, id, ind.ID); got != 2 {
			t.Errorf("%s saved as level %d, want 2", ind.ID, got)
		}
	}
}
