package entry_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
)

const testLine = "5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f"

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// validLeaves are leaves that must survive Marshal then Parse unchanged.
func validLeaves() map[string]*entry.Leaf {
	t0 := time.UnixMilli(1795704000123).UTC()
	return map[string]*entry.Leaf{
		"message": {
			Line: testLine, Author: "seoul", Index: 17, Kind: entry.KindMessage,
			Time: t0, Precedence: entry.Flash, Body: hash("body"),
		},
		"message with refs": {
			Line: testLine, Author: "seoul", Index: 18, Kind: entry.KindMessage,
			Time: t0, Precedence: entry.Routine,
			Refs: []entry.Ref{
				{Party: "beijing", Size: 42, Root: hash("b")},
				{Party: "tokyo", Size: 1, Root: hash("t")},
				{Party: "ulaanbaatar-2", Size: math.MaxUint64, Root: hash("u")},
			},
			Body: hash("body"),
		},
		"charter": {
			Line: testLine, Author: "beijing", Index: 0, Kind: entry.KindCharter,
			Time: time.UnixMilli(0).UTC(), Body: hash("charter"),
		},
		"displayed": {
			Line: testLine, Author: "a", Index: 1, Kind: entry.KindDisplayed,
			Time: t0, Refs: []entry.Ref{{Party: "b", Size: 1, Root: make([]byte, 32)}}, Body: hash("d"),
		},
		"ack": {
			Line: "ffffffffffffffffffffffffffffffff", Author: strings.Repeat("z", 32), Index: math.MaxUint64,
			Kind: entry.KindAck, Time: time.UnixMilli(-1).UTC(), Body: make([]byte, 32),
		},
		"immediate": {
			Line: testLine, Author: "0-9", Index: 2, Kind: entry.KindMessage,
			Time: time.UnixMilli(math.MaxInt64).UTC(), Precedence: entry.Immediate, Body: hash("x"),
		},
		"priority": {
			Line: testLine, Author: "seoul", Index: 3, Kind: entry.KindMessage,
			Time: time.UnixMilli(math.MinInt64).UTC(), Precedence: entry.Priority, Body: hash("y"),
		},
		"rollcall": {
			Line: testLine, Author: "beijing", Index: 4, Kind: entry.KindRollCall,
			Time: t0, Refs: []entry.Ref{{Party: "seoul", Size: 18, Root: hash("s")}}, Body: hash("r"),
		},
	}
}

func TestLeafRoundTrip(t *testing.T) {
	for name, l := range validLeaves() {
		t.Run(name, func(t *testing.T) {
			b := l.Marshal()
			got, err := entry.Parse(b)
			if err != nil {
				t.Fatalf("Parse(%q): %v", b, err)
			}
			if !reflect.DeepEqual(got, l) {
				t.Fatalf("Parse(Marshal(l)) = %+v, want %+v", got, l)
			}
			if again := got.Marshal(); !bytes.Equal(again, b) {
				t.Fatalf("Marshal(Parse(b)) = %q, want %q", again, b)
			}
		})
	}
}

// TestLeafGolden pins the encoding documented in the package comment.
func TestLeafGolden(t *testing.T) {
	root := bytes.Repeat([]byte{0xab}, 32)
	body := bytes.Repeat([]byte{0xdc}, 32)
	l := &entry.Leaf{
		Line: testLine, Author: "seoul", Index: 17, Kind: entry.KindMessage,
		Time: time.UnixMilli(1795704000123), Precedence: entry.Flash,
		Refs: []entry.Ref{{Party: "beijing", Size: 42, Root: root}},
		Body: body,
	}
	want := "hotline entry v1\n" +
		"line 5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f\n" +
		"author seoul\n" +
		"index 17\n" +
		"kind message\n" +
		"time 1795704000123\n" +
		"precedence FLASH\n" +
		"ref beijing 42 q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n" +
		"body 3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nw=\n"
	if got := string(l.Marshal()); got != want {
		t.Fatalf("Marshal =\n%s\nwant\n%s", got, want)
	}
	p, err := entry.Parse([]byte(want))
	if err != nil {
		t.Fatal(err)
	}
	if p.ID() != "seoul-17" || p.Time.UnixMilli() != 1795704000123 || p.Time.Location() != time.UTC {
		t.Fatalf("parsed %+v", p)
	}
}

