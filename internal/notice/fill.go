package notice

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/hotline-line/hotline/internal/entry"
)

// FieldError is an error in one field of a notice: it names the field, so
// the operator knows which value to write again.
type FieldError struct {
	Template, Field string
	Err             error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: field %s: %v", e.Template, e.Field, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// ErrRequired means a required field was left out.
var ErrRequired = errors.New("required, and not given")

// Parse reads one value of the field's type as people write it and returns
// its canonical form.
func (f *Field) Parse(s string) (string, error) {
	switch f.Type {
	case TypeText:
		return canonicalText(s, cmp(f.MaxBytes, DefaultMaxText))
	case TypeDateTime:
		t, err := ParseDateTime(s)
		return t.Format(DateTimeLayout), err
	case TypePosition:
		p, err := ParsePosition(s)
		return p.String(), err
	case TypeArea:
		a, err := ParseArea(s)
		return a.String(), err
	case TypeNumber:
		q, err := ParseQuantity(s, f.Units)
		return q.String(), err
	case TypeDuration:
		d, err := ParseDuration(s)
		return FormatDuration(d), err
	case TypeChoice:
		s = strings.TrimSpace(s)
		for _, c := range f.Choices {
			if strings.EqualFold(s, c.Value) {
				return c.Value, nil
			}
			for _, l := range c.Labels {
				if strings.EqualFold(s, l) {
					return c.Value, nil
				}
			}
		}
		vals := make([]string, len(f.Choices))
		for i, c := range f.Choices {
			vals[i] = c.Value
		}
		return "", fmt.Errorf("%.40q: want one of %s", s, strings.Join(vals, ", "))
	}
	return "", fmt.Errorf("unknown type %q", f.Type)
}

func cmp(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Fill reads the values given for a notice by field name, as people write
// them, and returns the form to send: every value in canonical form. An
// empty value is a value not given. The first error names its field: an
// unknown field, a required one left out, a value its type refuses, or a
// rule between fields broken.
func (t *Template) Fill(values map[string]string) (*entry.Form, error) {
	form := &entry.Form{Template: t.ID, Fields: map[string]string{}}
	for name := range values {
		if t.Field(name) == nil {
			return nil, &FieldError{t.ID, name, fmt.Errorf("not a field of this template (its fields: %s)", strings.Join(t.fieldNames(), ", "))}
		}
	}
	for i := range t.Fields {
		f := &t.Fields[i]
		v := strings.TrimSpace(values[f.Name])
		if v == "" {
			if f.Required {
				return nil, &FieldError{t.ID, f.Name, ErrRequired}
			}
			continue
		}
		c, err := f.Parse(v)
		if err != nil {
			return nil, &FieldError{t.ID, f.Name, err}
		}
		form.Fields[f.Name] = c
	}
	for _, r := range t.Rules {
		a, b := form.Fields[r.Field], form.Fields[r.NotBefore]
		// Canonical date-times compare as text: fixed width, UTC.
		if a != "" && b != "" && a < b {
			return nil, &FieldError{t.ID, r.Field, fmt.Errorf("%s is before %s (%s)", a, r.NotBefore, b)}
		}
	}
	if len(form.Fields) == 0 {
		return nil, &FieldError{t.ID, t.Fields[0].Name, errors.New("a notice gives at least one field")}
	}
	return form, form.Validate()
}

func (t *Template) fieldNames() []string {
	n := make([]string, len(t.Fields))
	for i := range t.Fields {
		n[i] = t.Fields[i].Name
	}
	return n
}

// Check verifies that a received form fits the template: the fields its
// rules require, and every value in the canonical form Fill writes. A
// value written another way could be read two ways; it is refused.
func (t *Template) Check(f *entry.Form) error {
	if f.Template != t.ID {
		return fmt.Errorf("the form is of template %s, not %s", f.Template, t.ID)
	}
	again, err := t.Fill(f.Fields)
	if err != nil {
		return err
	}
	for name, v := range f.Fields {
		if again.Fields[name] != v {
			return &FieldError{t.ID, name, fmt.Errorf("%.60q is not in canonical form (%.60q)", v, again.Fields[name])}
		}
	}
	if !maps.Equal(again.Fields, f.Fields) {
		return fmt.Errorf("%s: the form is not in canonical form", t.ID)
	}
	return nil
}

// Check finds a form's template in the set and checks the form against it.
func (s Set) Check(f *entry.Form) (*Template, error) {
	t := s.Find(f.Template)
	if t == nil {
		return nil, fmt.Errorf("template %.40q is not in the line's charter (it has: %s)", f.Template, strings.Join(s.IDs(), ", "))
	}
	return t, t.Check(f)
}

// Row is one field of a notice as a reader sees it.
type Row struct {
	Name  string `json:"name"`
	Label string `json:"label"` // in the reader's language
	Value string `json:"value"` // canonical, as sent
	Shown string `json:"shown"` // the value for the reader: a choice's label, else the value
}

// Render lays out a form's fields in the template's order, labelled in
// lang, leaving out fields not given.
func (t *Template) Render(f *entry.Form, lang string) []Row {
	var rows []Row
	for _, fd := range t.Fields {
		v, ok := f.Fields[fd.Name]
		if !ok {
			continue
		}
		r := Row{Name: fd.Name, Label: fd.Labels.In(lang), Value: v, Shown: v}
		for _, c := range fd.Choices {
			if c.Value == v {
				r.Shown = c.Labels.In(lang)
			}
		}
		rows = append(rows, r)
	}
	return rows
}
