package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// demoOrg is a demonstration organisation with its services. maturity is
// the level (1–5) its answers centre on, so that countries differ; states
// is where each service's current-year assessment stands.
type demoOrg struct {
	name, country, kind string
	maturity            float64
	services            []assessments.Service
	states              []string
}

var demoOrgs = []demoOrg{
	{"Business Registration Agency (demo)", "KAZ", "agency", 3.6, []assessments.Service{
		{Name: "Online company registration", Category: "business-registration", LifeEvent: "starting", URL: "https://example.kz/register"},
		{Name: "Business licence renewal", Category: "licensing", LifeEvent: "operating"}}, []string{"approved", "approved"}},
	{"State Revenue Service (demo)", "KAZ", "agency", 3.9, []assessments.Service{
		{Name: "VAT return filing", Category: "tax", LifeEvent: "operating", URL: "https://example.kz/vat"},
		{Name: "Public procurement portal for SMEs", Category: "procurement", LifeEvent: "growing"}}, []string{"approved", "submitted"}},
	{"Ministry of Justice (demo)", "UZB", "ministry", 3.1, []assessments.Service{
		{Name: "Single window for entrepreneurs", Category: "business-registration", LifeEvent: "starting"},
		{Name: "Permits for construction", Category: "licensing", LifeEvent: "growing"}}, []string{"approved", "approved"}},
	{"Tax Committee (demo)", "UZB", "agency", 3.4, []assessments.Service{
		{Name: "E-invoicing for SMEs", Category: "tax", LifeEvent: "operating"},
		{Name: "Tax registration of new firms", Category: "tax", LifeEvent: "starting"}}, []string{"approved", "returned"}},
	{"Ministry of Economy and Commerce (demo)", "KGZ", "ministry", 2.4, []assessments.Service{
		{Name: "SME grant applications", Category: "sme-support", LifeEvent: "financing"}}, []string{"draft"}},
	{"State Revenue Committee (demo)", "ARM", "agency", 3.0, []assessments.Service{
		{Name: "Customs declarations", Category: "customs", LifeEvent: "trading"}}, []string{"submitted"}},
	{"State Registration Authority (demo)", "MNG", "agency", 2.2, []assessments.Service{
		{Name: "Company registration", Category: "business-registration", LifeEvent: "starting"}}, []string{"approved"}},
}

// seedDemo fills an instance with organisations in several countries,
// users of every role and assessments in every state, so that every page
// has something to show. It does nothing on an instance that has them.
func (s *server) seedDemo(ctx context.Context, stdout io.Writer) error {
	return s.seedDemoOf(ctx, stdout, nil)
}