func TestMarshalSortsRefs(t *testing.T) {
	l := validLeaves()["message with refs"]
	want := l.Marshal()
	shuffled := *l
	shuffled.Refs = []entry.Ref{l.Refs[2], l.Refs[0], l.Refs[1]}
	if got := shuffled.Marshal(); !bytes.Equal(got, want) {
		t.Fatalf("Marshal with unsorted refs =\n%s\nwant\n%s", got, want)
	}
	if shuffled.Refs[0].Party != "ulaanbaatar-2" {
		t.Fatal("Marshal reordered the caller's refs")
	}
	if _, err := entry.Parse(shuffled.Marshal()); err != nil {
		t.Fatal(err)
	}
}

func TestParseTimeIsUTCMilliseconds(t *testing.T) {
	loc := time.FixedZone("KST", 9*3600)
	l := validLeaves()["message"]
	l.Time = time.Date(2026, 11, 26, 9, 0, 0, 123456789, loc)
	p, err := entry.Parse(l.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 26, 0, 0, 0, 123000000, time.UTC); !p.Time.Equal(want) || p.Time.Location() != time.UTC {
		t.Fatalf("Time = %v, want %v", p.Time, want)
	}
}

// goodLeaf is the text the malformed cases below start from.
func goodLeaf() string {
	return string(validLeaves()["message with refs"].Marshal())
}

// lines returns the fields of goodLeaf, header first, without newlines.
func lines() []string {
	return strings.Split(strings.TrimSuffix(goodLeaf(), "\n"), "\n")
}

