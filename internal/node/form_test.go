package node_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/notice"
)

func exerciseFields() map[string]string {
	return map[string]string{"name": "Foal-Eagle", "start": "2017-03-01T00:00Z", "end": "2017-04-30T00:00Z",
		"area": `37°30'00"N 126°54'00"E, 50km`, "forces": "ROK, US", "live-fire": "예"}
}

// An exercise notice written in Seoul (ko) is read in Beijing (zh) with
// Chinese labels and the values Seoul wrote, canonical on both sides.
func TestNoticeAcrossNodes(t *testing.T) {
	nodes, line := nodetest.PairWith(t, nodetest.Dirs(t), node.Options{}, func(c *charter.Charter) {
		c.Templates = notice.Starter()
	})
	seoul, beijing := nodes[0], nodes[1]
	nodetest.Connect(seoul, beijing)
	ctx := context.Background()
	id, err := seoul.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Immediate,
		Form: &entry.Form{Template: "exercise-notice", Fields: exerciseFields()}})
	if err != nil {
		t.Fatal(err)
	}
	var got *node.Message
	nodetest.Wait(t, 30*time.Second, "beijing receives the notice", func() bool {
		got, err = beijing.Message(line, id)
		return err == nil
	})
	sent, err := seoul.Message(line, id)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"name": "Foal-Eagle", "start": "2017-03-01T00:00:00Z", "end": "2017-04-30T00:00:00Z",
		"area": "37.5N,126.9E,50km", "forces": "ROK, US", "live-fire": "yes"}
	if got.Form == nil || !maps.Equal(got.Form.Fields, want) || !maps.Equal(sent.Form.Fields, want) {
		t.Fatalf("beijing read %+v, seoul wrote %+v; want %v", got.Form, sent.Form, want)
	}
	if got.Template == nil || got.FormError != "" || got.Text != "" || got.Lang != "ko" {
		t.Fatalf("beijing's view: template %v, form error %q, text %q, lang %q", got.Template != nil, got.FormError, got.Text, got.Lang)
	}
	labels := map[string]string{}
	for _, r := range got.Template.Render(got.Form, "zh") {
		labels[r.Name] = r.Label + "=" + r.Shown
	}
	for name, w := range map[string]string{"name": "演习名称=Foal-Eagle", "area": "演习区域=37.5N,126.9E,50km",
		"start": "开始时间（UTC）=2017-03-01T00:00:00Z", "live-fire": "实弹射击=是"} {
		if labels[name] != w {
			t.Errorf("beijing sees %s as %q, want %q", name, labels[name], w)
		}
	}
}

// Every bad notice is refused before anything is written, with an error
// that names the field at fault.
func TestNoticeRefusedBeforeWriting(t *testing.T) {
	nodes, line := nodetest.PairWith(t, nodetest.Dirs(t), node.Options{}, func(c *charter.Charter) {
		c.Templates = notice.Starter()
	})
	seoul := nodes[0]
	ctx := context.Background()
	size := func() uint64 {
		st, err := seoul.Status(line)
		if err != nil {
			t.Fatal(err)
		}
		return st.Parties[0].LogSize
	}
	before := size()
	for _, tt := range []struct {
		name, template, field string
		edit                  func(map[string]string)
	}{
		{"unknown template", "weather-report", "weather-report", func(map[string]string) {}},
		{"missing required", "exercise-notice", "field forces", func(m map[string]string) { delete(m, "forces") }},
		{"wrong type", "exercise-notice", "field start", func(m map[string]string) { m["start"] = "1 March" }},
		{"position out of range", "exercise-notice", "field area", func(m map[string]string) { m["area"] = "37.5N,186.9E,50km" }},
		{"end before start", "exercise-notice", "field end", func(m map[string]string) { m["end"] = "2017-02-01T00:00Z" }},
		{"unknown field", "exercise-notice", "field colour", func(m map[string]string) { m["colour"] = "red" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := exerciseFields()
			tt.edit(f)
			_, err := seoul.Send(ctx, node.SendRequest{Line: line, Form: &entry.Form{Template: tt.template, Fields: f}})
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("Send: %v, want an error naming %s", err, tt.field)
			}
			if tt.name == "unknown template" && !errors.Is(err, node.ErrUnknownTemplate) {
				t.Fatalf("Send: %v, want ErrUnknownTemplate", err)
			}
			if size() != before {
				t.Fatal("a refused notice was written")
			}
		})
	}
	st, _ := seoul.Status(line)
	if len(st.Templates) != len(notice.Starter()) {
		t.Fatalf("status lists %d templates", len(st.Templates))
	}
}
