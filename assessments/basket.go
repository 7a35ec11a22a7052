package assessments

import (
	"context"
	"fmt"
	"slices"

	"github.com/unescap/dmf/frameworks"
)

// The reference basket: an edition lists the SME services countries are
// compared on (business registration, tax, social contributions, …), and
// service categories map to them, so that the comparison can say which of
// them each country has assessed, as GTMI and the eGovernment Benchmark
// compare fixed baskets.

// BasketRow is one shown country's approved services per basket service
// in the compared period.
type BasketRow struct {
	Code     string
	Name     frameworks.Text
	Services map[string]int // basket service id → approved services of its categories
}

// Has reports whether the country has an approved assessment of a service
// in this basket service.
func (r BasketRow) Has(id string) bool { return r.Services[id] > 0 }

// CheckBasket reports basket categories that are not service categories:
// such a basket service could never be assessed.
func CheckBasket(ed *frameworks.Edition) error {
	var problems frameworks.Problems
	for i, b := range ed.Basket {
		for j, cat := range b.Categories {
			if !slices.Contains(ServiceCategories, cat) {
				problems = append(problems, frameworks.Problem{File: ed.Key(), Path: fmt.Sprintf("basket[%d].categories[%d]", i, j),
					Message: fmt.Sprintf("%q is not a service category (known: %v)", cat, ServiceCategories)})
			}
		}
	}
	if len(problems) > 0 {
		return problems
	}
	return nil
}

// basket fills the basket matrix of the shown countries only: a
// suppressed country shows nothing, not even which services it has.
func (s *Store) basket(ctx context.Context, cmpn *Comparison) error {
	if len(cmpn.Edition.Basket) == 0 || len(cmpn.Countries) == 0 {
		return nil
	}
	codes := make([]string, len(cmpn.Countries))
	for i, r := range cmpn.Countries {
		codes[i] = r.Code
	}
	var rows []struct {
		Country  string
		Category string
		N        int
	}
	// The drill-down's histograms already count approved assessments by
	// country and service category (the "" rows, see scoreHistogram): a
	// few hundred rows, where joining every approved assessment to its
	// service took most of a comparison's time at 100,000 assessments.
	err := s.db.WithContext(ctx).Model(&scoreHistogram{}).
		Select("country, category, SUM(n) AS n").
		Where("framework_id = ? AND framework_version = ? AND period = ? AND indicator_id = '' AND country IN ?",
			cmpn.Edition.ID, cmpn.Edition.Version, cmpn.Period, codes).
		Group("country, category").Scan(&rows).Error
	if err != nil {
		return err
	}
	peer, err := s.peerBasket(ctx, cmpn, codes)
	if err != nil {
		return err
	}
	for _, r := range cmpn.Countries {
		row := BasketRow{Code: r.Code, Name: r.Name, Services: map[string]int{}}
		for cat, n := range peer[r.Code] { // a country peers attest counts their cards alone
			if b, ok := cmpn.Edition.BasketOf(cat); ok {
				row.Services[b.ID] += n
			}
		}
		for _, x := range rows {
			if x.Country != r.Code || len(r.Sources) > 0 {
				continue
			}
			if b, ok := cmpn.Edition.BasketOf(x.Category); ok {
				row.Services[b.ID] += x.N
			}
		}
		cmpn.Basket = append(cmpn.Basket, row)
	}
	return nil
}
