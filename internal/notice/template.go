// Package notice defines the templates of formatted notices: a notice of
// a military exercise, of a missile launch, a report of an encounter at
// sea, each a list of typed fields that both parties agreed to in the
// line's charter. A notice travels as the template's ID and the canonical
// values of its fields (see [entry.Form]), never as prose, and each reader
// sees it with the labels of its own language.
//
// # Field types
//
// Each [Type] has one parser that accepts the forms people write (a
// position as 37.5N,126.9E or 37°30'00"N 126°54'00"E) and one canonical
// form it writes. A value on the wire must be in canonical form, so a
// value is written one way only and means the same on both sides.
//
// # Templates
//
// A [Template] has labels and help in several languages, required and
// optional fields, and rules between fields (an end not before a start).
// [Starter] is the set a line is proposed with by default.
package notice

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
)

// Type is the type of a field's value.
type Type string

// The field types.
const (
	TypeText     Type = "text"     // free text, in the author's language
	TypeDateTime Type = "datetime" // a UTC date-time, see ParseDateTime
	TypePosition Type = "position" // a latitude and longitude, see ParsePosition
	TypeArea     Type = "area"     // a circle or a polygon, see ParseArea
	TypeChoice   Type = "choice"   // one value from the field's choices
	TypeNumber   Type = "number"   // a decimal with one of the field's units, see ParseQuantity
	TypeDuration Type = "duration" // a positive duration, see ParseDuration
)

// Types lists every field type.
var Types = []Type{TypeText, TypeDateTime, TypePosition, TypeArea, TypeChoice, TypeNumber, TypeDuration}

// Text is one text in several languages, by language tag (en, ko, zh).
type Text map[string]string

// In returns the text in lang, else in lang's base language (zh for
// zh-Hans), else in English, else in the first language by tag.
func (t Text) In(lang string) string {
	if s, ok := t[lang]; ok {
		return s
	}
	base, _, _ := strings.Cut(lang, "-")
	if s, ok := t[base]; ok {
		return s
	}
	if s, ok := t["en"]; ok {
		return s
	}
	for _, k := range slices.Sorted(keys(t)) {
		return t[k]
	}
	return ""
}

func keys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Template is one kind of notice.
type Template struct {
	ID     string  `json:"id"` // e.g. exercise-notice
	Labels Text    `json:"labels"`
	Help   Text    `json:"help,omitempty"`
	Fields []Field `json:"fields"`
	Rules  []Rule  `json:"rules,omitempty"`
}

// Field is one field of a template.
type Field struct {
	Name     string   `json:"name"` // e.g. start; the key of its value in a notice
	Type     Type     `json:"type"`
	Required bool     `json:"required,omitempty"`
	Labels   Text     `json:"labels"`
	Help     Text     `json:"help,omitempty"`
	Choices  []Choice `json:"choices,omitempty"`   // choice: the values allowed
	Units    []string `json:"units,omitempty"`     // number: the units allowed; none for a bare number
	MaxBytes int      `json:"max_bytes,omitempty"` // text: the longest value; 0 means DefaultMaxText
}

// Choice is one value of a choice field, with its labels.
type Choice struct {
	Value  string `json:"value"` // e.g. yes; what travels
	Labels Text   `json:"labels"`
}

// Rule relates two fields of a template. The only rule so far says that
// the date-time in Field is not before the one in NotBefore; it holds when
// either is absent.
type Rule struct {
	Field     string `json:"field"`
	NotBefore string `json:"not_before"`
}

// Set is the templates of a line, as its charter lists them.
type Set []Template

// Limits on a set of templates; a charter carries at most MaxTemplates.
const (
	MaxTemplates = 64
	MaxFields    = 64
	MaxChoices   = 64
	MaxLabel     = 200
	MaxHelp      = 2000
	MaxLangs     = 16
)

// Find returns the template id, or nil.
func (s Set) Find(id string) *Template {
	for i := range s {
		if s[i].ID == id {
			return &s[i]
		}
	}
	return nil
}

// IDs lists the templates' IDs in order.
func (s Set) IDs() []string {
	ids := make([]string, len(s))
	for i := range s {
		ids[i] = s[i].ID
	}
	return ids
}

// Validate checks every template of the set and that no ID repeats.
func (s Set) Validate() error {
	if len(s) > MaxTemplates {
		return fmt.Errorf("templates: at most %d, not %d", MaxTemplates, len(s))
	}
	for i := range s {
		if err := s[i].Validate(); err != nil {
			return err
		}
		if s.Find(s[i].ID) != &s[i] {
			return fmt.Errorf("template %s: the ID repeats", s[i].ID)
		}
	}
	return nil
}

// ParseSet decodes a JSON list of templates strictly and validates it.
func ParseSet(b []byte) (Set, error) {
	var s Set
	if err := entry.DecodeStrict(b, &s); err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	return s, s.Validate()
}

