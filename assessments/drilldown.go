package assessments

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"

	"github.com/unescap/dmf/frameworks"
	"gorm.io/gorm"
)

// The reviewer drill-down opens the comparison from a dimension to its
// indicators, country by country, optionally for one service category,
// with each country's spread (lowest, median, highest, services) beside
// its mean. A median needs every value, which a running sum cannot give;
// but an indicator scores only a few distinct values (one per level or
// band) and a dimension's score is shown to one decimal, so approval
// counts each approved assessment's scores into a histogram, and the
// drill-down reads a few thousand histogram rows instead of every
// assessment.

// scoreHistogram counts the approved assessments of one edition, period,
// country and service category by score: per indicator (IndicatorID), per
// dimension ("dim:" + its id, the score rounded to one decimal), and in
// all (IndicatorID "", score 0), which is the number of services.
type scoreHistogram struct {
	FrameworkID      string `gorm:"primaryKey;size:100"`
	FrameworkVersion string `gorm:"primaryKey;size:50"`
	Period           int    `gorm:"primaryKey;autoIncrement:false"`
	IndicatorID      string `gorm:"primaryKey;size:70"`
	Country          string `gorm:"primaryKey;size:3"`
	Category         string `gorm:"primaryKey;size:64"`
	Tenths           int    `gorm:"primaryKey;autoIncrement:false"` // the score to one decimal, times ten: a key compares exactly
	N                int    `gorm:"not null"`
}

func (scoreHistogram) TableName() string { return "score_histograms" }

// dimKey is the histogram key of a dimension's scores.
func dimKey(id string) string { return "dim:" + id }

// histogramRows are the rows one approved assessment adds.
func histogramRows(a *Assessment, category string, ed *frameworks.Edition, answers Answers, res Result) []scoreHistogram {
	row := func(id string, score float64) scoreHistogram {
		return scoreHistogram{FrameworkID: a.FrameworkID, FrameworkVersion: a.FrameworkVersion, Period: a.Period,
			IndicatorID: id, Country: a.Country, Category: category, Tenths: int(math.Round(score * 10)), N: 1}
	}
	rows := []scoreHistogram{row("", 0)}
	for _, d := range res.Dimensions {
		if d.Value.Scored {
			rows = append(rows, row(dimKey(d.ID), d.Value.Score))
		}
	}
	for _, d := range ed.Dimensions {
		for i := range d.Indicators {
			ind := &d.Indicators[i]
			an, ok := answers[ind.ID]
			if !ind.Scored() || !ok || an.NA || !Visible(ed, ind, answers) {
				continue
			}
			if sc, ok := IndicatorScore(ind, an); ok {
				rows = append(rows, row(ind.ID, sc))
			}
		}
	}
	return rows
}

// addToHistograms counts an approved assessment's scores, in its
// approval's transaction.
func addToHistograms(tx *gorm.DB, rows []scoreHistogram) error {
	return insertRows(tx, "score_histograms", []string{"framework_id", "framework_version", "period", "indicator_id", "country", "category", "tenths", "n"},
		len(rows), func(i int) []any {
			r := &rows[i]
			return []any{r.FrameworkID, r.FrameworkVersion, r.Period, r.IndicatorID, r.Country, r.Category, r.Tenths, r.N}
		},
		" ON CONFLICT (framework_id, framework_version, period, indicator_id, country, category, tenths) DO UPDATE SET n = score_histograms.n + excluded.n")
}

// fillHistograms counts the approved assessments that an earlier release
// approved, before histograms existed: once, when the table is empty and
// approved assessments are not. Their answers are what was approved, so
// the counts are those approval would have made.
func (s *Store) fillHistograms(ctx context.Context) error {
	var have int64
	if err := s.db.WithContext(ctx).Model(&scoreHistogram{}).Limit(1).Count(&have).Error; err != nil || have > 0 {
		return err
	}
	var ids []uint
	if err := s.db.WithContext(ctx).Model(&Assessment{}).Where("status = ?", StatusApproved).Order("id").Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
		return err
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("1 = 1").Delete(&scoreHistogram{}).Error; err != nil {
			return err
		}
		for _, id := range ids {
			var a Assessment
			if err := tx.Joins("Service").First(&a, id).Error; err != nil {
				return err
			}
			ed, err := s.Edition(&a)
			if err != nil {
				continue // an edition this binary no longer has: nothing to compare it with
			}
			answers, err := loadAnswers(tx, a.ID)
			if err != nil {
				return err
			}
			if err := addToHistograms(tx, histogramRows(&a, a.Service.Category, ed, answers, Score(ed, answers))); err != nil {
				return err
			}
		}
		return nil
	})
}

