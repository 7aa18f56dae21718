package notice

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Position is a point on the earth in millionths of a degree (about 0.1 m):
// integers, so that a position written and read back is the same position.
type Position struct {
	Lat, Lon int64 // microdegrees; north and east are positive
}

const (
	micro   = 1_000_000
	maxLat  = 90 * micro
	maxLon  = 180 * micro
	nanoDeg = 1_000_000_000
)

// ParsePosition reads a latitude and longitude written as decimal degrees
// with hemispheres (37.5N,126.9E), as degrees, minutes and seconds
// (37°30'00"N 126°54'00"E; seconds or minutes may be left out), or as two
// signed decimals (37.5,126.9), north and east positive. Precision beyond
// a microdegree is rounded off.
func ParsePosition(s string) (Position, error) {
	s = normalizeMarks(strings.TrimSpace(s))
	if s == "" {
		return Position{}, errors.New("empty position")
	}
	if i := strings.IndexAny(s, "NSns"); i >= 0 {
		lat, err := coordinate(s[:i], s[i], maxLat)
		if err != nil {
			return Position{}, fmt.Errorf("latitude: %w", err)
		}
		rest := strings.TrimLeft(s[i+1:], " ,")
		if rest == "" || !strings.ContainsRune("EWew", rune(rest[len(rest)-1])) {
			return Position{}, fmt.Errorf("%q: want a longitude ending in E or W after the latitude, as in 37.5N,126.9E", s)
		}
		lon, err := coordinate(rest[:len(rest)-1], rest[len(rest)-1], maxLon)
		if err != nil {
			return Position{}, fmt.Errorf("longitude: %w", err)
		}
		return normalLon(Position{lat, lon}), nil
	}
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		a, b, ok = strings.Cut(s, " ")
	}
	if !ok {
		return Position{}, fmt.Errorf("%q: want latitude and longitude, as in 37.5N,126.9E", s)
	}
	lat, err1 := signedDegrees(a, maxLat)
	lon, err2 := signedDegrees(b, maxLon)
	if err := errors.Join(err1, err2); err != nil {
		return Position{}, err
	}
	return normalLon(Position{lat, lon}), nil
}

// normalLon writes 180W as 180E: one meridian, one encoding.
func normalLon(p Position) Position {
	if p.Lon == -maxLon {
		p.Lon = maxLon
	}
	return p
}

// normalizeMarks turns the typographic primes and degree signs people
// paste into the ASCII marks the parser reads.
func normalizeMarks(s string) string {
	return strings.NewReplacer("′", "'", "’", "'", "″", `"`, "”", `"`, "''", `"`, "º", "°", "˚", "°").Replace(s)
}

func signedDegrees(s string, limit int64) (int64, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	n, err := decimal(strings.TrimPrefix(s, "-"), 9)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	v := roundNano(n)
	if neg {
		v = -v
	}
	if v > limit || v < -limit {
		return 0, fmt.Errorf("%q is out of range: at most %d degrees", s, limit/micro)
	}
	return v, nil
}

// coordinate reads one coordinate without its hemisphere letter h.
func coordinate(s string, h byte, limit int64) (int64, error) {
	s = strings.TrimSpace(s)
	var nano int64
	deg, rest, dms := strings.Cut(s, "°")
	if !dms {
		n, err := decimal(s, 9)
		if err != nil {
			return 0, fmt.Errorf("%q: %w", s, err)
		}
		nano = n
	} else {
		d, err := decimal(strings.TrimSpace(deg), 0)
		if err != nil {
			return 0, fmt.Errorf("degrees %q: %w", deg, err)
		}
		nano = d * nanoDeg
		rest = strings.TrimSpace(rest)
		if m, r, ok := strings.Cut(rest, "'"); ok {
			r = strings.TrimSpace(r)
			sec, hasSec := strings.CutSuffix(r, `"`)
			places := 9
			if hasSec {
				places = 0 // fractions on the last part written only
			} else if r != "" {
				return 0, fmt.Errorf("%q: unexpected %q after the minutes", s, r)
			}
			mn, err := decimal(strings.TrimSpace(m), places)
			if err != nil || mn >= 60*pow10(places) {
				return 0, fmt.Errorf("minutes %q: want 0 to 59", m)
			}
			nano += mn * (nanoDeg / pow10(places)) / 60
			if hasSec {
				sn, err := decimal(strings.TrimSpace(sec), 9)
				if err != nil || sn >= 60*nanoDeg {
					return 0, fmt.Errorf("seconds %q: want 0 to 59.999", sec)
				}
				nano += sn / 3600
			}
		} else if rest != "" {
			return 0, fmt.Errorf("%q: unexpected %q after the degrees", s, rest)
		}
	}
	v := roundNano(nano)
	if v > limit {
		return 0, fmt.Errorf("%q is out of range: at most %d degrees", s, limit/micro)
	}
	if h == 'S' || h == 's' || h == 'W' || h == 'w' {
		v = -v
	}
	return v, nil
}

