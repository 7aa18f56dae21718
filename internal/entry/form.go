package entry

import (
	"fmt"
	"unicode/utf8"

	"github.com/hotline-line/hotline/internal/identity"
)

// Form is the notice part of a message: the ID of a template in the
// line's charter and the value of each field given, by field name, each
// in the canonical form of its type (package notice). Fields travel as
// values, never as translated prose; each reader labels them in its own
// language.
type Form struct {
	Template string            `json:"template"`
	Fields   map[string]string `json:"fields"`
}

// Limits on a form: fields, and bytes in one value.
const (
	MaxFormFields = 64
	MaxFormValue  = 8 << 10
)

// Validate checks a form's shape. Whether it fits its template is for the
// holder of the charter to check (notice.Template.Check).
func (f *Form) Validate() error {
	if !identity.ValidSlug(f.Template) {
		return fmt.Errorf("form: template %.40q: want an ID such as exercise-notice", f.Template)
	}
	if len(f.Fields) == 0 || len(f.Fields) > MaxFormFields {
		return fmt.Errorf("form: 1 to %d fields, not %d", MaxFormFields, len(f.Fields))
	}
	for name, v := range f.Fields {
		if !identity.ValidSlug(name) {
			return fmt.Errorf("form: field %.40q: want a name such as start", name)
		}
		if v == "" || len(v) > MaxFormValue || !utf8.ValidString(v) {
			return fmt.Errorf("form: field %s: want 1 to %d bytes of UTF-8", name, MaxFormValue)
		}
	}
	return nil
}

// DecodeStrict decodes one JSON value the way bodies are decoded: unknown
// fields and trailing data are errors. Formats that travel beside the
// bodies, such as a charter's notice templates, use it too.
func DecodeStrict(b []byte, v any) error { return strictJSON(b, v) }
