package entry_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/entry"
)

var translationSeeds = []struct {
	body string
	ok   bool
}{
	{`{"message":"seoul-12","lang":"zh","text":"检测到导弹发射","officer":"Li Wei"}`, true},
	{`{"message":"seoul-12","lang":"zh-Hans-CN","text":"x","officer":"Li Wei","machine":true}`, true},
	{`{"message":"seoul-12","lang":"zh","text":"x"}`, false},                                // no translator
	{`{"message":"seoul-012","lang":"zh","text":"x","officer":"Li"}`, false},                // not an ID
	{`{"message":"seoul-12","lang":"z","text":"x","officer":"Li"}`, false},                  // not a tag
	{`{"message":"seoul-12","lang":"zh_CN","text":"x","officer":"Li"}`, false},              // not a tag
	{`{"message":"seoul-12","lang":"zh","text":"","officer":"Li"}`, false},                  // no text
	{`{"message":"seoul-12","lang":"zh","text":"x","officer":"Li","lang2":"ko"}`, false},    // unknown field
	{`{"message":"seoul-12","lang":"zh","text":"x","officer":"Li"}{}`, false},               // trailing data
	{`{"message":"seoul-12","lang":"zh","text":"\xff","officer":"Li"}`, false},              // not UTF-8
	{`{"message":"seoul-12","lang":"zh","text":"x","officer":"Li","machine":"yes"}`, false}, // wrong type
	{`{"message":"seoul-12","lang":"zh-toolongsubtag","text":"x","officer":"Li"}`, false},   // subtag of 11
	{`{"message":"seoul-12","lang":"12","text":"x","officer":"Li"}`, false},                 // digits first
	{`{"message":"seoul-12","lang":"zh-","text":"x","officer":"Li"}`, false},                // empty subtag
}

func TestDecodeTranslation(t *testing.T) {
	for _, s := range translationSeeds {
		_, err := entry.DecodeTranslation([]byte(s.body))
		if (err == nil) != s.ok {
			t.Errorf("%s: err %v, want ok=%v", s.body, err, s.ok)
		}
	}
}

var agendaSeeds = []struct {
	body string
	ok   bool
}{
	{`{"action":"propose","kind":"exercise","title":"Joint search and rescue","start":"2017-03-10T01:00:00Z","end":"2017-03-10T07:00:00Z","place":"Yellow Sea","participants":["ROKN","PLAN"]}`, true},
	{`{"action":"propose","kind":"talks","title":"T","start":"2017-03-10T10:00:00+09:00","place":"Seoul","officer":"Kim"}`, true},
	{`{"action":"confirm","event":"seoul-12","start":"2017-03-10T01:00:00Z"}`, true},
	{`{"action":"confirm","event":"seoul-12"}`, false}, // agrees to no time
	{`{"action":"postpone","event":"seoul-12","start":"2017-04-10T01:00:00Z"}`, true},
	{`{"action":"cancel","event":"seoul-12","reason":"deployment dispute","because":"beijing-9"}`, true},
	{`{"action":"held","event":"seoul-12","officer":"Kim"}`, true},
	{`{"action":"propose","kind":"party","title":"T","start":"2017-03-10T01:00:00Z","place":"P"}`, false},      // unknown kind
	{`{"action":"propose","kind":"talks","title":"T","place":"P"}`, false},                                     // no start
	{`{"action":"propose","kind":"talks","title":"","start":"2017-03-10T01:00:00Z","place":"P"}`, false},       // no title
	{`{"action":"propose","kind":"talks","title":"a\r\nb","start":"2017-03-10T01:00:00Z","place":"P"}`, false}, // control character
	{`{"action":"propose","event":"seoul-1","kind":"talks","title":"T","start":"2017-03-10T01:00:00Z","place":"P"}`, false},
	{`{"action":"propose","kind":"talks","title":"T","start":"2017-03-10T01:00:00Z","end":"2017-03-10T01:00:00Z","place":"P"}`, false}, // empty span
	{`{"action":"confirm"}`, false}, // no event
	{`{"action":"confirm","event":"seoul-12","title":"T"}`, false},
	{`{"action":"confirm","event":"seoul-12","start":"2017-03-10T01:00:00Z","end":"2017-03-10T07:00:00Z"}`, false},
	{`{"action":"postpone","event":"seoul-12"}`, false}, // no new time
	{`{"action":"cancel","event":"seoul-12"}`, false},   // no reason
	{`{"action":"held","event":"seoul-12","reason":"r"}`, false},
	{`{"action":"confirm","event":"seoul-12","because":"beijing-9"}`, false},
	{`{"action":"cancel","event":"seoul-12","reason":"r","because":"nine"}`, false},
	{`{"action":"approve","event":"seoul-12"}`, false},
	{`{"action":"confirm","event":"seoul-12","extra":1}`, false},
	{`{"action":"postpone","event":"seoul-12","start":"10000-01-01T00:00:00Z"}`, false},
	{`{"action":"postpone","event":"seoul-12","start":"1969-12-31T00:00:00Z"}`, false},
}

