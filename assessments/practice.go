package assessments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// The regional practice exchange: for an approved assessment, its
// organisation may write up what the service does behind an indicator
// where it reached level 4 or 5. A reviewer publishes the write-up or
// returns it with a comment; published practices are public, searchable
// with the database's own full-text index and filterable, each citing the
// card that attests the level. Every gap on a result page links to them.

// PracticeStatus is where a practice is in its review.
type PracticeStatus string

// Practice statuses. A practice is written and submitted at once; draft is
// kept in the contract's vocabulary for clients that save before sending.
const (
	PracticeDraft     PracticeStatus = "draft"
	PracticeSubmitted PracticeStatus = "submitted"
	PracticeReturned  PracticeStatus = "returned"
	PracticePublished PracticeStatus = "published"
)

// PracticeMinLevel is the level an indicator must have reached for a
// practice behind it to be shared.
const PracticeMinLevel = 4

// Limits on a practice's short fields; the summary has the comment limit.
const (
	MaxPracticeTitle   = 200
	MaxPracticeContact = 300
)

// SourceLocal marks practices of this instance; those pulled from peers
// carry the peer's base URL.
const SourceLocal = "local"

// Notices about practices.
const (
	NoticePracticeSubmitted = "practice.submitted" // to reviewers
	NoticePracticePublished = "practice.published" // to its author
	NoticePracticeReturned  = "practice.returned"  // to its author
)

