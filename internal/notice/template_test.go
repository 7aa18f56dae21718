package notice

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/entry"
)

func exercise(t *testing.T) *Template {
	t.Helper()
	tm := Starter().Find("exercise-notice")
	if tm == nil {
		t.Fatal("no exercise-notice in the starter set")
	}
	return tm
}

func exerciseValues() map[string]string {
	return map[string]string{"name": "Foal-Eagle", "start": "2017-03-01T00:00Z", "end": "2017-04-30T00:00Z",
		"area": "37.5N,126.9E,50km", "forces": "ROK, US", "live-fire": "yes"}
}

func TestStarterSet(t *testing.T) {
	s := Starter()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []string{"call-request", "exercise-notice", "launch-notice", "encounter-report", "clarification-request", "exchange-proposal"}
	if strings.Join(s.IDs(), " ") != strings.Join(want, " ") {
		t.Fatalf("starter set %v, want %v", s.IDs(), want)
	}
	// Every label and help in every language of the set: a reader in
	// Seoul or Beijing never falls back to English.
	for _, tm := range s {
		texts := []Text{tm.Labels, tm.Help}
		for _, f := range tm.Fields {
			texts = append(texts, f.Labels)
			if f.Help != nil {
				texts = append(texts, f.Help)
			}
			for _, c := range f.Choices {
				texts = append(texts, c.Labels)
			}
		}
		for _, x := range texts {
			for _, l := range []string{"en", "ko", "zh"} {
				if x[l] == "" {
					t.Errorf("%s: a text without %s: %v", tm.ID, l, x)
				}
			}
		}
	}
	// Encoded and parsed back, the set is the same bytes: a charter that
	// carries it stays in canonical form.
	b, _ := json.Marshal(s)
	back, err := ParseSet(b)
	if err != nil {
		t.Fatal(err)
	}
	if b2, _ := json.Marshal(back); string(b2) != string(b) {
		t.Fatal("the starter set does not encode the same after a round trip")
	}
}

func TestFill(t *testing.T) {
	tm := exercise(t)
	f, err := tm.Fill(exerciseValues())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"name": "Foal-Eagle", "start": "2017-03-01T00:00:00Z", "end": "2017-04-30T00:00:00Z",
		"area": "37.5N,126.9E,50km", "forces": "ROK, US", "live-fire": "yes"}
	if f.Template != "exercise-notice" || len(f.Fields) != len(want) {
		t.Fatalf("Fill = %+v", f)
	}
	for k, v := range want {
		if f.Fields[k] != v {
			t.Errorf("field %s = %q, want %q", k, f.Fields[k], v)
		}
	}
	if err := tm.Check(f); err != nil {
		t.Fatalf("Check of what Fill wrote: %v", err)
	}
	// A choice may be given by its label in any language.
	v := exerciseValues()
	v["live-fire"] = "아니요"
	if f, err := tm.Fill(v); err != nil || f.Fields["live-fire"] != "no" {
		t.Fatalf("Fill with a Korean choice label: %v, %v", f, err)
	}

	for _, tt := range []struct {
		name, field string
		edit        func(map[string]string)
	}{
		{"missing required", "name", func(m map[string]string) { delete(m, "name") }},
		{"blank required", "forces", func(m map[string]string) { m["forces"] = "  " }},
		{"unknown field", "colour", func(m map[string]string) { m["colour"] = "red" }},
		{"wrong type", "start", func(m map[string]string) { m["start"] = "next Tuesday" }},
		{"position out of range", "area", func(m map[string]string) { m["area"] = "97.5N,126.9E,50km" }},
		{"end before start", "end", func(m map[string]string) { m["end"] = "2017-02-28T23:59Z" }},
		{"not a choice", "live-fire", func(m map[string]string) { m["live-fire"] = "maybe" }},
		{"number with a unit", "personnel", func(m map[string]string) { m["personnel"] = "300 ships" }},
		{"control characters", "name", func(m map[string]string) { m["name"] = "Foal\x1b[2JEagle" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := exerciseValues()
			tt.edit(v)
			_, err := tm.Fill(v)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("Fill: %v, want an error naming field %s", err, tt.field)
			}
			if !strings.Contains(err.Error(), "field "+tt.field) {
				t.Fatalf("error %q does not name the field", err)
			}
		})
	}
}

