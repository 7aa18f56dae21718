package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// A decoder walks the JSON tokens of one bundle in the order Marshal writes
// them, building the bundle as it goes. Every limit is checked when the
// part it bounds arrives, never after the whole body is in memory: the
// 65th segment, the 2001st entry or an oversized envelope stop the walk at
// once. Each token's length in the input is compared with its canonical
// length, so a bundle has exactly one encoding (docs/protocol.md §10).
type decoder struct {
	dec   *json.Decoder
	in    *guard
	reply bool  // the bundle is a reply: error is allowed
	off   int64 // input offset after the previous token
	path  string
}

func newDecoder(r io.Reader, reply bool) *decoder {
	g := &guard{r: r, left: MaxBundleSize}
	dec := json.NewDecoder(g)
	dec.UseNumber()
	return &decoder{dec: dec, in: g, reply: reply}
}

func (d *decoder) fail(format string, a ...any) error {
	return fmt.Errorf("%w: %s%s", ErrMalformed, d.at(), fmt.Sprintf(format, a...))
}

// at names the part being read, "segments[0].entries[3].leaf: ".
func (d *decoder) at() string {
	if d.path == "" {
		return ""
	}
	return d.path[1:] + ": "
}

// token reads the next token. sep says whether a ',' or ':' comes before
// it; want is the token's canonical length, or 0 to have token compute it.
func (d *decoder) token(sep bool) (json.Token, error) {
	t, err := d.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		var tooBig *sizeError
		if errors.As(err, &tooBig) {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		return nil, fmt.Errorf("%w: %s%w", ErrMalformed, d.at(), err)
	}
	end := d.dec.InputOffset()
	n := end - d.off
	d.off = end
	if sep {
		n--
	}
	if want := canonicalLen(t); n != want {
		return nil, d.fail("not in canonical form (whitespace, escapes or number spelling)")
	}
	return t, nil
}

// canonicalLen is the length Marshal gives t.
func canonicalLen(t json.Token) int64 {
	switch v := t.(type) {
	case json.Delim:
		return 1
	case bool:
		if v {
			return 4
		}
		return 5
	case json.Number:
		return int64(len(v))
	case string:
		if isPlain(v) {
			return int64(len(v)) + 2
		}
		q, _ := json.Marshal(v)
		return int64(len(q))
	}
	return 4 // null
}

// isPlain reports whether s needs no escaping in JSON, as every base64
// string and slug does.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func (d *decoder) delim(sep bool, want json.Delim) error {
	t, err := d.token(sep)
	if err != nil {
		return err
	}
	if t != want {
		return d.fail("want %q, got %v", want, describe(t))
	}
	return nil
}

func describe(t json.Token) string {
	switch v := t.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case json.Delim:
		return strconv.Quote(v.String())
	}
	return fmt.Sprintf("%T", t)
}

func (d *decoder) str(sep bool, max int) (string, error) {
	t, err := d.token(sep)
	if err != nil {
		return "", err
	}
	s, ok := t.(string)
	if !ok {
		return "", d.fail("want a string, got %s", describe(t))
	}
	if len(s) == 0 || len(s) > max {
		return "", d.fail("%d bytes, want 1 to %d", len(s), max)
	}
	return s, nil
}

// bytes reads a non-empty byte string of at most max bytes, in canonical
// padded standard base64.
func (d *decoder) bytes(sep bool, max int) ([]byte, error) {
	s, err := d.str(sep, base64.StdEncoding.EncodedLen(max))
	if err != nil {
		return nil, err
	}
	if bytes.ContainsAny([]byte(s), "\r\n") {
		return nil, d.fail("line break in base64")
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, d.fail("%v", err)
	}
	if len(b) > max {
		return nil, d.fail("%d bytes, at most %d", len(b), max)
	}
	return b, nil
}

// uint reads a non-negative integer in canonical decimal.
func (d *decoder) uint(sep bool) (uint64, error) {
	t, err := d.token(sep)
	if err != nil {
		return 0, err
	}
	num, ok := t.(json.Number)
	if !ok {
		return 0, d.fail("want a number, got %s", describe(t))
	}
	v, err := strconv.ParseUint(string(num), 10, 64)
	if err != nil || strconv.FormatUint(v, 10) != string(num) {
		return 0, d.fail("%s is not an unsigned integer in canonical decimal", num)
	}
	return v, nil
}

// object walks one JSON object whose keys must be fields, in that order,
// each at most once. field decodes the value of key (the ':' before it is
// pending). It returns the set of keys seen.
func (d *decoder) object(sep bool, fields []string, field func(key string) error) (map[string]bool, error) {
	if err := d.delim(sep, '{'); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	next, base := 0, d.path
	for first := true; first || d.more(); first = false {
		key, err := d.key(!first)
		if err != nil {
			return nil, err
		}
		i := next
		for i < len(fields) && fields[i] != key {
			i++
		}
		if i == len(fields) {
			return nil, d.fail("%s", keyProblem(key, fields, seen))
		}
		next = i + 1
		seen[key] = true
		d.path = base + "." + key
		if err := field(key); err != nil {
			return nil, err
		}
		d.path = base
	}
	return seen, d.delim(false, '}')
}

// key reads an object key.
func (d *decoder) key(sep bool) (string, error) {
	t, err := d.token(sep)
	if err != nil {
		return "", err
	}
	key, ok := t.(string)
	if !ok {
		return "", d.fail("want a key, got %s", describe(t))
	}
	return key, nil
}

