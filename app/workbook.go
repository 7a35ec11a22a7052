package main

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
	"github.com/xuri/excelize/v2"
)

// An assessment as an XLSX workbook, for officials who gather answers
// from colleagues in spreadsheets: one sheet per dimension (named by the
// dimension's id, so that it reads back in any language), one row per
// indicator, and a hidden sheet that says which assessment, edition and
// version the workbook was exported from.

const (
	xlsxMIME       = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	workbookFormat = "dmf-assessment-xlsx/1"
	infoSheet      = "dmf"
	headerRow      = 2 // row 1 is the dimension's title
	firstRow       = 3
)

// workbookColumns are the 1-based columns of a dimension sheet for an
// edition with levels levels.
type workbookColumns struct {
	ID, Question, How, FirstLevel, Answer, NA, Justification, Comment, Evidence int
}

func columnsFor(ed *frameworks.Edition) workbookColumns {
	n := len(ed.Levels)
	c := workbookColumns{ID: 1, Question: 2, How: 3, FirstLevel: 4}
	c.Answer = c.FirstLevel + n
	c.NA, c.Justification, c.Comment, c.Evidence = c.Answer+1, c.Answer+2, c.Answer+3, c.Answer+4
	return c
}

func cellName(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col, row)
	return name
}

// assessmentWorkbook writes the workbook of an assessment in lang.
func (s *server) assessmentWorkbook(v *assessments.View, lang string) ([]byte, error) {
	ed := v.Edition
	T := func(key string, args ...any) string { return s.msgs.T(lang, key, args...) }
	cols := columnsFor(ed)
	f := excelize.NewFile()
	defer f.Close()
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return nil, err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE7F0"}}})
	if err != nil {
		return nil, err
	}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return nil, err
	}
	// The sheets are protected (without a password: a guard against
	// typing into the wrong row, not a lock) so that only a service
	// row's answer cells take input; a scope: country row, grey, shows
	// the coordinator's answer, which the import ignores.
	input, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}, Protection: &excelize.Protection{Locked: false}})
	if err != nil {
		return nil, err
	}
	country, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EEEEEE"}}})
	if err != nil {
		return nil, err
	}
	yes := T("xlsx.yes")
	for i, d := range ed.Dimensions {
		sheet := d.ID
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sheet); err != nil {
				return nil, err
			}
		} else if _, err := f.NewSheet(sheet); err != nil {
			return nil, err
		}
		set := func(col, row int, value any, style int) error {
			cell := cellName(col, row)
			if err := f.SetCellValue(sheet, cell, value); err != nil {
				return err
			}
			return f.SetCellStyle(sheet, cell, cell, style)
		}
		if err := set(1, 1, fmt.Sprintf("%s — %s (%s, %d)", d.Title.In(lang), v.Assessment.Service.Name, ed.Title.In(lang), v.Assessment.Period), title); err != nil {
			return nil, err
		}
		headers := map[int]string{cols.ID: T("xlsx.col.id"), cols.Question: T("xlsx.col.question"), cols.How: T("xlsx.col.how"),
			cols.Answer: T("xlsx.col.answer"), cols.NA: T("xlsx.col.na"), cols.Justification: T("xlsx.col.justification"),
			cols.Comment: T("xlsx.col.comment"), cols.Evidence: T("xlsx.col.evidence")}
		for k := range ed.Levels {
			headers[cols.FirstLevel+k] = T("xlsx.col.level", k+1, ed.Levels[k].Label.In(lang))
		}
		for col, h := range headers {
			if err := set(col, headerRow, h, head); err != nil {
				return nil, err
			}
		}
		for j, ind := range d.Indicators {
			row := firstRow + j
			a := v.Answers[ind.ID]
			inherited := ind.CountryScoped()
			how := howToAnswer(T, &ind, lang)
			if inherited {
				how = inheritedNote(T, v, a)
			}
			values := map[int]any{cols.ID: ind.ID, cols.Question: ind.Question.In(lang), cols.How: how,
				cols.Justification: a.Justification, cols.Comment: a.Comment, cols.Evidence: strings.Join(a.Evidence, "\n")}
			if a.NA {
				values[cols.NA] = yes
			}
			if ind.Type == frameworks.TypeLevel {
				for k := range ed.Levels {
					if o, ok := ind.OptionAtLevel(k + 1); ok {
						values[cols.FirstLevel+k] = o.Label.In(lang)
					}
				}
			}
			switch ind.Type {
			case frameworks.TypeLevel:
				if a.Level != nil {
					values[cols.Answer] = *a.Level
				}
			case frameworks.TypeChecklist, frameworks.TypeYesNo:
				var labels []string
				for _, id := range a.Selected {
					if o, ok := ind.Option(id); ok {
						labels = append(labels, o.Label.In(lang))
					}
				}
				values[cols.Answer] = strings.Join(labels, "\n")
			case frameworks.TypeNumber:
				if a.Value != nil {
					values[cols.Answer] = *a.Value
				}
			case frameworks.TypeText:
				values[cols.Answer] = a.Text
			}
			for col := cols.ID; col <= cols.Evidence; col++ {
				style := wrap
				switch {
				case inherited:
					style = country
				case col >= cols.Answer:
					style = input
				}
				if err := set(col, row, values[col], style); err != nil {
					return nil, err
				}
			}
			if inherited {
				continue
			}
			if err := addValidation(f, sheet, cols, row, &ind, T, yes, lang); err != nil {
				return nil, err
			}
		}
		widths := map[int]float64{cols.ID: 10, cols.Question: 60, cols.How: 24, cols.Answer: 12, cols.NA: 10, cols.Justification: 40, cols.Comment: 40, cols.Evidence: 40}
		for k := range ed.Levels {
			widths[cols.FirstLevel+k] = 36
		}
		for col, w := range widths {
			name, _ := excelize.ColumnNumberToName(col)
			if err := f.SetColWidth(sheet, name, name, w); err != nil {
				return nil, err
			}
		}
		if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: headerRow, TopLeftCell: "C3", ActivePane: "bottomRight"}); err != nil {
			return nil, err
		}
		if err := f.ProtectSheet(sheet, &excelize.SheetProtectionOptions{SelectLockedCells: true, SelectUnlockedCells: true,
			FormatColumns: true, FormatRows: true}); err != nil {
			return nil, err
		}
	}
	if _, err := f.NewSheet(infoSheet); err != nil {
		return nil, err
	}
	info := [][2]any{
		{"format", workbookFormat}, {"assessment", v.Assessment.ID}, {"framework", ed.ID}, {"framework_version", ed.Version},
		{"digest", ed.Digest}, {"version", v.Assessment.Version}, {"period", v.Assessment.Period},
		{"service", v.Assessment.Service.Name}, {"language", lang}, {"exported_at", time.Now().UTC().Format(time.RFC3339)},
	}
	for i, kv := range info {
		if err := f.SetSheetRow(infoSheet, cellName(1, i+1), &[]any{kv[0], kv[1]}); err != nil {
			return nil, err
		}
	}
	if err := f.SetSheetVisible(infoSheet, false); err != nil {
		return nil, err
	}
	f.SetActiveSheet(0)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// inheritedNote says, in a scope: country row, that the answer is the
