package main

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func testRadar(series int) radarChart {
	c := radarChart{
		ID:    "result-radar",
		Title: "Maturity by dimension",
		Desc:  "The table below gives the same values.",
		Axes: []string{"Strategy, governance and legal framework", "SME-centred design and delivery",
			"Proactive, integrated and automated services", "Interoperability, data and platforms",
			"Digital identity, trust and security", "Inclusion and capacity",
			"Трансграничное взаимодействие и международное сотрудничество"},
		Rings: []float64{20, 40, 60, 80, 100},
	}
	for k := range series {
		vals := make([]float64, len(c.Axes))
		for i := range vals {
			vals[i] = float64((i*37+k*23)%90 + 5)
		}
		c.Series = append(c.Series, radarSeries{Name: fmt.Sprintf("Series %d", k+1), Values: vals})
	}
	return c
}

// radarXML parses the whole output and fails the test on any error.
func radarXML(t *testing.T, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := d.Token(); errors.Is(err, io.EOF) {
			return
		} else if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
	}
}

func TestRadarWellFormedAndCSPSafe(t *testing.T) {
	for _, n := range []int{1, 2, 6} {
		svg := string(testRadar(n).SVG())
		radarXML(t, svg)
		if strings.Contains(svg, "style=") || strings.Contains(svg, "<style") {
			t.Errorf("%d series: inline style (the CSP forbids it)", n)
		}
		if !strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg" class="radar" viewBox="`) ||
			!strings.Contains(svg, `width="100%"`) || strings.Contains(svg, `height="`) {
			t.Errorf("%d series: not a responsive svg: %.200s", n, svg)
		}
		if legend := strings.Contains(svg, `class="radar-legend"`); legend != (n > 1) {
			t.Errorf("%d series: legend %v", n, legend)
		}
	}
}

func TestRadarAccessibleName(t *testing.T) {
	svg := string(testRadar(1).SVG())
	m := regexp.MustCompile(`role="img" aria-labelledby="([^"]+)"`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no role/aria-labelledby: %.300s", svg)
	}
	ids := strings.Fields(m[1])
	if len(ids) != 2 || !strings.Contains(svg, `<title id="`+ids[0]+`">Maturity by dimension</title>`) ||
		!strings.Contains(svg, `<desc id="`+ids[1]+`">The table below gives the same values.</desc>`) {
		t.Errorf("aria-labelledby %q does not match title and desc", m[1])
	}
}

func TestRadarEscapesText(t *testing.T) {
	c := testRadar(2)
	c.Axes[0] = "<script>&\"\x01"
	c.Series[1].Name = `<script>&"`
	c.Title = `a<b`
	svg := string(c.SVG())
	radarXML(t, svg)
	if strings.Contains(svg, "<script") || strings.Contains(svg, `&"`) {
		t.Errorf("unescaped text in %s", svg)
	}
	if n := strings.Count(svg, "&lt;script&gt;&amp;&#34;"); n != 2 {
		t.Errorf("escaped label appears %d times, want 2 (axis and legend)", n)
	}
}

func TestRadarGeometry(t *testing.T) {
	c := testRadar(1)
	c.Series[0].Values[0] = 100
	c.Series[0].Values[1] = 250 // clamped to 100
	svg := string(c.SVG())
	// Axis 0 points up: 100 is the top of the outermost ring, (0, -radarR).
	top := "0," + radarNum(-radarR)
	// Axis 1 of 7 is 360/7 degrees clockwise from the top.
	a := -math.Pi/2 + 2*math.Pi/7
	second := radarNum(radarR*math.Cos(a)) + "," + radarNum(radarR*math.Sin(a))
	m := regexp.MustCompile(`<polygon class="radar-series" points="([^"]+)"`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatal("no series polygon")
	}
	pts := strings.Fields(m[1])
	if len(pts) != 7 || pts[0] != top || pts[1] != second {
		t.Errorf("vertices %v, want %s then %s", pts, top, second)
	}
	outer := regexp.MustCompile(`<polygon class="radar-ring" points="([^"]+)"`).FindAllStringSubmatch(svg, -1)
	if len(outer) != 5 || !strings.HasPrefix(outer[4][1], top+" "+second+" ") {
		t.Errorf("rings %v, want the last (100) through %s", outer, top)
	}
}

func TestRadarMissingValues(t *testing.T) {
	c := testRadar(1)
	c.Series[0].Values[2] = math.NaN()
	c.Series[0].Values = c.Series[0].Values[:6] // axis 6 missing too
	svg := string(c.SVG())
	radarXML(t, svg)
	if strings.Contains(svg, `class="radar-series"`) || strings.Contains(svg, "NaN") {
		t.Error("a series with gaps must not be drawn as a closed, filled polygon")
	}
	d := regexp.MustCompile(`<path class="radar-series radar-gaps" d="([^"]+)" fill="none"`).FindStringSubmatch(svg)
	if d == nil {
		t.Fatalf("no outline: %s", svg)
	}
	// Present: 0,1,3,4,5. Lines join neighbours that both have a value,
	// 0–1 and 3–4–5, and nothing reaches the centre.
	if m, l := strings.Count(d[1], "M"), strings.Count(d[1], "L"); m != 2 || l != 3 || regexp.MustCompile(`[ML]0,0([ML]|$)`).MatchString(d[1]) {
		t.Errorf("outline %q, want M0L1 M3L4L5 away from the centre", d[1])
	}
	if n := strings.Count(svg, `<path d="M`); n != 5 {
		t.Errorf("%d markers, want one per present value (5)", n)
	}
}

