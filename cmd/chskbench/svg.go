package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"strconv"
)

// A small hand-written SVG line chart: enough for the load tool's pictures
// (latency by percentile, memory by connection count) without a plotting
// dependency. Axes are linear or logarithmic; each series is a polyline
// with dots and a legend entry.

// chart is one picture.
type chart struct {
	title, subtitle string
	x, y            axis
	series          []series
}

// axis is one axis. ticks, when set, replace the automatic ones.
type axis struct {
	label string
	log   bool
	ticks []tick
}

// tick is a labelled position on an axis.
type tick struct {
	v     float64
	label string
}

// series is one line.
type series struct {
	name  string
	color string
	dash  bool
	pts   []point
}

type point struct{ x, y float64 }

// The picture's geometry, in SVG user units.
const (
	svgW, svgH                             = 800, 440
	padLeft, padRight, padTop, padBottom   = 70, 240, 64, 56
	plotW, plotH                           = svgW - padLeft - padRight, svgH - padTop - padBottom
	fontFamily                             = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
	gridColor, axisColor, textColor, muted = "#e4e7ec", "#98a2b3", "#1d2433", "#667085"
)

// palette gives series colours that stay apart for colour-blind readers.
var palette = []string{"#3b5bdb", "#e8590c", "#2b8a3e", "#ae3ec9", "#0c8599", "#868e96"}

// scale maps data values of one axis to pixels.
type scale struct {
	log      bool
	min, max float64
	px0, px1 float64
}

func (s scale) at(v float64) float64 {
	a, b := s.min, s.max
	if s.log {
		v, a, b = math.Log10(v), math.Log10(a), math.Log10(b)
	}
	if b == a {
		return (s.px0 + s.px1) / 2
	}
	return s.px0 + (v-a)/(b-a)*(s.px1-s.px0)
}

