package console

import (
	"errors"
	"maps"
	"net/http"
	"slices"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/notice"
	"github.com/hotline-line/hotline/internal/officer"
)

// Formatted notices: the templates come from the line's charter, a form
// is checked by the node's own rule (node.FillForm, the check `hotline
// send --template` meets) before anything is saved or sent, and a
// received notice is shown with the reader's language's labels. Labels,
// help and values are laid out here, in Go, by package notice, so the page
// has no rule of its own about them.

// readerLang is the language the officer reads in: the lang query
// parameter when it is a language tag, else the party's first language.
func (s *Server) readerLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" && entry.CheckLangTag(l) == nil {
		return l
	}
	return s.n.Cfg.Langs[0]
}

// templateView is a template as a form shows it, in one language.
type templateView struct {
	ID     string      `json:"id"`
	Label  string      `json:"label"`
	Help   string      `json:"help,omitempty"`
	Fields []fieldView `json:"fields"`
}

type fieldView struct {
	Name     string       `json:"name"`
	Type     notice.Type  `json:"type"`
	Required bool         `json:"required,omitempty"`
	Label    string       `json:"label"`
	Help     string       `json:"help,omitempty"`
	Choices  []choiceView `json:"choices,omitempty"`
	Units    []string     `json:"units,omitempty"`
}

type choiceView struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// templates lists the line's templates, labelled in the reader's language.
func (s *Server) templates(w http.ResponseWriter, r *http.Request, _ *officer.Session) {
	c, err := s.charterOf(r.PathValue("line"))
	if err != nil {
		s.nodeError(w, err)
		return
	}
	lang := s.readerLang(r)
	// The charter is signed by every party, but another party may have
	// proposed it: its labels are shown as text from the other side is.
	v := inert.Text
	out := []templateView{}
	for _, t := range c.Templates {
		tv := templateView{ID: v(t.ID), Label: v(t.Labels.In(lang)), Help: v(t.Help.In(lang)), Fields: []fieldView{}}
		for _, f := range t.Fields {
			fv := fieldView{Name: v(f.Name), Type: f.Type, Required: f.Required, Label: v(f.Labels.In(lang)), Help: v(f.Help.In(lang))}
			for _, c := range f.Choices {
				fv.Choices = append(fv.Choices, choiceView{Value: v(c.Value), Label: v(c.Labels.In(lang))})
			}
			for _, u := range f.Units {
				fv.Units = append(fv.Units, v(u))
			}
			tv.Fields = append(tv.Fields, fv)
		}
		out = append(out, tv)
	}
	writeJSON(w, http.StatusOK, out)
}

// formRows lays out a notice's fields for a reader of lang: its
// template's name and a row per field given, labelled in lang. A form
// whose template this node does not hold is shown by its field names.
func formRows(m *node.Message, lang string) (string, []notice.Row) {
	if m.Form == nil {
		return "", nil
	}
	var title string
	var rows []notice.Row
	if m.Template != nil {
		title, rows = m.Template.Labels.In(lang), m.Template.Render(m.Form, lang)
	} else {
		title = m.Form.Template
		for _, name := range slices.Sorted(maps.Keys(m.Form.Fields)) {
			v := m.Form.Fields[name]
			rows = append(rows, notice.Row{Name: name, Label: name, Value: v, Shown: v})
		}
	}
	for i := range rows {
		r := &rows[i]
		r.Name, r.Label, r.Value, r.Shown = inert.Text(r.Name), inert.Text(r.Label), inert.Text(r.Value), inert.Text(r.Shown)
	}
	return inert.Text(title), rows
}

// formError answers a form the node refused: 400 naming the field at
// fault (template, when the template is not the line's), so the page
// shows the error next to it.
func (s *Server) formError(w http.ResponseWriter, err error) {
	var fe *notice.FieldError
	switch {
	case errors.As(err, &fe):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": inert.Text(err.Error()), "code": "bad_field", "field": inert.Text(fe.Field)})
	case errors.Is(err, node.ErrUnknownTemplate):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": inert.Text(err.Error()), "code": "bad_field", "field": "template"})
	case errors.Is(err, node.ErrNoLine):
		s.nodeError(w, err)
	default: // the form as a whole: too many fields, a value too long
		apiError(w, http.StatusBadRequest, "bad_form", inert.Text(err.Error()))
	}
}
