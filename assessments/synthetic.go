package assessments

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/unescap/dmf/frameworks"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SynthOptions sizes a synthetic data set.
type SynthOptions struct {
	Assessments int // approved assessments to create
	Countries   int // spread over the first N ESCAP members
	Period      int
	Seed        uint64
}

// Synthesize bulk-inserts approved assessments with stored scores, for
// benchmarks and load tests of the comparison: one organisation per
// country, one service per assessment. It writes rows directly in large
// batches, skipping answers, so that a hundred thousand assessments take
// seconds rather than the hours the full workflow would; the comparison
// reads only the stored scores, which are computed here by the same
// scoring engine from generated answers.
func (s *Store) Synthesize(ctx context.Context, ed *frameworks.Edition, o SynthOptions) (err error) {
	defer wrap(&err, "synthesize assessments")
	if o.Countries < 1 || o.Countries > len(s.countries.List) {
		return fmt.Errorf("synthesize: countries must be 1 to %d", len(s.countries.List))
	}
	rng := rand.New(rand.NewPCG(o.Seed, 1))
	now := s.now()
	const batch = 1000 // rows per INSERT, under SQLite's limit on bound values
	return s.write(ctx, func(tx *gorm.DB) error {
		orgs := make([]Organisation, o.Countries)
		for i := range orgs {
			orgs[i] = Organisation{Name: fmt.Sprintf("Synthetic agency %d", i+1), Country: s.countries.List[i].Code, Kind: "agency"}
		}
		if err := tx.CreateInBatches(orgs, batch).Error; err != nil {
			return err
		}
		hist := map[scoreHistogram]int{} // rows without N → count
		for start := 0; start < o.Assessments; start += batch {
			n := min(batch, o.Assessments-start)
			services := make([]Service, n)
			for i := range services {
				org := orgs[(start+i)%len(orgs)]
				services[i] = Service{OrganisationID: org.ID, Name: fmt.Sprintf("Synthetic service %d", start+i+1), Category: ServiceCategories[(start+i)%len(ServiceCategories)]}
			}
			if err := tx.CreateInBatches(services, batch).Error; err != nil {
				return err
			}
			as := make([]Assessment, n)
			results := make([]Result, n)
			answers := make([]Answers, n)
			for i := range as {
				org := orgs[(start+i)%len(orgs)]
				// Each country centres on its own level, so countries differ.
				centre := 1.5 + 3*float64((start+i)%len(orgs))/float64(len(orgs))
				answers[i] = synthAnswers(ed, rng, centre)
				results[i] = Score(ed, answers[i])
				score, level := results[i].Overall.Score, results[i].Overall.Level
				t := now.Add(-time.Duration(rng.IntN(3600)) * time.Second)
				as[i] = Assessment{
					ServiceID: services[i].ID, OrganisationID: org.ID, Country: org.Country,
					FrameworkID: ed.ID, FrameworkVersion: ed.Version, Period: o.Period, Status: StatusApproved, Version: 2,
					Score: &score, Level: &level, CreatedByID: 0, SubmittedAt: &t, ApprovedAt: &t,
				}
			}
			if err := tx.Omit(clause.Associations).CreateInBatches(as, batch).Error; err != nil {
				return err
			}
			var dims []dimensionScore
			for i, a := range as {
				for _, d := range results[i].Dimensions {
					if d.Value.Scored {
						dims = append(dims, dimensionScore{AssessmentID: a.ID, DimensionID: d.ID, FrameworkID: a.FrameworkID, FrameworkVersion: a.FrameworkVersion,
							Period: a.Period, Approved: true, Country: a.Country, Score: d.Value.Score, Level: d.Value.Level})
					}
				}
			}
			if err := tx.CreateInBatches(dims, batch).Error; err != nil {
				return err
			}
			for i := range as {
				for _, r := range histogramRows(&as[i], services[i].Category, ed, answers[i], results[i]) {
					r.N = 0
					hist[r]++
				}
			}
		}
		rows := make([]scoreHistogram, 0, len(hist))
		for r, n := range hist {
			r.N = n
			rows = append(rows, r)
		}
		if err := addToHistograms(tx, rows); err != nil {
			return err
		}
		return rebuildAggregates(tx)
	})
}

func synthAnswers(ed *frameworks.Edition, rng *rand.Rand, centre float64) Answers {
	a := make(Answers, ed.IndicatorCount())
	for _, d := range ed.Dimensions {
		for _, ind := range d.Indicators {
			if ind.Type != frameworks.TypeLevel {
				continue
			}
			k := max(1, min(len(ind.Options), int(centre+rng.NormFloat64()+0.5)))
			a[ind.ID] = Answer{Level: &k}
		}
	}
	return a
}