// extent returns the range of the points along one coordinate, padded; log
// axes skip values that are not positive.
func extent(ss []series, get func(point) float64, log bool) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for _, p := range s.pts {
			v := get(p)
			if math.IsNaN(v) || math.IsInf(v, 0) || (log && v <= 0) {
				continue
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if lo > hi {
		return 0, 0, false
	}
	return lo, hi, true
}

// niceTicks returns round tick values over [lo, hi]: 1-2-5 steps on linear
// axes, 1-2-5 per decade on log axes.
func niceTicks(lo, hi float64, log bool) []tick {
	var out []tick
	if log {
		for d := math.Floor(math.Log10(lo)); d <= math.Ceil(math.Log10(hi)); d++ {
			for _, m := range []float64{1, 2, 5} {
				v := m * math.Pow(10, d)
				if v >= lo*0.999 && v <= hi*1.001 {
					out = append(out, tick{v, fmtNum(v)})
				}
			}
		}
		return out
	}
	span := hi - lo
	if span <= 0 {
		span = math.Abs(hi) + 1
	}
	raw := span / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	first := math.Ceil(lo / step)
	for i := 0.0; (first+i)*step <= hi+step*1e-9; i++ {
		v := (first + i) * step // not a running sum: 0.1 steps would drift
		out = append(out, tick{v, fmtNum(v)})
	}
	return out
}

// fmtNum prints a tick value briefly: 0.5, 2, 10k.
func fmtNum(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6 && math.Mod(v, 1e6) == 0:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case a >= 1e3 && math.Mod(v, 1e3) == 0:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// bounds returns the axis range: the data's, widened to the ticks given or
// padded, and for log axes rounded out to 1-2-5 values.
func bounds(a axis, ss []series, get func(point) float64) (lo, hi float64) {
	lo, hi, ok := extent(ss, get, a.log)
	if !ok {
		lo, hi = 1, 10
	}
	for _, t := range a.ticks {
		lo, hi = min(lo, t.v), max(hi, t.v)
	}
	if a.ticks != nil {
		return lo, hi
	}
	if a.log {
		return niceDown(lo / 1.2), niceUp(hi * 1.2) // keep points off the frame
	}
	if lo > 0 && lo < hi/3 {
		lo = 0 // start at zero unless that squashes the data
	}
	if pad := (hi - lo) * 0.08; pad > 0 {
		hi += pad
		if lo != 0 {
			lo -= pad
		}
	} else {
		lo, hi = lo-1, hi+1
	}
	return lo, hi
}

// niceDown and niceUp round to the 1-2-5 value at or beyond v.
func niceDown(v float64) float64 {
	d := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{5, 2, 1} {
		if m*d <= v {
			return m * d
		}
	}
	return d
}

func niceUp(v float64) float64 {
	d := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*d >= v {
			return m * d
		}
	}
	return 10 * d
}

// svg renders the chart.
func (c *chart) svg() []byte {
	xlo, xhi := bounds(c.x, c.series, func(p point) float64 { return p.x })
	ylo, yhi := bounds(c.y, c.series, func(p point) float64 { return p.y })
	xs := scale{log: c.x.log, min: xlo, max: xhi, px0: padLeft, px1: padLeft + plotW}
	ys := scale{log: c.y.log, min: ylo, max: yhi, px0: padTop + plotH, px1: padTop}
	xt, yt := c.x.ticks, c.y.ticks
	if xt == nil {
		xt = niceTicks(xlo, xhi, c.x.log)
	}
	if yt == nil {
		yt = niceTicks(ylo, yhi, c.y.log)
	}

	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	esc := html.EscapeString
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s" font-size="12">`+"\n",
		svgW, svgH, svgW, svgH, esc(fontFamily))
	p(`<title>%s</title>`+"\n", esc(c.title))
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	p(`<text x="%d" y="24" font-size="16" font-weight="600" fill="%s">%s</text>`+"\n", padLeft, textColor, esc(c.title))
	if c.subtitle != "" {
		p(`<text x="%d" y="44" fill="%s">%s</text>`+"\n", padLeft, muted, esc(c.subtitle))
	}
	for _, t := range yt {
		y := ys.at(t.v)
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`+"\n", padLeft, y, padLeft+plotW, y, gridColor)
		p(`<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle" fill="%s">%s</text>`+"\n", padLeft-6, y, muted, esc(t.label))
	}
	for _, t := range xt {
		x := xs.at(t.v)
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", x, padTop, x, padTop+plotH, gridColor)
		p(`<text x="%.1f" y="%d" text-anchor="middle" fill="%s">%s</text>`+"\n", x, padTop+plotH+18, muted, esc(t.label))
	}
	p(`<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="%s"/>`+"\n", padLeft, padTop, plotW, plotH, axisColor)
	p(`<text x="%d" y="%d" text-anchor="middle" fill="%s">%s</text>`+"\n", padLeft+plotW/2, svgH-14, textColor, esc(c.x.label))
	p(`<text transform="translate(18 %d) rotate(-90)" text-anchor="middle" fill="%s">%s</text>`+"\n", padTop+plotH/2, textColor, esc(c.y.label))

	for i, s := range c.series {
		color := s.color
		if color == "" {
			color = palette[i%len(palette)]
		}
		dash := ""
		if s.dash {
			dash = ` stroke-dasharray="6 4"`
		}
		var pts bytes.Buffer
		var dots []string
		for _, pt := range s.pts {
			if (c.x.log && pt.x <= 0) || (c.y.log && pt.y <= 0) || math.IsNaN(pt.x) || math.IsNaN(pt.y) {
				continue
			}
			x, y := xs.at(pt.x), ys.at(pt.y)
			fmt.Fprintf(&pts, "%.1f,%.1f ", x, y)
			dots = append(dots, fmt.Sprintf(`<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s: %s, %s</title></circle>`, x, y, color, esc(s.name), fmtNum(pt.x), fmtNum(pt.y)))
		}
		p(`<g>` + "\n")
		if len(dots) > 1 {
			p(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", bytes.TrimSpace(pts.Bytes()), color, dash)
		}
		for _, d := range dots {
			p("%s\n", d)
		}
		ly := padTop + 8 + i*20
		lx := padLeft + plotW + 16
		p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n", lx, ly, lx+22, ly, color, dash)
		p(`<text x="%d" y="%d" dominant-baseline="middle" fill="%s">%s</text>`+"\n", lx+28, ly, textColor, esc(s.name))
		p(`</g>` + "\n")
	}
	p("</svg>\n")
	return b.Bytes()
}
