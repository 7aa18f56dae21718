package console

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/agenda"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/notice"
	"github.com/hotline-line/hotline/internal/officer"
)

// get decodes the JSON answer to a GET into v and returns the status.
func (f *fixture) get(t *testing.T, path string, l *login, v any) int {
	t.Helper()
	resp, err := f.srv.Client().Do(f.request(t, "GET", path, l, "", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, v); err != nil && resp.StatusCode == http.StatusOK {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
	return resp.StatusCode
}

func starterTemplates(c *charter.Charter) { c.Templates = notice.Starter() }

// TestLineStateInAPI: a line Seoul suspends shows, on Beijing's board, as
// suspended by Seoul with the officer, the time and the reason (made
// visible: the reason is Seoul's text); a ROUTINE compose is then refused
// with the state's own error unless the officer sends it despite the
// suspension, and a FLASH goes; once Seoul reopens and Beijing closes it
// the board says closed, and nothing new is written.
func TestLineStateInAPI(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	admin := f.session(t, "Wang Lei", officer.Admin)
	reason := "exchanges suspended\u202e by ministry order"
	notice, err := f.seoul.SetLineState(ctx, f.line, entry.LineSuspended, reason, "Kim Min-jun")
	if err != nil {
		t.Fatal(err)
	}
	var lines []lineView
	waitFor(t, f.beijing, 20*time.Second, "the suspension in Beijing", func() bool {
		f.get(t, "/api/lines", &admin, &lines)
		return len(lines) == 1 && lines[0].State == "suspended"
	})
	n := lines[0].Notice
	if n == nil || n.By != "seoul" || n.Officer != "Kim Min-jun" || n.Notice != notice || n.Since.IsZero() {
		t.Fatalf("the board's state notice: %+v", n)
	}
	if strings.ContainsRune(n.Reason, '\u202e') || !strings.Contains(n.Reason, "by ministry order") {
		t.Fatalf("the reason is not made visible: %q", n.Reason)
	}
	var st struct {
		State  string `json:"state"`
		Notice *struct {
			By, Reason string
		} `json:"notice"`
	}
	if code := f.get(t, "/api/lines/"+f.line+"/status", &admin, &st); code != 200 || st.State != "suspended" || st.Notice == nil || st.Notice.By != "seoul" {
		t.Fatalf("status: %d %+v", code, st)
	}

	path := "/api/lines/" + f.line + "/messages"
	size := f.logSize(t)
	code, v := f.do(t, f.request(t, "POST", path, &admin, admin.csrf, map[string]any{"precedence": "ROUTINE", "text": "routine"}))
	if code != http.StatusConflict || v["code"] != "line_state" || !strings.Contains(v["error"].(string), "suspended") {
		t.Fatalf("ROUTINE on a suspended line: %d %v", code, v)
	}
	if f.logSize(t) != size {
		t.Fatal("a refused message was written")
	}
	for _, body := range []map[string]any{
		{"precedence": "ROUTINE", "text": "routine, despite", "despite_suspension": true},
		{"precedence": "FLASH", "text": "flash"},
	} {
		if code, v := f.do(t, f.request(t, "POST", path, &admin, admin.csrf, body)); code != http.StatusCreated {
			t.Fatalf("%v: %d %v", body, code, v)
		}
	}

	if _, err := f.seoul.SetLineState(ctx, f.line, entry.LineOpen, "", "Kim Min-jun"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, f.beijing, 20*time.Second, "the reopening in Beijing", func() bool {
		f.get(t, "/api/lines", &admin, &lines)
		return lines[0].State == "open"
	})
	if _, err := f.beijing.SetLineState(ctx, f.line, entry.LineClosed, "line replaced", "Wang Lei"); err != nil {
		t.Fatal(err)
	}
	f.get(t, "/api/lines", &admin, &lines)
	if lines[0].State != "closed" || lines[0].Notice == nil || lines[0].Notice.By != "beijing" || lines[0].Notice.Reason != "line replaced" {
		t.Fatalf("closed line on the board: %+v", lines[0])
	}
	if code, v := f.do(t, f.request(t, "POST", path, &admin, admin.csrf, map[string]any{"precedence": "FLASH", "text": "x"})); code != http.StatusConflict || v["code"] != "line_state" {
		t.Fatalf("FLASH on a closed line: %d %v", code, v)
	}
}

// TestNoticeForm: the compose route takes a template and its fields, and
// refuses bad input with the node's own check before anything is written,
// naming the field; a good notice is read back with the labels of the
// language asked for.
func TestNoticeForm(t *testing.T) {
	f := newFixture(t, starterTemplates)
	admin := f.session(t, "Wang Lei", officer.Admin)
	var tpls []templateView
	if code := f.get(t, "/api/lines/"+f.line+"/templates?lang=ko", &admin, &tpls); code != 200 || len(tpls) != len(notice.Starter()) {
		t.Fatalf("templates: %d, %d of them", code, len(tpls))
	}
	var ex *templateView
	for i := range tpls {
		if tpls[i].ID == "exercise-notice" {
			ex = &tpls[i]
		}
	}
	if ex == nil || ex.Label == "" || ex.Fields[0].Label == "" || ex.Fields[0].Label == ex.Fields[0].Name {
		t.Fatalf("the exercise notice in Korean: %+v", ex)
	}
	good := func() map[string]string {
		return map[string]string{"name": "Foal-Eagle", "start": "2017-03-01T00:00Z", "end": "2017-04-30T00:00Z",
			"area": "37.5N,126.9E,50km", "forces": "ROK, US", "live-fire": "yes"}
	}
	path := "/api/lines/" + f.line + "/messages"
	size := f.logSize(t)
	for _, tt := range []struct {
		name, template, field string
		edit                  func(map[string]string)
	}{
		{"unknown template", "weather-report", "template", func(map[string]string) {}},
		{"missing required", "exercise-notice", "forces", func(m map[string]string) { delete(m, "forces") }},
		{"wrong type", "exercise-notice", "start", func(m map[string]string) { m["start"] = "1 March" }},
		{"out of range", "exercise-notice", "area", func(m map[string]string) { m["area"] = "97.5N,126.9E,50km" }},
		{"end before start", "exercise-notice", "end", func(m map[string]string) { m["end"] = "2017-02-01T00:00Z" }},
		{"unknown field", "exercise-notice", "colour", func(m map[string]string) { m["colour"] = "red" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fields := good()
			tt.edit(fields)
			code, v := f.do(t, f.request(t, "POST", path, &admin, admin.csrf,
				map[string]any{"precedence": "IMMEDIATE", "template": tt.template, "fields": fields}))
			if code != http.StatusBadRequest || v["code"] != "bad_field" || v["field"] != tt.field {
				t.Fatalf("%d %v, want 400 naming field %s", code, v, tt.field)
			}
		})
	}
	if f.logSize(t) != size {
		t.Fatal("a refused notice was written")
	}
	code, v := f.do(t, f.request(t, "POST", path, &admin, admin.csrf,
		map[string]any{"precedence": "IMMEDIATE", "template": "exercise-notice", "fields": good()}))
	if code != http.StatusCreated {
		t.Fatalf("a good notice: %d %v", code, v)
	}
	var m messageView
	if code := f.get(t, "/api/lines/"+f.line+"/messages/"+v["id"].(string)+"?lang=zh", &admin, &m); code != 200 {
		t.Fatalf("read the notice: %d", code)
	}
	rows := map[string]string{}
	for _, r := range m.FormRows {
		rows[r.Name] = r.Label + "=" + r.Shown
	}
	if m.FormTitle == "" || rows["live-fire"] != "实弹射击=是" || rows["start"] != "开始时间（UTC）=2017-03-01T00:00:00Z" {
		t.Fatalf("the notice in Chinese: %q %v", m.FormTitle, rows)
	}
}

// TestTranslationRoute: an officer adds a translation from the console; the
// message then shows it beside the original with its attribution, and a
// bad one is refused before anything is written.
func TestTranslationRoute(t *testing.T) {
	f := newFixture(t, nil)
	watch := f.session(t, "Wang Lei", officer.Watch)
	id := f.deliver(t, node.SendRequest{Precedence: entry.Routine, Lang: "ko", Text: "훈련을 연기합니다."})
	path := "/api/lines/" + f.line + "/messages/" + id + "/translations"
	size := f.logSize(t)
	for _, body := range []map[string]any{
		{"lang": "ko", "text": "same language"},
		{"lang": "not a tag!", "text": "x"},
		{"lang": "zh", "text": ""},
	} {
		if code, v := f.do(t, f.request(t, "POST", path, &watch, watch.csrf, body)); code != http.StatusBadRequest {
			t.Errorf("%v: %d %v, want 400", body, code, v)
		}
	}
	if code, v := f.do(t, f.request(t, "POST", "/api/lines/"+f.line+"/messages/seoul-99/translations", &watch, watch.csrf, map[string]any{"lang": "zh", "text": "x"})); code != http.StatusNotFound {
		t.Errorf("a translation of no message: %d %v", code, v)
	}
	if f.logSize(t) != size {
		t.Fatal("a refused translation was written")
	}
	code, v := f.do(t, f.request(t, "POST", path, &watch, watch.csrf, map[string]any{"lang": "zh", "text": "演习推迟。\u202e", "machine": true}))
	if code != http.StatusCreated || v["officer"] != "Wang Lei" {
		t.Fatalf("translate: %d %v", code, v)
	}
	var m messageView
	f.get(t, "/api/lines/"+f.line+"/messages/"+id, &watch, &m)
	if len(m.Translations) != 1 {
		t.Fatalf("translations: %+v", m.Translations)
	}
	tr := m.Translations[0]
	if tr.Lang != "zh" || tr.Officer != "Wang Lei" || tr.Author != "beijing" || !tr.Machine ||
		strings.ContainsRune(tr.TextVisible, '\u202e') || !strings.HasPrefix(tr.TextVisible, "演习推迟。") {
		t.Fatalf("the translation beside the original: %+v", tr)
	}
	if m.TextVisible != "훈련을 연기합니다." || m.Lang != "ko" {
		t.Fatalf("the original changed: %q %q", m.Lang, m.TextVisible)
	}
	waitFor(t, f.seoul, 20*time.Second, "the translation in Seoul", func() bool {
		sm, err := f.seoul.Message(f.line, id)
		return err == nil && len(sm.Translations) == 1 && sm.Translations[0].Officer == "Wang Lei"
	})
}

// TestAgendaRoutes: an event proposed in Beijing's console, confirmed by
// Seoul, postponed and then cancelled in the console, stays on the agenda
// with its reason and its whole history; a step the rules refuse, or a
// malformed one, writes nothing.
func TestAgendaRoutes(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	admin := f.session(t, "Wang Lei", officer.Admin)
	watch := f.session(t, "Li Na", officer.Watch)
	path := "/api/lines/" + f.line + "/agenda"
	start := time.Now().UTC().Add(30 * 24 * time.Hour).Truncate(time.Hour)
	if code, v := f.do(t, f.request(t, "POST", path, &watch, watch.csrf, map[string]any{"action": "propose"})); code != http.StatusForbidden {
		t.Fatalf("a watch officer proposes: %d %v", code, v)
	}
	size := f.logSize(t)
	for _, body := range []map[string]any{
		{"action": "propose", "kind": "picnic", "title": "T", "place": "P", "start": start},
		{"action": "propose", "kind": "talks", "title": "T", "place": "P"},
		{"action": "cancel", "event": "beijing-1"},
		{"action": "propose", "kind": "talks", "title": "T", "place": "P", "start": start, "end": start.Add(-time.Hour)},
	} {
		if code, v := f.do(t, f.request(t, "POST", path, &admin, admin.csrf, body)); code != http.StatusBadRequest {
			t.Errorf("%v: %d %v, want 400", body, code, v)
		}
	}
	if f.logSize(t) != size {
		t.Fatal("a refused step was written")
	}
	code, v := f.do(t, f.request(t, "POST", path, &admin, admin.csrf, map[string]any{"action": "propose", "kind": "talks",
		"title": "Defense ministers' talks", "place": "Seoul", "start": start, "end": start.Add(2 * time.Hour)}))
	if code != http.StatusCreated {
		t.Fatalf("propose: %d %v", code, v)
	}
	ev := v["event"].(map[string]any)["id"].(string)
	// Beijing proposed it, so it agrees; confirming again is refused.
	if code, v := f.do(t, f.request(t, "POST", path, &admin, admin.csrf, map[string]any{"action": "confirm", "event": ev})); code != http.StatusConflict {
		t.Fatalf("confirm our own proposal again: %d %v", code, v)
	}
	waitFor(t, f.seoul, 20*time.Second, "the proposal in Seoul", func() bool {
		evs, err := f.seoul.Agenda(f.line)
		return err == nil && len(evs) == 1
	})
	if _, err := f.seoul.ChangeAgenda(ctx, node.AgendaRequest{Line: f.line, Step: entry.Agenda{Action: entry.AgendaConfirm, Event: ev, Officer: "Kim Min-jun"}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, f.beijing, 20*time.Second, "Seoul's confirmation in Beijing", func() bool {
		evs, err := f.beijing.Agenda(f.line)
		return err == nil && len(evs) == 1 && evs[0].Status == agenda.Confirmed
	})
	for _, body := range []map[string]any{
		{"action": "postpone", "event": ev, "start": start.Add(48 * time.Hour)},
		{"action": "cancel", "event": ev, "reason": "exchanges suspended\u202e"},
	} {
		if code, v := f.do(t, f.request(t, "POST", path, &admin, admin.csrf, body)); code != http.StatusCreated {
			t.Fatalf("%v: %d %v", body, code, v)
		}
	}
	var evs []agenda.Event
	if code := f.get(t, path, &watch, &evs); code != 200 || len(evs) != 1 {
		t.Fatalf("agenda: %d %+v", code, evs)
	}
	e := evs[0]
	if e.Status != agenda.Cancelled || e.CancelledBy != "beijing" || !strings.HasPrefix(e.Reason, "exchanges suspended") || strings.ContainsRune(e.Reason, '\u202e') {
		t.Fatalf("the cancelled event: %+v", e)
	}
	var actions []string
	for _, c := range e.History {
		actions = append(actions, string(c.Action))
	}
	if strings.Join(actions, " ") != "propose confirm postpone cancel" || !e.End.Equal(start.Add(50*time.Hour)) {
		t.Fatalf("history %v, end %v", actions, e.End)
	}
}
