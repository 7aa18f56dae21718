package consolei18n

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"text/template/parse"

	"github.com/nicksnyder/go-i18n/v2/i18n"
)

// variables returns the variables a message uses ({{.Name}} gives Name),
// and fails the test on any other template action: the page fills in
// variables and nothing else.
func variables(t *testing.T, lang, id, src string) []string {
	t.Helper()
	trees, err := parse.Parse(id, src, "{{", "}}")
	if err != nil {
		t.Errorf("%s %s: %v", lang, id, err)
		return nil
	}
	var vars []string
	for _, n := range trees[id].Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
		case *parse.ActionNode:
			cmds := n.Pipe.Cmds
			if len(n.Pipe.Decl) == 0 && len(cmds) == 1 && len(cmds[0].Args) == 1 {
				if f, ok := cmds[0].Args[0].(*parse.FieldNode); ok && len(f.Ident) == 1 {
					vars = append(vars, f.Ident[0])
					continue
				}
			}
			t.Errorf("%s %s: %s is more than a variable: the page fills in only {{.Name}}", lang, id, n)
		default:
			t.Errorf("%s %s: %s is more than a variable: the page fills in only {{.Name}}", lang, id, n)
		}
	}
	slices.Sort(vars)
	return slices.Compact(vars)
}

// forms returns a message's forms as the page takes them.
func forms(m Message) map[string]string {
	if s, ok := m.(string); ok {
		return map[string]string{"other": s}
	}
	return m.(map[string]string)
}

// TestCatalogsAgree: the three languages have the same message IDs, each
// message uses the same variables in every language and every plural
// form, and a message that counts in English has its "one" form.
func TestCatalogsAgree(t *testing.T) {
	if got := Langs(); !slices.Equal(got, []string{"en", "ko", "zh"}) {
		t.Fatalf("languages = %v, want en, ko, zh", got)
	}
	en, _ := Get("en")
	ids := slices.Sorted(maps.Keys(en.Messages))
	if len(ids) < 50 {
		t.Fatalf("English has %d messages: the catalogs did not load", len(ids))
	}
	for _, lang := range Langs() {
		c, _ := Get(lang)
		if got := slices.Sorted(maps.Keys(c.Messages)); !slices.Equal(got, ids) {
			t.Errorf("%s: IDs differ from English: missing %v, extra %v", lang, missing(ids, got), missing(got, ids))
		}
	}
	for _, id := range ids {
		want := variables(t, "en", id, forms(en.Messages[id])["other"])
		if f := forms(en.Messages[id]); len(f) > 1 && (f["one"] == "" || !slices.Contains(want, "Count")) {
			t.Errorf("en %s: a message that counts has a one form and a {{.Count}}", id)
		}
		for _, lang := range Langs() {
			c, _ := Get(lang)
			m, ok := c.Messages[id]
			if !ok {
				continue
			}
			for form, src := range forms(m) {
				if strings.TrimSpace(src) == "" {
					t.Errorf("%s %s (%s): empty", lang, id, form)
				}
				if got := variables(t, lang, id, src); !slices.Equal(got, want) && !(form == "one" && slices.Equal(got, without(want, "Count"))) {
					t.Errorf("%s %s (%s): variables %v, English has %v", lang, id, form, got, want)
				}
			}
		}
	}
}

func missing(want, got []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			out = append(out, w)
		}
	}
	return out
}

func without(s []string, v string) []string {
	return slices.DeleteFunc(slices.Clone(s), func(x string) bool { return x == v })
}

// TestLocalize renders every message of every language through go-i18n,
// as a Go program would, with every variable given: each renders without
// an error and without a variable left unfilled.
func TestLocalize(t *testing.T) {
	en, _ := Get("en")
	for _, lang := range Langs() {
		loc := i18n.NewLocalizer(loaded().bundle, lang)
		for id, m := range en.Messages {
			data := map[string]any{}
			for _, v := range variables(t, "en", id, forms(m)["other"]) {
				data[v] = "<" + v + ">"
			}
			cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
			if _, ok := data["Count"]; ok {
				data["Count"], cfg.PluralCount = 2, 2
			}
			out, tag, err := loc.LocalizeWithTag(cfg)
			if err != nil || tag.String() != lang {
				t.Errorf("%s %s: %q in %s, %v", lang, id, out, tag, err)
			}
			if strings.Contains(out, "<no value>") {
				t.Errorf("%s %s: %q has a variable left unfilled", lang, id, out)
			}
		}
	}
}

func TestMatch(t *testing.T) {
	for tag, want := range map[string]string{
		"ko": "ko", "ko-KR": "ko", "zh": "zh", "zh-Hans-CN": "zh", "zh-CN": "zh", "en": "en", "en-GB": "en", " ko ": "ko",
		"ja": "", "fr": "", "": "", "<b>": "", "und": "",
	} {
		got, ok := Match(tag)
		if got != want || ok != (want != "") {
			t.Errorf("Match(%q) = %q, %v; want %q", tag, got, ok, want)
		}
	}
	for _, c := range []struct {
		party []string
		own   string
		want  string
	}{
		{[]string{"ko"}, "", "ko"},
		{[]string{"zh", "en"}, "", "zh"},
		{[]string{"ja", "ko"}, "", "ko"}, // the first language the console speaks
		{[]string{"ja"}, "", "en"},
		{nil, "", "en"},
		{[]string{"ko"}, "zh", "zh"}, // the officer's own choice wins
		{[]string{"ko"}, "ja", "ko"}, // one the console does not speak falls back
	} {
		if got := For(c.own, c.party); got != c.want {
			t.Errorf("For(%q, %v) = %q, want %q", c.own, c.party, got, c.want)
		}
	}
}
