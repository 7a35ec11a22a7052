package assessments

import (
	"context"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// List sizes: a page shows DefaultPageSize rows unless asked for another
// size up to MaxPageSize. Longer lists are paged, never cut.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// ListQuery is what a list asks for: a search, a sort and a page.
type ListQuery struct {
	Q     string // matched, case-insensitively, against the list's search columns
	Sort  string // a key of the list's sort whitelist; "-key" sorts descending; "" the list's default
	Page  int    // from 1; 0 is 1
	Limit int    // rows per page; 0 is DefaultPageSize
}

// Page is one page of a list and how long the whole list is.
type Page[T any] struct {
	Items []T    `json:"items"`
	Total int64  `json:"total"`
	Page  int    `json:"page"`
	Limit int    `json:"limit"`
	Sort  string `json:"sort"`
}

// Pages is the number of pages, at least 1.
func (p *Page[T]) Pages() int {
	if p.Total == 0 || p.Limit == 0 {
		return 1
	}
	return int((p.Total + int64(p.Limit) - 1) / int64(p.Limit))
}

// HasNext reports whether a page follows this one.
func (p *Page[T]) HasNext() bool { return p.Page < p.Pages() }

// sortable maps the sort keys a list accepts to the SQL it orders by. Only
// these constant expressions ever reach the query: the user's input picks
// a key, it is never written into SQL.
type sortable map[string]string

// check validates q against the sort whitelist and fills the defaults.
func (q *ListQuery) check(sorts sortable, def string) error {
	v := invalid{}
	if q.Sort == "" {
		q.Sort = def
	}
	if _, ok := sorts[strings.TrimPrefix(q.Sort, "-")]; !ok {
		v.add("sort", "must be one of: %s", strings.Join(sortKeys(sorts), ", "))
	}
	if q.Page < 0 {
		v.add("page", "must be a positive number")
	}
	if q.Page == 0 {
		q.Page = 1
	}
	if q.Limit < 0 || q.Limit > MaxPageSize {
		v.add("limit", "must be between 1 and %d", MaxPageSize)
	}
	if q.Limit == 0 {
		q.Limit = DefaultPageSize
	}
	q.Q = strings.TrimSpace(q.Q)
	checkText(v, "q", q.Q)
	return v.err()
}

func sortKeys(sorts sortable) []string {
	keys := make([]string, 0, len(sorts))
	for k := range sorts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// order applies the checked sort, with id as the tie-breaker so that pages
// never overlap or skip rows.
func (q *ListQuery) order(db *gorm.DB, sorts sortable, idColumn string) *gorm.DB {
	key, dir := q.Sort, " ASC"
	if strings.HasPrefix(key, "-") {
		key, dir = key[1:], " DESC"
	}
	return db.Order(sorts[key] + dir).Order(idColumn + dir)
}

// search narrows db to rows where any of columns contains q, ignoring
// case, on SQLite and PostgreSQL alike.
func (q *ListQuery) search(db *gorm.DB, columns ...string) *gorm.DB {
	if q.Q == "" {
		return db
	}
	pattern := "%" + likeEscaper.Replace(strings.ToLower(q.Q)) + "%"
	var parts []string
	var args []any
	for _, c := range columns {
		parts = append(parts, "LOWER("+c+") LIKE ? ESCAPE '\\'")
		args = append(args, pattern)
	}
	return db.Where("("+strings.Join(parts, " OR ")+")", args...)
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// paginate counts the rows of db and reads the page q asks for into out.
func paginate[T any](db *gorm.DB, q ListQuery, ordered func(*gorm.DB) *gorm.DB) (*Page[T], error) {
	p := &Page[T]{Page: q.Page, Limit: q.Limit, Sort: q.Sort, Items: []T{}}
	if err := db.Session(&gorm.Session{}).Count(&p.Total).Error; err != nil {
		return nil, err
	}
	if p.Total == 0 {
		return p, nil
	}
	err := ordered(db.Session(&gorm.Session{})).Offset((q.Page - 1) * q.Limit).Limit(q.Limit).Find(&p.Items).Error
	return p, err
}

var assessmentSorts = sortable{
	"updated":      "assessments.updated_at",
	"service":      "LOWER(s.name)",
	"organisation": "LOWER(o.name)",
	"country":      "assessments.country",
	"period":       "assessments.period",
	"status":       "assessments.status",
	"score":        "COALESCE(assessments.score, -1)",
}

// AssessmentPage lists a page of the assessments the actor may see that
// match f, searched by service and organisation name; newest change first
// unless sorted otherwise.
func (s *Store) AssessmentPage(ctx context.Context, by Actor, f Filter, q ListQuery) (_ *Page[Assessment], err error) {
	defer wrap(&err, "list assessments")
	if err := q.check(assessmentSorts, "-updated"); err != nil {
		return nil, err
	}
	db := visibleTo(s.db.WithContext(ctx).Model(&Assessment{}), by, "assessments.organisation_id").
		Joins("JOIN services s ON s.id = assessments.service_id").
		Joins("JOIN organisations o ON o.id = assessments.organisation_id")
	db = f.apply(db, "assessments.")
	db = q.search(db, "s.name", "o.name")
	p, err := paginate[Assessment](db, q, func(db *gorm.DB) *gorm.DB {
		return q.order(db.Select("assessments.*").Preload("Service"), assessmentSorts, "assessments.id")
	})
	return p, err
}

var userSorts = sortable{"email": "LOWER(users.email)", "name": "LOWER(users.name)", "role": "users.role", "created": "users.created_at"}

// UserPage lists a page of accounts, searched by email and name, for
// administrators.
func (s *Store) UserPage(ctx context.Context, by Actor, q ListQuery) (_ *Page[User], err error) {
	defer wrap(&err, "list users")
	if !by.CanAdminister() {
		return nil, ErrForbidden
	}
	if err := q.check(userSorts, "email"); err != nil {
		return nil, err
	}
	db := q.search(s.db.WithContext(ctx).Model(&User{}), "users.email", "users.name")
	return paginate[User](db, q, func(db *gorm.DB) *gorm.DB {
		return q.order(db.Preload("Organisation"), userSorts, "users.id")
	})
}

var organisationSorts = sortable{"name": "LOWER(organisations.name)", "country": "organisations.country", "kind": "organisations.kind", "created": "organisations.created_at"}

// OrganisationPage lists a page of organisations, searched by name,
// country code and kind, for administrators.
func (s *Store) OrganisationPage(ctx context.Context, by Actor, q ListQuery) (_ *Page[Organisation], err error) {
	defer wrap(&err, "list organisations")
	if !by.CanAdminister() {
		return nil, ErrForbidden
	}
	if err := q.check(organisationSorts, "name"); err != nil {
		return nil, err
	}
	db := q.search(s.db.WithContext(ctx).Model(&Organisation{}), "organisations.name", "organisations.country", "organisations.kind")
	return paginate[Organisation](db, q, func(db *gorm.DB) *gorm.DB {
		return q.order(db, organisationSorts, "organisations.id")
	})
}

var serviceSorts = sortable{"name": "LOWER(services.name)", "category": "services.category", "organisation": "LOWER(o.name)", "created": "services.created_at"}

// ServicePage lists a page of the services the actor may see, searched by
// service and organisation name and category.
func (s *Store) ServicePage(ctx context.Context, by Actor, q ListQuery) (_ *Page[Service], err error) {
	defer wrap(&err, "list services")
	if err := q.check(serviceSorts, "name"); err != nil {
		return nil, err
	}
	db := visibleTo(s.db.WithContext(ctx).Model(&Service{}), by, "services.organisation_id").
		Joins("JOIN organisations o ON o.id = services.organisation_id")
	db = q.search(db, "services.name", "o.name", "services.category")
	return paginate[Service](db, q, func(db *gorm.DB) *gorm.DB {
		return q.order(db.Select("services.*"), serviceSorts, "services.id")
	})
}
