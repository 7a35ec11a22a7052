package assessments

import (
	"bytes"
	_ "embed"
	"fmt"
	"regexp"

	"github.com/unescap/dmf/frameworks"
	"go.yaml.in/yaml/v3"
)

//go:embed data/countries.yaml
var countriesYAML []byte

// Country is an ESCAP member or associate member.
type Country struct {
	Code      string          `yaml:"code" json:"code"` // ISO 3166-1 alpha-3
	Name      frameworks.Text `yaml:"name" json:"name"`
	Subregion string          `yaml:"subregion" json:"subregion"`
	Associate bool            `yaml:"associate" json:"associate"`
}

// Subregion is an ESCAP subregion.
type Subregion struct {
	ID   string          `yaml:"id" json:"id"`
	Name frameworks.Text `yaml:"name" json:"name"`
}

// Countries is the list of ESCAP members and associate members by subregion.
type Countries struct {
	Subregions []Subregion `yaml:"subregions"`
	List       []Country   `yaml:"countries"`
	byCode     map[string]*Country
}

var countryCode = regexp.MustCompile(`^[A-Z]{3}$`)

// LoadCountries reads the embedded country list and checks it.
func LoadCountries() (*Countries, error) {
	var cs Countries
	dec := yaml.NewDecoder(bytes.NewReader(countriesYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&cs); err != nil {
		return nil, fmt.Errorf("countries.yaml: %w", err)
	}
	subs := map[string]bool{}
	for _, s := range cs.Subregions {
		subs[s.ID] = true
	}
	cs.byCode = map[string]*Country{}
	for i := range cs.List {
		c := &cs.List[i]
		if !countryCode.MatchString(c.Code) || !subs[c.Subregion] || cs.byCode[c.Code] != nil {
			return nil, fmt.Errorf("countries.yaml: bad or repeated entry %q (subregion %q)", c.Code, c.Subregion)
		}
		cs.byCode[c.Code] = c
	}
	return &cs, nil
}

// Country returns the country with an ISO 3166-1 alpha-3 code.
func (cs *Countries) Country(code string) (*Country, bool) {
	c, ok := cs.byCode[code]
	return c, ok
}

// Subregion returns the subregion with the given id.
func (cs *Countries) Subregion(id string) (*Subregion, bool) {
	for i := range cs.Subregions {
		if cs.Subregions[i].ID == id {
			return &cs.Subregions[i], true
		}
	}
	return nil, false
}

// InSubregion returns the codes of a subregion's countries, in list
// order; none for an unknown subregion.
func (cs *Countries) InSubregion(id string) []string {
	var out []string
	for _, c := range cs.List {
		if c.Subregion == id {
			out = append(out, c.Code)
		}
	}
	return out
}
