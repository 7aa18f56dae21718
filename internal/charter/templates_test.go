package charter_test

import (
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/notice"
)

func TestTemplates(t *testing.T) {
	a, b := keys(t, "a"), keys(t, "b")
	c := draft(t, a, b)
	// No templates, no field: charters from before templates keep their
	// bytes and their line IDs (see TestIDGolden).
	if strings.Contains(c.Text(), "templates") {
		t.Fatalf("a charter without templates writes the field: %s", c.Text())
	}
	plain := c.ID()
	c.Templates = notice.Starter()
	if c.ID() == plain {
		t.Fatal("the templates do not change the line's ID")
	}
	s := mustSign(t, c, mustSign(t, c, nil, a).Raw, b)
	got, err := charter.Parse(s.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text() != c.Text() || got.Templates.Find("launch-notice") == nil {
		t.Fatal("the templates did not survive signing and parsing")
	}

	text := c.Text()
	for name, bad := range map[string]string{
		"unknown type":       strings.Replace(text, `"type":"area"`, `"type":"circle"`, 1),
		"repeated template":  strings.Replace(text, `"id":"launch-notice"`, `"id":"exercise-notice"`, 1),
		"unknown rule field": strings.Replace(text, `"not_before":"start"`, `"not_before":"begin"`, 1),
		"unknown field":      strings.Replace(text, `"id":"call-request",`, `"id":"call-request","version":2,`, 1),
		"not canonical":      strings.Replace(text, `"id":"call-request",`, `"id":"call-request","rules":[],`, 1),
		"required false":     strings.Replace(text, `"type":"text","labels"`, `"type":"text","required":false,"labels"`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			if bad == text {
				t.Fatal("test case did not change the text")
			}
			if s, err := charter.Parse(signText(t, bad, a)); err == nil {
				t.Fatalf("Parse accepted it (signed by %v)", s.SignedBy)
			}
		})
	}
}
