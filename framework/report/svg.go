package report

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Okabe–Ito colours: distinguishable with every common colour-vision deficiency.
const (
	colBlue      = "#0072B2"
	colVermilion = "#D55E00"
	colGreen     = "#009E73"
	colOrange    = "#E69F00"
	colSky       = "#56B4E9"
	colPurple    = "#CC79A7"
	colYellow    = "#F0E442"
	colBlack     = "#000000"
	colGrey      = "#7f7f7f"
)

// palette is the order series take colours in when they have no role of their own.
var palette = []string{colBlue, colVermilion, colGreen, colOrange, colPurple, colSky, colYellow, colBlack}

// chart is one SVG line/bar chart, drawn without any script or network.
type chart struct {
	id, title      string
	xLabel, yLabel string
	xTicks         []tick // fixed x ticks (spectrum); nil computes nice ones
	yMin0          bool   // y axis starts at 0
	series         []series
	hlines         []refLine  // horizontal reference lines (SLA thresholds)
	vlines         []refLine  // vertical reference lines (stage starts)
	markers        []marker   // single points (SLA points)
	bars           []barGroup // stacked bars, one group per x
	barKeys        []string   // the name of each stacked value
	barWidth       float64    // in x units
	xSpan          []float64  // when set, the x range to show at least
}

type tick struct {
	v     float64
	label string
}

// series is one line; step draws it as a staircase (a value held over an interval).
type series struct {
	name  string
	color string
	dash  bool
	step  bool
	pts   []pt
}

type pt struct{ x, y float64 }

type refLine struct {
	v     float64
	label string
	color string
}

type marker struct {
	x, y  float64
	label string
	color string
}

// barGroup stacks values (one per barKey) at x.
type barGroup struct {
	x      float64
	values []float64
}

// chart geometry in SVG pixels.
const (
	chartW, chartH                = 760, 300
	padL, padR, padTop, padBottom = 70, 20, 44, 48
)

type scale struct{ lo, hi, pxLo, pxHi float64 }

func (s scale) at(v float64) float64 {
	if s.hi == s.lo {
		return (s.pxLo + s.pxHi) / 2
	}
	return s.pxLo + (v-s.lo)/(s.hi-s.lo)*(s.pxHi-s.pxLo)
}

// bounds returns the data range of the chart's x and y values.
func (c *chart) bounds() (x0, x1, y0, y1 float64) {
	x0, y0, x1, y1 = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	add := func(x, y float64) {
		if !math.IsNaN(x) {
			x0, x1 = math.Min(x0, x), math.Max(x1, x)
		}
		if !math.IsNaN(y) {
			y0, y1 = math.Min(y0, y), math.Max(y1, y)
		}
	}
	for _, s := range c.series {
		for _, p := range s.pts {
			add(p.x, p.y)
		}
	}
	for _, m := range c.markers {
		add(m.x, m.y)
	}
	for _, l := range c.hlines {
		add(math.NaN(), l.v)
	}
	for _, b := range c.bars {
		total := 0.0
		for _, v := range b.values {
			total += v
		}
		add(b.x, 0)
		add(b.x+c.barWidth, total)
	}
	for _, x := range c.xSpan {
		add(x, math.NaN())
	}
	if len(c.xTicks) > 0 {
		x0, x1 = c.xTicks[0].v, c.xTicks[len(c.xTicks)-1].v
	}
	if c.yMin0 || y0 > 0 && y0 < (y1-y0) {
		y0 = math.Min(0, y0)
	}
	return x0, x1, y0, y1
}

// inSeconds redraws a latency chart in seconds when its values reach 10 s,
// so axis labels stay short.
func (c *chart) inSeconds() *chart {
	_, _, _, y1 := c.bounds()
	if !(y1 >= 10_000) || c.yLabel != "latency (ms)" {
		return c
	}
	for i := range c.series {
		for j := range c.series[i].pts {
			c.series[i].pts[j].y /= 1000
		}
	}
	for i := range c.hlines {
		c.hlines[i].v /= 1000
	}
	for i := range c.markers {
		c.markers[i].y /= 1000
	}
	c.yLabel = "latency (s)"
	return c
}

