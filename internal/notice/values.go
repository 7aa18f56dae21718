package notice

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline-line/hotline/internal/inert"
)

// Quantity is a number with its unit, the number kept as canonical
// decimal text: a value means the same on both sides, with no rounding.
type Quantity struct {
	Value string // e.g. "12.5" or "-3"
	Unit  string // one of the field's units, or empty for a bare number
}

// MaxDigits bounds the digits of a number.
const MaxDigits = 15

// ParseQuantity reads a decimal number and, when units is not empty, one
// of units after it (with or without a space): "120 km", "50km", "3".
func ParseQuantity(s string, units []string) (Quantity, error) {
	s = strings.TrimSpace(s)
	end := strings.IndexFunc(s, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.' || r == '-' || r == '+') })
	if end < 0 {
		end = len(s)
	}
	num, unit := s[:end], strings.TrimSpace(s[end:])
	v, err := canonicalDecimal(num)
	if err != nil {
		return Quantity{}, fmt.Errorf("%q: %w", s, err)
	}
	switch {
	case len(units) == 0 && unit != "":
		return Quantity{}, fmt.Errorf("%q: want a number without a unit", s)
	case len(units) > 0 && !slices.Contains(units, unit):
		return Quantity{}, fmt.Errorf("%q: want a number and one of the units %s", s, strings.Join(units, ", "))
	}
	return Quantity{Value: v, Unit: unit}, nil
}

// canonicalDecimal writes a decimal without a plus sign, leading zeros or
// trailing fractional zeros, and 0 rather than -0.
func canonicalDecimal(s string) (string, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || dot && frac == "" || strings.ContainsAny(whole+frac, "+-.") {
		return "", errors.New("not a number")
	}
	whole = strings.TrimLeft(whole, "0")
	frac = strings.TrimRight(frac, "0")
	if len(whole)+len(frac) > MaxDigits {
		return "", fmt.Errorf("more than %d digits", MaxDigits)
	}
	if whole == "" {
		whole = "0"
	}
	v := whole
	if frac != "" {
		v += "." + frac
	}
	if neg && v != "0" {
		v = "-" + v
	}
	return v, nil
}

// String writes the quantity as "120 km", or "3" without a unit.
func (q Quantity) String() string {
	if q.Unit == "" {
		return q.Value
	}
	return q.Value + " " + q.Unit
}

// DateTimeLayout is the canonical form of a date-time: UTC, to the second.
const DateTimeLayout = "2006-01-02T15:04:05Z"

// dateTimeInputs are the layouts ParseDateTime accepts.
var dateTimeInputs = []string{
	"2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z07:00",
	"2006-01-02 15:04Z07:00", "2006-01-02 15:04:05Z07:00",
}

// ParseDateTime reads a date-time in RFC 3339 form, to the minute or the
// second, in UTC (Z) or with an offset, which is converted to UTC.
func ParseDateTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range dateTimeInputs {
		// time.Parse takes fractions of a second the layout does not
		// name; a notice is to the second.
		if t, err := time.Parse(l, s); err == nil && t.Nanosecond() == 0 && t.Year() >= 1900 {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want a UTC date-time such as 2017-03-01T00:00Z", s)
}

// MaxDuration bounds a duration: about ten years.
const MaxDuration = 3660 * 24 * time.Hour

// durationUnits are the units of a duration, largest first.
var durationUnits = []struct {
	unit byte
	d    time.Duration
}{{'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}}

// ParseDuration reads a positive duration in whole units, largest first:
// 2d12h, 90m, 1h30m, or ISO 8601 as in P2DT12H or PT90M.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("%q: want a duration such as 2d12h, 1h30m or PT90M", s)
	text := s
	if iso, ok := strings.CutPrefix(s, "P"); ok {
		date, clock, hasT := strings.Cut(iso, "T")
		if strings.ContainsAny(date, "HMS") || hasT && (clock == "" || strings.ContainsAny(clock, "D")) {
			return 0, bad
		}
		text = strings.ToLower(date + clock)
	}
	var total time.Duration
	next := 0
	for text != "" {
		i := strings.IndexFunc(text, func(r rune) bool { return r < '0' || r > '9' })
		if i <= 0 || i > 7 {
			return 0, bad
		}
		n, _ := strconv.Atoi(text[:i])
		k := slices.IndexFunc(durationUnits[next:], func(u struct {
			unit byte
			d    time.Duration
		}) bool {
			return u.unit == text[i]
		})
		if k < 0 {
			return 0, bad
		}
		u := durationUnits[next+k].d
		if time.Duration(n) > MaxDuration/u || total+time.Duration(n)*u > MaxDuration {
			return 0, fmt.Errorf("%q: at most %s", s, FormatDuration(MaxDuration))
		}
		total += time.Duration(n) * u
		next, text = next+k+1, text[i+1:]
	}
	if total <= 0 {
		return 0, bad
	}
	return total, nil
}

// FormatDuration writes d canonically, as in 2d12h or 1h30m.
func FormatDuration(d time.Duration) string {
	var b strings.Builder
	for _, u := range durationUnits {
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%c", n, u.unit)
			d -= n * u.d
		}
	}
	if b.Len() == 0 {
		return "0s"
	}
	return b.String()
}

// DefaultMaxText bounds a text field whose template gives no limit.
const DefaultMaxText = 2000

// canonicalText trims the ends of a text and refuses the characters
// inert would have to escape (controls other than newline and tab,
// bidirectional overrides, zero-width characters): they could hide or
// rewrite what a reader sees, and a notice is read as sent.
func canonicalText(s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", errors.New("not valid UTF-8")
	}
	if len(s) > max {
		return "", fmt.Errorf("%d bytes, at most %d", len(s), max)
	}
	for _, r := range s {
		if inert.Hidden(r) {
			return "", fmt.Errorf("invisible or control character %U", r)
		}
	}
	return s, nil
}