func join(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

func without(i int) string {
	ls := lines()
	return join(append(ls[:i:i], ls[i+1:]...)...)
}

func replace(i int, s string) string {
	ls := lines()
	ls[i] = s
	return join(ls...)
}

func swap(i, j int) string {
	ls := lines()
	ls[i], ls[j] = ls[j], ls[i]
	return join(ls...)
}

func insert(i int, s string) string {
	ls := lines()
	return join(append(ls[:i:i], append([]string{s}, ls[i:]...)...)...)
}

func TestParseMalformed(t *testing.T) {
	// lines() is: 0 header, 1 line, 2 author, 3 index, 4 kind, 5 time,
	// 6 precedence, 7-9 refs (beijing, tokyo, ulaanbaatar-2), 10 body.
	if n := len(lines()); n != 11 {
		t.Fatalf("goodLeaf has %d lines, the cases below assume 11", n)
	}
	if _, err := entry.Parse([]byte(goodLeaf())); err != nil {
		t.Fatalf("goodLeaf: %v", err)
	}
	root := b64(hash("r"))
	body := b64(hash("body"))
	refLine := "ref beijing 42 " + b64(hash("b"))
	// A base64 string whose last character carries nonzero padding bits: it
	// decodes to 32 bytes but is not the canonical encoding.
	nonCanonical := body[:len(body)-2] + string(body[len(body)-2]+1) + "="
	if dec, err := base64.StdEncoding.DecodeString(nonCanonical); err != nil || len(dec) != 32 {
		t.Fatalf("nonCanonical: %v", err)
	}
	message := validLeaves()["message"]
	charterLeaf := validLeaves()["charter"]

	tests := map[string]string{
		"empty":                    "",
		"header only":              "hotline entry v1\n",
		"header without newline":   "hotline entry v1",
		"other version":            strings.Replace(goodLeaf(), "v1", "v2", 1),
		"uppercase header":         strings.Replace(goodLeaf(), "hotline", "HOTLINE", 1),
		"leading blank line":       "\n" + goodLeaf(),
		"leading space":            " " + goodLeaf(),
		"no final newline":         strings.TrimSuffix(goodLeaf(), "\n"),
		"two final newlines":       goodLeaf() + "\n",
		"trailing space":           strings.TrimSuffix(goodLeaf(), "\n") + " \n",
		"CRLF line endings":        strings.ReplaceAll(goodLeaf(), "\n", "\r\n"),
		"CR in one line":           replace(2, "author seoul\r"),
		"blank line inside":        insert(3, ""),
		"trailing line":            goodLeaf() + "extra\n",
		"second body":              goodLeaf() + "body " + body + "\n",
		"NUL byte":                 replace(2, "author seo\x00ul"),
		"missing line":             without(1),
		"missing author":           without(2),
		"missing index":            without(3),
		"missing kind":             without(4),
		"missing time":             without(5),
		"missing precedence":       without(6),
		"missing body":             without(10),
		"line and author swapped":  swap(1, 2),
		"index and kind swapped":   swap(3, 4),
		"kind and time swapped":    swap(4, 5),
		"time and precedence":      swap(5, 6),
		"precedence after ref":     swap(6, 7),
		"ref after body":           swap(9, 10),
		"duplicate line":           insert(1, "line "+testLine),
		"duplicate author":         insert(2, "author seoul"),
		"duplicate index":          insert(3, "index 18"),
		"duplicate kind":           insert(5, "kind message"),
		"duplicate time":           insert(6, "time 1"),
		"duplicate precedence":     insert(7, "precedence FLASH"),
		"unknown field":            insert(6, "subject hello"),
		"unknown field at end":     insert(11, "sig abc"),
		"key without space":        replace(2, "authorseoul"),
		"key with two spaces":      replace(2, "author  seoul"),
		"key with tab":             replace(2, "author\tseoul"),
		"uppercase key":            replace(2, "Author seoul"),
		"empty line ID":            replace(1, "line "),
		"short line ID":            replace(1, "line "+testLine[:31]),
		"long line ID":             replace(1, "line "+testLine+"0"),
		"uppercase line ID":        replace(1, "line "+strings.ToUpper(testLine)),
		"non-hex line ID":          replace(1, "line "+testLine[:31]+"g"),
		"line ID with space":       replace(1, "line "+testLine[:16]+" "+testLine[16:]),
		"empty author":             replace(2, "author "),
		"uppercase author":         replace(2, "author Seoul"),
		"author with space":        replace(2, "author seo ul"),
		"author with slash":        replace(2, "author seoul/x"),
		"author too long":          replace(2, "author "+strings.Repeat("a", 33)),
		"author leading hyphen":    replace(2, "author -seoul"),
		"empty index":              replace(3, "index "),
		"negative index":           replace(3, "index -1"),
		"plus index":               replace(3, "index +18"),
		"index leading zero":       replace(3, "index 018"),
		"index hex":                replace(3, "index 0x12"),
		"index overflow":           replace(3, "index 18446744073709551616"),
		"index with space":         replace(3, "index 1 8"),
		"index underscore":         replace(3, "index 1_8"),
		"empty kind":               replace(4, "kind "),
		"unknown kind":             replace(4, "kind telegram"),
		"uppercase kind":           replace(4, "kind MESSAGE"),
		"empty time":               replace(5, "time "),
		"time leading zero":        replace(5, "time 01795704000123"),
		"time plus":                replace(5, "time +1795704000123"),
		"time float":               replace(5, "time 1795704000.123"),
		"time RFC 3339":            replace(5, "time 2026-11-26T00:00:00Z"),
		"time overflow":            replace(5, "time 9223372036854775808"),
		"time minus zero":          replace(5, "time -0"),
		"empty precedence":         replace(6, "precedence "),
		"lowercase precedence":     replace(6, "precedence flash"),
		"unknown precedence":       replace(6, "precedence URGENT"),
		"precedence on charter":    strings.Replace(string(charterLeaf.Marshal()), "time 0\n", "time 0\nprecedence FLASH\n", 1),
		"message without prec.":    strings.Replace(string(message.Marshal()), "precedence FLASH\n", "", 1),
		"ref with two fields":      replace(7, "ref beijing 42"),
		"ref with four fields":     replace(7, refLine+" x"),
		"ref with double space":    replace(7, "ref beijing  42 "+root),
		"ref trailing space":       replace(7, refLine+" "),
		"ref bad party":            replace(7, "ref Beijing 42 "+root),
		"ref empty party":          replace(7, "ref  42 "+root),
		"ref negative size":        replace(7, "ref beijing -1 "+root),
		"ref size leading zero":    replace(7, "ref beijing 042 "+b64(hash("b"))),
		"ref size overflow":        replace(7, "ref beijing 18446744073709551616 "+root),
		"ref short root":           replace(7, "ref beijing 42 "+b64(hash("b")[:31])),
		"ref long root":            replace(7, "ref beijing 42 "+b64(append(hash("b"), 0))),
		"ref root bad base64":      replace(7, "ref beijing 42 !"+root[1:]),
		"ref root raw base64":      replace(7, "ref beijing 42 "+strings.TrimRight(b64(hash("b")), "=")),
		"ref root URL base64":      replace(7, "ref beijing 42 "+base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))),
		"ref root non-canonical":   replace(7, "ref beijing 42 "+nonCanonical),
		"refs out of order":        swap(7, 8),
		"ref to its own author":    insert(8, "ref seoul 1 "+root), // in sorted place, but naming the author
		"ref of size 0":            replace(7, "ref beijing 0 "+root),
		"duplicate ref":            insert(8, refLine),
		"empty body":               replace(10, "body "),
		"short body":               replace(10, "body "+b64(hash("x")[:31])),
		"long body":                replace(10, "body "+b64(append(hash("x"), 1))),
		"body hex":                 replace(10, "body "+strings.Repeat("ab", 32)),
		"body bad base64":          replace(10, "body *"+body[1:]),
		"body raw base64":          replace(10, "body "+strings.TrimRight(body, "=")),
		"body non-canonical":       replace(10, "body "+nonCanonical),
		"body with space":          replace(10, "body "+body[:10]+" "+body[10:]),
		"body with newline inside": replace(10, "body "+body[:10]+"\n"+body[10:]),
		"too large":                strings.Replace(goodLeaf(), "ref ", strings.Repeat("ref zz 1 "+root+"\n", 70)+"ref ", 1),
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			l, err := entry.Parse([]byte(text))
			if err == nil {
				t.Fatalf("Parse accepted %q as %+v", text, l)
			}
			if !errors.Is(err, entry.ErrMalformed) {
				t.Fatalf("Parse error %v does not wrap ErrMalformed", err)
			}
			if l != nil {
				t.Fatal("Parse returned a leaf with its error")
			}
		})
	}
}