// Practice is one write-up. It repeats the assessment's country, service
// category, edition and the level reached, so that the public list filters
// on one table.
type Practice struct {
	ID               uint           `gorm:"primaryKey"`
	AssessmentID     uint           `gorm:"not null;uniqueIndex:ux_practice_assessment_indicator,priority:1,where:peer_id = 0"`
	OrganisationID   uint           `gorm:"not null"`
	ServiceID        uint           `gorm:"not null"`
	Country          string         `gorm:"not null;size:3"`
	Category         string         `gorm:"not null"`
	FrameworkID      string         `gorm:"not null"`
	FrameworkVersion string         `gorm:"not null"`
	DimensionID      string         `gorm:"not null;size:64"`
	IndicatorID      string         `gorm:"not null;size:64;uniqueIndex:ux_practice_assessment_indicator,priority:2;index:ix_practice_public,priority:2"`
	Level            int            `gorm:"not null"`
	Title            string         `gorm:"not null"`
	Summary          string         `gorm:"not null"`
	Contact          string         `gorm:"not null;default:''"`
	Links            string         `gorm:"not null;default:'[]'"` // a JSON list of http(s) links
	Language         string         `gorm:"not null"`
	Status           PracticeStatus `gorm:"not null;index:ix_practice_public,priority:1"`
	ReviewComment    string         `gorm:"not null;default:''"`
	AuthorID         uint           `gorm:"not null"`
	// SearchText is the words of title and summary as searchWords gives
	// them; the full-text index is built from it (see migration 00012).
	SearchText  string `gorm:"not null;default:''"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
	PublishedAt *time.Time
	// A trusted peer's practice (see peerpractice.go) has PeerID set, no
	// local assessment, organisation, service or author, and cites the
	// kept peer card PeerCardID; PeerService is that card's subject.
	PeerID         uint   `gorm:"not null;default:0;uniqueIndex:ux_practice_peer,priority:1,where:peer_id <> 0"`
	PeerPracticeID uint   `gorm:"not null;default:0;uniqueIndex:ux_practice_peer,priority:2"`
	PeerCardID     string `gorm:"not null;default:'';size:300"`
	PeerService    string `gorm:"not null;default:''"`
}

// LinkList is the practice's links.
func (p *Practice) LinkList() []string {
	var out []string
	json.Unmarshal([]byte(p.Links), &out)
	return out
}

// PracticeInput is a practice as its author writes it.
type PracticeInput struct {
	Indicator string   `json:"indicator"`
	Title     string   `json:"title"`
	Summary   string   `json:"summary"`
	Contact   string   `json:"contact"`
	Links     []string `json:"links"`
	Language  string   `json:"language"`
}

var languageCode = regexp.MustCompile(`^[a-z]{2,3}$`)

// check validates the texts of a practice and returns them cleaned.
func (in PracticeInput) check() (PracticeInput, error) {
	v := invalid{}
	in.Indicator = strings.TrimSpace(in.Indicator)
	in.Title = strings.TrimSpace(in.Title)
	in.Summary = cleanReviewText(in.Summary)
	in.Contact = strings.TrimSpace(in.Contact)
	in.Language = strings.TrimSpace(in.Language)
	if in.Indicator == "" {
		v.add("indicator", "choose an indicator")
	}
	checkText(v, "title", in.Title)
	if in.Title == "" {
		v.add("title", "give the practice a title")
	} else if n := utf8.RuneCountInString(in.Title); n > MaxPracticeTitle {
		v.add("title", "is %d characters long; the limit is %d", n, MaxPracticeTitle)
	}
	checkText(v, "summary", in.Summary)
	if in.Summary == "" {
		v.add("summary", "describe what the service does")
	}
	checkText(v, "contact", in.Contact)
	if n := utf8.RuneCountInString(in.Contact); n > MaxPracticeContact {
		v.add("contact", "is %d characters long; the limit is %d", n, MaxPracticeContact)
	}
	var links []string
	for _, l := range in.Links {
		if l = strings.TrimSpace(l); l != "" {
			links = append(links, l)
		}
	}
	in.Links = links
	checkEvidence(v, "links", in.Links)
	if in.Language == "" {
		in.Language = "en"
	} else if !languageCode.MatchString(in.Language) {
		v.add("language", "must be a language code such as en or ru")
	}
	return in, v.err()
}

// SubmitPractice writes up a practice behind an indicator of an approved
// assessment where the service reached level 4 or 5, and sends it to the
// reviewers. A practice the reviewer returned is replaced by the new text
// and submitted again; one waiting for review or published is a duplicate.
func (s *Store) SubmitPractice(ctx context.Context, by Actor, assessmentID uint, in PracticeInput) (_ *Practice, err error) {
	defer wrap(&err, "share a practice of assessment %d", assessmentID)
	// Who may share is decided before the text is read: others learn
	// nothing about the assessment from the answer.
	a, err := s.Assessment(ctx, by, assessmentID)
	if err != nil {
		return nil, err
	}
	if !by.CanPlan(a) {
		return nil, fmt.Errorf("%w: only the organisation's respondents share its practices", ErrForbidden)
	}
	in, err = in.check()
	if err != nil {
		return nil, err
	}
	var out Practice
	err = s.write(ctx, func(tx *gorm.DB) error {
		v, err := s.readView(tx, by, assessmentID)
		if err != nil {
			return err
		}
		a := v.Assessment
		if a.Status != StatusApproved {
			return fieldError("assessment", "practices are shared from approved assessments; this one is %s", a.Status)
		}
		ind, ref, ok := v.Edition.Indicator(in.Indicator)
		if !ok {
			return fieldError("indicator", "unknown indicator: edition %s has no indicator %q", v.Edition.Key(), in.Indicator)
		}
		level, _ := levelIn(v.Edition, v.Answers, ind.ID)
		if level < PracticeMinLevel {
			return fieldError("indicator", "the service is at level %d here; practices are shared from level %d", level, PracticeMinLevel)
		}
		links, _ := json.Marshal(in.Links)
		if in.Links == nil {
			links = []byte("[]")
		}
		var existing []Practice
		if err := forUpdate(tx).Where("assessment_id = ? AND indicator_id = ? AND peer_id = 0", a.ID, ind.ID).Limit(1).Find(&existing).Error; err != nil {
			return err
		}
		out = Practice{
			AssessmentID: a.ID, OrganisationID: a.OrganisationID, ServiceID: a.ServiceID, Country: a.Country, Category: a.Service.Category,
			FrameworkID: a.FrameworkID, FrameworkVersion: a.FrameworkVersion, DimensionID: v.Edition.Dimensions[ref.Dimension].ID,
			IndicatorID: ind.ID, Level: level, Title: in.Title, Summary: in.Summary, Contact: in.Contact, Links: string(links),
			Language: in.Language, Status: PracticeSubmitted, AuthorID: by.UserID, SearchText: searchText(in.Title, in.Summary),
		}
		var before any
		if len(existing) > 0 {
			old := existing[0]
			if old.Status != PracticeReturned {
				return fmt.Errorf("%w: a practice for %s is already %s", ErrDuplicate, ind.ID, old.Status)
			}
			before = practiceAudit(&old)
			out.ID, out.CreatedAt = old.ID, old.CreatedAt
			if err := tx.Save(&out).Error; err != nil {
				return err
			}
		} else if err := tx.Create(&out).Error; err != nil {
			return err
		}
		if err := s.audit(tx, &by, "practice.submitted", "practice", out.ID, before, practiceAudit(&out)); err != nil {
			return err
		}
		us, err := reviewers(tx)
		if err != nil {
			return err
		}
		id := a.ID
		return s.notify(tx, us, Notification{Kind: NoticePracticeSubmitted, AssessmentID: &id, Comment: out.Title},
			MailData{Service: a.Service.Name, Period: a.Period, Comment: out.Title, Link: "/review/practices"})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func practiceAudit(p *Practice) map[string]any {
	return map[string]any{"indicator": p.IndicatorID, "title": p.Title, "status": p.Status, "level": p.Level, "assessment": p.AssessmentID}
}

// Practice decisions.
const (
	PracticePublish = "publish"
	PracticeReturn  = "return"
)

// ReviewPractice publishes a submitted practice or returns it to its
// author with a comment; the author is told either way.
func (s *Store) ReviewPractice(ctx context.Context, by Actor, id uint, decision, comment string) (_ *Practice, err error) {
	defer wrap(&err, "review practice %d", id)
	if !by.CanReview() {
		return nil, fmt.Errorf("%w: only reviewers review practices", ErrForbidden)
	}
	comment = cleanReviewText(comment)
	v := invalid{}
	if decision != PracticePublish && decision != PracticeReturn {
		v.add("decision", "must be publish or return")
	}
	checkText(v, "comment", comment)
	if decision == PracticeReturn && comment == "" {
		v.add("comment", "say what the author should change")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	var p Practice
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := forUpdate(tx).First(&p, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if p.Status != PracticeSubmitted {
			return fmt.Errorf("%w: only submitted practices are reviewed; this one is %s", ErrReadOnly, p.Status)
		}
		before := practiceAudit(&p)
		now := s.now()
		kind := NoticePracticeReturned
		p.ReviewComment = comment
		if decision == PracticePublish {
			p.Status, p.PublishedAt, kind = PracticePublished, &now, NoticePracticePublished
		} else {
			p.Status = PracticeReturned
		}
		if err := tx.Model(&p).Select("status", "published_at", "review_comment", "updated_at").Updates(&p).Error; err != nil {
			return err
		}
		after := practiceAudit(&p)
		after["comment"] = comment
		if err := s.audit(tx, &by, kind, "practice", p.ID, before, after); err != nil {
			return err
		}
		var author []User
		if err := tx.Where("id = ?", p.AuthorID).Find(&author).Error; err != nil {
			return err
		}
		var a Assessment
		if err := tx.Preload("Service").First(&a, p.AssessmentID).Error; err != nil {
			return err
		}
		aid := a.ID
		link := fmt.Sprintf("/practices/%d", p.ID)
		if kind == NoticePracticeReturned {
			link = fmt.Sprintf("/assessments/%d/practices/new?indicator=%s", a.ID, p.IndicatorID)
		}
		return s.notify(tx, author, Notification{Kind: kind, AssessmentID: &aid, Comment: comment},
			MailData{Service: a.Service.Name, Period: a.Period, Comment: comment, Link: link})
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// PracticeView is a practice with what the public list shows with it.
type PracticeView struct {
	Practice
	Service      string
	Organisation string
	CardID       string // "" when the assessment has no card; a peer's card's address for a peer's practice
	Revoked      bool   // the card that attests the level was revoked
	Source       string // SourceLocal, or the base URL of the peer it came from
}

// PracticeFilter narrows the practices listed. Nothing in it is ever an
// error: words are reduced to what the index holds, unknown values match
// nothing, and paging is kept in range.
type PracticeFilter struct {
	Q         string
	Indicator string
	Dimension string
	Country   string
	Subregion string
	Category  string
	Status    PracticeStatus // published unless a reviewer asks for another
	Page      int
	Limit     int
}

// MaxSearchWords bounds how many words of a search are used; a search is
// a few words, and each is a prefix match in the index.
const (
	MaxSearchWords = 16
	maxWordRunes   = 64
)

// searchWords splits text into the words the index holds: runs of
// letters, digits and combining marks, lower-cased, each at most 64
// characters. The store does this itself, for documents and for searches
// alike, so that SQLite and PostgreSQL see exactly the same words and a
// search's quotes, operators or control characters never reach either
// database's query syntax.
func searchWords(text string, limit int) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToValidUTF8(text, " "), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r)
	}) {
		w = strings.ToLower(w)
		if utf8.RuneCountInString(w) > maxWordRunes {
			w = string([]rune(w)[:maxWordRunes])
		}
		// Lower-casing can leave a word starting with a combining mark
		// after a dotted capital I; keep it, both databases take it as is.
		out = append(out, w)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}

func searchText(title, summary string) string {
	return strings.Join(searchWords(title+" "+summary, 0), " ")
}

// matchPractices narrows q to the practices whose text has, for every
// word of the search, a word starting with it.
func matchPractices(q *gorm.DB, words []string) *gorm.DB {
	if len(words) == 0 {
		return q
	}
	if q.Dialector.Name() == "postgres" {
		terms := make([]string, len(words))
		for i, w := range words {
			terms[i] = "'" + w + "':*" // words hold no quotes or backslashes
		}
		return q.Where("practices.search @@ CAST(? AS tsquery)", strings.Join(terms, " & "))
	}
	terms := make([]string, len(words))
	for i, w := range words {
		terms[i] = `"` + w + `*"`
	}
	return q.Where("practices.id IN (SELECT docid FROM practice_search WHERE practice_search MATCH ?)", strings.Join(terms, " "))
}

// Practices lists practices, newest published first: published ones to
// anyone, others' to reviewers asking by status, and an organisation's own
// to it (see PracticesOf).
func (s *Store) Practices(ctx context.Context, by Actor, f PracticeFilter) (_ *Page[PracticeView], err error) {
	defer wrap(&err, "list practices")
	if f.Status == "" {
		f.Status = PracticePublished
	}
	if f.Status != PracticePublished && !by.CanReview() {
		f.Status = PracticePublished
	}
	if f.Page < 1 {
		f.Page = 1
	}
	if f.Limit < 1 || f.Limit > MaxPageSize {
		f.Limit = 20
	}
	f.Page = min(f.Page, 1_000_000)
	out := &Page[PracticeView]{Page: f.Page, Limit: f.Limit, Sort: "-published", Items: []PracticeView{}}
	err = s.read(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&Practice{}).Where("practices.status = ?", f.Status).Where(fromTrusted, PeerTrusted)
		if f.Indicator != "" {
			q = q.Where("practices.indicator_id = ?", f.Indicator)
		}
		if f.Dimension != "" {
			q = q.Where("practices.dimension_id = ?", f.Dimension)
		}
		if f.Country != "" {
			q = q.Where("practices.country = ?", strings.ToUpper(f.Country))
		}
		if f.Subregion != "" {
			q = q.Where("practices.country IN ?", append([]string{""}, s.countries.InSubregion(f.Subregion)...))
		}
		if f.Category != "" {
			q = q.Where("practices.category = ?", f.Category)
		}
		q = matchPractices(q, searchWords(f.Q, MaxSearchWords))
		if err := q.Count(&out.Total).Error; err != nil {
			return err
		}
		var ps []Practice
		if err := q.Order("practices.published_at DESC, practices.id DESC").Offset((f.Page - 1) * f.Limit).Limit(f.Limit).Find(&ps).Error; err != nil {
			return err
		}
		out.Items, err = practiceViews(tx, ps)
		return err
	})
	return out, err
}

func practiceViews(tx *gorm.DB, ps []Practice) ([]PracticeView, error) {
	out := make([]PracticeView, len(ps))
	if len(ps) == 0 {
		return out, nil
	}
	var svcIDs, orgIDs, asIDs []uint
	for _, p := range ps {
		svcIDs, orgIDs, asIDs = append(svcIDs, p.ServiceID), append(orgIDs, p.OrganisationID), append(asIDs, p.AssessmentID)
	}
	var svcs []Service
	var orgs []Organisation
	var cards []CardRecord
	if err := tx.Where("id IN ?", svcIDs).Find(&svcs).Error; err != nil {
		return nil, err
	}
	if err := tx.Where("id IN ?", orgIDs).Find(&orgs).Error; err != nil {
		return nil, err
	}
	if err := tx.Omit("Data").Where("assessment_id IN ?", asIDs).Find(&cards).Error; err != nil {
		return nil, err
	}
	svcName, orgName, card := map[uint]string{}, map[uint]string{}, map[uint]CardRecord{}
	for _, v := range svcs {
		svcName[v.ID] = v.Name
	}
	for _, o := range orgs {
		orgName[o.ID] = o.Name
	}
	for _, c := range cards {
		card[c.AssessmentID] = c
	}
	peerCards, bases, err := peerPracticeCards(tx, ps)
	if err != nil {
		return nil, err
	}
	for i, p := range ps {
		if p.PeerID != 0 {
			c := peerCards[p.PeerCardID]
			out[i] = PracticeView{Practice: p, Service: c.ServiceName, Organisation: c.Provider, Source: bases[p.PeerID],
				CardID: p.PeerCardID, Revoked: c.Revoked}
			continue
		}
		out[i] = PracticeView{Practice: p, Service: svcName[p.ServiceID], Organisation: orgName[p.OrganisationID], Source: SourceLocal}
		if c, ok := card[p.AssessmentID]; ok {
			out[i].CardID, out[i].Revoked = c.ID, c.RevokedAt != nil
		}
	}
	return out, nil
}

// Practice reads one practice: a published one for anyone; others for
// reviewers and for the organisation that wrote it.
func (s *Store) Practice(ctx context.Context, by Actor, id uint) (_ *PracticeView, err error) {
	defer wrap(&err, "read practice %d", id)
	var out *PracticeView
	err = s.read(ctx, func(tx *gorm.DB) error {
		var p Practice
		if err := tx.First(&p, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if p.Status != PracticePublished && !by.CanReview() && !(by.CanAssess() && by.OrganisationID == p.OrganisationID) {
			return ErrNotFound
		}
		var trusted int64
		if err := tx.Model(&Practice{}).Where("id = ?", p.ID).Where(fromTrusted, PeerTrusted).Count(&trusted).Error; err != nil {
			return err
		}
		if trusted == 0 {
			return ErrNotFound // a peer's practice, and the peer is no longer trusted
		}
		vs, err := practiceViews(tx, []Practice{p})
		if err != nil {
			return err
		}
		out = &vs[0]
		return nil
	})
	return out, err
}

// PracticesOf lists the practices written from an assessment, for its
// organisation and reviewers, by indicator.
func (s *Store) PracticesOf(ctx context.Context, by Actor, assessmentID uint) (_ map[string]Practice, err error) {
	defer wrap(&err, "list the practices of assessment %d", assessmentID)
	if _, err := s.Assessment(ctx, by, assessmentID); err != nil {
		return nil, err
	}
	var ps []Practice
	if err := s.db.WithContext(ctx).Where("assessment_id = ? AND peer_id = 0", assessmentID).Find(&ps).Error; err != nil {
		return nil, err
	}
	out := make(map[string]Practice, len(ps))
	for _, p := range ps {
		out[p.IndicatorID] = p
	}
	return out, nil
}

// PracticeCount is how many services have a published practice behind an
// indicator, and the lowest level among them.
type PracticeCount struct {
	Services int
	Level    int
}

// PracticeCounts counts the published practices of an edition's framework
// by indicator, for the links from gaps and from the framework page.
func (s *Store) PracticeCounts(ctx context.Context, frameworkID string) (_ map[string]PracticeCount, err error) {
	defer wrap(&err, "count practices of %s", frameworkID)
	var rows []struct {
		IndicatorID string
		Services    int
		Level       int
	}
	if err := s.db.WithContext(ctx).Model(&Practice{}).
		// A local service is counted by its id, a peer's by its card's
		// subject (with the peer, as two peers' ids may coincide).
		Select("indicator_id, COUNT(DISTINCT CASE WHEN peer_id = 0 THEN service_id END) + "+
			"COUNT(DISTINCT CASE WHEN peer_id <> 0 THEN CAST(peer_id AS text) || ' ' || peer_service END) AS services, MIN(level) AS level").
		Where("status = ? AND framework_id = ?", PracticePublished, frameworkID).Where(fromTrusted, PeerTrusted).
		Group("indicator_id").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]PracticeCount, len(rows))
	for _, r := range rows {
		out[r.IndicatorID] = PracticeCount{r.Services, r.Level}
	}
	return out, nil
}
