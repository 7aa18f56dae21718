package entry_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/entry"
)

const amendLine = "5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f"

// key is a relay key of 32 bytes, as base64.
const key = `"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="`

func TestDecodeAmendment(t *testing.T) {
	l := `"line":"` + amendLine + `"`
	tests := []struct {
		name string
		in   string
		ok   bool
		is   error // the error refused with, if it has its own
	}{
		{"propose a relay", `{` + l + `,"act":"propose","base":1,"changes":{"relays_add":[{"addr":"relay.example:8443","tls_key":` + key + `}]},"reason":"a second carrier","officer":"Kim"}`, true, nil},
		{"propose everything", `{` + l + `,"act":"propose","base":3,"changes":{"name":"navy","relays_remove":["r.example:1"],"addrs":{"beijing":"10.0.0.2:8443","seoul":"[::1]:9"},"deadlines":{"FLASH":{"ack":"5m0s","reply":"30m0s"}},"roll_call":{"every":"0s","answer":"0s"},"two_person":[],"link_tests":"30m0s","templates":[]},"reason":"note 12","officer":"王 磊"}`, true, nil},
		{"accept", `{` + l + `,"act":"accept","proposal":"seoul-4","officer":"Wang"}`, true, nil},
		{"refuse", `{` + l + `,"act":"refuse","proposal":"seoul-4","reason":"not yet","officer":"Wang"}`, true, nil},

		{"another line", `{"line":"00000000000000000000000000000000","act":"accept","proposal":"seoul-4","officer":"Wang"}`, false, entry.ErrAmendOtherLine},
		{"not canonical: field order", `{"act":"accept",` + l + `,"proposal":"seoul-4","officer":"Wang"}`, false, entry.ErrNotCanonical},
		{"not canonical: spaces", `{` + l + `, "act":"accept","proposal":"seoul-4","officer":"Wang"}`, false, entry.ErrNotCanonical},
		{"not canonical: duration", `{` + l + `,"act":"propose","base":1,"changes":{"link_tests":"30m"},"reason":"r","officer":"Kim"}`, false, entry.ErrNotCanonical},
		{"duplicate field", `{` + l + `,"act":"accept","act":"refuse","proposal":"seoul-4","reason":"x","officer":"Wang"}`, false, nil},
		{"refuse without reason", `{` + l + `,"act":"refuse","proposal":"seoul-4","officer":"Wang"}`, false, nil},
		{"accept with changes", `{` + l + `,"act":"accept","proposal":"seoul-4","changes":{"name":"x"},"officer":"Wang"}`, false, nil},
		{"accept a bad ID", `{` + l + `,"act":"accept","proposal":"seoul","officer":"Wang"}`, false, nil},
		{"propose without base", `{` + l + `,"act":"propose","changes":{"name":"x"},"reason":"r","officer":"Kim"}`, false, nil},
		{"propose nothing", `{` + l + `,"act":"propose","base":1,"changes":{},"reason":"r","officer":"Kim"}`, false, nil},
		{"propose without reason", `{` + l + `,"act":"propose","base":1,"changes":{"name":"x"},"officer":"Kim"}`, false, nil},
		{"bad name", `{` + l + `,"act":"propose","base":1,"changes":{"name":"Navy!"},"reason":"r","officer":"Kim"}`, false, nil},
		{"short relay key", `{` + l + `,"act":"propose","base":1,"changes":{"relays_add":[{"addr":"r:1","tls_key":"AAAA"}]},"reason":"r","officer":"Kim"}`, false, nil},
		{"address without port", `{` + l + `,"act":"propose","base":1,"changes":{"addrs":{"seoul":"10.0.0.1"}},"reason":"r","officer":"Kim"}`, false, nil},
		{"deadline reply before ack", `{` + l + `,"act":"propose","base":1,"changes":{"deadlines":{"FLASH":{"ack":"5m0s","reply":"1m0s"}}},"reason":"r","officer":"Kim"}`, false, nil},
		{"unknown precedence", `{` + l + `,"act":"propose","base":1,"changes":{"deadlines":{"URGENT":{"ack":"5m0s","reply":"6m0s"}}},"reason":"r","officer":"Kim"}`, false, nil},
		{"repeated two-person", `{` + l + `,"act":"propose","base":1,"changes":{"two_person":["FLASH","FLASH"]},"reason":"r","officer":"Kim"}`, false, nil},
		{"link tests too often", `{` + l + `,"act":"propose","base":1,"changes":{"link_tests":"1ms"},"reason":"r","officer":"Kim"}`, false, nil},
		{"half a roll-call", `{` + l + `,"act":"propose","base":1,"changes":{"roll_call":{"every":"1h0m0s","answer":"0s"}},"reason":"r","officer":"Kim"}`, false, nil},
		{"unknown change", `{` + l + `,"act":"propose","base":1,"changes":{"add_key":{}},"reason":"r","officer":"Kim"}`, false, nil},
		{"card not bytes", `{` + l + `,"act":"propose","base":1,"changes":{"add_party":{}},"reason":"r","officer":"Kim"}`, false, nil},
		{"remove a party", `{` + l + `,"act":"propose","base":1,"changes":{"remove_party":"beijing"},"reason":"r","officer":"Kim"}`, true, nil},
		{"add a party", `{` + l + `,"act":"propose","base":1,"changes":{"add_party":"AAAA"},"reason":"r","officer":"Kim"}`, true, nil},
		{"add and remove at once", `{` + l + `,"act":"propose","base":1,"changes":{"add_party":"AAAA","remove_party":"beijing"},"reason":"r","officer":"Kim"}`, false, nil},
		{"remove and rename at once", `{` + l + `,"act":"propose","base":1,"changes":{"name":"x","remove_party":"beijing"},"reason":"r","officer":"Kim"}`, false, nil},
		{"remove a bad name", `{` + l + `,"act":"propose","base":1,"changes":{"remove_party":"Bei Jing"},"reason":"r","officer":"Kim"}`, false, nil},
		{"unknown act", `{` + l + `,"act":"withdraw","proposal":"seoul-4","officer":"Wang"}`, false, nil},
		{"no officer", `{` + l + `,"act":"accept","proposal":"seoul-4"}`, false, nil},
		{"reason too long", `{` + l + `,"act":"refuse","proposal":"seoul-4","reason":"` + strings.Repeat("r", entry.MaxReason+1) + `","officer":"Wang"}`, false, nil},
		{"trailing data", `{` + l + `,"act":"accept","proposal":"seoul-4","officer":"Wang"} {}`, false, nil},
		{"null", `null`, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := entry.DecodeAmendment([]byte(tt.in), amendLine)
			if !tt.ok {
				if err == nil {
					t.Fatalf("DecodeAmendment(%.80q) accepted %+v", tt.in, a)
				}
				if tt.is != nil && !errors.Is(err, tt.is) {
					t.Fatalf("DecodeAmendment(%.80q): %v, want %v", tt.in, err, tt.is)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeAmendment(%.80q): %v", tt.in, err)
			}
			if got := a.Marshal(); !bytes.Equal(got, []byte(tt.in)) {
				t.Fatalf("Marshal = %s, want %s", got, tt.in)
			}
		})
	}
}

