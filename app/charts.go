package main

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/unescap/dmf/assessments"
)

// radarSeries is one polygon: a name and one value per axis on the 0–100
// scale. A value that is not a finite number (math.NaN()) means "no value":
// the outline breaks on both sides of that axis and the series gets no fill,
// because closing the shape through the centre would read as a zero and
// joining the neighbours would invent a value. Values are clamped to 0–100;
// missing trailing values count as NaN and extra values are ignored.
type radarSeries struct {
	Name   string
	Values []float64
}

// radarChart is a radar chart of scores on the 0–100 scale, rendered as
// inline SVG that needs neither JavaScript nor inline styles (the CSP
// forbids them): colours are presentation attributes, and
// static/css/charts.css sizes the chart and adapts it to print and forced
// colours. The first axis points up and the axes run clockwise; the first
// series is drawn on top.
type radarChart struct {
	ID     string        // unique id prefix (a token, no spaces) for title/desc
	Title  string        // accessible name (already translated)
	Desc   string        // accessible description (already translated)
	Axes   []string      // axis labels (already translated); 3..12
	Codes  []string      // short axis codes (STRAT, SERV, …), one per axis, or none
	Series []radarSeries // 1..6
	Rings  []float64     // grid rings, e.g. 20, 40, 60, 80; the 100 ring is always drawn

	font float64 // label font size; 0 is radarFont (see compact)
}

// Geometry in SVG user units. The chart is centred on the origin, so a
// vertex is (r·cos θ, r·sin θ); the viewBox then grows to fit the labels.
const (
	radarR     = 150.0     // radius of the 100 ring
	radarGap   = 10.0      // between the 100 ring and an axis label
	radarFont  = 12.0      // label font size
	radarLine  = 14.0      // label line height at radarFont
	radarPad   = 8.0       // around everything
	radarGrid  = "#8a94a0" // 3.1:1 on white (WCAG 1.4.11)
	radarInk   = "#1b1f24" // labels, as --ink in app.css
	radarMuted = "#4d5560" // ring values, as --muted
	radarMaxAx = 12        // beyond this the labels collide
)

// The phone variant (compact) labels the axes with their codes in a larger
// font and lists code and name below the chart: the full names around a
// chart 343 px wide come out about 6 px high.
const (
	radarCompactFont = 20.0
	radarCompactRing = 16.0
)

func (r radarChart) fontSize() float64 {
	if r.font == 0 {
		return radarFont
	}
	return r.font
}

func (r radarChart) lineHeight() float64 { return r.fontSize() * radarLine / radarFont }

// charWidth is a generous average glyph width, so labels are never clipped.
func (r radarChart) charWidth() float64 { return 0.6 * r.fontSize() }

// radarStyle tells a series apart by colour, dash pattern and marker shape
// together, so the chart survives greyscale print and colour blindness
// (WCAG 1.4.1). Every colour has at least 3:1 contrast on white (1.4.11),
// checked by TestRadarPaletteContrast.
type radarStyle struct {
	Colour, Dash string
	Marker       [][2]float64 // unit polygon, scaled by 4.5; nil is a circle
}

var radarStyles = []radarStyle{
	{"#0b4f8a", "", nil},
	{"#b3261e", "7 4", [][2]float64{{-0.85, -0.85}, {0.85, -0.85}, {0.85, 0.85}, {-0.85, 0.85}}},
	{"#1b7a3a", "2 3", [][2]float64{{0, -1.2}, {1.2, 0}, {0, 1.2}, {-1.2, 0}}},
	{"#7a3e9d", "9 3 2 3", [][2]float64{{0, -1.2}, {1.1, 0.75}, {-1.1, 0.75}}},
	{"#8a5a00", "12 4", [][2]float64{{0, 1.2}, {1.1, -0.75}, {-1.1, -0.75}}},
	{"#00707a", "4 2 1 2", [][2]float64{{-0.4, -1.1}, {0.4, -1.1}, {0.4, -0.4}, {1.1, -0.4}, {1.1, 0.4}, {0.4, 0.4},
		{0.4, 1.1}, {-0.4, 1.1}, {-0.4, 0.4}, {-1.1, 0.4}, {-1.1, -0.4}, {-0.4, -0.4}}},
}