// country's and who gave it, or that the coordinator has yet to give it.
func inheritedNote(T func(string, ...any) string, v *assessments.View, a assessments.Answer) string {
	switch {
	case a.Empty():
		return T("country.inherited.missing")
	case v.CountryBy != "":
		return T("country.inherited.by", v.CountryBy)
	}
	return T("country.inherited")
}

// howToAnswer says what the answer cell takes.
func howToAnswer(T func(string, ...any) string, ind *frameworks.Indicator, lang string) string {
	switch ind.Type {
	case frameworks.TypeLevel:
		return T("xlsx.how.level", len(ind.Options))
	case frameworks.TypeChecklist:
		var labels []string
		for _, o := range ind.Options {
			labels = append(labels, "• "+o.Label.In(lang))
		}
		return T("xlsx.how.checklist") + "\n" + strings.Join(labels, "\n")
	case frameworks.TypeYesNo:
		return T("xlsx.how.yesno")
	case frameworks.TypeNumber:
		return T("xlsx.how.number")
	}
	return T("xlsx.how.text")
}

// addValidation puts drop-downs on the cells that take one of a few
// values: the level, yes or no, and "not applicable" where it is allowed.
func addValidation(f *excelize.File, sheet string, cols workbookColumns, row int, ind *frameworks.Indicator, T func(string, ...any) string, yes, lang string) error {
	var choices []string
	switch ind.Type {
	case frameworks.TypeLevel:
		for _, o := range ind.Options {
			choices = append(choices, strconv.Itoa(o.Level))
		}
	case frameworks.TypeYesNo:
		for _, o := range ind.Options {
			choices = append(choices, o.Label.In(lang))
		}
	}
	if len(choices) > 0 {
		dv := excelize.NewDataValidation(true)
		dv.Sqref = cellName(cols.Answer, row)
		if err := dv.SetDropList(choices); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, T("xlsx.col.answer"), T("xlsx.invalid.choice"))
		if err := f.AddDataValidation(sheet, dv); err != nil {
			return err
		}
	}
	if ind.NotApplicable {
		dv := excelize.NewDataValidation(true)
		dv.Sqref = cellName(cols.NA, row)
		if err := dv.SetDropList([]string{yes}); err != nil {
			return err
		}
		if err := f.AddDataValidation(sheet, dv); err != nil {
			return err
		}
	}
	return nil
}