// hasData reports whether anything would be drawn.
func (c *chart) hasData() bool {
	for _, s := range c.series {
		for _, p := range s.pts {
			if !math.IsNaN(p.y) {
				return true
			}
		}
	}
	return len(c.bars) > 0
}

// svg renders the chart as an inline <svg> element.
func (c *chart) svg() string {
	var b strings.Builder
	x0, x1, y0, y1 := c.bounds()
	yt := niceTicks(y0, y1, 5)
	y0, y1 = math.Min(y0, yt[0].v), math.Max(y1, yt[len(yt)-1].v)
	xt := c.xTicks
	if xt == nil {
		xt = niceTicks(x0, x1, 10)
		x0, x1 = math.Min(x0, xt[0].v), math.Max(x1, xt[len(xt)-1].v)
	}
	sx := scale{x0, x1, padL, chartW - padR}
	sy := scale{y0, y1, chartH - padBottom, padTop}
	fmt.Fprintf(&b, `<svg class="chart" id=%q data-series="%d" viewBox="0 0 %d %d" role="img" aria-label=%q>`,
		c.id, len(c.series)+len(c.bars), chartW, chartH, c.title)
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(c.title))
	c.axes(&b, sx, sy, xt, yt)
	c.drawBars(&b, sx, sy)
	for _, l := range c.vlines {
		x := sx.at(l.v)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#bbb" stroke-dasharray="2 3"/>`, x, padTop, x, chartH-padBottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="vl">%s</text>`, x+3, padTop+10, html.EscapeString(l.label))
	}
	for _, l := range c.hlines {
		y := sy.at(l.v)
		fmt.Fprintf(&b, `<line class="sla" x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="1.5" stroke-dasharray="7 4"/>`, padL, y, chartW-padR, y, l.color)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="hl" fill="%s">%s</text>`, chartW-padR-4, y-4, l.color, html.EscapeString(l.label))
	}
	for _, s := range c.series {
		c.drawSeries(&b, s, sx, sy)
	}
	for _, m := range c.markers {
		x, y := sx.at(m.x), sy.at(m.y)
		fmt.Fprintf(&b, `<path class="marker" d="M%.1f %.1fl6 6l-6 6l-6 -6z" fill="%s" stroke="#fff"><title>%s</title></path>`, x, y-6, m.color, html.EscapeString(m.label))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="ml">%s</text>`, x+8, y-8, html.EscapeString(m.label))
	}
	c.legend(&b)
	b.WriteString(`</svg>`)
	return b.String()
}

// axes draws the grid, tick labels and axis titles.
func (c *chart) axes(b *strings.Builder, sx, sy scale, xt, yt []tick) {
	for _, t := range yt {
		y := sy.at(t.v)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="gl"/>`, padL, y, chartW-padR, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" class="yt">%s</text>`, padL-6, y+4, t.label)
	}
	for _, t := range xt {
		x := sx.at(t.v)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class="gl"/>`, x, padTop, x, chartH-padBottom)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" class="xt">%s</text>`, x, chartH-padBottom+16, t.label)
	}
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" class="axis"/>`, padL, chartH-padBottom, chartW-padR, chartH-padBottom)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" class="axis"/>`, padL, padTop, padL, chartH-padBottom)
	fmt.Fprintf(b, `<text x="%d" y="%d" class="xl">%s</text>`, (padL+chartW-padR)/2, chartH-10, html.EscapeString(c.xLabel))
	fmt.Fprintf(b, `<text transform="translate(16 %d) rotate(-90)" class="yl">%s</text>`, (padTop+chartH-padBottom)/2, html.EscapeString(c.yLabel))
}

func (c *chart) drawSeries(b *strings.Builder, s series, sx, sy scale) {
	var d strings.Builder
	pen := false
	n := 0
	for i, p := range s.pts {
		if math.IsNaN(p.y) {
			pen = false
			continue
		}
		x, y := sx.at(p.x), sy.at(p.y)
		switch {
		case !pen:
			fmt.Fprintf(&d, "M%.1f %.1f", x, y)
		case s.step:
			fmt.Fprintf(&d, "H%.1fV%.1f", x, y)
		default:
			fmt.Fprintf(&d, "L%.1f %.1f", x, y)
		}
		if s.step && (i == len(s.pts)-1 || math.IsNaN(s.pts[i+1].y)) && i > 0 {
			fmt.Fprintf(&d, "H%.1f", x+(x-sx.at(s.pts[i-1].x)))
		}
		pen = true
		n++
	}
	dash := ""
	if s.dash {
		dash = ` stroke-dasharray="6 4"`
	}
	fmt.Fprintf(b, `<path class="series" data-points="%d" d="%s" fill="none" stroke="%s" stroke-width="2"%s><title>%s</title></path>`,
		n, d.String(), s.color, dash, html.EscapeString(s.name))
	if n == 1 || len(s.pts) <= 40 {
		for _, p := range s.pts {
			if !math.IsNaN(p.y) {
				fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`, sx.at(p.x), sy.at(p.y), s.color)
			}
		}
	}
}

