package entry_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/entry"
)

func TestDecodeNotice(t *testing.T) {
	const line = "5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f"
	const other = "00000000000000000000000000000000"
	tests := []struct {
		name string
		in   string
		want *entry.Notice // nil: must be refused
		is   error         // the error refused with, if it has its own
	}{
		{"suspend", `{"line":"` + line + `","state":"suspended","reason":"exchanges halted","officer":"Kim"}`,
			&entry.Notice{Line: line, State: entry.LineSuspended, Reason: "exchanges halted", Officer: "Kim"}, nil},
		{"reopen without reason", `{"line":"` + line + `","state":"open","officer":"Kim"}`,
			&entry.Notice{Line: line, State: entry.LineOpen, Officer: "Kim"}, nil},
		{"close", `{"line":"` + line + `","state":"closed","reason":"superseded","officer":"王 磊"}`,
			&entry.Notice{Line: line, State: entry.LineClosed, Reason: "superseded", Officer: "王 磊"}, nil},

		{"another line", `{"line":"` + other + `","state":"suspended","reason":"x","officer":"Kim"}`, nil, entry.ErrNoticeOtherLine},
		{"no line", `{"state":"suspended","reason":"x","officer":"Kim"}`, nil, entry.ErrNoticeOtherLine},
		{"unknown state", `{"line":"` + line + `","state":"paused","reason":"x","officer":"Kim"}`, nil, nil},
		{"suspend without reason", `{"line":"` + line + `","state":"suspended","officer":"Kim"}`, nil, nil},
		{"close without reason", `{"line":"` + line + `","state":"closed","officer":"Kim"}`, nil, nil},
		{"no officer", `{"line":"` + line + `","state":"open"}`, nil, nil},
		{"reason too long", `{"line":"` + line + `","state":"closed","reason":"` + strings.Repeat("r", entry.MaxReason+1) + `","officer":"Kim"}`, nil, nil},
		{"unknown field", `{"line":"` + line + `","state":"open","officer":"Kim","until":"never"}`, nil, nil},
		{"trailing data", `{"line":"` + line + `","state":"open","officer":"Kim"} {}`, nil, nil},
		{"null", `null`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := entry.DecodeNotice([]byte(tt.in), line)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("DecodeNotice(%.80q) accepted %+v", tt.in, n)
				}
				if tt.is != nil && !errors.Is(err, tt.is) {
					t.Fatalf("DecodeNotice(%.80q): %v, want %v", tt.in, err, tt.is)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeNotice(%.80q): %v", tt.in, err)
			}
			if *n != *tt.want {
				t.Fatalf("DecodeNotice(%.80q) = %+v, want %+v", tt.in, n, tt.want)
			}
		})
	}
}

// FuzzDecodeNotice checks that DecodeNotice never panics, never accepts a
// notice that fails validation or names another line, and that what it
// accepts encodes and decodes to the same notice.
func FuzzDecodeNotice(f *testing.F) {
	const line = "5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f"
	f.Add([]byte(`{"line":"` + line + `","state":"suspended","reason":"exchanges halted","officer":"Kim"}`))
	f.Add([]byte(`{"line":"` + line + `","state":"open","officer":"王 磊"}`))
	f.Add([]byte(`{"line":"00000000000000000000000000000000","state":"closed","reason":"x","officer":"Kim"}`))
	f.Add([]byte(`{"line":"` + line + `","state":"closed","officer":"Kim"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := entry.DecodeNotice(b, line)
		if err != nil {
			return
		}
		if err := n.Validate(line); err != nil || n.Line != line {
			t.Fatalf("accepted an invalid notice %+v: %v", n, err)
		}
		again, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		if n2, err := entry.DecodeNotice(again, line); err != nil || *n2 != *n {
			t.Fatalf("round trip of %+v: %+v, %v", n, n2, err)
		}
	})
}
