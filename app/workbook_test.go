package main

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
	"github.com/xuri/excelize/v2"
)

// send posts raw bytes with a media type through the API.
func (c *api) send(path, mediaType string, data []byte) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, bytes.NewReader(data))
	req.Header.Set("Content-Type", mediaType)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.String()
}

// fillWorkbook opens an exported workbook, lets fill change it as a
// person in Excel would, and returns the saved file.
func fillWorkbook(t *testing.T, data []byte, fill func(f *excelize.File)) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fill(f)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rowOf finds the row of an indicator in its dimension's sheet by the id
// in the first column, as the import does.
func rowOf(t *testing.T, f *excelize.File, sheet, id string) int {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for r, row := range rows {
		if len(row) > 0 && row[0] == id {
			return r + 1
		}
	}
	t.Fatalf("no row of %s in sheet %s", id, sheet)
	return 0
}

// TestWorkbookRoundTrip: the XLSX export has a sheet per dimension, a row
// per indicator with drop-downs, and a hidden sheet naming the assessment
// and its version, in the user's language; filled in and imported, its
// answers are saved; bad cells are reported by sheet, row and column and
// nothing is saved; a workbook older than the last save is a 409. The
// country's indicators show the coordinator's answer and who gave it,
// read-only; left as they are they import silently, changed they are
// refused at the cell.
func TestWorkbookRoundTrip(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.startAssessment(p.actorA)
	c := a.api(p.a, pw)
	path := fmt.Sprintf("/api/v1/assessments/%d", id)
	ed, _ := a.s.editions.Edition("escap-dmf-dps-sme", "")
	if len(ed.CountryIndicators()) == 0 {
		t.Fatal("the default edition has no country indicators: this test no longer covers them")
	}
	three := 3
	country := assessments.Answers{}
	for _, ind := range ed.CountryIndicators() {
		country[ind.ID] = assessments.Answer{Level: &three, Comment: "national e-ID law of 2021"}
	}
	a.answerCountry(p.actorA.Country, ed, 2026, country)
	if st, _ := c.call(http.MethodPut, path+"/answers", map[string]any{"answers": map[string]any{"STRAT.1": map[string]any{"level": 2}}}); st != http.StatusOK {
		t.Fatalf("save: %d", st)
	}
	resp, data := c.get(path + "/export.xlsx?lang=ru")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != xlsxMIME {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cols := columnsFor(ed)
	answer := func(row int) string { return cellName(cols.Answer, row) }

	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	// Rows are found by indicator id: which row an indicator is on
	// depends on the edition.
	row := func(sheet, id string) int { return rowOf(t, f, sheet, id) }
	strat1, strat2 := row("STRAT", "STRAT.1"), row("STRAT", "STRAT.2")
	serv1, serv2, serv3 := row("SERV", "SERV.1"), row("SERV", "SERV.2"), row("SERV", "SERV.3")
	cInd := ed.CountryIndicators()[0]
	cSheet := ed.Dimensions[0].ID
	for _, d := range ed.Dimensions {
		for _, ind := range d.Indicators {
			if ind.ID == cInd.ID {
				cSheet = d.ID
			}
		}
	}
	cRow := row(cSheet, cInd.ID)
	if v, _ := f.GetCellValue(cSheet, answer(cRow)); v != "3" {
		t.Fatalf("the country's answer is not in its row: %q", v)
	}
	v, err := a.s.store.View(t.Context(), p.actorA, id)
	if err != nil || v.CountryBy == "" {
		t.Fatalf("the view does not say who answered for the country: %v", err)
	}
	if how, _ := f.GetCellValue(cSheet, cellName(cols.How, cRow)); !strings.Contains(how, "координатор") || !strings.Contains(how, v.CountryBy) {
		t.Fatalf("the country's row does not say who answered it: %q", how)
	}
	if dvs, _ := f.GetDataValidations(cSheet); slices.ContainsFunc(dvs, func(dv *excelize.DataValidation) bool { return dv.Sqref == answer(cRow) }) {
		t.Fatal("the country's row has a drop-down, as if it could be changed")
	}
	if styleID, _ := f.GetCellStyle(cSheet, answer(cRow)); styleID != 0 {
		if st, _ := f.GetStyle(styleID); st.Protection != nil && !st.Protection.Locked {
			t.Fatal("the country's answer cell is not locked")
		}
	}
	if styleID, _ := f.GetCellStyle("STRAT", answer(strat1)); styleID != 0 {
		if st, _ := f.GetStyle(styleID); st.Protection == nil || st.Protection.Locked {
			t.Fatal("a service row's answer cell is locked")
		}
	}
	var want []string
	for _, d := range ed.Dimensions {
		want = append(want, d.ID)
	}
	if got := f.GetSheetList(); strings.Join(got, ",") != strings.Join(append(want, infoSheet), ",") {
		t.Fatalf("sheets %v", got)
	}
	if visible, _ := f.GetSheetVisible(infoSheet); visible {
		t.Fatal("the sheet naming the assessment is visible")
	}
	if v, _ := f.GetCellValue("STRAT", answer(strat1)); v != "2" {
		t.Fatalf("the saved level is not in the workbook: %q", v)
	}
	if v, _ := f.GetCellValue("STRAT", cellName(cols.Answer, headerRow)); v != "Ответ" {
		t.Fatalf("the header is not in Russian: %q", v)
	}
	if q, _ := f.GetCellValue("STRAT", cellName(cols.Question, strat1)); q != ed.Dimensions[0].Indicators[slices.IndexFunc(ed.Dimensions[0].Indicators, func(i frameworks.Indicator) bool { return i.ID == "STRAT.1" })].Question.In("ru") {
		t.Fatalf("the question is not in Russian: %q", q)
	}
	dvs, _ := f.GetDataValidations("STRAT")
	if len(dvs) < len(ed.Dimensions[0].Indicators)-1 || !strings.Contains(dvs[0].Formula1, "1,2,3,4,5") {
		t.Fatalf("no level drop-downs: %+v", dvs)
	}
	f.Close()

	// Nothing is saved when any cell is wrong, and each is named.
	bad := fillWorkbook(t, data, func(f *excelize.File) {
		f.SetCellValue("STRAT", answer(strat2), 3) // fine on its own
		f.SetCellValue("STRAT", answer(strat1), 7)
		f.SetCellValue("SERV", answer(serv1), "high")
		f.SetCellValue("SERV", cellName(cols.NA, serv2), "maybe")
		f.SetCellValue("SERV", cellName(cols.Evidence, serv3), "not a link")
		f.SetCellValue(cSheet, answer(cRow), 5) // the coordinator's to answer
	})
	st, body := c.send(path+"/import?lang=ru", xlsxMIME, bad)
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("bad workbook: %d %s", st, body)
	}
	for _, cell := range []string{"STRAT!" + answer(strat1), "SERV!" + answer(serv1), "SERV!" + cellName(cols.NA, serv2), "SERV!" + cellName(cols.Evidence, serv3), cSheet + "!" + answer(cRow)} {
		if !strings.Contains(body, `"`+cell+`"`) {
			t.Errorf("no problem reported at %s: %s", cell, body)
		}
	}
	if !strings.Contains(body, "должен быть уровень от 1 до 5") || !strings.Contains(body, "на этот показатель отвечает координатор за страну в целом") {
		t.Errorf("the problems are not in Russian: %s", body)
	}
	if _, got := c.call(http.MethodGet, path, nil); got["version"].(float64) != 2 {
		t.Fatalf("a refused workbook changed the assessment: version %v", got["version"])
	}

	// A good one saves every answer it carries.
	var naID string
	good := fillWorkbook(t, data, func(f *excelize.File) {
		for _, d := range ed.Dimensions {
			for _, ind := range d.Indicators {
				row := rowOf(t, f, d.ID, ind.ID)
				if ind.CountryScoped() {
					continue // left as exported: the country's answer
				}
				if ind.NotApplicable && naID == "" {
					naID = ind.ID
					f.SetCellValue(d.ID, cellName(cols.NA, row), "да")
					f.SetCellValue(d.ID, cellName(cols.Justification, row), "Не ведём трансграничных услуг.")
					continue
				}
				f.SetCellValue(d.ID, answer(row), 4)
				f.SetCellValue(d.ID, cellName(cols.Comment, row), "Checked with IT, "+ind.ID)
				f.SetCellValue(d.ID, cellName(cols.Evidence, row), "https://example.gov/a\nhttps://example.gov/b")
			}
		}
	})
	st, body = c.send(path+"/import", xlsxMIME, good)
	if st != http.StatusOK {
		t.Fatalf("good workbook: %d %s", st, body)
	}
	_, got := c.call(http.MethodGet, path, nil)
	answers := got["answers"].(map[string]any)
	if len(answers) != ed.IndicatorCount() || answers[cInd.ID].(map[string]any)["level"].(float64) != 3 || answers["STRAT.1"].(map[string]any)["level"].(float64) != 4 ||
		answers[naID].(map[string]any)["na"] != true || len(answers["SERV.1"].(map[string]any)["evidence"].([]any)) != 2 {
		t.Fatalf("imported answers: %v", answers)
	}

	// The first export is now older than the assessment: a stale save.
	stale := fillWorkbook(t, data, func(f *excelize.File) { f.SetCellValue("STRAT", answer(strat1), 1) })
	st, body = c.send(path+"/import", xlsxMIME, stale)
	if st != http.StatusConflict || !strings.Contains(body, "STRAT.1") {
		t.Fatalf("stale workbook: %d %s", st, body)
	}

	// Another assessment's workbook, a JSON file that is no export, and
	// bytes that are no workbook all get one clear message.
	for _, tc := range []struct{ mediaType, body, want string }{
		{xlsxMIME, "PK\x03\x04 broken", "is not a workbook exported from an assessment"},
		{"application/json", "hello", "is not an assessment export file"},
		{"application/json", "true-ish", "is not an assessment export file"},
	} {
		st, body := c.send(path+"/import", tc.mediaType, []byte(tc.body))
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) || strings.Contains(body, "invalid character") {
			t.Errorf("%q: %d %s", tc.body, st, body)
		}
	}
}

