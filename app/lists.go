package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

// listQuery reads ?q=, ?sort=, ?page= and ?limit=. The store checks the
// sort against its whitelist and the bounds; here only numbers are read.
func listQuery(c echo.Context) (assessments.ListQuery, error) {
	q := assessments.ListQuery{Q: c.QueryParam("q"), Sort: c.QueryParam("sort")}
	bad := map[string]assessments.Message{}
	for name, dst := range map[string]*int{"page": &q.Page, "limit": &q.Limit} {
		if v := c.QueryParam(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				bad[name] = assessments.Message{Format: "must be a positive number"}
			}
			*dst = n
		}
	}
	if len(bad) > 0 {
		return q, &assessments.ValidationError{Fields: bad}
	}
	return q, nil
}

// pager is what a list page shows around its table: the search and sort
// form, where the page is in the list, and links to the pages around it.
// Its links keep the list's other filters.
type pager struct {
	Path  string
	Q     string
	Sort  string
	Sorts []string // sort keys the list offers, each both ways
	Page  int
	Pages int
	Total int64
	Limit int
	Keep  url.Values // the list's other filters
}

func newPager[T any](c echo.Context, p *assessments.Page[T], sorts ...string) *pager {
	keep := url.Values{}
	for k, vs := range c.QueryParams() {
		if k != "q" && k != "sort" && k != "page" && k != "limit" && k != "before" {
			keep[k] = vs
		}
	}
	return &pager{Path: c.Request().URL.Path, Q: c.QueryParam("q"), Sort: p.Sort, Sorts: sorts, Page: p.Page, Pages: p.Pages(), Total: p.Total, Limit: p.Limit, Keep: keep}
}

// URL is the link to page n of the list as it is searched and sorted now.
func (p *pager) URL(n int) string {
	v := url.Values{}
	for k, vs := range p.Keep {
		v[k] = vs
	}
	if p.Q != "" {
		v.Set("q", p.Q)
	}
	v.Set("sort", p.Sort)
	if p.Limit != assessments.DefaultPageSize {
		v.Set("limit", strconv.Itoa(p.Limit))
	}
	v.Set("page", strconv.Itoa(n))
	return p.Path + "?" + v.Encode()
}

// Hidden lists the other filters, to carry them through the search form.
func (p *pager) Hidden() [][2]string {
	var out [][2]string
	for k, vs := range p.Keep {
		for _, v := range vs {
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

// Options are the sort choices: each key ascending, then descending.
func (p *pager) Options() []string {
	var out []string
	for _, k := range p.Sorts {
		out = append(out, k, "-"+k)
	}
	return out
}

// SortKey and Desc split a sort choice for its label.
func (p *pager) SortKey(o string) string { return strings.TrimPrefix(o, "-") }
func (p *pager) Desc(o string) bool      { return strings.HasPrefix(o, "-") }

// pageHeaders tells API clients how long a list is and where its next and
// previous pages are; the body stays the plain array it always was.
func pageHeaders[T any](c echo.Context, p *assessments.Page[T]) {
	h := c.Response().Header()
	h.Set("X-Total-Count", strconv.FormatInt(p.Total, 10))
	link := func(n int, rel string) string {
		v := url.Values{}
		for k, vs := range c.QueryParams() {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(n))
		v.Set("limit", strconv.Itoa(p.Limit))
		v.Set("sort", p.Sort)
		return fmt.Sprintf("<%s?%s>; rel=%q", c.Request().URL.Path, v.Encode(), rel)
	}
	var links []string
	if p.HasNext() {
		links = append(links, link(p.Page+1, "next"))
	}
	if p.Page > 1 {
		links = append(links, link(p.Page-1, "prev"))
	}
	if len(links) > 0 {
		h.Set("Link", strings.Join(links, ", "))
	}
}

// sendPage answers an API list request with one page of items.
func sendPage[T any](c echo.Context, p *assessments.Page[T], items any) error {
	pageHeaders(c, p)
	return c.JSON(http.StatusOK, items)
}