// Validate checks a template: its ID, labels and fields, and that each
// rule names two date-time fields of it.
func (t *Template) Validate() error {
	if !identity.ValidSlug(t.ID) {
		return fmt.Errorf("template %.40q: want an ID such as exercise-notice (lowercase letters, digits and dashes)", t.ID)
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("template %s: %s", t.ID, fmt.Sprintf(format, a...))
	}
	if err := checkText(t.Labels, MaxLabel, true); err != nil {
		return fail("labels: %v", err)
	}
	if err := checkText(t.Help, MaxHelp, false); err != nil {
		return fail("help: %v", err)
	}
	if len(t.Fields) == 0 || len(t.Fields) > MaxFields {
		return fail("1 to %d fields, not %d", MaxFields, len(t.Fields))
	}
	for i := range t.Fields {
		f := &t.Fields[i]
		if err := f.validate(); err != nil {
			return fail("%v", err)
		}
		if t.Field(f.Name) != f {
			return fail("field %s repeats", f.Name)
		}
	}
	for _, r := range t.Rules {
		a, b := t.Field(r.Field), t.Field(r.NotBefore)
		if a == nil || b == nil || a == b || a.Type != TypeDateTime || b.Type != TypeDateTime {
			return fail("rule %s not before %s: want two date-time fields of the template", r.Field, r.NotBefore)
		}
	}
	return nil
}

// Field returns the field name, or nil.
func (t *Template) Field(name string) *Field {
	for i := range t.Fields {
		if t.Fields[i].Name == name {
			return &t.Fields[i]
		}
	}
	return nil
}

func (f *Field) validate() error {
	if !identity.ValidSlug(f.Name) {
		return fmt.Errorf("field %.40q: want a name such as start (lowercase letters, digits and dashes)", f.Name)
	}
	if !slices.Contains(Types, f.Type) {
		return fmt.Errorf("field %s: unknown type %.40q", f.Name, f.Type)
	}
	if err := checkText(f.Labels, MaxLabel, true); err != nil {
		return fmt.Errorf("field %s: labels: %v", f.Name, err)
	}
	if err := checkText(f.Help, MaxHelp, false); err != nil {
		return fmt.Errorf("field %s: help: %v", f.Name, err)
	}
	if (f.Type == TypeChoice) != (len(f.Choices) > 0) || len(f.Choices) > MaxChoices {
		return fmt.Errorf("field %s: a choice field has 1 to %d choices, and only it", f.Name, MaxChoices)
	}
	for i, c := range f.Choices {
		if !identity.ValidSlug(c.Value) || slices.ContainsFunc(f.Choices[:i], func(o Choice) bool { return o.Value == c.Value }) {
			return fmt.Errorf("field %s: choice %.40q: want a distinct value such as yes", f.Name, c.Value)
		}
		if err := checkText(c.Labels, MaxLabel, true); err != nil {
			return fmt.Errorf("field %s: choice %s: %v", f.Name, c.Value, err)
		}
	}
	if len(f.Units) > 0 && f.Type != TypeNumber || len(f.Units) > 16 {
		return fmt.Errorf("field %s: only a number field has units, at most 16", f.Name)
	}
	for i, u := range f.Units {
		if u == "" || len(u) > 16 || !utf8.ValidString(u) || strings.ContainsFunc(u, func(r rune) bool { return r <= ' ' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '+' }) || slices.Contains(f.Units[:i], u) {
			return fmt.Errorf("field %s: unit %.20q: want a distinct name of 1 to 16 bytes without digits or spaces", f.Name, u)
		}
	}
	if f.MaxBytes != 0 && (f.Type != TypeText || f.MaxBytes < 1 || f.MaxBytes > entry.MaxFormValue) {
		return fmt.Errorf("field %s: max_bytes is for text fields, 1 to %d", f.Name, entry.MaxFormValue)
	}
	return nil
}

// checkText checks the texts of a label or help: language tags as in a
// card, values of 1 to max bytes of UTF-8, and at least one when required.
func checkText(t Text, max int, required bool) error {
	if required && len(t) == 0 {
		return errors.New("give at least one language")
	}
	if len(t) > MaxLangs {
		return fmt.Errorf("at most %d languages", MaxLangs)
	}
	for lang, s := range t {
		if !validLang(lang) {
			return fmt.Errorf("language tag %.40q", lang)
		}
		if s == "" || len(s) > max || !utf8.ValidString(s) {
			return fmt.Errorf("%s: 1 to %d bytes of UTF-8", lang, max)
		}
		if _, err := canonicalText(s, max); err != nil || strings.TrimSpace(s) != s {
			return fmt.Errorf("%s: no control characters or surrounding spaces", lang)
		}
	}
	return nil
}

// validLang accepts a BCP 47 tag's shape: letters, digits and dashes, 2 to
// 35 bytes, beginning with a letter.
func validLang(s string) bool {
	if len(s) < 2 || len(s) > 35 || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