func (c *chart) drawBars(b *strings.Builder, sx, sy scale) {
	for _, g := range c.bars {
		base := 0.0
		x := sx.at(g.x) + 0.5
		w := math.Max(1, sx.at(g.x+c.barWidth)-sx.at(g.x)-1)
		for i, v := range g.values {
			if v <= 0 {
				continue
			}
			top := sy.at(base + v)
			fmt.Fprintf(b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`,
				x, top, w, sy.at(base)-top, palette[(i+1)%len(palette)])
			base += v
		}
	}
}

// legendEntries are the names and colours the legend shows: series, bar keys and reference lines.
func (c *chart) legendEntries() [][3]string {
	var out [][3]string
	for _, s := range c.series {
		style := "line"
		if s.dash {
			style = "dash"
		}
		out = append(out, [3]string{s.name, s.color, style})
	}
	for i, k := range c.barKeys {
		out = append(out, [3]string{k, palette[(i+1)%len(palette)], "box"})
	}
	for _, l := range c.hlines {
		out = append(out, [3]string{l.label, l.color, "dash"})
	}
	return out
}

func (c *chart) legend(b *strings.Builder) {
	x, y := float64(padL), 0.0
	for _, e := range c.legendEntries() {
		w := 23 + 7.2*float64(len([]rune(e[0]))) + 18
		if x+w > chartW && x > padL {
			x, y = padL, y+16
		}
		dash := ""
		if e[2] == "dash" {
			dash = ` stroke-dasharray="6 4"`
		}
		if e[2] == "box" {
			fmt.Fprintf(b, `<rect x="%.1f" y="%.0f" width="18" height="10" fill="%s"/>`, x, 8+y, e[1])
		} else {
			fmt.Fprintf(b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="%s" stroke-width="3"%s/>`, x, 13+y, x+18, 13+y, e[1], dash)
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.0f" class="lg">%s</text>`, x+23, 17+y, html.EscapeString(e[0]))
		x += w
	}
}

// niceTicks returns about n ticks on 1-2-5 steps covering [lo, hi].
func niceTicks(lo, hi float64, n int) []tick {
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		lo, hi = 0, 1
	}
	if hi <= lo {
		hi = lo + math.Max(1, math.Abs(lo)*0.1)
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []tick
	for v := math.Floor(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, tick{v, tickLabel(v, step)})
		if v+step > hi+step*1e-9 && v < hi {
			out = append(out, tick{v + step, tickLabel(v+step, step)})
		}
	}
	return out
}

// tickLabel prints v with as many decimals as step needs, thousands separated.
func tickLabel(v, step float64) string {
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	s := strconv.FormatFloat(math.Round(v/step)*step, 'f', dec, 64)
	if s == "-0" {
		s = "0"
	}
	return groupThousands(s)
}

// msLabel prints a millisecond value with up to two decimals, thousands separated.
func msLabel(v float64) string { return groupThousands(trimFloat(v, 2)) }

// groupThousands puts commas into the integer part of a formatted number.
func groupThousands(s string) string {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	for i := len(intPart) - 3; i > 0; i -= 3 {
		intPart = intPart[:i] + "," + intPart[i:]
	}
	if neg {
		intPart = "-" + intPart
	}
	if hasFrac {
		return intPart + "." + frac
	}
	return intPart
}