// SVG renders the chart. It returns "" when the input cannot be drawn as
// described (fewer than 3 or more than 12 axes, no series or more than six):
// the page's table carries the same values in any case. With Codes it
// renders a second, compact chart for phones after the first
// (static/css/charts.css shows one of the two).
func (r radarChart) SVG() template.HTML {
	n := len(r.Axes)
	if n < 3 || n > radarMaxAx || len(r.Series) == 0 || len(r.Series) > len(radarStyles) {
		return ""
	}
	if len(r.Codes) != n || r.font != 0 {
		return r.svg("radar")
	}
	c := r
	c.ID, c.font = r.ID+"-compact", radarCompactFont
	return r.svg("radar") + c.svg("radar radar-compact")
}

// svg renders one chart with the given class.
func (r radarChart) svg(class string) template.HTML {
	n := len(r.Axes)
	var body strings.Builder
	var b radarBox // what has been drawn, for the viewBox
	rings := r.grid(&body, &b, n)
	for k := len(r.Series) - 1; k >= 0; k-- {
		r.series(&body, k, n)
	}
	// Ring values go over the series; their white halo cuts the lines.
	ringFont := 10.0
	if r.font != 0 {
		ringFont = radarCompactRing
	}
	fmt.Fprintf(&body, `<g class="radar-ring-labels" font-size="%s" fill="`+radarMuted+
		`" stroke="#fff" stroke-width="3" paint-order="stroke">`, radarNum(ringFont))
	for _, v := range rings {
		fmt.Fprintf(&body, `<text x="4" y="%s">%s</text>`, radarNum(-v/100*radarR+ringFont+1), radarNum(v))
	}
	body.WriteString(`</g>`)
	r.labels(&body, &b, n)
	if len(r.Series) > 1 {
		r.legend(&body, &b)
	}
	if r.font != 0 {
		r.key(&body, &b)
	}
	w, id := math.Max(-b.minX, b.maxX)+radarPad, radarEsc(r.ID) // symmetric, so the rings stay centred
	var out strings.Builder
	fmt.Fprintf(&out, `<svg xmlns="http://www.w3.org/2000/svg" class="`+class+`" viewBox="%s %s %s %s" width="100%%" `+
		`role="img" aria-labelledby="%s-title %s-desc"><title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`,
		radarNum(-w), radarNum(b.minY-radarPad), radarNum(2*w), radarNum(b.maxY-b.minY+2*radarPad),
		id, id, id, radarEsc(r.Title), id, radarEsc(r.Desc))
	out.WriteString(body.String() + `</svg>`)
	return template.HTML(out.String()) // every piece of text went through radarEsc
}

// grid draws the rings (the 100 ring always) and the spokes, and returns the
// ring values drawn.
func (r radarChart) grid(sb *strings.Builder, b *radarBox, n int) []float64 {
	var rings []float64
	for _, v := range r.Rings {
		if v > 0 && v < 100 {
			rings = append(rings, v)
		}
	}
	rings = append(rings, 100)
	sb.WriteString(`<g class="radar-grid" fill="none" stroke="` + radarGrid + `" stroke-width="1">`)
	for _, v := range rings {
		pts := make([]string, n)
		for i := range n {
			pts[i] = radarPoint(i, n, v)
		}
		fmt.Fprintf(sb, `<polygon class="radar-ring" points="%s"/>`, strings.Join(pts, " "))
	}
	for i := range n {
		x, y := radarXY(i, n, 100)
		b.add(x, y)
		fmt.Fprintf(sb, `<line class="radar-spoke" x1="0" y1="0" x2="%s" y2="%s"/>`, radarNum(x), radarNum(y))
	}
	sb.WriteString(`</g>`)
	return rings
}