// cellLabel names a workbook problem's place ("SERV!F5", or "SERV!" for
// the sheet) in words, or says it is not one.
func (v *view) cellLabel(field string) (string, bool) {
	sheet, cell, ok := strings.Cut(field, "!")
	if !ok {
		return "", false
	}
	if cell == "" {
		return v.T("xlsx.sheet", sheet), true
	}
	col, row, err := excelize.SplitCellName(cell)
	if err != nil {
		return "", false
	}
	return v.T("xlsx.cell", sheet, strconv.Itoa(row), col), true
}

// workbookProblems collects what is wrong with a workbook, each at its
// cell ("SERV!F5"), or at the sheet or the file.
type workbookProblems map[string]assessments.Message

func (p workbookProblems) add(at, format string, args ...any) {
	if _, ok := p[at]; !ok {
		p[at] = assessments.Message{Format: format, Args: args}
	}
}

func (p workbookProblems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &assessments.ValidationError{Fields: p}
}

// notAWorkbook is the one message for a file that is not a workbook this
// app exported: what the parser thought of it helps nobody.
func notAWorkbook() error {
	return &assessments.ValidationError{Fields: map[string]assessments.Message{"file": {
		Format: "is not a workbook exported from an assessment; download the XLSX export and fill that in"}}}
}