func roundNano(n int64) int64 { return (n + 500) / 1000 }

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// decimal reads an unsigned decimal such as 126.9 as an integer in units
// of 10^-places, refusing more fractional digits than places and values
// that would overflow.
func decimal(s string, places int) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 9 || len(frac) > places || strings.Contains(s, ".") && frac == "" {
		if len(frac) > places {
			return 0, fmt.Errorf("at most %d decimal places", places)
		}
		return 0, errors.New("not a number")
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, errors.New("not a number")
		}
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64)
	}
	return w*pow10(places) + f*pow10(places-len(frac)), nil
}

// String writes the position canonically: decimal degrees, at most six
// places, trailing zeros dropped, as in 37.5N,126.9E.
func (p Position) String() string {
	return degrees(p.Lat, "N", "S") + "," + degrees(p.Lon, "E", "W")
}

func degrees(v int64, pos, neg string) string {
	h := pos
	if v < 0 {
		v, h = -v, neg
	}
	s := strconv.FormatInt(v/micro, 10)
	if f := v % micro; f != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%06d", f), "0")
	}
	return s + h
}

// Area is a circle (a centre and a radius) or a polygon of at least three
// positions.
type Area struct {
	Centre  Position
	Radius  Quantity // in m, km or nm; set only for a circle
	Polygon []Position
}

// MaxVertices bounds a polygon.
const MaxVertices = 64

// distanceUnits are the units a radius may be given in; nm is the
// nautical mile.
var distanceUnits = []string{"m", "km", "nm"}

// maxRadius bounds a radius, per unit: half the earth's circumference.
var maxRadius = map[string]int64{"m": 20_000_000, "km": 20_000, "nm": 10_800}

// ParseArea reads a circle as CENTRE,RADIUS (37.5N,126.9E,50km) or a
// polygon as positions separated by semicolons (37N,126E;38N,126E;38N,127E).
// A polygon may repeat its first vertex at the end; it is dropped.
func ParseArea(s string) (Area, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, ";") {
		parts := strings.Split(strings.TrimSuffix(s, ";"), ";")
		if len(parts) > MaxVertices+1 {
			return Area{}, fmt.Errorf("a polygon has at most %d vertices", MaxVertices)
		}
		var poly []Position
		for i, part := range parts {
			p, err := ParsePosition(part)
			if err != nil {
				return Area{}, fmt.Errorf("vertex %d: %w", i+1, err)
			}
			if len(poly) > 0 && poly[len(poly)-1] == p {
				return Area{}, fmt.Errorf("vertex %d repeats the one before", i+1)
			}
			poly = append(poly, p)
		}
		if len(poly) > 1 && poly[0] == poly[len(poly)-1] {
			poly = poly[:len(poly)-1]
		}
		if len(poly) < 3 || len(poly) > MaxVertices {
			return Area{}, fmt.Errorf("a polygon has 3 to %d vertices, not %d", MaxVertices, len(poly))
		}
		return Area{Polygon: poly}, nil
	}
	i := strings.LastIndexByte(s, ',')
	if i < 0 {
		return Area{}, fmt.Errorf("%q: want a centre and radius (37.5N,126.9E,50km) or a polygon (37N,126E;38N,126E;38N,127E)", s)
	}
	r, err := ParseQuantity(s[i+1:], distanceUnits)
	if err != nil {
		return Area{}, fmt.Errorf("radius: %w", err)
	}
	if strings.HasPrefix(r.Value, "-") || r.Value == "0" {
		return Area{}, errors.New("radius: want more than 0")
	}
	if w, _, _ := strings.Cut(r.Value, "."); len(w) > 9 || mustInt(w) >= maxRadius[r.Unit] {
		return Area{}, fmt.Errorf("radius: want less than %d%s", maxRadius[r.Unit], r.Unit)
	}
	c, err := ParsePosition(s[:i])
	if err != nil {
		return Area{}, fmt.Errorf("centre: %w", err)
	}
	return Area{Centre: c, Radius: r}, nil
}

func mustInt(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }

// String writes the area canonically.
func (a Area) String() string {
	if a.Polygon != nil {
		s := make([]string, len(a.Polygon))
		for i, p := range a.Polygon {
			s[i] = p.String()
		}
		return strings.Join(s, ";")
	}
	return a.Centre.String() + "," + a.Radius.Value + a.Radius.Unit
}