// labels writes the axis labels outside the 100 ring, anchored by side.
func (r radarChart) labels(sb *strings.Builder, b *radarBox, n int) {
	fmt.Fprintf(sb, `<g class="radar-labels" font-size="%s" fill="`+radarInk+`">`, radarNum(r.fontSize()))
	axes := r.Axes
	if r.font != 0 {
		axes = r.Codes
	}
	for i, a := range axes {
		c, s := math.Cos(radarAngle(i, n)), math.Sin(radarAngle(i, n))
		anchor := "middle"
		if c > 0.2 {
			anchor = "start"
		} else if c < -0.2 {
			anchor = "end"
		}
		lines := radarWrap(a, 18, 32)
		f, h := r.fontSize(), float64(len(lines)-1)*r.lineHeight()
		// Centre the block on its point, then push it outwards by half its
		// height so that top labels sit above the ring and bottom ones below.
		x, y := (radarR+radarGap)*c, (radarR+radarGap)*s
		r.text(sb, b, lines, x, y-h/2+0.35*f+s*(h/2+0.5*f), anchor)
	}
	sb.WriteString(`</g>`)
}

// series draws series k: a filled polygon when every value is present,
// otherwise only the outline between neighbouring present values.
func (r radarChart) series(sb *strings.Builder, k, n int) {
	st, vals := radarStyles[k], r.Series[k].Values
	ok := func(i int) bool { return i < len(vals) && !math.IsNaN(vals[i]) && !math.IsInf(vals[i], 0) }
	v := func(i int) float64 { return math.Min(100, math.Max(0, vals[i])) }
	start := -1 // a missing axis, where the broken outline starts
	pts := make([]string, 0, n)
	for i := range n {
		if !ok(i) {
			start = i
			continue
		}
		pts = append(pts, radarPoint(i, n, v(i)))
	}
	if start < 0 {
		fmt.Fprintf(sb, `<polygon class="radar-series" points="%s" fill="%s" fill-opacity="0.12"%s/>`,
			strings.Join(pts, " "), st.Colour, st.stroke())
	} else {
		var d strings.Builder
		cmd := "M" // "L" while the previous axis had a value to draw on from
		for j := 1; j <= n; j++ {
			if i := (start + j) % n; ok(i) {
				d.WriteString(cmd + radarPoint(i, n, v(i)))
				cmd = "L"
			} else {
				cmd = "M"
			}
		}
		if strings.Contains(d.String(), "L") { // not only lone points
			fmt.Fprintf(sb, `<path class="radar-series radar-gaps" d="%s" fill="none"%s/>`, d.String(), st.stroke())
		}
	}
	fmt.Fprintf(sb, `<g class="radar-markers" fill="%s" stroke="#fff" stroke-width="1">`, st.Colour)
	for i := range n {
		if ok(i) {
			x, y := radarXY(i, n, v(i))
			sb.WriteString(st.marker(x, y))
		}
	}
	sb.WriteString(`</g>`)
}

// legend lists the series below the chart in two columns, each entry a
// stroke sample with its marker and the wrapped name.
func (r radarChart) legend(sb *strings.Builder, b *radarBox) {
	colW := math.Max(-b.minX, b.maxX)
	chars := max(10, int((colW-44)/r.charWidth()))
	top := b.maxY + 18
	fmt.Fprintf(sb, `<g class="radar-legend" font-size="%s" fill="`+radarInk+`">`, radarNum(r.fontSize()))
	for row := 0; row*2 < len(r.Series); row++ {
		height := 0.0
		for col := 0; col < 2 && row*2+col < len(r.Series); col++ {
			k, x := row*2+col, -colW+float64(col)*colW
			st, lines := radarStyles[k], radarWrap(r.Series[k].Name, chars, chars)
			y := top + r.fontSize()
			fmt.Fprintf(sb, `<line class="radar-swatch" x1="%s" y1="%s" x2="%s" y2="%s"%s/>`,
				radarNum(x), radarNum(y-4), radarNum(x+28), radarNum(y-4), st.stroke())
			fmt.Fprintf(sb, `<g class="radar-markers" fill="%s" stroke="#fff" stroke-width="1">%s</g>`,
				st.Colour, st.marker(x+14, y-4))
			b.add(x, y-4)
			r.text(sb, b, lines, x+36, y, "start")
			height = math.Max(height, float64(len(lines))*r.lineHeight()+6)
		}
		top += height
	}
	sb.WriteString(`</g>`)
}

