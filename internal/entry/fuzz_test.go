package entry_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/fuzzseed"
)

// FuzzParse checks that Parse never panics and that every leaf it accepts
// has exactly one encoding: marshalling the parsed leaf gives back the input.
func FuzzParse(f *testing.F) {
	for _, l := range validLeaves() {
		f.Add(l.Marshal())
	}
	f.Add([]byte(goodLeaf()))
	f.Add([]byte(swap(7, 8)))
	f.Add([]byte(replace(3, "index 018")))
	f.Add([]byte("hotline entry v1\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := entry.Parse(b)
		if err != nil {
			if l != nil {
				t.Fatal("leaf returned with an error")
			}
			return
		}
		if got := l.Marshal(); !bytes.Equal(got, b) {
			t.Fatalf("Marshal(Parse(b)) = %q, want %q", got, b)
		}
		if len(l.Body) != 32 || !l.Kind.Valid() {
			t.Fatalf("accepted leaf %+v", l)
		}
		a, i, err := entry.ParseID(l.ID())
		if err != nil || a != l.Author || i != l.Index {
			t.Fatalf("ParseID(%q) = %q, %d, %v", l.ID(), a, i, err)
		}
	})
}

// FuzzParseID checks that ParseID never panics and that an accepted ID is
// the one ID formats.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"seoul-17", "a-b-0", "seoul-017", "-1", "seoul-", "x-18446744073709551615"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		a, i, err := entry.ParseID(id)
		if err != nil {
			return
		}
		if got := entry.ID(a, i); got != id {
			t.Fatalf("ID(ParseID(%q)) = %q", id, got)
		}
	})
}

// FuzzDecodeMessage checks that DecodeMessage never panics and never accepts
// a message that fails validation.
func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{
		`{"lang":"ko","text":"안녕하세요"}`,
		`{"lang":"zh","text":"收到","reply_to":"seoul-17"}`,
		`{"lang":"en","text":"hi"}}`,
		`{"lang":"en","text":"hi","x":1}`,
		`{"lang":"","text":""}`,
		`null`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := entry.DecodeMessage(b)
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("accepted an invalid message %+v: %v", m, err)
		}
	})
}

// FuzzDecodeMark checks that DecodeMark never panics and never accepts a
// mark that fails validation for its kind.
func FuzzDecodeMark(f *testing.F) {
	for _, c := range []struct{ b, kind string }{
		{`{"message":"seoul-17"}`, "displayed"},
		{`{"message":"seoul-17","officer":"Kim"}`, "ack"},
		{`{"message":"seoul-17"}`, "ack"},
		{`{"message":"seoul-17"}]`, "displayed"},
		{`{"message":"seoul"}`, "displayed"},
		{`{}`, "message"},
	} {
		f.Add([]byte(c.b), c.kind)
	}
	f.Fuzz(func(t *testing.T, b []byte, kind string) {
		m, err := entry.DecodeMark(b, entry.Kind(kind))
		if err != nil {
			return
		}
		if err := m.Validate(entry.Kind(kind)); err != nil {
			t.Fatalf("accepted an invalid mark %+v: %v", m, err)
		}
		if entry.Kind(kind) == entry.KindAck && m.Officer == "" {
			t.Fatal("accepted an acknowledgement without an officer")
		}
	})
}

// FuzzDecodeRollCall checks that DecodeRollCall never panics, never accepts
// a roll-call that fails validation, and that what it accepts encodes and
// decodes to the same roll-call.
func FuzzDecodeRollCall(f *testing.F) {
	for _, s := range rollCallSeeds {
		f.Add([]byte(s.body))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := entry.DecodeRollCall(b)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("accepted an invalid roll-call %+v: %v", r, err)
		}
		again, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if r2, err := entry.DecodeRollCall(again); err != nil || *r2 != *r {
			t.Fatalf("round trip of %+v: %+v, %v", r, r2, err)
		}
	})
}

// rollCallSeeds are the committed seeds of FuzzDecodeRollCall, by file
// name, and whether each must decode.
var rollCallSeeds = []struct {
	name, body string
	valid      bool
}{
	{"valid", `{"officer":"Kim","slot":1795704000000}`, true},
	{"unicode-officer", `{"officer":"王 磊","slot":0}`, true},
	{"no-officer", `{"slot":1795704000000}`, false},
	{"negative-slot", `{"officer":"Kim","slot":-1}`, false},
	{"unknown-field", `{"officer":"Kim","slot":1,"party":"seoul"}`, false},
	{"trailing-brace", `{"officer":"Kim","slot":1}}`, false},
	{"slot-string", `{"officer":"Kim","slot":"1"}`, false},
	{"null", `null`, false},
}

// TestCorpusSeeds keeps the committed corpus meaningful: the valid seeds
// must still parse, the others must not.
func TestCorpusSeeds(t *testing.T) {
	for name := range validLeaves() {
		file := "valid-" + strings.ReplaceAll(name, " ", "-")
		b := fuzzseed.Read(t, "FuzzParse", file)
		l, err := entry.Parse(b)
		if err != nil || !bytes.Equal(l.Marshal(), b) {
			t.Errorf("%s: %v", file, err)
		}
	}
	for _, s := range rollCallSeeds {
		b := fuzzseed.Read(t, "FuzzDecodeRollCall", s.name)
		if string(b) != s.body {
			t.Errorf("FuzzDecodeRollCall/%s holds %q, want %q", s.name, b, s.body)
		}
		if _, err := entry.DecodeRollCall(b); (err == nil) != s.valid {
			t.Errorf("FuzzDecodeRollCall/%s: decoded %v, want %v (%v)", s.name, err == nil, s.valid, err)
		}
	}
	for _, name := range []string{"refs-out-of-order", "index-leading-zero", "missing-precedence", "bad-line-id", "crlf", "header-only"} {
		if _, err := entry.Parse(fuzzseed.Read(t, "FuzzParse", name)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzDecodeKeyChange checks that DecodeKeyChange never panics and that an
// accepted statement has one encoding: its text is the text it came in.
func FuzzDecodeKeyChange(f *testing.F) {
	c, b := keyChange(f)
	f.Add(b)
	f.Add([]byte(c.Text() + "\n"))
	f.Add([]byte("hotline key v1\n{}\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := entry.DecodeKeyChange(b)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(b, []byte(k.Text()+"\n")) {
			t.Fatalf("accepted %q, whose statement reads %q", b, k.Text())
		}
		if k.Validate() != nil {
			t.Fatalf("accepted an invalid statement %+v", k)
		}
	})
}