// Spread is a distribution of scores: lowest, median, highest and mean,
// over Services assessments.
type Spread struct {
	Mean, Min, Median, Max float64
	Services               int
}

// spreadOf computes a spread from a histogram's (score, count) pairs.
func spreadOf(bins []scoreBin) Spread {
	slices.SortFunc(bins, func(a, b scoreBin) int { return cmp.Compare(a.Score, b.Score) })
	var sp Spread
	sum := 0.0
	for _, b := range bins {
		sp.Services += b.N
		sum += b.Score * float64(b.N)
	}
	if sp.Services == 0 {
		return sp
	}
	sp.Mean, sp.Min, sp.Max = sum/float64(sp.Services), bins[0].Score, bins[len(bins)-1].Score
	// The median is the middle value, or the mean of the two middle ones.
	at := func(k int) float64 {
		for _, b := range bins {
			if k < b.N {
				return b.Score
			}
			k -= b.N
		}
		return bins[len(bins)-1].Score
	}
	n := sp.Services
	if n%2 == 1 {
		sp.Median = at(n / 2)
	} else {
		sp.Median = (at(n/2-1) + at(n/2)) / 2
	}
	return sp
}

type scoreBin struct {
	Score float64
	N     int
}

// DrillDown is one country's scores on a dimension's indicators.
type DrillDown struct {
	Services   int               // approved services (of the category, with one)
	Dimension  Spread            // the dimension's scores across those services
	Indicators map[string]Spread // by indicator id; absent where none scored it
}

// drillDown reads the histograms of a dimension's indicators for the
// comparison's edition and period, per country, for one category or all.
func (s *Store) drillDown(ctx context.Context, ed *frameworks.Edition, period int, dim *frameworks.Dimension, category string, countries []string) (map[string]*DrillDown, error) {
	keys := []string{"", dimKey(dim.ID)}
	for _, ind := range dim.Indicators {
		if ind.Scored() {
			keys = append(keys, ind.ID)
		}
	}
	q := s.db.WithContext(ctx).Model(&scoreHistogram{}).
		Select("country, indicator_id, tenths, SUM(n) AS n").
		Where("framework_id = ? AND framework_version = ? AND period = ? AND indicator_id IN ?", ed.ID, ed.Version, period, keys)
	if category != "" {
		q = q.Where("category = ?", category)
	}
	if len(countries) > 0 {
		q = q.Where("country IN ?", countries)
	}
	var rows []struct {
		Country     string
		IndicatorID string
		Tenths      int
		N           int
	}
	if err := q.Group("country, indicator_id, tenths").Scan(&rows).Error; err != nil {
		return nil, err
	}
	bins := map[string]map[string][]scoreBin{}
	for _, r := range rows {
		if bins[r.Country] == nil {
			bins[r.Country] = map[string][]scoreBin{}
		}
		bins[r.Country][r.IndicatorID] = append(bins[r.Country][r.IndicatorID], scoreBin{float64(r.Tenths) / 10, r.N})
	}
	out := map[string]*DrillDown{}
	for country, byKey := range bins {
		dd := &DrillDown{Indicators: map[string]Spread{}}
		for key, b := range byKey {
			sp := spreadOf(b)
			switch {
			case key == "":
				dd.Services = sp.Services
			case strings.HasPrefix(key, "dim:"):
				dd.Dimension = sp
			default:
				dd.Indicators[key] = sp
			}
		}
		if dd.Services > 0 {
			out[country] = dd
		}
	}
	return out, nil
}
