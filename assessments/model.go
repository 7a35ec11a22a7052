package assessments

import (
	"time"
)

// Role is what a user may do.
type Role string

// Roles.
const (
	RoleRespondent Role = "respondent" // staff of one organisation: assess its services
	RoleReviewer   Role = "reviewer"   // ESCAP reviewer: review and compare, never edit answers
	RoleAdmin      Role = "admin"      // instance administrator: users, organisations, keys
	// RoleCoordinator: a user of an organisation of a country who answers
	// that country's scope: country indicators once per edition and period.
	RoleCoordinator Role = "coordinator"
)

// Roles lists the roles in display order.
var Roles = []Role{RoleRespondent, RoleReviewer, RoleAdmin, RoleCoordinator}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleRespondent || r == RoleReviewer || r == RoleAdmin || r == RoleCoordinator
}

// HasOrganisation reports whether users of this role belong to an
// organisation: respondents assess its services, coordinators answer for
// its country.
func (r Role) HasOrganisation() bool { return r == RoleRespondent || r == RoleCoordinator }

// Status is where an assessment is in its life.
type Status string

// Statuses.
const (
	StatusDraft     Status = "draft"     // being filled in by its organisation
	StatusSubmitted Status = "submitted" // waiting for review; read-only
	StatusReturned  Status = "returned"  // sent back with comments; editable again
	StatusApproved  Status = "approved"  // accepted; a card can be issued
)

// Statuses lists the statuses in workflow order.
var Statuses = []Status{StatusDraft, StatusSubmitted, StatusReturned, StatusApproved}

// Editable reports whether answers may change in this status.
func (s Status) Editable() bool { return s == StatusDraft || s == StatusReturned }

// Organisation is a ministry or agency that runs services for SMEs.
type Organisation struct {
	ID        uint      `gorm:"primaryKey" json:"id"`
	Name      string    `gorm:"not null;uniqueIndex:ux_org_name_country" json:"name"`
	Country   string    `gorm:"not null;size:3;uniqueIndex:ux_org_name_country;index" json:"country"`
	Kind      string    `gorm:"not null" json:"kind"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"-"`
}

// OrganisationKinds are the kinds of organisation, for forms and checks.
var OrganisationKinds = []string{"ministry", "agency", "regional", "municipal", "other"}

// User is a person who signs in. A respondent belongs to one organisation.
type User struct {
	ID                 uint          `gorm:"primaryKey" json:"id"`
	Email              string        `gorm:"not null;uniqueIndex" json:"email"`
	Name               string        `gorm:"not null" json:"name"`
	PasswordHash       string        `gorm:"not null" json:"-"`
	Role               Role          `gorm:"not null" json:"role"`
	OrganisationID     *uint         `gorm:"index" json:"organisation_id,omitempty"`
	Organisation       *Organisation `json:"organisation,omitempty"`
	MustChangePassword bool          `gorm:"not null;default:false" json:"-"`
	DisabledAt         *time.Time    `json:"disabled_at,omitempty"`
	// Language is the interface language the user last used ("" until
	// then); their mail is written in it.
	Language string `gorm:"not null;default:''" json:"language,omitempty"`
	// MailOff: the user reads notifications in the app only.
	MailOff bool `gorm:"not null;default:false" json:"mail_off"`
	// SecondFactorAt is when the user set up the first of their second
	// factors (TOTP or a passkey); nil: they sign in with a password alone.
	SecondFactorAt *time.Time `json:"second_factor_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"-"`
}

// Actor is who makes a request, as the domain's authorization sees it.
type Actor struct {
	UserID         uint
	Role           Role
	OrganisationID uint // 0 unless a respondent

	// Country is the organisation's country; "" without one.
	Country string
}

// Actor returns the user as an actor.
func (u *User) Actor() Actor {
	a := Actor{UserID: u.ID, Role: u.Role}
	if u.OrganisationID != nil {
		a.OrganisationID = *u.OrganisationID
	}
	if u.Organisation != nil {
		a.Country = u.Organisation.Country
	}
	return a
}

// What an actor may do. These are the authorization rules in one place:
// the routes' middleware, the pages, the templates and the store all ask
// these methods instead of comparing roles. An anonymous caller is the
// zero Actor and may do none of them.

