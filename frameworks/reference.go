package frameworks

// Reference is the background content the app presents beside the
// framework: the WSIS action lines, the Asia-Pacific Information
// Superhighway, the origin of the DMF and related ESCAP initiatives. It is
// our own summary of ESCAP's 2025 WSIS submission, kept as data so that it
// can be corrected without code changes. Anything the submission does not
// say (an explanation of a method, a word about this application) is a Note,
// which pages show apart from the summary so a reader never takes it for
// ESCAP's.
type Reference struct {
	Languages   []string     `yaml:"languages" json:"languages" validate:"required,min=1,dive,lang_code"`
	Source      Source       `yaml:"source" json:"source"`
	ActionLines []ActionLine `yaml:"action_lines" json:"action_lines" validate:"required,min=11,dive"`
	Topics      []Topic      `yaml:"topics" json:"topics" validate:"required,min=1,dive"`
}

// Source names the document the reference content summarises.
type Source struct {
	Title Text   `yaml:"title" json:"title" validate:"required"`
	URL   string `yaml:"url" json:"url,omitempty" validate:"omitempty,http_url"`
	Date  string `yaml:"date" json:"date" validate:"required,partial_date"`
}

// ActionLine is one of the WSIS action lines C1–C11.
type ActionLine struct {
	ID      string `yaml:"id" json:"id" validate:"required,wsis_line"`
	Title   Text   `yaml:"title" json:"title" validate:"required"`
	Summary Text   `yaml:"summary" json:"summary" validate:"required"`
}

// Topic is one page of reference content: a summary and dated facts.
type Topic struct {
	ID      string   `yaml:"id" json:"id" validate:"required,slug"`
	Title   Text     `yaml:"title" json:"title" validate:"required"`
	Summary Text     `yaml:"summary" json:"summary" validate:"required"`
	WSIS    []string `yaml:"wsis" json:"wsis,omitempty" validate:"dive,wsis_line"`
	Notes   []Note   `yaml:"notes" json:"notes,omitempty" validate:"dive"`
	Facts   []Fact   `yaml:"facts" json:"facts" validate:"dive"`
}

// Kinds of Note.
const (
	NoteExplanation = "explanation" // the project explains something the source only names
	NoteTool        = "tool"        // how this application relates to the topic
)

// Note is the DMF project's own text beside a topic's summary of the
// source; it is never part of the summary.
type Note struct {
	Kind string `yaml:"kind" json:"kind" validate:"required,oneof=explanation tool"`
	Text Text   `yaml:"text" json:"text" validate:"required"`
}

// Fact is a dated statement with its place and sources. Date and End are
// ISO 8601 calendar dates of any precision: 2025, 2025-08 or 2025-08-26.
type Fact struct {
	Date    string   `yaml:"date" json:"date" validate:"required,partial_date"`
	End     string   `yaml:"end" json:"end,omitempty" validate:"omitempty,partial_date"`
	Place   Text     `yaml:"place" json:"place,omitempty"`
	Title   Text     `yaml:"title" json:"title" validate:"required"`
	Text    Text     `yaml:"text" json:"text" validate:"required"`
	Sources []string `yaml:"sources" json:"sources,omitempty" validate:"dive,http_url"`
}