func TestParseSizeLimit(t *testing.T) {
	// Add refs until the leaf outgrows the limit: the last leaf within it is
	// read, the first one beyond it is refused unread.
	l := *validLeaves()["message"]
	var fits, over []byte
	for i := 0; over == nil; i++ {
		party := "party-" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		l.Refs = append(l.Refs, entry.Ref{Party: party, Size: uint64(i) + 1, Root: hash(party)})
		if b := l.Marshal(); len(b) > entry.MaxLeafSize {
			over = b
		} else {
			fits = b
		}
	}
	if len(fits) < entry.MaxLeafSize-100 {
		t.Fatalf("largest leaf is only %d bytes", len(fits))
	}
	if _, err := entry.Parse(fits); err != nil {
		t.Fatalf("leaf of %d bytes (limit %d): %v", len(fits), entry.MaxLeafSize, err)
	}
	if _, err := entry.Parse(over); !errors.Is(err, entry.ErrMalformed) || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("leaf of %d bytes: %v, want the size limit", len(over), err)
	}
}

func TestKindAndPrecedence(t *testing.T) {
	for _, k := range []entry.Kind{entry.KindCharter, entry.KindMessage, entry.KindDisplayed, entry.KindAck} {
		if !k.Valid() {
			t.Errorf("%q not valid", k)
		}
	}
	for _, k := range []entry.Kind{"", "Message", "MESSAGE", "note", "ack "} {
		if k.Valid() {
			t.Errorf("%q valid", k)
		}
	}
	tests := []struct {
		in     string
		want   entry.Precedence
		ok     bool
		urgent bool
	}{
		{"FLASH", entry.Flash, true, true},
		{"flash", entry.Flash, true, true},
		{"Immediate", entry.Immediate, true, true},
		{"priority", entry.Priority, true, false},
		{"ROUTINE", entry.Routine, true, false},
		{"", "", false, false},
		{"URGENT", "", false, false},
		{" FLASH", "", false, false},
		{"FLASH ", "", false, false},
		{"OVERRIDE", "", false, false},
	}
	for _, tt := range tests {
		p, err := entry.ParsePrecedence(tt.in)
		if (err == nil) != tt.ok || p != tt.want {
			t.Errorf("ParsePrecedence(%q) = %q, %v", tt.in, p, err)
		}
		if tt.ok && p.Urgent() != tt.urgent {
			t.Errorf("%s.Urgent() = %v", p, p.Urgent())
		}
	}
	if want := []entry.Precedence{entry.Flash, entry.Immediate, entry.Priority, entry.Routine}; !reflect.DeepEqual(entry.Precedences, want) {
		t.Errorf("Precedences = %v", entry.Precedences)
	}
}