// CanAssess reports whether the actor fills in its organisation's
// assessments and registers its services.
func (a Actor) CanAssess() bool { return a.Role == RoleRespondent && a.OrganisationID != 0 }

// CanEdit reports whether the actor may change this assessment's answers
// now: its own organisation's, while it is a draft or returned.
func (a Actor) CanEdit(as *Assessment) bool {
	return a.CanAssess() && as.OrganisationID == a.OrganisationID && as.Status.Editable()
}

// CanReview reports whether the actor decides on submitted assessments.
// Reviewers never edit answers, and administrators do not review.
func (a Actor) CanReview() bool { return a.Role == RoleReviewer }

// CanPlan reports whether the actor may change this assessment's
// improvement plan: its own organisation's respondents, in any status,
// since a plan is about what comes after the answers.
func (a Actor) CanPlan(as *Assessment) bool {
	return a.CanAssess() && as.OrganisationID == a.OrganisationID
}

// CanDecide reports whether the actor may approve or return this
// assessment now.
func (a Actor) CanDecide(as *Assessment) bool { return a.CanReview() && as.Status == StatusSubmitted }

// SeesAllOrganisations reports whether the actor reads every
// organisation's services and assessments (the review queue, exports);
// others see only their own organisation's.
func (a Actor) SeesAllOrganisations() bool { return a.Role == RoleReviewer || a.Role == RoleAdmin }

// SeesAllCountries reports whether the comparison shows the actor every
// country. Everyone else gets the public view, where a country with fewer
// approved services than the public minimum is suppressed so that single
// agencies are not exposed.
func (a Actor) SeesAllCountries() bool { return a.Role == RoleReviewer || a.Role == RoleAdmin }

// CanRevoke reports whether the actor may revoke an issued card.
func (a Actor) CanRevoke() bool { return a.Role == RoleReviewer || a.Role == RoleAdmin }

// CoordinatesCountry reports whether the actor answers a country's
// scope: country indicators: a coordinator of an organisation.
func (a Actor) CoordinatesCountry() bool { return a.Role == RoleCoordinator && a.Country != "" }

// CanAnswerCountry reports whether the actor may change the country
// answers of this country: its own country's coordinator.
func (a Actor) CanAnswerCountry(country string) bool {
	return a.CoordinatesCountry() && a.Country == country
}

// SeesCountryAnswers reports whether the actor reads this country's
// answers: its coordinator and respondents, reviewers and administrators.
func (a Actor) SeesCountryAnswers(country string) bool {
	return a.SeesAllOrganisations() || ((a.CoordinatesCountry() || a.CanAssess()) && a.Country == country)
}

// CanAdminister reports whether the actor manages users, organisations
// and the audit log.
func (a Actor) CanAdminister() bool { return a.Role == RoleAdmin }

// session is a signed-in browser. Only a hash of its token is stored, so
// a copy of the database cannot be used to sign in.
type session struct {
	ID         string    `gorm:"primaryKey;size:64"` // hex SHA-256 of the cookie token
	UserID     uint      `gorm:"not null;index"`
	CreatedAt  time.Time `gorm:"not null"`
	LastSeenAt time.Time `gorm:"not null"`
	ExpiresAt  time.Time `gorm:"not null;index"`
	// Pending: the password (or another first factor) was right but the
	// second factor is still to come; such a session grants nothing.
	Pending bool `gorm:"not null;default:false"`
}

