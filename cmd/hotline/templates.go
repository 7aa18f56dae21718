package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/notice"
)

func init() {
	register(command{"templates", "[--line L] [--lang TAG] [--json]", "list the line's notice templates and their fields", cmdTemplates})
}

func cmdTemplates(ctx context.Context, args []string) error {
	fs := flags("templates")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	lang := fs.String("lang", "", "the language of the labels (default: the party's first language)")
	asJSON := fs.Bool("json", false, "print the templates as the charter holds them, in JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"templates takes no arguments"}
	}
	var st *node.LineStatus
	err := onLine(ctx, *dir, *line, "asking again", "run the same hotline templates again",
		func(api control.API, l string) (err error) {
			st, err = api.Status(ctx, l)
			return err
		})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if st.Templates == nil {
			st.Templates = notice.Set{} // [], a set --templates reads back
		}
		return enc.Encode(st.Templates)
	}
	if len(st.Templates) == 0 {
		fmt.Fprintln(os.Stderr, "the line's charter has no templates: messages on it are free text")
		return nil
	}
	l, err := readerLang(*dir, *lang)
	if err != nil {
		return err
	}
	printTemplates(os.Stdout, st.Templates, l)
	return nil
}

// readerLang is the language a reader sees labels in: the one asked for,
// else the party's first.
func readerLang(dir, flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	cfg, err := node.LoadConfig(dir)
	if err != nil {
		return "", err
	}
	return cfg.Langs[0], nil
}

func printTemplates(w io.Writer, set notice.Set, lang string) {
	for i, t := range set {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s  %s\n", t.ID, inert.Text(t.Labels.In(lang)))
		if h := t.Help.In(lang); h != "" {
			fmt.Fprintf(w, "  %s\n", inert.Text(h))
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, f := range t.Fields {
			req := "optional"
			if f.Required {
				req = "required"
			}
			kind := string(f.Type)
			if len(f.Units) > 0 {
				kind += " (" + strings.Join(f.Units, ", ") + ")"
			}
			label := inert.Text(f.Labels.In(lang))
			var choices []string
			for _, c := range f.Choices {
				choices = append(choices, c.Value+" = "+inert.Text(c.Labels.In(lang)))
			}
			if len(choices) > 0 {
				label += ": " + strings.Join(choices, ", ")
			}
			if h := f.Help.In(lang); h != "" {
				label += " — " + inert.Text(h)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", f.Name, kind, req, label)
		}
		tw.Flush()
		for _, r := range t.Rules {
			fmt.Fprintf(w, "  rule: %s is not before %s\n", r.Field, r.NotBefore)
		}
	}
}

// formFlags reads --template and its --field NAME=VALUE flags into the
// form to send; the node checks the values against the template.
func formFlags(template string, fields []string) (*entry.Form, error) {
	if template == "" {
		if len(fields) > 0 {
			return nil, usageError{"--field needs --template"}
		}
		return nil, nil
	}
	f := &entry.Form{Template: template, Fields: map[string]string{}}
	for _, kv := range fields {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, usageError{fmt.Sprintf("--field %.40q: want NAME=VALUE", kv)}
		}
		if _, dup := f.Fields[name]; dup {
			return nil, usageError{fmt.Sprintf("--field %s is given twice", name)}
		}
		f.Fields[name] = value
	}
	return f, nil
}

// printForm shows a notice's fields labelled in lang.
func printForm(w io.Writer, m *node.Message, lang string) {
	if m.Template == nil {
		fmt.Fprintf(w, "notice %s (not a template of this line's charter: %s)\n", inert.Text(m.Form.Template), inert.Text(m.FormError))
		for _, name := range slices.Sorted(maps.Keys(m.Form.Fields)) {
			fmt.Fprintf(w, "  %s: %s\n", inert.Text(name), inert.Text(m.Form.Fields[name]))
		}
		return
	}
	fmt.Fprintf(w, "notice %s: %s\n", m.Template.ID, inert.Text(m.Template.Labels.In(lang)))
	if m.FormError != "" {
		fmt.Fprintf(w, "(the fields do not fit the template: %s)\n", inert.Text(m.FormError))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range m.Template.Render(m.Form, lang) {
		fmt.Fprintf(tw, "  %s\t%s\n", inert.Text(r.Label)+":", indentLines(inert.Text(r.Shown)))
	}
	tw.Flush()
}

// indentLines keeps a multi-line value inside its column.
func indentLines(s string) string { return strings.ReplaceAll(s, "\n", "\n\t") }

// templateSet reads line propose --templates: the starter set, none, or
// a JSON file of templates.
func templateSet(flag string) (notice.Set, error) {
	switch flag {
	case "starter":
		return notice.Starter(), nil
	case "none", "":
		return nil, nil
	}
	b, err := os.ReadFile(flag)
	if err != nil {
		return nil, usageError{"--templates: want starter, none or a JSON file of templates: " + err.Error()}
	}
	s, err := notice.ParseSet(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return s, nil
}