func TestCheckRefusesNonCanonical(t *testing.T) {
	tm := exercise(t)
	good, _ := tm.Fill(exerciseValues())
	for _, tt := range []struct{ name, field, value string }{
		{"minute date-time", "start", "2017-03-01T00:00Z"},
		{"spaced area", "area", "37.5N, 126.9E, 50km"},
		{"choice label", "live-fire", "예"},
		{"padded text", "forces", " ROK, US"},
		{"end before start", "end", "2017-01-01T00:00:00Z"},
		{"unknown field", "colour", "red"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &entry.Form{Template: good.Template, Fields: map[string]string{}}
			for k, v := range good.Fields {
				f.Fields[k] = v
			}
			f.Fields[tt.field] = tt.value
			if err := tm.Check(f); err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("Check: %v, want an error naming %s", err, tt.field)
			}
		})
	}
	if _, err := Starter().Check(&entry.Form{Template: "weather-report", Fields: map[string]string{"x": "y"}}); err == nil {
		t.Fatal("Check accepted an unknown template")
	}
}

func TestRender(t *testing.T) {
	tm := exercise(t)
	f, _ := tm.Fill(exerciseValues())
	rows := tm.Render(f, "zh")
	if len(rows) != 6 || rows[0].Name != "name" || rows[0].Label != "演习名称" || rows[0].Value != "Foal-Eagle" {
		t.Fatalf("Render zh: %+v", rows)
	}
	last := rows[len(rows)-1]
	if last.Name != "live-fire" || last.Label != "实弹射击" || last.Shown != "是" || last.Value != "yes" {
		t.Fatalf("Render zh choice: %+v", last)
	}
	if rows := tm.Render(f, "ko"); rows[0].Label != "훈련 명칭" {
		t.Fatalf("Render ko: %+v", rows[0])
	}
	if rows := tm.Render(f, "fr"); rows[0].Label != "Exercise name" {
		t.Fatalf("Render falls back to English: %+v", rows[0])
	}
	if got := (Text{"zh": "名称"}).In("zh-Hans"); got != "名称" {
		t.Fatalf("In(zh-Hans) = %q", got)
	}
}

func TestTemplateValidate(t *testing.T) {
	base := func() Template { return *exercise(t) }
	for _, tt := range []struct {
		name string
		edit func(*Template)
	}{
		{"bad ID", func(m *Template) { m.ID = "Exercise Notice" }},
		{"no labels", func(m *Template) { m.Labels = nil }},
		{"empty label", func(m *Template) { m.Labels = Text{"en": ""} }},
		{"bad language", func(m *Template) { m.Labels = Text{"e n": "x"} }},
		{"no fields", func(m *Template) { m.Fields = nil }},
		{"repeated field", func(m *Template) { m.Fields = append(m.Fields, m.Fields[0]) }},
		{"unknown type", func(m *Template) { m.Fields[0].Type = "colour" }},
		{"choice without choices", func(m *Template) { m.Fields[6].Choices = nil }},
		{"choices on text", func(m *Template) { m.Fields[0].Choices = yesNo }},
		{"repeated choice", func(m *Template) { m.Fields[6].Choices = append(m.Fields[6].Choices, m.Fields[6].Choices[0]) }},
		{"units on text", func(m *Template) { m.Fields[0].Units = []string{"km"} }},
		{"unit with a digit", func(m *Template) { m.Fields[5].Units = []string{"m2"} }},
		{"rule on text", func(m *Template) { m.Rules = []Rule{{Field: "name", NotBefore: "start"}} }},
		{"rule on unknown field", func(m *Template) { m.Rules = []Rule{{Field: "finish", NotBefore: "start"}} }},
		{"max bytes on area", func(m *Template) { m.Fields[1].MaxBytes = 10 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			m.Fields = append([]Field(nil), m.Fields...)
			tt.edit(&m)
			if err := m.Validate(); err == nil {
				t.Fatal("Validate accepted it")
			}
		})
	}
	s := Starter()
	s = append(s, s[0])
	if err := s.Validate(); err == nil {
		t.Fatal("a set with a repeated ID validated")
	}
}