func TestID(t *testing.T) {
	tests := []struct {
		author string
		index  uint64
		id     string
	}{
		{"seoul", 17, "seoul-17"},
		{"seoul", 0, "seoul-0"},
		{"beijing-2", 5, "beijing-2-5"},
		{"a-b-c", 3, "a-b-c-3"},
		{"0", 1, "0-1"},
		{"seoul-", 1, "seoul--1"}, // a slug may end with a hyphen
		{"x", math.MaxUint64, "x-18446744073709551615"},
	}
	for _, tt := range tests {
		if got := entry.ID(tt.author, tt.index); got != tt.id {
			t.Errorf("ID(%q, %d) = %q, want %q", tt.author, tt.index, got, tt.id)
		}
		l := &entry.Leaf{Author: tt.author, Index: tt.index}
		if got := l.ID(); got != tt.id {
			t.Errorf("Leaf.ID = %q, want %q", got, tt.id)
		}
		a, i, err := entry.ParseID(tt.id)
		if err != nil || a != tt.author || i != tt.index {
			t.Errorf("ParseID(%q) = %q, %d, %v", tt.id, a, i, err)
		}
	}
}

func TestParseIDMalformed(t *testing.T) {
	for _, id := range []string{
		"",
		"-",
		"-1",
		"seoul",
		"seoul-",
		"seoul-x",
		"seoul-1x",
		"seoul-+1",
		"seoul-01",
		"seoul-00",
		"seoul- 1",
		"seoul-1 ",
		" seoul-1",
		"seoul-0x1",
		"seoul-18446744073709551616",
		"Seoul-1",
		"seo ul-1",
		"seoul_1",
		"seoul/1",
		"-seoul-1",
		strings.Repeat("a", 33) + "-1",
		"서울-1",
	} {
		if a, i, err := entry.ParseID(id); err == nil {
			t.Errorf("ParseID(%q) = %q, %d, want an error", id, a, i)
		} else if a != "" || i != 0 {
			t.Errorf("ParseID(%q) returned %q, %d with its error", id, a, i)
		}
	}
}

func TestCommit(t *testing.T) {
	salt := bytes.Repeat([]byte{7}, entry.SaltSize)
	c := entry.Commit(salt, []byte("hello"))
	if len(c) != sha256.Size {
		t.Fatalf("commitment of %d bytes", len(c))
	}
	want := sha256.Sum256(append(append([]byte("hotline body v1\x00"), salt...), "hello"...))
	if !bytes.Equal(c, want[:]) {
		t.Fatalf("Commit = %x, want %x", c, want)
	}
	if !bytes.Equal(c, entry.Commit(salt, []byte("hello"))) {
		t.Fatal("Commit is not deterministic")
	}
	salt2 := bytes.Clone(salt)
	salt2[0] ^= 1
	for name, other := range map[string][]byte{
		"other salt": entry.Commit(salt2, []byte("hello")),
		"other body": entry.Commit(salt, []byte("hellp")),
		"empty body": entry.Commit(salt, nil),
		"no salt":    entry.Commit(nil, []byte("hello")),
		"plain hash": hash(string(salt) + "hello"),
	} {
		if bytes.Equal(c, other) {
			t.Errorf("%s gives the same commitment", name)
		}
	}
}
