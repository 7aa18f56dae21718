package transcript

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/notice"
)

// reportLang is the language of a report's labels: the report is written
// in English for whoever verifies it.
const reportLang = "en"

// FormReport is a formatted notice in a verified message: its fields as
// the author signed them, labelled from the charter's template.
type FormReport struct {
	Form   *entry.Form  `json:"form"`
	Title  string       `json:"title,omitempty"`  // the template's label
	Fields []notice.Row `json:"fields,omitempty"` // in the template's order, labelled in English
	// Error says why the form does not fit a template of the charter; the
	// entry is still proven, its fields are shown as written.
	Error string `json:"error,omitempty"`
}

// labelForms labels every notice of the report from the charter's
// templates. It is idempotent; the writers call it.
func (r *Report) labelForms() {
	for i := range r.Messages {
		if f := r.Messages[i].Form; f != nil && f.Title == "" && f.Error == "" {
			f.label(r.templates)
		}
	}
}

func (f *FormReport) label(set notice.Set) {
	t, err := set.Check(f.Form)
	if err != nil {
		f.Error = err.Error()
	}
	if t != nil {
		f.Title = t.Labels.In(reportLang)
		f.Fields = t.Render(f.Form, reportLang)
	}
}

func (f *FormReport) writeText(w io.Writer) {
	if f == nil {
		return
	}
	fmt.Fprintf(w, "  notice %s: %s\n", inert.Text(f.Form.Template), inert.Text(f.Title))
	if f.Error != "" {
		fmt.Fprintf(w, "  the fields do not fit the charter's template: %s\n", inert.Text(f.Error))
		for _, name := range slices.Sorted(maps.Keys(f.Form.Fields)) {
			fmt.Fprintf(w, "    %s: %s\n", inert.Text(name), inert.Text(f.Form.Fields[name]))
		}
		return
	}
	for _, row := range f.Fields {
		fmt.Fprintf(w, "    %s (%s): %s\n", inert.Text(row.Label), row.Name, inert.Text(row.Shown))
	}
}