// TestWorkbookOnThePage: the overview links the XLSX export, and its
// import form takes the workbook back, showing problems by sheet, row and
// column.
func TestWorkbookOnThePage(t *testing.T) {
	a := newTestApp(t)
	p := a.seedPeople()
	id := a.startAssessment(p.actorA)
	b := a.browser()
	b.login(p.a, pw)
	_, page := b.get(fmt.Sprintf("/assessments/%d", id))
	if !strings.Contains(page, fmt.Sprintf(`href="/assessments/%d/export.xlsx"`, id)) {
		t.Fatal("the overview has no XLSX export link")
	}
	resp, data := b.get(fmt.Sprintf("/assessments/%d/export.xlsx", id))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d", resp.StatusCode)
	}
	ed, _ := a.s.editions.Edition("escap-dmf-dps-sme", "")
	cols := columnsFor(ed)
	upload := func(file []byte) (*http.Response, string) {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.WriteField("_csrf", b.csrf())
		part, _ := w.CreateFormFile("file", "answers.xlsx")
		part.Write(file)
		w.Close()
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/assessments/%d/import", b.base, id), &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		return b.do(req)
	}
	serv2 := 0
	fillWorkbook(t, []byte(data), func(f *excelize.File) { serv2 = rowOf(t, f, "SERV", "SERV.2") })
	bad := fillWorkbook(t, []byte(data), func(f *excelize.File) { f.SetCellValue("SERV", cellName(cols.Answer, serv2), "9") })
	resp, page = upload(bad)
	want := fmt.Sprintf("Sheet SERV, row %d, column %s", serv2, strings.TrimRight(cellName(cols.Answer, 1), "1"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, want) {
		t.Fatalf("bad workbook on the page: %d, no %q", resp.StatusCode, want)
	}
	good := fillWorkbook(t, []byte(data), func(f *excelize.File) { f.SetCellValue("SERV", cellName(cols.Answer, serv2), 3) })
	if resp, _ := upload(good); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("good workbook on the page: %d", resp.StatusCode)
	}
	v, err := a.s.store.View(t.Context(), p.actorA, id)
	if err != nil || v.Answers["SERV.2"].Level == nil || *v.Answers["SERV.2"].Level != 3 {
		t.Fatalf("the page's import did not save: %v", err)
	}
}