// readWorkbook reads the answers of a workbook exported from the
// assessment v, and the assessment version it was exported at. Every
// problem is reported at its sheet, row and column; nothing is saved by
// reading.
func readWorkbook(data []byte, v *assessments.View) (int, assessments.Answers, error) {
	if len(data) > assessments.MaxImportSize {
		return 0, nil, &assessments.ValidationError{Fields: map[string]assessments.Message{"file": {Format: "is larger than %d bytes", Args: []any{assessments.MaxImportSize}}}}
	}
	// The limits keep a small compressed file from unpacking into
	// gigabytes.
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return 0, nil, notAWorkbook()
	}
	defer f.Close()
	rows, err := f.GetRows(infoSheet)
	if err != nil {
		return 0, nil, notAWorkbook()
	}
	info := map[string]string{}
	for _, r := range rows {
		if len(r) >= 2 {
			info[r[0]] = r[1]
		}
	}
	ed := v.Edition
	if info["format"] != workbookFormat {
		return 0, nil, notAWorkbook()
	}
	p := workbookProblems{}
	if info["assessment"] != strconv.FormatUint(uint64(v.Assessment.ID), 10) {
		p.add("file", "is the workbook of assessment %s, not of this one (%d)", info["assessment"], v.Assessment.ID)
	}
	if info["framework"] != ed.ID || info["framework_version"] != ed.Version {
		p.add("framework", "the file is for %s %s; this assessment uses %s %s", info["framework"], info["framework_version"], ed.ID, ed.Version)
	}
	base, err := strconv.Atoi(info["version"])
	if err != nil {
		return 0, nil, notAWorkbook()
	}
	if err := p.err(); err != nil {
		return 0, nil, err
	}
	cols := columnsFor(ed)
	answers := assessments.Answers{}
	where := map[string]string{} // indicator → sheet!row, for the domain's checks
	sheets := f.GetSheetList()
	for _, d := range ed.Dimensions {
		if !slices.Contains(sheets, d.ID) {
			p.add(d.ID+"!", "the sheet is missing; do not rename or delete the sheets")
			continue
		}
		rows, err := f.GetRows(d.ID)
		if err != nil {
			return 0, nil, notAWorkbook()
		}
		want := map[string]*frameworks.Indicator{}
		for i := range d.Indicators {
			want[d.Indicators[i].ID] = &d.Indicators[i]
		}
		for r := firstRow - 1; r < len(rows); r++ {
			row := rows[r]
			cell := func(col int) string {
				if col-1 < len(row) {
					return strings.TrimSpace(strings.ReplaceAll(row[col-1], "\r\n", "\n"))
				}
				return ""
			}
			id := cell(cols.ID)
			if id == "" {
				if strings.Join(row, "") != "" {
					p.add(d.ID+"!"+cellName(cols.ID, r+1), "the indicator id is missing; do not change the first column")
				}
				continue
			}
			ind, ok := want[id]
			if !ok {
				p.add(d.ID+"!"+cellName(cols.ID, r+1), "%q is not an indicator of this sheet; do not change the first column", id)
				continue
			}
			if _, dup := answers[id]; dup {
				p.add(d.ID+"!"+cellName(cols.ID, r+1), "indicator %s has two rows", id)
				continue
			}
			at := func(col int) string { return d.ID + "!" + cellName(col, r+1) }
			where[id] = d.ID + "!" + strconv.Itoa(r+1)
			// A scope: country row is read like any other, then ignored
			// when it still shows the country's answer; a change to it is
			// refused at its cell, since the coordinator answers it.
			rowProblems := p
			if ind.CountryScoped() {
				rowProblems = workbookProblems{}
			}
			a := assessments.Answer{Justification: cell(cols.Justification), Comment: cell(cols.Comment)}
			for _, l := range strings.Split(cell(cols.Evidence), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					a.Evidence = append(a.Evidence, l)
				}
			}
			switch na := cell(cols.NA); {
			case na == "":
			case yesWord(na):
				a.NA = true
			default:
				rowProblems.add(at(cols.NA), "must be empty, or yes when the indicator does not apply")
			}
			answer := cell(cols.Answer)
			switch {
			case answer == "":
			case ind.Type == frameworks.TypeLevel:
				k, err := strconv.Atoi(strings.TrimSuffix(answer, ".0"))
				if err != nil {
					rowProblems.add(at(cols.Answer), "must be a level from 1 to %d", len(ind.Options))
				} else {
					a.Level = &k
				}
			case ind.Type == frameworks.TypeChecklist || ind.Type == frameworks.TypeYesNo:
				for _, part := range strings.FieldsFunc(answer, func(r rune) bool { return r == '\n' || r == ';' }) {
					if part = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(part), "•")); part == "" {
						continue
					}
					o := optionNamed(ind, part)
					if o == "" {
						rowProblems.add(at(cols.Answer), "%q is not one of this indicator's options", part)
						break
					}
					a.Selected = append(a.Selected, o)
				}
			case ind.Type == frameworks.TypeNumber:
				x, err := strconv.ParseFloat(strings.ReplaceAll(strings.ReplaceAll(answer, " ", ""), ",", "."), 64)
				if err != nil {
					rowProblems.add(at(cols.Answer), "must be a number")
				} else {
					a.Value = &x
				}
			default:
				a.Text = answer
			}
			if ind.CountryScoped() {
				for _, col := range changedCells(cols, v.Answers[id], a, rowProblems) {
					p.add(at(col), "answered for the whole country by the coordinator")
				}
				continue
			}
			answers[id] = a
		}
		for _, ind := range d.Indicators {
			if _, ok := where[ind.ID]; !ok && !ind.CountryScoped() {
				p.add(d.ID+"!", "the row of indicator %s is missing", ind.ID)
			}
		}
	}
	// The domain's own checks, placed at the cells they are about.
	var ve *assessments.ValidationError
	if err := assessments.ValidateAnswers(ed, answers); err != nil {
		if !errors.As(err, &ve) {
			return 0, nil, err
		}
		for field, m := range ve.Fields {
			rest := strings.TrimPrefix(field, "answers.")
			id, part := rest, ""
			if i := strings.LastIndexByte(rest, '.'); i > 0 {
				if _, ok := where[rest]; !ok {
					id, part = rest[:i], rest[i+1:]
				}
			}
			part, _, _ = strings.Cut(part, "[")
			sheetRow, ok := where[id]
			if !ok {
				p[field] = m
				continue
			}
			sheet, row, _ := strings.Cut(sheetRow, "!")
			n, _ := strconv.Atoi(row)
			col := map[string]int{"na": cols.NA, "justification": cols.Justification, "comment": cols.Comment, "evidence": cols.Evidence}[part]
			if col == 0 {
				col = cols.Answer
			}
			if _, taken := p[sheet+"!"+cellName(col, n)]; !taken {
				p[sheet+"!"+cellName(col, n)] = m
			}
		}
	}
	if err := p.err(); err != nil {
		return 0, nil, err
	}
	return base, answers, nil
}

