package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/notice"
	"github.com/hotline-line/hotline/internal/officer"
)

// poll waits until the JavaScript expression cond is true in tb's page.
func (tb *tab) poll(t *testing.T, what, cond string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("%s: %v; the page shows: %.1500s", what, err, tb.text(t, "#view"))
	}
}

// text is the text of the first element sel matches, "" if none.
func (tb *tab) text(t *testing.T, sel string) string {
	t.Helper()
	return run(t, tb, "text of "+sel, chromedp.Evaluate[string](`(() => { const e = document.querySelector(`+jsString(sel)+`); return e ? e.textContent : ''; })()`))
}

// act takes an agenda step that needs a value (postpone, cancel) on
// event ev as an officer would: opens its form, types value and submits.
func (tb *tab) act(t *testing.T, what, ev, action, value string, because ...string) {
	t.Helper()
	tb.poll(t, what+": the button", `!!document.querySelector('.agenda-event[data-event="`+ev+`"] [data-act="`+action+`"]')`)
	tb.js(t, what, `(() => {
		document.querySelector('.agenda-event[data-event="`+ev+`"] [data-act="`+action+`"]').click();
		const f = document.getElementById('agenda-`+action+`-`+ev+`');
		f.querySelector('input').value = `+jsString(value)+`;
		if (f.elements.because) f.elements.because.value = `+jsString(strings.Join(because, ""))+`;
		f.requestSubmit();
	})()`)
}

// js runs script in tb's page. Actions that a redraw could interrupt
// (the page redraws a view when the node changes, keeping the forms being
// written) run as one script, so the browser's driver never holds an
// element the page has just moved.
func (tb *tab) js(t *testing.T, what, script string) {
	t.Helper()
	tb.do(t, 10*time.Second, what, chromedp.Evaluate[chromedp.Void](script))
}

// addLine pairs the two running sides on one more line, of that name.
func addLine(t *testing.T, seoul, beijing *side, name, title string) string {
	t.Helper()
	nodes := []*node.Node{seoul.srv.Node, beijing.srv.Node}
	signed := nodetest.Charter(t, nodes, func(c *charter.Charter) { c.Title, c.Name = title, name })
	for _, n := range nodes {
		if err := n.Install(context.Background(), signed); err != nil {
			t.Fatal(err)
		}
	}
	return signed.ID()
}