func TestDecodeAgenda(t *testing.T) {
	for _, s := range agendaSeeds {
		_, err := entry.DecodeAgenda([]byte(s.body))
		if (err == nil) != s.ok {
			t.Errorf("%s: err %v, want ok=%v", s.body, err, s.ok)
		}
	}
	many := `{"action":"propose","kind":"talks","title":"T","start":"2017-03-10T01:00:00Z","place":"P","participants":["a"` +
		strings.Repeat(`,"a"`, entry.MaxParticipants) + `]}`
	if _, err := entry.DecodeAgenda([]byte(many)); err == nil {
		t.Errorf("accepted %d participants", entry.MaxParticipants+1)
	}
}

// FuzzDecodeTranslation checks that the decoder never panics, accepts only
// valid bodies, and that what it accepts survives a round trip.
func FuzzDecodeTranslation(f *testing.F) {
	for _, s := range translationSeeds {
		f.Add([]byte(s.body))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := entry.DecodeTranslation(b)
		if err != nil {
			return
		}
		if err := tr.Validate(); err != nil {
			t.Fatalf("accepted an invalid translation %+v: %v", tr, err)
		}
		again, _ := json.Marshal(tr)
		if t2, err := entry.DecodeTranslation(again); err != nil || *t2 != *tr {
			t.Fatalf("round trip of %+v: %+v, %v", tr, t2, err)
		}
	})
}

// FuzzDecodeAgenda checks the same of agenda bodies.
func FuzzDecodeAgenda(f *testing.F) {
	for _, s := range agendaSeeds {
		f.Add([]byte(s.body))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := entry.DecodeAgenda(b)
		if err != nil {
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("accepted an invalid agenda body %+v: %v", a, err)
		}
		for _, s := range append([]string{a.Title, a.Place, a.Reason}, a.Participants...) {
			if strings.ContainsAny(s, "\r\n") {
				t.Fatalf("accepted a line break in %q", s)
			}
		}
		again, _ := json.Marshal(a)
		a2, err := entry.DecodeAgenda(again)
		if err != nil || !a2.Start.Equal(a.Start) || !a2.End.Equal(a.End) {
			t.Fatalf("round trip of %+v: %+v, %v", a, a2, err)
		}
		a2.Start, a2.End = a.Start, a.End
		if len(a.Participants) == 0 {
			a.Participants = nil // [] and none are one list
		}
		if !reflect.DeepEqual(a, a2) {
			t.Fatalf("round trip of %+v: %+v", a, a2)
		}
	})
}

// TestProtocolExamplesDecode keeps the examples of docs/protocol.md §8
// true: every line of the translation and agenda examples decodes.
func TestProtocolExamplesDecode(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "protocol.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		heading string
		decode  func([]byte) error
	}{
		{"**Translation** (`kind translation`)", func(b []byte) error { _, err := entry.DecodeTranslation(b); return err }},
		{"**Agenda** (`kind agenda`)", func(b []byte) error { _, err := entry.DecodeAgenda(b); return err }},
	} {
		_, rest, ok := strings.Cut(string(doc), c.heading)
		m := regexp.MustCompile("(?s)```json\n(.*?)```").FindStringSubmatch(rest)
		if !ok || m == nil {
			t.Fatalf("docs/protocol.md has no example under %s", c.heading)
		}
		for _, l := range strings.Split(strings.TrimSpace(m[1]), "\n") {
			if err := c.decode([]byte(l)); err != nil {
				t.Errorf("%s example %s: %v", c.heading, l, err)
			}
		}
	}
}