// APIToken is a bearer token for API clients, stored as a hash.
type APIToken struct {
	ID         string     `gorm:"primaryKey;size:64" json:"-"` // hex SHA-256 of the token
	Prefix     string     `gorm:"not null" json:"prefix"`      // first characters, to recognise it in a list
	UserID     uint       `gorm:"not null;index" json:"-"`
	Name       string     `gorm:"not null" json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `gorm:"not null" json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

func (APIToken) TableName() string { return "api_tokens" }

// loginAttempt is a failed sign-in, counted to throttle guessing.
type loginAttempt struct {
	ID  uint      `gorm:"primaryKey"`
	Key string    `gorm:"not null;index:ix_login_attempt_key_at"` // "account:EMAIL" or "addr:IP"
	At  time.Time `gorm:"not null;index:ix_login_attempt_key_at"`
}

// Service is a digital public service for SMEs run by an organisation.
type Service struct {
	ID             uint   `gorm:"primaryKey" json:"id"`
	OrganisationID uint   `gorm:"not null;uniqueIndex:ux_service_org_name" json:"organisation_id"`
	Name           string `gorm:"not null;uniqueIndex:ux_service_org_name" json:"name"`
	Category       string `gorm:"not null" json:"category"`
	LifeEvent      string `gorm:"not null;default:''" json:"life_event,omitempty"`
	URL            string `gorm:"not null;default:''" json:"url,omitempty"`
	Description    string `gorm:"not null;default:''" json:"description,omitempty"`
	// RetiredAt is set when the service is no longer run: it keeps its
	// assessments and cards but gets no new assessments.
	RetiredAt *time.Time `json:"retired_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"-"`
}

// ServiceCategories are the kinds of SME-facing service.
var ServiceCategories = []string{"business-registration", "tax", "licensing", "customs", "procurement", "sme-support", "other", "social-contributions"}

// LifeEvents are the moments in an SME's life that a service serves.
var LifeEvents = []string{"starting", "operating", "employing", "financing", "trading", "growing", "closing"}

// Assessment is one self-assessment of a service for a period with an
// edition. Version increases on every save; it guards against one
// respondent silently overwriting another's answers.
type Assessment struct {
	ID               uint       `gorm:"primaryKey"`
	ServiceID        uint       `gorm:"not null;uniqueIndex:ux_assessment_service_period"`
	Service          Service    `gorm:"constraint:OnDelete:RESTRICT"`
	OrganisationID   uint       `gorm:"not null;index"`
	Country          string     `gorm:"not null;size:3;index;index:ix_assessment_compare,priority:5"`
	FrameworkID      string     `gorm:"not null;uniqueIndex:ux_assessment_service_period;index:ix_assessment_compare,priority:1"`
	FrameworkVersion string     `gorm:"not null;index:ix_assessment_compare,priority:2"`
	Period           int        `gorm:"not null;uniqueIndex:ux_assessment_service_period;index:ix_assessment_compare,priority:3"`
	Status           Status     `gorm:"not null;index;index:ix_assessment_compare,priority:4"`
	Version          int        `gorm:"not null"`
	Score            *float64   // overall, stored at submission
	Level            *int       // overall level, stored at submission
	CreatedByID      uint       `gorm:"not null"`
	SubmittedAt      *time.Time //
	ApprovedAt       *time.Time //
	CreatedAt        time.Time
	UpdatedAt        time.Time `gorm:"index"` // lists page newest change first
}

// answerRecord is one indicator's answer. Version is the assessment version
// of the save that wrote it, so a conflict can name what changed.
type answerRecord struct {
	AssessmentID uint      `gorm:"primaryKey"`
	IndicatorID  string    `gorm:"primaryKey;size:64"`
	Data         []byte    `gorm:"not null"` // the Answer as JSON
	Version      int       `gorm:"not null"`
	UpdatedByID  uint      `gorm:"not null"`
	UpdatedAt    time.Time `gorm:"not null"`
}

func (answerRecord) TableName() string { return "answers" }

// clearedAnswer records the version of the save that cleared an
// indicator's answer, whose row is then gone, so that a conflict can name
// cleared indicators as well as changed ones.
type clearedAnswer struct {
	AssessmentID uint   `gorm:"primaryKey"`
	IndicatorID  string `gorm:"primaryKey;size:64"`
	Version      int    `gorm:"not null"`
}

func (clearedAnswer) TableName() string { return "cleared_answers" }

// dimensionScore is a dimension's score stored at submission and approval,
// so that comparisons aggregate rows instead of re-scoring answers. It
// repeats the assessment's edition, period and country, and whether it is
// approved, for rebuilding the country totals. It has no index beyond its
// key: each would move on every submission and approval (migration 00017).
type dimensionScore struct {
	AssessmentID     uint    `gorm:"primaryKey"`
	DimensionID      string  `gorm:"primaryKey;size:64"`
	FrameworkID      string  `gorm:"not null"`
	FrameworkVersion string  `gorm:"not null"`
	Period           int     `gorm:"not null"`
	Approved         bool    `gorm:"not null"`
	Country          string  `gorm:"not null;size:3"`
	Score            float64 `gorm:"not null"`
	Level            int     `gorm:"not null"`
}

// countryAggregate keeps running totals of the approved scores of one
// country, edition and period, overall (DimensionID "") and per dimension.
// Approval adds to it in the same transaction, and approved assessments
// never change, so a comparison reads a few rows per country instead of
// aggregating every assessment.
type countryAggregate struct {
	FrameworkID      string  `gorm:"primaryKey;size:100"`
	FrameworkVersion string  `gorm:"primaryKey;size:50"`
	Period           int     `gorm:"primaryKey;autoIncrement:false"`
	Country          string  `gorm:"primaryKey;size:3"`
	DimensionID      string  `gorm:"primaryKey;size:64"`
	N                int     `gorm:"not null"`
	Sum              float64 `gorm:"not null"`
	Min              float64 `gorm:"not null"`
	Max              float64 `gorm:"not null"`
}

// ReviewComment is a reviewer's comment on one indicator, made when the
// assessment was returned; the organisation sees it next to the question.
type ReviewComment struct {
	ID           uint      `gorm:"primaryKey" json:"-"`
	AssessmentID uint      `gorm:"not null;index" json:"-"`
	TransitionID uint      `gorm:"not null;index" json:"-"` // the return it belongs to
	IndicatorID  string    `gorm:"not null;size:64" json:"indicator"`
	Comment      string    `gorm:"not null" json:"comment"`
	AuthorID     uint      `gorm:"not null" json:"-"`
	At           time.Time `gorm:"not null" json:"at"`
}

// Transition is one step of an assessment's workflow, shown as its history.
type Transition struct {
	ID           uint      `gorm:"primaryKey" json:"-"`
	AssessmentID uint      `gorm:"not null;index" json:"-"`
	From         Status    `gorm:"not null" json:"from"`
	To           Status    `gorm:"not null" json:"to"`
	ActorID      uint      `gorm:"not null" json:"actor_id"`
	Actor        User      `gorm:"foreignKey:ActorID" json:"-"`
	Comment      string    `gorm:"not null;default:''" json:"comment,omitempty"`
	At           time.Time `gorm:"not null" json:"at"`
}

// AuditEvent records one state change: who, when, what, before and after.
// The app only ever inserts them.
type AuditEvent struct {
	ID         uint      `gorm:"primaryKey" json:"id"`
	At         time.Time `gorm:"not null;index" json:"at"`
	ActorID    *uint     `gorm:"index" json:"actor_id,omitempty"`
	Action     string    `gorm:"not null;index" json:"action"`
	TargetType string    `gorm:"not null;index:ix_audit_target,priority:1" json:"target_type"`
	TargetID   string    `gorm:"not null;index:ix_audit_target,priority:2" json:"target_id"`
	Before     []byte    `json:"before,omitempty"`
	After      []byte    `json:"after,omitempty"`
}

// countryAnswerSet is the country answers of one country, edition and
// period: Version increases on every save and guards against one
// coordinator silently overwriting another's answers, as an assessment's
// does.
type countryAnswerSet struct {
	Country          string    `gorm:"primaryKey;size:3"`
	FrameworkID      string    `gorm:"primaryKey;size:100"`
	FrameworkVersion string    `gorm:"primaryKey;size:50"`
	Period           int       `gorm:"primaryKey;autoIncrement:false"`
	Version          int       `gorm:"not null"`
	UpdatedByID      uint      `gorm:"not null"`
	UpdatedAt        time.Time `gorm:"not null"`
}

func (countryAnswerSet) TableName() string { return "country_answer_sets" }

// countryAnswerRecord is one scope: country indicator's answer for a
// country, edition and period. Version is the set's version of the save
// that wrote it.
type countryAnswerRecord struct {
	Country          string    `gorm:"primaryKey;size:3"`
	FrameworkID      string    `gorm:"primaryKey;size:100"`
	FrameworkVersion string    `gorm:"primaryKey;size:50"`
	Period           int       `gorm:"primaryKey;autoIncrement:false"`
	IndicatorID      string    `gorm:"primaryKey;size:64"`
	Data             []byte    `gorm:"not null"` // the Answer as JSON
	Version          int       `gorm:"not null"`
	UpdatedByID      uint      `gorm:"not null"`
	UpdatedAt        time.Time `gorm:"not null"`
}

func (countryAnswerRecord) TableName() string { return "country_answers" }
