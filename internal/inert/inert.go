// Package inert makes another party's text safe to show: control
// characters that could drive a terminal, and invisible characters that
// could disguise a text (bidirectional overrides, zero-width characters),
// are replaced by visible escapes such as <U+202E>.
package inert

import (
	"fmt"
	"strings"
	"unicode"
)

// Text returns s with every character that is not plainly visible replaced
// by a <U+XXXX> marker. Newlines and tabs are kept.
func Text(s string) string {
	var b strings.Builder
	for _, r := range s {
		if Hidden(r) {
			fmt.Fprintf(&b, "<U+%04X>", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Hidden reports whether r is a control, format (bidi, zero-width) or
// otherwise invisible character other than newline and tab.
func Hidden(r rune) bool {
	switch r {
	case '\n', '\t':
		return false
	case unicode.ReplacementChar:
		return true
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) ||
		unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) || r == '\u115F' || r == '\u1160' ||
		r == '\u3164' || r == '\uFFA0' || (r >= '\uFE00' && r <= '\uFE0F')
}