// TestLineStatesInBrowser: with two lines on the node, Beijing's board
// shows both; when Seoul suspends one by signed notice its card and the
// header of its messages say SUSPENDED, by whom, when and why, and what
// still goes through, while the other line stays open; reopened, it says
// who reopened it; closed by Beijing, it says CLOSED, which looks nothing
// like suspended. The tabs switch between the lines, each with its state.
func TestLineStatesInBrowser(t *testing.T) {
	chromium(t)
	ctx := context.Background()
	seoul, beijing, line := startLineWith(t, lineSpec{
		seoul:   []account{{"Kim Min-jun", officer.Admin}},
		beijing: []account{{"Wang Lei", officer.Admin}},
	})
	navy := addLine(t, seoul, beijing, "navy", "Seoul–Beijing navy line")
	a := seoul.srv.Node
	browser := newBrowser(t)
	tb := newTab(t, browser)
	tb.login(t, beijing)
	tb.poll(t, "both lines on the board", `document.querySelectorAll('.line-card').length === 2`)

	reason := "Military exchanges suspended by order of the ministry"
	if _, err := a.SetLineState(ctx, line, entry.LineSuspended, reason, "Kim Min-jun"); err != nil {
		t.Fatal(err)
	}
	card := `.line-card[data-line="` + line + `"]`
	tb.poll(t, "the suspension on the board", `!!document.querySelector('`+card+` .line-state[data-line-state="suspended"]')`)
	banner := tb.text(t, card+" .line-state")
	for _, want := range []string{"seoul", "Kim Min-jun", "Military exchanges suspended", "UTC", "seoul-1"} {
		if !strings.Contains(banner, want) {
			t.Errorf("the suspended line's banner %q does not say %q", banner, want)
		}
	}
	if tb.text(t, card+" .line-state-allows") == "" {
		t.Error("the suspended line's banner does not say what still goes through")
	}
	if s := run(t, tb, "the navy line's state", chromedp.Evaluate[string](`document.querySelector('.line-card[data-line="`+navy+`"] .state').dataset.lineState`)); s != "open" {
		t.Errorf("the navy line shows %q, want open", s)
	}
	screenshot(t, tb, "board-suspended.png")

	// A FLASH still goes; its message view says the line is suspended.
	id, err := a.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash, Text: "긴급: 확인 바랍니다."})
	if err != nil {
		t.Fatal(err)
	}
	waitMessage(t, beijing.srv.Node, line, id)
	tb.goTo(t, "#/message/"+line+"/"+id)
	tb.poll(t, "the line's header in the message view", `!!document.querySelector('.line-header .line-state[data-line-state="suspended"]')`)
	if h := tb.text(t, ".line-header"); !strings.Contains(h, "seoul") || !strings.Contains(h, "Military exchanges") {
		t.Errorf("the message's line header %q", h)
	}
	// The inbox's tabs switch lines and show each one's state.
	tb.goTo(t, "#/inbox/"+line)
	tb.poll(t, "the line tabs", `document.querySelectorAll('.line-tabs a').length === 2 &&
		document.querySelector('.line-tabs a[data-line="`+line+`"] .state').dataset.lineState === 'suspended' &&
		document.querySelector('.line-tabs a[data-line="`+navy+`"] .state').dataset.lineState === 'open'`)
	tb.js(t, "switch to the navy line", `document.querySelector('.line-tabs a[data-line="`+navy+`"]').click()`)
	tb.poll(t, "the navy line's inbox", `location.hash === '#/inbox/`+navy+`' && !document.querySelector('.line-header .line-state')`)

	if _, err := a.SetLineState(ctx, line, entry.LineOpen, "", "Kim Min-jun"); err != nil {
		t.Fatal(err)
	}
	tb.goTo(t, "#/board")
	tb.poll(t, "the reopening on the board", `(() => {
		const c = document.querySelector('`+card+`');
		const note = c && c.querySelector('.line-state-note[data-line-state="open"]');
		return !!note && c.querySelector('.state').dataset.lineState === 'open' && /seoul/.test(note.textContent);
	})()`)

	if _, err := beijing.srv.Node.SetLineState(ctx, line, entry.LineClosed, "Replaced by the new ministers' line", "Wang Lei"); err != nil {
		t.Fatal(err)
	}
	tb.poll(t, "the closure on the board", `!!document.querySelector('`+card+` .line-state[data-line-state="closed"]')`)
	closed := tb.text(t, card+" .line-state")
	if !strings.Contains(closed, "beijing") || !strings.Contains(closed, "Wang Lei") || !strings.Contains(closed, "Replaced by") {
		t.Errorf("the closed line's banner %q", closed)
	}
	colours := run(t, tb, "state colours", chromedp.Evaluate[[]string](`[...document.querySelectorAll('.state')].map(e => e.textContent + ' ' + getComputedStyle(e).backgroundColor)`))
	t.Logf("state tags: %v", colours)
	tb.checkConsole(t)
}