func (st radarStyle) stroke() string {
	s := ` stroke="` + st.Colour + `" stroke-width="2" stroke-linejoin="round"`
	if st.Dash != "" {
		s += ` stroke-dasharray="` + st.Dash + `"`
	}
	return s
}

// marker is the series' point shape at (x, y) as a path.
func (st radarStyle) marker(x, y float64) string {
	const s = 4.5
	if st.Marker == nil {
		return fmt.Sprintf(`<path d="M%s,%sa%s,%s 0 1,0 %s,0a%s,%s 0 1,0 %s,0Z"/>`,
			radarNum(x-s), radarNum(y), radarNum(s), radarNum(s), radarNum(2*s), radarNum(s), radarNum(s), radarNum(-2*s))
	}
	pts := make([]string, len(st.Marker))
	for i, p := range st.Marker {
		pts[i] = radarNum(x+s*p[0]) + "," + radarNum(y+s*p[1])
	}
	return `<path d="M` + strings.Join(pts, "L") + `Z"/>`
}

// key lists each axis code with its name below the compact chart, one
// entry a line (wrapped) across the chart's width.
func (r radarChart) key(sb *strings.Builder, b *radarBox) {
	w := 2 * math.Max(-b.minX, b.maxX)
	chars := max(10, int(w/r.charWidth()))
	y := b.maxY + 18 + r.fontSize()
	fmt.Fprintf(sb, `<g class="radar-key" font-size="%s" fill="`+radarInk+`">`, radarNum(r.fontSize()))
	for i, code := range r.Codes {
		lines := radarWrap(code+" – "+r.Axes[i], chars, chars)
		r.text(sb, b, lines, -w/2, y, "start")
		y += float64(len(lines))*r.lineHeight() + 4
	}
	sb.WriteString(`</g>`)
}

// text writes lines as one <text>, baselines from y down, and grows b to
// hold them (by estimated width: SVG text cannot be measured server-side).
func (r radarChart) text(sb *strings.Builder, b *radarBox, lines []string, x, y float64, anchor string) {
	f := r.fontSize()
	fmt.Fprintf(sb, `<text text-anchor="%s">`, anchor)
	for i, l := range lines {
		ly, w := y+float64(i)*r.lineHeight(), float64(textColumns(l))*r.charWidth()
		left := map[string]float64{"start": x, "middle": x - w/2, "end": x - w}[anchor]
		b.add(left, ly-f)
		b.add(left+w, ly+0.3*f)
		fmt.Fprintf(sb, `<tspan x="%s" y="%s">%s</tspan>`, radarNum(x), radarNum(ly), radarEsc(l))
	}
	sb.WriteString(`</text>`)
}

// radarWrap breaks s into at most three lines, widening the lines from
// minChars up to maxChars until it fits, so that a long name takes wider
// rather than more lines; beyond that the third line ends in "…" (the table
// beside the chart has the full text). Widths count columns (see
// textColumns). Chinese, written without spaces, breaks between any two
// characters, except before closing and after opening punctuation.
func radarWrap(s string, minChars, maxChars int) []string {
	units := wrapUnits(s)
	var lines []string
	for width := minChars; width <= maxChars; width++ {
		lines = lines[:0]
		for _, u := range units {
			sep := ""
			if u.space {
				sep = " "
			}
			if n := len(lines); n > 0 && textColumns(lines[n-1]+sep+u.text) <= width {
				lines[n-1] += sep + u.text
			} else {
				lines = append(lines, u.text)
			}
		}
		if len(lines) <= 3 {
			return lines
		}
	}
	return append(lines[:2], lines[2]+"…")
}

// wrapUnit is what a line break may not split: a word of a spaced script,
// or one Chinese character with the punctuation that must stay with it.
type wrapUnit struct {
	text  string
	space bool // a space separated it from the unit before
}

// Punctuation that must not start a line, and that must not end one
// (the kinsoku rules Chinese typesetting shares with Japanese).
const (
	noLineStart = "，。、；：？！）】》〉」』”’…·—％,.;:?!)]%"
	noLineEnd   = "（【《〈「『“‘([“"
)

