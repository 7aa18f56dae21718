package entry_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/entry"
)

func TestDecodeMessage(t *testing.T) {
	long := strings.Repeat("x", entry.MaxTextSize)
	tests := []struct {
		name string
		in   string
		want *entry.Message // nil: must be refused
	}{
		{"plain", `{"lang":"ko","text":"안녕하세요"}`, &entry.Message{Lang: "ko", Text: "안녕하세요"}},
		{"reply", `{"lang":"zh","text":"收到","reply_to":"seoul-17"}`, &entry.Message{Lang: "zh", Text: "收到", ReplyTo: "seoul-17"}},
		{"whitespace around", " \n{\"lang\":\"en\",\"text\":\"hi\"}\n\t", &entry.Message{Lang: "en", Text: "hi"}},
		{"any field order", `{"text":"hi","lang":"en"}`, &entry.Message{Lang: "en", Text: "hi"}},
		{"empty reply_to", `{"lang":"en","text":"hi","reply_to":""}`, &entry.Message{Lang: "en", Text: "hi"}},
		{"markup is just text", `{"lang":"en","text":"<script>alert(1)</script>"}`, &entry.Message{Lang: "en", Text: "<script>alert(1)</script>"}},
		{"longest text", `{"lang":"en","text":"` + long + `"}`, &entry.Message{Lang: "en", Text: long}},
		{"lang of 35 bytes", `{"lang":"` + strings.Repeat("a", 35) + `","text":"hi"}`, &entry.Message{Lang: strings.Repeat("a", 35), Text: "hi"}},

		{"empty", ``, nil},
		{"whitespace only", " \n", nil},
		{"null", `null`, nil},
		{"empty object", `{}`, nil},
		{"array", `[{"lang":"en","text":"hi"}]`, nil},
		{"string", `"hi"`, nil},
		{"not JSON", `lang=en text=hi`, nil},
		{"truncated", `{"lang":"en","text":"hi"`, nil},
		{"unknown field", `{"lang":"en","text":"hi","subject":"x"}`, nil},
		{"trailing object", `{"lang":"en","text":"hi"}{}`, nil},
		{"trailing text", `{"lang":"en","text":"hi"} x`, nil},
		{"trailing brace", `{"lang":"en","text":"hi"}}`, nil},
		{"trailing bracket", `{"lang":"en","text":"hi"}]`, nil},
		{"trailing comma", `{"lang":"en","text":"hi"},`, nil},
		{"trailing number", `{"lang":"en","text":"hi"} 1`, nil},
		{"missing lang", `{"text":"hi"}`, nil},
		{"empty lang", `{"lang":"","text":"hi"}`, nil},
		{"lang too long", `{"lang":"` + strings.Repeat("a", 36) + `","text":"hi"}`, nil},
		{"missing text", `{"lang":"en"}`, nil},
		{"empty text", `{"lang":"en","text":""}`, nil},
		{"text too long", `{"lang":"en","text":"` + long + `x"}`, nil},
		{"text a number", `{"lang":"en","text":5}`, nil},
		{"text null", `{"lang":"en","text":null}`, nil},
		{"bad reply_to", `{"lang":"en","text":"hi","reply_to":"seoul"}`, nil},
		{"reply_to leading zero", `{"lang":"en","text":"hi","reply_to":"seoul-017"}`, nil},
		{"reply_to uppercase", `{"lang":"en","text":"hi","reply_to":"Seoul-17"}`, nil},
		{"reply_to number", `{"lang":"en","text":"hi","reply_to":17}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := entry.DecodeMessage([]byte(tt.in))
			if tt.want == nil {
				if err == nil {
					t.Fatalf("DecodeMessage accepted %.80q as %+v", tt.in, m)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeMessage(%.80q): %v", tt.in, err)
			}
			if *m != *tt.want {
				t.Fatalf("DecodeMessage = %+v, want %+v", m, tt.want)
			}
		})
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for _, m := range []entry.Message{
		{Lang: "ko", Text: "경계 태세"},
		{Lang: "zh-Hans", Text: "line one\nline two\t\"quoted\" \\ \u2028", ReplyTo: "beijing-2-40"},
		{Lang: "en", Text: "\x00\x01 control characters survive JSON"},
	} {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := entry.DecodeMessage(b)
		if err != nil || *got != m {
			t.Errorf("DecodeMessage(%s) = %+v, %v", b, got, err)
		}
	}
}

func TestMessageValidate(t *testing.T) {
	for _, m := range []entry.Message{
		{Lang: "en", Text: "\xff\xfe"},
		{Lang: "en", Text: "ok \xc3"},
		{Lang: "", Text: "hi"},
		{Lang: "en", Text: ""},
		{Lang: "en", Text: strings.Repeat("x", entry.MaxTextSize+1)},
		{Lang: "en", Text: "hi", ReplyTo: "x"},
	} {
		if err := m.Validate(); err == nil {
			t.Errorf("Validate accepted %+.60v", m)
		}
	}
}

func TestDecodeMark(t *testing.T) {
	officer100 := strings.Repeat("o", 100)
	tests := []struct {
		name string
		kind entry.Kind
		in   string
		want *entry.Mark
	}{
		{"displayed", entry.KindDisplayed, `{"message":"seoul-17"}`, &entry.Mark{Message: "seoul-17"}},
		{"displayed with officer", entry.KindDisplayed, `{"message":"seoul-17","officer":"Kim"}`, &entry.Mark{Message: "seoul-17", Officer: "Kim"}},
		{"ack", entry.KindAck, `{"message":"beijing-0","officer":"Lt. Wang 王"}`, &entry.Mark{Message: "beijing-0", Officer: "Lt. Wang 王"}},
		{"ack officer of 100 bytes", entry.KindAck, `{"message":"beijing-1","officer":"` + officer100 + `"}`, &entry.Mark{Message: "beijing-1", Officer: officer100}},

		{"ack without officer", entry.KindAck, `{"message":"seoul-17"}`, nil},
		{"ack empty officer", entry.KindAck, `{"message":"seoul-17","officer":""}`, nil},
		{"ack officer too long", entry.KindAck, `{"message":"seoul-17","officer":"` + officer100 + `o"}`, nil},
		{"missing message", entry.KindDisplayed, `{}`, nil},
		{"empty message", entry.KindDisplayed, `{"message":""}`, nil},
		{"bad message", entry.KindDisplayed, `{"message":"seoul"}`, nil},
		{"message leading zero", entry.KindAck, `{"message":"seoul-01","officer":"Kim"}`, nil},
		{"message number", entry.KindDisplayed, `{"message":17}`, nil},
		{"unknown field", entry.KindDisplayed, `{"message":"seoul-17","at":"now"}`, nil},
		{"trailing data", entry.KindDisplayed, `{"message":"seoul-17"} {}`, nil},
		{"trailing brace", entry.KindDisplayed, `{"message":"seoul-17"}}`, nil},
		{"trailing bracket", entry.KindAck, `{"message":"seoul-17","officer":"Kim"}]`, nil},
		{"null", entry.KindDisplayed, `null`, nil},
		{"empty", entry.KindDisplayed, ``, nil},
		{"array", entry.KindDisplayed, `[]`, nil},
		{"not JSON", entry.KindDisplayed, `seoul-17`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := entry.DecodeMark([]byte(tt.in), tt.kind)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("DecodeMark(%.80q, %s) accepted %+v", tt.in, tt.kind, m)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeMark(%.80q, %s): %v", tt.in, tt.kind, err)
			}
			if *m != *tt.want {
				t.Fatalf("DecodeMark = %+v, want %+v", m, tt.want)
			}
		})
	}
}