// TestNoticesTranslationsAgendaInBrowser: Seoul's Korean-speaking officer
// fills an exercise notice, gets the node's refusal of a bad start time
// next to that field, corrects it and sends; Beijing's Chinese-speaking
// officer reads it with Chinese labels, translates a Korean message into
// Chinese from the console, and Seoul sees the translation beside its
// original with its attribution. On the agenda, an event Seoul proposes
// is confirmed by Beijing and postponed, another is cancelled, and the
// cancelled one stays visible with its reason.
func TestNoticesTranslationsAgendaInBrowser(t *testing.T) {
	chromium(t)
	ctx := context.Background()
	seoul, beijing, line := startLineWith(t, lineSpec{
		seoul:   []account{{"Kim Min-jun", officer.Admin}},
		beijing: []account{{"Wang Lei", officer.Admin}},
		charter: func(c *charter.Charter) { c.Templates = notice.Starter() },
		langs:   map[string]string{"Kim Min-jun": "ko", "Wang Lei": "zh"},
	})
	browser := newBrowser(t)
	tabA, tabB := newTab(t, browser), newTab(t, browser)
	tabA.login(t, seoul)
	tabB.login(t, beijing)

	// The exercise notice, in Korean, with a start the node refuses.
	tabA.goTo(t, "#/compose")
	tabA.poll(t, "the templates in the compose form", `!!document.querySelector('#compose-template option[value="exercise-notice"]')`)
	tabA.do(t, 10*time.Second, "choose the exercise notice", chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.getElementById('compose-template');
		s.value = 'exercise-notice';
		s.dispatchEvent(new Event('change'));
		document.getElementById('compose-precedence').value = 'IMMEDIATE';
		document.getElementById('compose-precedence').dispatchEvent(new Event('change'));
	})()`))
	label := tabA.text(t, `.notice-field[data-field="live-fire"] .notice-label`)
	if !strings.Contains(label, "실사격") {
		t.Errorf("the live-fire field is labelled %q in Seoul's Korean form", label)
	}
	fill := map[string]string{"name": "Foal-Eagle", "start": "1 March 2017", "end": "2017-04-30T00:00Z",
		"area": "37.5N,126.9E,50km", "forces": "ROK, US"}
	for _, name := range []string{"name", "start", "end", "area", "forces"} {
		tabA.do(t, 10*time.Second, "fill "+name, chromedp.SendKeys(chromedp.ID("notice-field-"+name), fill[name]))
	}
	tabA.do(t, 10*time.Second, "live fire: yes", chromedp.SetValue(chromedp.ID("notice-field-live-fire"), "yes"))
	tabA.do(t, 10*time.Second, "send the bad notice", chromedp.Click(chromedp.ID("compose-send")))
	tabA.poll(t, "the refusal next to the start field", `document.querySelector('.field-error[data-error-for="start"]').textContent !== ''`)
	if e := tabA.text(t, `.field-error[data-error-for="start"]`); !strings.Contains(e, "start") {
		t.Errorf("the error next to start says %q", e)
	}
	if st, _ := beijing.srv.Node.Status(line); st.Parties[0].LogSize != 1 {
		t.Fatalf("Seoul's log reached Beijing with %d entries: the refused notice was written", st.Parties[0].LogSize)
	}
	screenshot(t, tabA, "notice-form-error.png")
	tabA.do(t, 10*time.Second, "correct the start and send", chromedp.SetValue(chromedp.ID("notice-field-start"), "2017-03-01T00:00Z"),
		chromedp.Click(chromedp.ID("compose-send")),
		chromedp.WaitVisible(chromedp.CSS("#compose-status a")))
	notice := tabA.text(t, "#compose-status a")

	// Beijing reads it with Chinese labels and the values Seoul sent.
	tabB.goTo(t, "#/message/"+line+"/"+notice)
	tabB.poll(t, "the notice in Beijing", `!!document.querySelector('#message-notice tr[data-field="live-fire"]')`)
	if row := tabB.text(t, `#message-notice tr[data-field="live-fire"]`); !strings.Contains(row, "实弹射击") || !strings.Contains(row, "是") {
		t.Errorf("live fire in Beijing reads %q", row)
	}
	if row := tabB.text(t, `#message-notice tr[data-field="start"]`); !strings.Contains(row, "2017-03-01T00:00:00Z") {
		t.Errorf("the start in Beijing reads %q", row)
	}

	// A Korean message, translated into Chinese by Beijing's officer.
	msg, err := seoul.srv.Node.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Routine, Lang: "ko", Officer: "Kim Min-jun",
		Text: "3월 10일 국방장관 회담을 서울에서 개최할 것을 제안합니다."})
	if err != nil {
		t.Fatal(err)
	}
	waitMessage(t, beijing.srv.Node, line, msg)
	tabB.goTo(t, "#/message/"+line+"/"+msg)
	// The form of this message: the one of the message shown before may
	// still be on the page while this one loads.
	tabB.poll(t, "the translation form", `!!document.querySelector('#translate-form[data-keep="`+line+"/"+msg+`"]')`)
	tabB.js(t, "translate into Chinese", `(() => {
		document.getElementById('translate-text').value = '提议3月10日在首尔举行国防部长会谈。';
		document.getElementById('translate-send').click();
	})()`)
	tabB.poll(t, "the translation beside the original", `!!document.querySelector('#translations .translation')`)
	if a := tabB.text(t, `#translations .translation .attribution[data-kind="human"]`); !strings.Contains(a, "Wang Lei") || !strings.Contains(a, "beijing") {
		t.Errorf("the translation's attribution in Beijing: %q", a)
	}
	screenshot(t, tabB, "message-bilingual.png")
	nodetest.Wait(t, 30*time.Second, "the translation in Seoul's node", func() bool {
		m, err := seoul.srv.Node.Message(line, msg)
		return err == nil && len(m.Translations) == 1
	})
	tabA.goTo(t, "#/message/"+line+"/"+msg)
	tabA.poll(t, "the translation in Seoul's console", `!!document.querySelector('#translations .translation[data-lang="zh"]')`)
	if orig := tabA.text(t, "#message-text"); !strings.Contains(orig, "국방장관 회담") {
		t.Errorf("the original beside the translation in Seoul: %q", orig)
	}
	if a := tabA.text(t, "#translations .translation .attribution"); !strings.Contains(a, "Wang Lei") || !strings.Contains(a, "beijing") {
		t.Errorf("the translation's attribution in Seoul: %q", a)
	}

	// The agenda.
	start := time.Now().UTC().Add(30 * 24 * time.Hour).Truncate(time.Hour)
	tabA.goTo(t, "#/agenda")
	tabA.poll(t, "the agenda's form", `!!document.getElementById('agenda-title')`)
	tabA.js(t, "Seoul proposes talks", `(() => {
		const f = document.getElementById('agenda-propose').elements;
		f.kind.value = 'talks';
		f.title.value = '국방장관 회담';
		f.start.value = '`+start.Format("2006-01-02T15:04Z")+`';
		f.end.value = '`+start.Add(3*time.Hour).Format("2006-01-02T15:04Z")+`';
		f.place.value = '서울';
		document.getElementById('agenda-propose-send').click();
	})()`)
	tabA.poll(t, "the proposal on Seoul's agenda", `!!document.querySelector('.agenda-event[data-status="proposed"]')`)
	talks := run(t, tabA, "the event's ID", chromedp.Evaluate[string](`document.querySelector('.agenda-event').dataset.event`))
	drill, err := seoul.srv.Node.ChangeAgenda(ctx, node.AgendaRequest{Line: line, Step: entry.Agenda{Action: entry.AgendaPropose,
		Kind: "drill", Title: "Hotline drill " + hostile, Place: "both terminals", Start: start.Add(7 * 24 * time.Hour), Officer: "Kim Min-jun"}})
	if err != nil {
		t.Fatal(err)
	}
	tabB.goTo(t, "#/agenda")
	tabB.poll(t, "the proposal in Beijing", `!!document.querySelector('.agenda-event[data-event="`+talks+`"] [data-act="confirm"]')`)
	tabB.js(t, "Beijing confirms", `document.querySelector('.agenda-event[data-event="`+talks+`"] [data-act="confirm"]').click()`)
	tabB.poll(t, "confirmed in Beijing", `!!document.querySelector('.agenda-event[data-event="`+talks+`"][data-status="confirmed"]')`)
	tabA.poll(t, "confirmed in Seoul", `!!document.querySelector('.agenda-event[data-event="`+talks+`"][data-status="confirmed"]')`)
	later := start.Add(48 * time.Hour).Format("2006-01-02T15:04Z")
	// In one script each, so that a redraw between the keys cannot take
	// the form from under the browser's driver.
	tabA.act(t, "Seoul postpones", talks, "postpone", later)
	tabA.poll(t, "postponed", `!!document.querySelector('.agenda-event[data-event="`+talks+`"][data-status="postponed"]')`)
	// Cancelled because of Seoul's exercise notice, which the agenda links.
	tabB.act(t, "Beijing cancels the drill", drill.Event.ID, "cancel", "军事交流暂停", notice)
	cancelled := `.agenda-event[data-event="` + drill.Event.ID + `"][data-status="cancelled"]`
	tabA.poll(t, "the cancelled drill in Seoul, still listed", `!!document.querySelector('`+cancelled+`')`)
	if c := tabA.text(t, cancelled+" .agenda-cancellation"); !strings.Contains(c, "beijing") || !strings.Contains(c, "军事交流暂停") {
		t.Errorf("the cancellation in Seoul reads %q", c)
	}
	if link := run(t, tabA, "the cause's link", chromedp.Evaluate[string](`(() => { const a = document.querySelector('`+cancelled+` .agenda-cancellation a.agenda-because'); return a ? a.getAttribute('href') : ''; })()`)); link != "#/message/"+line+"/"+notice {
		t.Errorf("the cancellation links %q, want the notice %s", link, notice)
	}
	tabA.do(t, 10*time.Second, "open the talks' history", chromedp.Evaluate[chromedp.Void](
		`document.querySelector('.agenda-event[data-event="`+talks+`"] details').open = true`))
	if n := run(t, tabA, "history steps", chromedp.Evaluate[int](`document.querySelectorAll('.agenda-event[data-event="`+talks+`"] .agenda-history li').length`)); n != 3 {
		t.Errorf("the talks' history has %d steps, want propose, confirm, postpone", n)
	}
	tabA.js(t, "show both events", `document.querySelector('`+cancelled+`').scrollIntoView({block: 'end'})`)
	screenshot(t, tabA, "agenda.png")
	for _, tb := range []*tab{tabA, tabB} {
		if pwned := run(t, tb, "script from the other party", chromedp.Evaluate[bool]("window.__pwned !== undefined")); pwned {
			t.Fatal("the other party's text ran as script")
		}
		tb.checkConsole(t, "/agenda", "/messages")
	}
}
