package assessments

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/unescap/dmf/frameworks"
	"gorm.io/gorm"
)

// ScoreJSON is a rounded score with its level and label, as the API and
// exports carry it.
type ScoreJSON struct {
	Score    float64  `json:"score"`
	Level    int      `json:"level"`
	Label    string   `json:"label"`
	CappedBy *CapJSON `json:"capped_by,omitempty"`
}

// CapJSON says why an overall level is below the band of its score: the
// edition's gate {level, requires: {dimension, min_level}}, the level the
// score reaches, and the dimension's level (0 when it has no score).
type CapJSON struct {
	Gate           frameworks.Gate `json:"gate"`
	UncappedLevel  int             `json:"uncapped_level"`
	UncappedLabel  string          `json:"uncapped_label"`
	DimensionLevel int             `json:"dimension_level"`
	DimensionLabel string          `json:"dimension_label,omitempty"`
}

// DimensionJSON is one dimension's carried score. Score, level and label
// are absent while nothing in the dimension is answered.
type DimensionJSON struct {
	ID         string   `json:"id"`
	Score      *float64 `json:"score"`
	Level      int      `json:"level,omitempty"`
	Label      string   `json:"label,omitempty"`
	Answered   int      `json:"answered"`
	Applicable int      `json:"applicable"`
	NA         int      `json:"na"`
}

// ScoresJSON is the carried form of a Result:
// {"overall": {...}, "dimensions": [...], "completeness": 96.2}.
type ScoresJSON struct {
	Overall      *ScoreJSON      `json:"overall"`
	Dimensions   []DimensionJSON `json:"dimensions"`
	Completeness float64         `json:"completeness"` // percent, one decimal
	Missing      []string        `json:"missing"`
}

// JSON rounds a result for carrying, with labels in lang.
func (r Result) JSON(ed *frameworks.Edition, lang string) ScoresJSON {
	out := ScoresJSON{Dimensions: make([]DimensionJSON, len(r.Dimensions)), Completeness: Round1(100 * r.Completeness), Missing: r.Missing}
	if out.Missing == nil {
		out.Missing = []string{}
	}
	if r.Overall.Scored {
		out.Overall = &ScoreJSON{Score: Round1(r.Overall.Score), Level: r.Overall.Level, Label: ed.LevelLabel(r.Overall.Level).In(lang)}
		if c := r.Overall.CappedBy; c != nil {
			out.Overall.CappedBy = &CapJSON{Gate: c.Gate, UncappedLevel: c.Uncapped, UncappedLabel: ed.LevelLabel(c.Uncapped).In(lang),
				DimensionLevel: c.DimensionLevel, DimensionLabel: ed.LevelLabel(c.DimensionLevel).In(lang)}
		}
	}
	for i, d := range r.Dimensions {
		dj := DimensionJSON{ID: d.ID, Answered: d.Answered, Applicable: d.Applicable, NA: d.NA}
		if d.Value.Scored {
			score := Round1(d.Value.Score)
			dj.Score, dj.Level, dj.Label = &score, d.Value.Level, ed.LevelLabel(d.Value.Level).In(lang)
		}
		out.Dimensions[i] = dj
	}
	return out
}

// ExportFormat names the assessment export format and its version.
const ExportFormat = "dmf-assessment/1"

// Export is an assessment as a file: what an agency downloads to fill in
// offline, and imports again. Only Framework and Answers are read back.
type Export struct {
	Format    string        `json:"format"`
	Framework ExportEdition `json:"framework"`
	ID        uint          `json:"id"`
	Service   ExportService `json:"service"`
	Period    int           `json:"period"`
	Status    Status        `json:"status"`
	Version   int           `json:"version"`
	Answers   Answers       `json:"answers"`
	Scores    ScoresJSON    `json:"scores"`
	Exported  time.Time     `json:"exported_at"`
}

// ExportEdition pins the edition an export belongs to.
type ExportEdition struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
}

// ExportService describes the assessed service.
type ExportService struct {
	Name     string `json:"name"`
	Category string `json:"category"`
	URL      string `json:"url,omitempty"`
}

// Export returns an assessment as an export file.
func (s *Store) Export(ctx context.Context, by Actor, id uint) (_ *Export, err error) {
	defer wrap(&err, "export assessment %d", id)
	a, err := s.Assessment(ctx, by, id)
	if err != nil {
		return nil, err
	}
	ed, err := s.Edition(a)
	if err != nil {
		return nil, err
	}
	answers, err := s.Answers(ctx, a)
	if err != nil {
		return nil, err
	}
	scored := answers
	if a.Status.Editable() {
		err = s.read(ctx, func(tx *gorm.DB) error {
			country, err := s.inherited(tx, a, ed)
			if country != nil {
				scored = Inherit(ed, answers, country)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return &Export{
		Format:    ExportFormat,
		Framework: ExportEdition{ed.ID, ed.Version, ed.Digest},
		ID:        a.ID,
		Service:   ExportService{a.Service.Name, a.Service.Category, a.Service.URL},
		Period:    a.Period, Status: a.Status, Version: a.Version,
		Answers:  answers,
		Scores:   Score(ed, scored).JSON(ed, "en"),
		Exported: s.now(),
	}, nil
}

// MaxImportSize bounds an import file.
const MaxImportSize = 2 << 20

// Import merges the answers of an export file into an editable assessment,
// as one save, and returns the assessment's view. The file must be for
// the assessment's edition; its answers are validated like any other
// save.
func (s *Store) Import(ctx context.Context, by Actor, id uint, data []byte) (_ *View, err error) {
	defer wrap(&err, "import into assessment %d", id)
	// The file is read before the transaction, but what is wrong with it
	// is told only to those who may see the assessment.
	var ex Export
	var bad error
	if len(data) > MaxImportSize {
		bad = fieldError("file", "is larger than %d bytes", MaxImportSize)
	} else if err := json.NewDecoder(bytes.NewReader(data)).Decode(&ex); err != nil {
		// What the JSON parser says ("invalid character 'h' in literal
		// true") tells the person nothing they can act on.
		bad = fieldError("file", "is not an assessment export file; upload the JSON or XLSX file that Export gives")
	}
	var view *View
	err = s.write(ctx, func(tx *gorm.DB) error {
		a, err := lockVisible(tx, by, id)
		if err != nil {
			return err
		}
		if bad != nil {
			return bad
		}
		v := invalid{}
		if ex.Format != ExportFormat {
			v.add("format", "must be %q (found %q)", ExportFormat, ex.Format)
		}
		if ex.Framework.ID != a.FrameworkID || ex.Framework.Version != a.FrameworkVersion {
			v.add("framework", "the file is for %s %s; this assessment uses %s %s", ex.Framework.ID, ex.Framework.Version, a.FrameworkID, a.FrameworkVersion)
		}
		if len(ex.Answers) == 0 {
			v.add("answers", "the file has no answers")
		}
		if err := v.err(); err != nil {
			return err
		}
		if err := mayEdit(by, a); err != nil {
			return err
		}
		ed, err := s.Edition(a)
		if err != nil {
			return err
		}
		// Country answers in the file (an export of a submitted assessment
		// has them) are the country's, not the file's: the assessment
		// inherits the current ones.
		for id := range countryScopedOf(ed, ex.Answers) {
			delete(ex.Answers, id)
		}
		if _, _, _, err := s.saveAnswers(tx, by, a, nil, normaliseAll(ex.Answers)); err != nil {
			return err
		}
		view, err = s.readView(tx, by, a.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return view, nil
}