// keyProblem says why key is not allowed where it stands.
func keyProblem(key string, fields []string, seen map[string]bool) string {
	for _, f := range fields {
		switch {
		case f == key && seen[key]:
			return fmt.Sprintf("duplicate key %q", key)
		case f == key:
			return fmt.Sprintf("key %q out of order: keys come in the order %q", key, fields)
		case bytes.EqualFold([]byte(f), []byte(key)):
			return fmt.Sprintf("unknown key %q (keys are case-sensitive: %q)", key, f)
		}
	}
	return fmt.Sprintf("unknown key %q", key)
}

// more reports whether another element or key follows (a ',' rather than
// a closing delimiter).
func (d *decoder) more() bool {
	return d.dec.More()
}

// array walks a non-empty JSON array of at most max elements, calling elem
// for each before the next one is read.
func (d *decoder) array(sep bool, max int, elem func(i int, sep bool) error) error {
	if err := d.delim(sep, '['); err != nil {
		return err
	}
	base := d.path
	for i := 0; ; i++ {
		if !d.more() {
			if i == 0 {
				return d.fail("empty array: leave the field out")
			}
			return d.delim(false, ']')
		}
		if i == max {
			return d.fail("more than %d elements", max)
		}
		d.path = fmt.Sprintf("%s[%d]", base, i)
		if err := elem(i, i > 0); err != nil {
			return err
		}
		d.path = base
	}
}

// end checks that nothing but one optional newline (Encode writes it)
// follows the bundle.
func (d *decoder) end() error {
	rest, err := io.ReadAll(io.LimitReader(io.MultiReader(d.dec.Buffered(), d.in), 2))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(rest) > 0 && string(rest) != "\n" {
		return fmt.Errorf("%w: trailing data after the bundle", ErrMalformed)
	}
	return nil
}

// guard is the reader under the JSON decoder. It stops a body at
// MaxBundleSize bytes, and stops any single token (with the whitespace
// around it) at maxToken bytes, so the decoder never buffers more than
// the largest field a bundle can hold.
type guard struct {
	r        io.Reader
	left     int64 // bytes still allowed
	inString bool
	escaped  bool
	run      int // bytes since the last structural character
	space    int // whitespace bytes in a row outside strings
}

// maxSpace is the most whitespace in a row the guard lets through outside
// strings. A canonical bundle has none but the newline Encode ends it
// with, and the decoder refuses any at the next token; the guard stops a
// long run early because encoding/json rescans buffered whitespace on
// every read, which makes a run of n bytes cost time in n squared.
const maxSpace = 64

// maxToken is the longest token a bundle can hold: an envelope of
// seal.MaxEnvelopeSize in base64, with its quotes and some room.
var maxToken = base64.StdEncoding.EncodedLen(maxField) + 64

type sizeError struct{ what string }

func (e *sizeError) Error() string { return e.what }

func (g *guard) Read(p []byte) (int, error) {
	if g.left <= 0 {
		// One byte past the limit proves the body is too large.
		var one [1]byte
		if n, err := io.ReadFull(g.r, one[:]); n == 0 {
			return 0, err // EOF, or the reader's own limit
		}
		return 0, &sizeError{fmt.Sprintf("larger than %d bytes", MaxBundleSize)}
	}
	// Small reads, so a token is stopped close to its limit.
	p = p[:min(int64(len(p)), g.left, 64<<10)]
	n, err := g.r.Read(p)
	g.left -= int64(n)
	if err := g.scan(p[:n]); err != nil {
		return 0, err
	}
	return n, err
}

// scan follows p through strings and structural characters, and refuses
// a token grown past maxToken or whitespace past maxSpace. It jumps from
// one quote, backslash or structural character to the next, so the bulk
// of a bundle (base64 inside strings) is skipped at memchr speed.
func (g *guard) scan(p []byte) error {
	for len(p) > 0 {
		if g.escaped {
			g.escaped = false
			g.run++
			p = p[1:]
			continue
		}
		var i int
		if g.inString {
			i = bytes.IndexByte(p, '"')
			if j := bytes.IndexByte(p, '\\'); j >= 0 && (i < 0 || j < i) {
				i = j
			}
		} else {
			i = bytes.IndexAny(p, `"{}[],:`)
			between := p
			if i >= 0 {
				between = p[:i]
			}
			if err := g.spaces(between); err != nil {
				return err
			}
		}
		if i < 0 {
			g.run += len(p)
			break
		}
		g.run += i + 1
		g.space = 0
		switch c := p[i]; {
		case c == '\\':
			g.escaped = true
		case c == '"':
			g.inString = !g.inString
		default:
			g.run = 0 // a structural character outside a string
		}
		if g.run > maxToken {
			return g.tooLong()
		}
		p = p[i+1:]
	}
	if g.run > maxToken {
		return g.tooLong()
	}
	return nil
}

func (g *guard) tooLong() error {
	return &sizeError{fmt.Sprintf("a token longer than %d bytes", maxToken)}
}

// spaces counts the whitespace in a row in b, bytes outside strings and
// between structural characters.
func (g *guard) spaces(b []byte) error {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			g.space = 0
			continue
		}
		if g.space++; g.space > maxSpace {
			return &sizeError{fmt.Sprintf("more than %d bytes of whitespace: not in canonical form", maxSpace)}
		}
	}
	return nil
}