// seedDemoOf seeds the demo organisations of the given countries only
// (all when none is given), as one state's instance of a federation has.
func (s *server) seedDemoOf(ctx context.Context, stdout io.Writer, countries []string) error {
	orgs := slices.DeleteFunc(slices.Clone(demoOrgs), func(o demoOrg) bool { return len(countries) > 0 && !slices.Contains(countries, o.country) })
	if len(orgs) == 0 {
		return errors.New("no demo organisation in these countries")
	}
	if _, err := s.store.OrganisationByName(ctx, orgs[0].name, orgs[0].country); err == nil {
		fmt.Fprintln(stdout, "Demo data is already present; not seeding again.")
		return nil
	}
	ed, ok := s.editions.Default()
	if !ok {
		return errors.New("the DMF edition is missing")
	}
	// Last year's history is on the edition the newest one replaces, when
	// it is loaded, so that the result page's change since last year and
	// the comparison's trend show across a change of edition.
	last := ed
	if prev, ok := s.editions.Edition(ed.ID, ed.Previous); ed.Previous != "" && ok {
		last = prev
	}
	type account struct{ email, password, role, org string }
	var accounts []account
	newUser := func(email string, role assessments.Role, org *assessments.Organisation) (assessments.Actor, error) {
		pw := rand.Text()
		nu := assessments.NewUser{Email: email, Password: pw, Role: role}
		orgName := ""
		if org != nil {
			nu.OrganisationID, orgName = org.ID, org.Name+" ("+org.Country+")"
		}
		u, err := s.store.CreateUser(ctx, nil, nu)
		if err != nil {
			return assessments.Actor{}, err
		}
		accounts = append(accounts, account{email, pw, string(role), orgName})
		return u.Actor(), nil
	}
	reviewer, err := newUser("reviewer@demo.example", assessments.RoleReviewer, nil)
	if err != nil {
		return err
	}
	if _, err := newUser("admin@demo.example", assessments.RoleAdmin, nil); err != nil {
		return err
	}
	rng := mrand.New(mrand.NewPCG(2025, 8)) // fixed seed: the same demo every time
	coordinated := map[string]bool{}
	for i, do := range orgs {
		org, err := s.store.CreateOrganisation(ctx, nil, assessments.Organisation{Name: do.name, Country: do.country, Kind: do.kind})
		if err != nil {
			return err
		}
		if !coordinated[do.country] { // before the country's services submit
			coordinated[do.country] = true
			if err := s.demoCountryAnswers(ctx, ed, newUser, org, do.maturity, rng); err != nil {
				return err
			}
		}
		resp, err := newUser(fmt.Sprintf("respondent%d@demo.example", i+1), assessments.RoleRespondent, org)
		if err != nil {
			return err
		}
		for j, svc := range do.services {
			created, err := s.store.CreateService(ctx, resp, svc)
			if err != nil {
				return err
			}
			// Last year approved, so that results show change; this year in
			// the state the data gives, so that every state appears.
			before, err := s.demoAssessment(ctx, last, resp, reviewer, created.ID, 2025, do.maturity-0.4, "approved", rng)
			if err != nil {
				return err
			}
			if err := s.demoPlan(ctx, resp, before); err != nil {
				return err
			}
			now, err := s.demoAssessment(ctx, ed, resp, reviewer, created.ID, 2026, do.maturity, do.states[j], rng)
			if err != nil {
				return err
			}
			if j == 0 && do.states[j] == "approved" {
				if err := s.demoPractice(ctx, resp, reviewer, now, i); err != nil {
					return err
				}
			}
		}
	}
	var codes []string
	for _, o := range orgs {
		if !slices.Contains(codes, o.country) {
			codes = append(codes, o.country)
		}
	}
	fmt.Fprintf(stdout, "\nDemo data: organisations in %s, with assessments in every state.\n", strings.Join(codes, ", "))
	fmt.Fprintf(stdout, "2025 assessments use %s %s, 2026 assessments %s %s.\n", last.ID, last.Version, ed.ID, ed.Version)
	if rec, err := s.store.CardOf(ctx, reviewer, 1); err == nil {
		fmt.Fprintf(stdout, "A card to try: %s (verify it at %s)\n", s.issuer.CardURL(rec.ID), s.issuer.VerifyURL(rec.ID))
	}
	fmt.Fprintln(stdout, "Demo accounts (passwords are random for this database; keep them):")
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  EMAIL\tPASSWORD\tROLE\tORGANISATION")
	for _, a := range accounts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.email, a.password, a.role, a.org)
	}
	tw.Flush()
	if len(s.cfg.RequireMFA) > 0 {
		// Set explicitly: the demo turns the requirement off otherwise.
		fmt.Fprintf(stdout, "DMF_REQUIRE_MFA=%s: those roles set up a second factor when they first sign in.\n", joinRoles(s.cfg.RequireMFA))
	} else {
		fmt.Fprintln(stdout, "No second factor is required (DMF_REQUIRE_MFA=none), so the accounts above sign in with their password alone.")
	}
	fmt.Fprintln(stdout)
	return nil
}

func joinRoles(roles []assessments.Role) string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return strings.Join(out, ",")
}