// changedAnswers keeps the answers that differ from what is saved, so
// that importing a workbook records only what was changed in it.
func changedAnswers(saved, read assessments.Answers) assessments.Answers {
	out := assessments.Answers{}
	for id, a := range read {
		old, had := saved[id]
		if (!had && a.Empty()) || (had && sameAnswer(old, a)) {
			continue
		}
		out[id] = a
	}
	return out
}

// changedCells names the columns of a scope: country row whose content
// is not the country's answer: those that did not read (problems) and
// those that read differently.
func changedCells(cols workbookColumns, country, read assessments.Answer, problems workbookProblems) []int {
	var out []int
	for at := range problems {
		_, cell, _ := strings.Cut(at, "!")
		if col, _, err := excelize.CellNameToCoordinates(cell); err == nil {
			out = append(out, col)
		}
	}
	eqInt := (country.Level == nil) == (read.Level == nil) && (country.Level == nil || *country.Level == *read.Level)
	eqVal := (country.Value == nil) == (read.Value == nil) && (country.Value == nil || *country.Value == *read.Value)
	for col, same := range map[int]bool{
		cols.Answer:        eqInt && eqVal && slices.Equal(country.Selected, read.Selected) && country.Text == read.Text,
		cols.NA:            country.NA == read.NA,
		cols.Justification: country.Justification == read.Justification,
		cols.Comment:       country.Comment == read.Comment,
		cols.Evidence:      slices.Equal(country.Evidence, read.Evidence),
	} {
		if !same && !slices.Contains(out, col) {
			out = append(out, col)
		}
	}
	slices.Sort(out)
	return out
}

func sameAnswer(a, b assessments.Answer) bool {
	eqInt := (a.Level == nil) == (b.Level == nil) && (a.Level == nil || *a.Level == *b.Level)
	eqVal := (a.Value == nil) == (b.Value == nil) && (a.Value == nil || *a.Value == *b.Value)
	return eqInt && eqVal && slices.Equal(a.Selected, b.Selected) && a.Text == b.Text && a.NA == b.NA &&
		a.Justification == b.Justification && a.Comment == b.Comment && slices.Equal(a.Evidence, b.Evidence)
}

// yesWord accepts "yes" as the workbook's drop-down writes it in any of
// the app's languages, and the marks people type for it.
func yesWord(s string) bool {
	switch strings.ToLower(s) {
	case "yes", "да", "oui", "是", "x", "✓", "true", "1":
		return true
	}
	return false
}

// optionNamed finds an option by its id or its label in any language.
func optionNamed(ind *frameworks.Indicator, name string) string {
	for _, o := range ind.Options {
		if strings.EqualFold(o.ID, name) {
			return o.ID
		}
		for _, l := range o.Label {
			if strings.EqualFold(strings.TrimSpace(l), name) {
				return o.ID
			}
		}
	}
	return ""
}