func TestRadarSixSeriesDistinct(t *testing.T) {
	svg := string(testRadar(6).SVG())
	polys := regexp.MustCompile(`<polygon class="radar-series" points="[^"]+" fill="(#[0-9a-f]{6})" fill-opacity="0.12" stroke="(#[0-9a-f]{6})"[^>]*?(?: stroke-dasharray="([^"]+)")?/>`).
		FindAllStringSubmatch(svg, -1)
	if len(polys) != 6 {
		t.Fatalf("%d series polygons, want 6", len(polys))
	}
	colours, dashes := map[string]bool{}, map[string]bool{}
	for _, p := range polys {
		colours[p[1]], dashes[p[3]] = true, true
	}
	shapes := map[string]bool{}
	for _, st := range radarStyles {
		shapes[st.marker(0, 0)] = true
	}
	if len(colours) != 6 || len(dashes) != 6 || len(shapes) != 6 {
		t.Errorf("colours %v, dashes %v, %d marker shapes: want 6 of each", colours, dashes, len(shapes))
	}
}

// TestRadarPaletteContrast: every series colour and the grid reach 3:1
// against white (WCAG 1.4.11), by the WCAG relative-luminance formula.
func TestRadarPaletteContrast(t *testing.T) {
	lum := func(hex string) float64 {
		var l float64
		for i, w := range []float64{0.2126, 0.7152, 0.0722} {
			v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
			c := float64(v) / 255
			if c <= 0.04045 {
				c /= 12.92
			} else {
				c = math.Pow((c+0.055)/1.055, 2.4)
			}
			l += w * c
		}
		return l
	}
	colours := []string{radarGrid}
	for _, st := range radarStyles {
		colours = append(colours, st.Colour)
	}
	for _, c := range colours {
		if ratio := 1.05 / (lum(c) + 0.05); ratio < 3 {
			t.Errorf("%s: %.2f:1 against white, want ≥ 3:1", c, ratio)
		} else {
			t.Logf("%s: %.2f:1", c, ratio)
		}
	}
}

func TestRadarDeterministic(t *testing.T) {
	a, b := testRadar(3).SVG(), testRadar(3).SVG()
	if a != b {
		t.Error("same input, different output")
	}
}

func TestRadarRejectsWhatItCannotDraw(t *testing.T) {
	c := testRadar(1)
	c.Axes = c.Axes[:2]
	if c.SVG() != "" {
		t.Error("2 axes drawn")
	}
	if c := testRadar(0); c.SVG() != "" {
		t.Error("no series drawn")
	}
	c = testRadar(6)
	c.Series = append(c.Series, c.Series[0])
	if c.SVG() != "" {
		t.Error("7 series drawn")
	}
}

func TestRadarWrapAndNumbers(t *testing.T) {
	got := radarWrap("Трансграничное взаимодействие и международное сотрудничество", 14, 32)
	if len(got) != 3 || got[2] != "международное сотрудничество" {
		t.Errorf("wrap %q", got)
	}
	if got := radarWrap("one two three four five six seven eight nine ten", 4, 4); len(got) != 3 || !strings.HasSuffix(got[2], "…") {
		t.Errorf("truncation %q", got)
	}
	// Chinese has no spaces: it breaks between characters, each two columns
	// wide, never before a closing or after an opening mark.
	got = radarWrap("跨境互操作性与国际合作（亚太经社会），数字成熟度", 10, 10)
	if len(got) != 3 || got[0] != "跨境互操作" || !strings.HasSuffix(got[2], "…") {
		t.Errorf("Chinese wrap %q", got)
	}
	for _, l := range radarWrap("服务（中小企业），“一站式”服务平台。", 4, 4) {
		if strings.ContainsAny(l[:3], "），。”") || strings.HasSuffix(l, "（") || strings.HasSuffix(l, "“") {
			t.Errorf("a line breaks at punctuation: %q", l)
		}
	}
	if got := radarWrap("数字政务 Digital Maturity", 8, 8); got[0] != "数字政务" || got[1] != "Digital" {
		t.Errorf("mixed wrap %q", got)
	}
	for in, want := range map[float64]string{0: "0", -0.04: "0", 12.34: "12.3", 100: "100", -150: "-150", 0.05: "0.1"} {
		if got := radarNum(in); got != want {
			t.Errorf("radarNum(%v) = %q, want %q", in, got, want)
		}
	}
}

// With axis codes the chart comes a second time for phones: codes around
// it in a larger font, each code with its name in a key below, its own ids.
func TestRadarCompact(t *testing.T) {
	c := testRadar(2)
	c.Codes = []string{"STRAT", "SERV", "PROACT", "INTEROP", "TRUST", "INCL", "XBORD"}
	svg := string(c.SVG())
	full, compact, ok := strings.Cut(svg, `</svg>`)
	if !ok || !strings.HasPrefix(full, `<svg xmlns="http://www.w3.org/2000/svg" class="radar" `) || !strings.Contains(compact, `class="radar radar-compact"`) {
		t.Fatalf("not a full and a compact chart: %.300s", svg)
	}
	radarXML(t, full+`</svg>`)
	radarXML(t, compact)
	if strings.Contains(full, ">XBORD<") || !strings.Contains(compact, ">XBORD<") {
		t.Errorf("codes belong around the compact chart only")
	}
	if !strings.Contains(compact, `class="radar-key"`) || !strings.Contains(compact, "STRAT – Strategy,") {
		t.Errorf("the compact chart has no key of codes and names")
	}
	if !strings.Contains(compact, `class="radar-labels" font-size="20"`) || !strings.Contains(compact, `aria-labelledby="result-radar-compact-title result-radar-compact-desc"`) {
		t.Errorf("compact chart: font or ids: %.400s", compact)
	}
}