// demoAssessment creates one assessment of a service and takes it to the
// given state, with answers spread around a maturity level.
func (s *server) demoAssessment(ctx context.Context, ed *frameworks.Edition, resp, reviewer assessments.Actor, serviceID uint, period int, maturity float64, state string, rng *mrand.Rand) (uint, error) {
	a, err := s.store.CreateAssessment(ctx, resp, assessments.NewAssessment{ServiceID: serviceID, FrameworkID: ed.ID, Version: ed.Version, Period: period})
	if err != nil {
		return 0, err
	}
	answers := assessments.Answers{}
	for _, d := range ed.Dimensions {
		for _, ind := range d.Indicators {
			if ind.CountryScoped() {
				continue // the country's coordinator answers it
			}
			if state == "draft" && rng.IntN(3) == 0 {
				continue // a draft is partly answered
			}
			if ind.Type != frameworks.TypeLevel {
				answers[ind.ID] = demoAnswer(&ind, maturity, rng)
				continue
			}
			k := int(maturity + rng.NormFloat64()*0.9 + 0.5)
			k = max(1, min(len(ind.Options), k))
			ans := assessments.Answer{Level: &k}
			if rng.IntN(4) == 0 {
				ans.Comment = "Based on the service's annual statistics and a walk-through of the online journey."
				ans.Evidence = []string{"https://example.org/evidence/" + ind.ID}
			}
			answers[ind.ID] = ans
		}
	}
	if _, err := s.store.SaveAnswers(ctx, resp, a.ID, nil, answers); err != nil {
		return 0, err
	}
	if state == "draft" {
		return a.ID, nil
	}
	if _, err := s.store.Submit(ctx, resp, a.ID); err != nil {
		return 0, err
	}
	switch state {
	case "approved":
		_, err = s.store.Review(ctx, reviewer, a.ID, assessments.ReviewInput{Decision: assessments.DecisionApprove})
	case "returned":
		_, err = s.store.Review(ctx, reviewer, a.ID, assessments.ReviewInput{
			Decision: assessments.DecisionReturn,
			Comment:  "Please add evidence for the online completion rate and the once-only indicators.",
			Indicators: map[string]string{
				"SERV.1":   "Add the share of applications made online last year, with its source.",
				"PROACT.1": "Which registries are consulted automatically? Link the interoperability agreement.",
			},
		})
	}
	return a.ID, err
}

// demoPlan sets last year's targets for the two weakest indicators of an
// assessment, so that this year's result shows which were reached.
func (s *server) demoPlan(ctx context.Context, resp assessments.Actor, id uint) error {
	v, err := s.store.View(ctx, resp, id)
	if err != nil {
		return err
	}
	due := time.Now().UTC().AddDate(0, 9, 0).Format("2006-01-02")
	var items []assessments.PlanInput
	for _, d := range v.Edition.Dimensions {
		for _, ind := range d.Indicators {
			level, top := assessments.PlanLevels(v.Edition, v.Answers, ind.ID)
			if !ind.Scored() || ind.CountryScoped() || level == 0 || level >= top || len(items) == 2 {
				continue
			}
			items = append(items, assessments.PlanInput{Indicator: ind.ID, TargetLevel: level + 1, Due: due, Owner: "Digital services unit",
				Actions: "Agree the steps with the service owner, fund them in next year's budget and check progress every quarter."})
		}
	}
	_, err = s.store.SavePlan(ctx, resp, id, items)
	return err
}

// demoPractices are the practices the demo publishes, by organisation
// (index into demoOrgs), in both languages.
var demoPractices = map[int]assessments.PracticeInput{
	0: {Title: "Company registration in one online session", Language: "en", Contact: "digital@example.kz",
		Summary: "Founders register a company, its tax number and its bank account in one online session with the national e-ID. The registry reuses data held by the tax and statistics offices, so nothing is typed twice.",
		Links:   []string{"https://example.kz/register"}},
	1: {Title: "Декларация по НДС, заполненная заранее", Language: "ru",
		Summary: "Система заполняет декларацию по НДС данными электронных счетов-фактур; предприниматель только проверяет и подписывает её. Доля деклараций, поданных онлайн, выросла до 98 %."},
	2: {Title: "Единое окно для предпринимателей", Language: "ru", Contact: "window@example.uz",
		Summary: "Все разрешения для открытия бизнеса запрашиваются через одно окно; ведомства обмениваются данными напрямую, а заявитель видит статус каждого шага."},
	3: {Title: "E-invoicing that files itself", Language: "en",
		Summary: "Invoices issued through the e-invoicing service are reported to the tax committee as they are issued, and the monthly return is prepared from them."},
}