// FuzzDecodeAmendment checks that DecodeAmendment never panics, accepts
// only valid amendments of its line, and that what it accepts is the one
// encoding of the amendment: parse then marshal gives back the same bytes.
func FuzzDecodeAmendment(f *testing.F) {
	l := `"line":"` + amendLine + `"`
	f.Add([]byte(`{` + l + `,"act":"propose","base":1,"changes":{"relays_add":[{"addr":"relay.example:8443","tls_key":` + key + `}]},"reason":"a second carrier","officer":"Kim"}`))
	f.Add([]byte(`{` + l + `,"act":"propose","base":2,"changes":{"name":"navy","deadlines":{"FLASH":{"ack":"5m0s","reply":"30m0s"}},"two_person":["FLASH"],"templates":[{"id":"x"}]},"reason":"r","officer":"Kim"}`))
	f.Add([]byte(`{` + l + `,"act":"accept","proposal":"seoul-4","officer":"Wang"}`))
	f.Add([]byte(`{` + l + `,"act":"refuse","proposal":"seoul-4","reason":"<no>","officer":"Wang"}`))
	f.Add([]byte(`{` + l + `,"act":"propose","base":3,"changes":{"add_party":"aG90bGluZSBjYXJkIHYxCg=="},"reason":"r","officer":"Kim"}`))
	f.Add([]byte(`{` + l + `,"act":"propose","base":3,"changes":{"remove_party":"tokyo"},"reason":"r","officer":"Kim"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := entry.DecodeAmendment(b, amendLine)
		if err != nil {
			return
		}
		if err := a.Validate(amendLine); err != nil {
			t.Fatalf("accepted an invalid amendment %+v: %v", a, err)
		}
		if !bytes.Equal(a.Marshal(), b) {
			t.Fatalf("accepted %q, which encodes as %q", b, a.Marshal())
		}
	})
}
