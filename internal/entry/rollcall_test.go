package entry_test

import (
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/entry"
)

func TestDecodeRollCall(t *testing.T) {
	officer100 := strings.Repeat("o", entry.MaxOfficerName)
	tests := []struct {
		name string
		in   string
		want *entry.RollCall // nil: must be refused
	}{
		{"plain", `{"officer":"Kim","slot":1795704000000}`, &entry.RollCall{Officer: "Kim", Slot: 1795704000000}},
		{"unicode officer", `{"slot":0,"officer":"王 磊"}`, &entry.RollCall{Officer: "王 磊"}},
		{"officer of 100 bytes", `{"officer":"` + officer100 + `","slot":1}`, &entry.RollCall{Officer: officer100, Slot: 1}},

		{"no officer", `{"slot":1795704000000}`, nil},
		{"empty officer", `{"officer":"","slot":1795704000000}`, nil},
		{"officer too long", `{"officer":"` + officer100 + `o","slot":1}`, nil},
		{"negative slot", `{"officer":"Kim","slot":-1}`, nil},
		{"slot a string", `{"officer":"Kim","slot":"1795704000000"}`, nil},
		{"slot a fraction", `{"officer":"Kim","slot":1.5}`, nil},
		{"unknown field", `{"officer":"Kim","slot":1,"party":"seoul"}`, nil},
		{"trailing data", `{"officer":"Kim","slot":1} {}`, nil},
		{"trailing brace", `{"officer":"Kim","slot":1}}`, nil},
		{"null", `null`, nil},
		{"empty", ``, nil},
		{"array", `[{"officer":"Kim","slot":1}]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := entry.DecodeRollCall([]byte(tt.in))
			if tt.want == nil {
				if err == nil {
					t.Fatalf("DecodeRollCall(%.80q) accepted %+v", tt.in, r)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeRollCall(%.80q): %v", tt.in, err)
			}
			if *r != *tt.want {
				t.Fatalf("DecodeRollCall = %+v, want %+v", r, tt.want)
			}
		})
	}
}

func TestMessageOfficers(t *testing.T) {
	ok := []entry.Message{
		{Lang: "ko", Text: "hi", Officer: "Kim"},
		{Lang: "ko", Text: "hi", Officer: "Kim", ReleasedBy: "Lee"},
	}
	for _, m := range ok {
		if err := m.Validate(); err != nil {
			t.Errorf("Validate(%+v): %v", m, err)
		}
	}
	bad := []entry.Message{
		{Lang: "ko", Text: "hi", ReleasedBy: "Lee"},                   // released, drafted by nobody
		{Lang: "ko", Text: "hi", Officer: "Kim", ReleasedBy: "Kim"},   // released by the drafter
		{Lang: "ko", Text: "hi", Officer: strings.Repeat("o", 101)},   // name too long
		{Lang: "ko", Text: "hi", Officer: "Kim", ReleasedBy: "\xffx"}, // not UTF-8
	}
	for _, m := range bad {
		if err := m.Validate(); err == nil {
			t.Errorf("Validate accepted %+v", m)
		}
	}
	m, err := entry.DecodeMessage([]byte(`{"lang":"ko","text":"hi","officer":"Kim","released_by":"Lee"}`))
	if err != nil || m.Officer != "Kim" || m.ReleasedBy != "Lee" {
		t.Fatalf("DecodeMessage: %+v, %v", m, err)
	}
}