func wrapUnits(s string) []wrapUnit {
	var out []wrapUnit
	space, glue := false, false
	for _, w := range strings.Fields(s) {
		space = len(out) > 0
		for _, r := range w {
			wide := runeColumns(r) == 2
			switch {
			case len(out) > 0 && (glue || strings.ContainsRune(noLineStart, r) || (!wide && !space && !isWideLast(out))):
				out[len(out)-1].text += string(r) // continues the unit
			default:
				out = append(out, wrapUnit{text: string(r), space: space})
			}
			glue = strings.ContainsRune(noLineEnd, r)
			space = false
		}
	}
	return out
}

// isWideLast reports whether the last unit ends in a wide character, after
// which a Latin letter or digit may start a new unit (2025年 stays whole,
// but 数字 DMF may break before DMF only at its space).
func isWideLast(units []wrapUnit) bool {
	t := units[len(units)-1].text
	r, _ := utf8.DecodeLastRuneInString(t)
	return runeColumns(r) == 2
}

// textColumns is the width of s in columns of a Latin character: Chinese
// characters and full-width punctuation take two.
func textColumns(s string) int {
	n := 0
	for _, r := range s {
		n += runeColumns(r)
	}
	return n
}

func runeColumns(r rune) int {
	if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0x3000 && r <= 0x303f) || (r >= 0xff01 && r <= 0xff60) || (r >= 0x2e80 && r <= 0x2fdf) {
		return 2
	}
	return 1
}

// radarBox is the extent of what has been drawn, for the viewBox.
type radarBox struct{ minX, maxX, minY, maxY float64 }

func (b *radarBox) add(x, y float64) {
	b.minX, b.maxX = math.Min(b.minX, x), math.Max(b.maxX, x)
	b.minY, b.maxY = math.Min(b.minY, y), math.Max(b.maxY, y)
}

// radarAngle puts axis 0 straight up and runs clockwise (SVG's y points down).
func radarAngle(i, n int) float64 { return -math.Pi/2 + 2*math.Pi*float64(i)/float64(n) }

func radarXY(i, n int, v float64) (float64, float64) {
	r := radarR * v / 100
	return r * math.Cos(radarAngle(i, n)), r * math.Sin(radarAngle(i, n))
}

func radarPoint(i, n int, v float64) string {
	x, y := radarXY(i, n, v)
	return radarNum(x) + "," + radarNum(y)
}

// radarNum formats compactly: at most one decimal, no "-0".
func radarNum(x float64) string {
	s := strings.TrimSuffix(strconv.FormatFloat(x, 'f', 1, 64), ".0")
	if s == "-0" {
		return "0"
	}
	return s
}

// radarEsc escapes text for element content and attributes, and drops what
// XML forbids (control characters, invalid UTF-8) so the SVG stays well formed.
func radarEsc(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return template.HTMLEscapeString(s)
}

// heatRow is one country of a drill-down heatmap: a cell per indicator of
// the dimension, each with its value written in it and coloured by the
// level of that value, so that the colour is never the only carrier.
type heatRow struct {
	Country assessments.ComparedCountry
	Cells   []heatCell
}

type heatCell struct {
	Indicator string
	Value     float64
	Level     int // 0: no service scored the indicator
	Services  int
}

// drillHeatmap lays out a drill-down as heatmap rows, countries in the
// comparison's ranking order and indicators in the edition's order.
func drillHeatmap(cmpn *assessments.Comparison) []heatRow {
	var out []heatRow
	for _, r := range cmpn.Countries {
		if r.Drill == nil {
			continue
		}
		row := heatRow{Country: r}
		for _, ind := range cmpn.Dimension.Indicators {
			if !ind.Scored() {
				continue
			}
			cell := heatCell{Indicator: ind.ID}
			if sp, ok := r.Drill.Indicators[ind.ID]; ok {
				cell.Value, cell.Level, cell.Services = sp.Mean, cmpn.Edition.LevelFor(sp.Mean).Level, sp.Services
			}
			row.Cells = append(row.Cells, cell)
		}
		out = append(out, row)
	}
	return out
}