// demoPractice publishes one practice of an organisation's approved
// assessment, behind its first indicator at level 4 or 5.
func (s *server) demoPractice(ctx context.Context, resp, reviewer assessments.Actor, id uint, org int) error {
	in, ok := demoPractices[org]
	if !ok {
		return nil
	}
	v, err := s.store.View(ctx, resp, id)
	if err != nil {
		return err
	}
	for _, d := range v.Edition.Dimensions {
		for _, ind := range d.Indicators {
			if level, _ := assessments.PlanLevels(v.Edition, v.Answers, ind.ID); level < assessments.PracticeMinLevel || ind.CountryScoped() {
				continue
			}
			in.Indicator = ind.ID
			p, err := s.store.SubmitPractice(ctx, resp, id, in)
			if err != nil {
				return err
			}
			_, err = s.store.ReviewPractice(ctx, reviewer, p.ID, assessments.PracticePublish, "")
			return err
		}
	}
	return nil
}

// demoCountryAnswers makes the coordinator of an organisation's country
// and answers the edition's country indicators for both demo years, so
// that the country's services can submit. Editions without country
// indicators get no coordinator (and draw nothing from rng, so that their
// demo stays the same).
func (s *server) demoCountryAnswers(ctx context.Context, ed *frameworks.Edition,
	newUser func(string, assessments.Role, *assessments.Organisation) (assessments.Actor, error),
	org *assessments.Organisation, maturity float64, rng *mrand.Rand) error {
	inds := ed.CountryIndicators()
	if len(inds) == 0 {
		return nil
	}
	coord, err := newUser(fmt.Sprintf("coordinator.%s@demo.example", strings.ToLower(org.Country)), assessments.RoleCoordinator, org)
	if err != nil {
		return err
	}
	for _, period := range []int{2025, 2026} {
		m := maturity
		if period == 2025 {
			m -= 0.4
		}
		answers := assessments.Answers{}
		for _, ind := range inds {
			answers[ind.ID] = demoAnswer(ind, m, rng)
		}
		key := assessments.CountryKey{Country: org.Country, FrameworkID: ed.ID, Version: ed.Version, Period: period}
		if _, err := s.store.SaveCountryAnswers(ctx, coord, key, nil, answers); err != nil {
			return err
		}
	}
	return nil
}

// demoAnswer is an answer of any type around a maturity level (1–5).
func demoAnswer(ind *frameworks.Indicator, maturity float64, rng *mrand.Rand) assessments.Answer {
	x := maturity + rng.NormFloat64()*0.9 // where on 1–5 this answer falls
	share := max(0, min(1, (x-1)/4))
	switch ind.Type {
	case frameworks.TypeLevel:
		k := max(1, min(len(ind.Options), int(x+0.5)))
		return assessments.Answer{Level: &k}
	case frameworks.TypeYesNo:
		if x >= 3 {
			return assessments.Answer{Selected: []string{"yes"}}
		}
		return assessments.Answer{Selected: []string{"no"}}
	case frameworks.TypeChecklist:
		var sel []string
		none := ""
		for _, o := range ind.Options {
			switch {
			case o.Exclusive:
				none = o.ID
			case rng.Float64() < share:
				sel = append(sel, o.ID)
			}
		}
		if len(sel) == 0 && none != "" {
			sel = []string{none}
		} else if len(sel) == 0 {
			sel = []string{ind.Options[0].ID}
		}
		return assessments.Answer{Selected: sel}
	case frameworks.TypeNumber:
		b := ind.Bands[min(len(ind.Bands)-1, int(share*float64(len(ind.Bands))))]
		v := b.Min
		return assessments.Answer{Value: &v}
	}
	return assessments.Answer{Text: "Described in the agency's annual report."}
}
