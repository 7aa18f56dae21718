package console_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
)

// contrastJS lists every element in the alarm area that shows text of its
// own, with the WCAG contrast ratio of its computed colour on the first
// opaque background behind it.
const contrastJS = `(() => {
  const parse = s => {
    const p = s.match(/rgba?\(([^)]+)\)/)[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return { rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1 };
  };
  const lum = rgb => {
    const [r, g, b] = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const behind = e => {
    for (; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.a > 0) return c.rgb;
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const e of document.querySelectorAll('#alarms *')) {
    if (!e.getClientRects().length) continue; // not shown
    if (![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const a = lum(parse(getComputedStyle(e).color).rgb), b = lum(behind(e));
    out.push({ line: e.closest('#alarms > div').id, text: e.textContent.slice(0, 40), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) });
  }
  return out;
})()`

type contrast struct {
	Line, Text string
	Ratio      float64
}

// checkContrast fails for any text in the alarm area below WCAG AA (4.5).
func checkContrast(t *testing.T, tb *tab, state string) {
	t.Helper()
	got := run(t, tb, "contrast", chromedp.Evaluate[[]contrast](contrastJS))
	if len(got) == 0 {
		t.Fatalf("%s: no text in the alarm area", state)
	}
	for _, c := range got {
		if c.Ratio < 4.5 {
			t.Errorf("%s: %s %q has contrast %.2f, want at least 4.5", state, c.Line, c.Text, c.Ratio)
		}
	}
}

// pageClock moves the page's clock (Date.now, which every countdown reads)
// by offset ms from the machine's.
func pageClock(t *testing.T, tb *tab, offset int64) {
	t.Helper()
	tb.do(t, 10*time.Second, "move the page's clock", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`window.__realNow = window.__realNow || Date.now; Date.now = () => window.__realNow() + %d`, offset)))
}

func poll(t *testing.T, tb *tab, what, cond string) {
	t.Helper()
	tb.do(t, 30*time.Second, what, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(30*time.Second)))
}

// TestWatchOfficerAt3AM drives Beijing's console as its watch officer
// meets it at night, with hostile content from Seoul: the alarm area, a
// roll-call answered late, names that would widen the inbox, a reply to a
// FLASH, and the small words. The roll-call window is two seconds, so
// both parties have missed theirs by the time the page is up.
func TestWatchOfficerAt3AM(t *testing.T) {
	chromium(t)
	seoul, beijing, line := startLineWith(t, lineSpec{
		seoul:   []account{{"Kim Min-jun", officer.Admin}},
		beijing: []account{{"Wang Lei", officer.Watch}},
		charter: func(c *charter.Charter) {
			c.RollCall = &charter.RollCallRule{Every: charter.Duration(time.Hour), Answer: charter.Duration(2 * time.Second)}
			c.Deadlines[entry.Immediate] = charter.Deadline{Ack: charter.Duration(2 * time.Second), Reply: charter.Duration(time.Hour)}
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	a := seoul.srv.Node
	browser := newBrowser(t)
	tabB, tabA := newTab(t, browser), newTab(t, browser)
	tabB.login(t, beijing)
	tabA.login(t, seoul)

	t.Run("words", func(t *testing.T) {
		// serve counts the officers who can log in (hotline serve hints at
		// "officer add" only when there are none).
		if n := beijing.srv.ConsoleOfficers; n != 1 {
			t.Errorf("serve counts %d officers at Beijing, want 1", n)
		}
		poll(t, tabB, "the link tests on the board", `document.querySelectorAll('[data-link-test="none"]').length === 2`)
		board := run(t, tabB, "the board", chromedp.TextContent(chromedp.CSS(".line-card")))
		for _, bad := range []string{"d ago", "0/0", "1 entries", "within in"} {
			if strings.Contains(board, bad) {
				t.Errorf("the board says %q: %s", bad, board)
			}
		}
		if !strings.Contains(board, "no link test yet") {
			t.Errorf("the board does not say there was no link test yet: %s", board)
		}
		// A compose too large for any text is refused as too large; one of
		// 64 KiB written as JSON escapes is taken.
		tabA.goTo(t, "#/compose")
		for _, c := range []struct{ text, want string }{
			{`('x'.repeat(1023) + '\n').repeat(1024)`, "too large"},
			// Lines of control characters: JSON writes each as \u00XX, the
			// body near six times the text.
			{`('\u0001'.repeat(63) + '\n').repeat(1024)`, "Sent as"},
		} {
			tabA.do(t, 20*time.Second, "compose",
				chromedp.WaitVisible(chromedp.ID("compose-text")),
				chromedp.Evaluate[chromedp.Void](`document.getElementById('compose-status').textContent = '';
					document.getElementById('compose-text').value = `+c.text+`;
					document.getElementById('compose-send').click()`))
			status := run(t, tabA, "compose status", chromedp.Poll[string](`(() => { const s = document.getElementById('compose-status').textContent; return s.startsWith('Not sent') || s.startsWith('Sent') ? s : false; })()`,
				chromedp.WithPollingTimeout(20*time.Second)))
			if !strings.Contains(status, c.want) {
				t.Errorf("compose status %q, want %q", status, c.want)
			}
		}
		tabA.checkConsole(t, "/messages") // the 413
	})

	var flash string
	t.Run("alarm", func(t *testing.T) {
		if _, err := a.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Immediate, Officer: "Kim Min-jun",
			Text: "Propose a call of the ministers at 09:00 UTC."}); err != nil {
			t.Fatal(err)
		}
		var err error
		flash, err = a.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash, Officer: "Kim Min-jun",
			Text: hostile + " Missile launch detected at 03:12 UTC.\nConfirm receipt at once."})
		if err != nil {
			t.Fatal(err)
		}
		tabB.goTo(t, "#/inbox")
		poll(t, tabB, "four lines in the alarm area", `(() => {
			const shown = id => !document.getElementById(id).hidden;
			return shown('alarm') && document.getElementById('alarm').dataset.message === `+jsString(flash)+` &&
				document.getElementById('alarm-line').textContent !== '' &&
				document.getElementById('rollcall').dataset.state === 'missed' &&
				shown('owed') && (document.getElementById('escalation').dataset.alert || '').startsWith('peer_rollcall_missed:');
		})()`)
		if who := run(t, tabB, "who", chromedp.TextContent(chromedp.ID("alarm-text"))); !strings.Contains(who, "from seoul (Kim Min-jun)") || !strings.Contains(who, flash) {
			t.Errorf("the FLASH line says %q", who)
		}
		wantLine := inert.Text(hostile + " Missile launch detected at 03:12 UTC.")
		if got := run(t, tabB, "first line", chromedp.TextContent(chromedp.ID("alarm-line"))); got != wantLine {
			t.Errorf("the FLASH line shows %q, want the first line as text, %q", got, wantLine)
		}
		if n := run(t, tabB, "elements from the text", chromedp.Evaluate[int](`document.querySelectorAll('#alarms img, #alarms script').length + (typeof window.__pwned === 'undefined' ? 0 : 100)`)); n != 0 {
			t.Fatalf("the hostile first line made elements or ran: %d", n)
		}
		due := run(t, tabB, "countdown", chromedp.TextContent(chromedp.ID("alarm-due")))
		if !regexp.MustCompile(`^ack due in \d+:\d\d$`).MatchString(due) {
			t.Errorf("the FLASH countdown says %q, want \"ack due in M:SS\"", due)
		}

		// One area, what we owe first, one line each.
		type line struct {
			ID     string
			Top    float64
			Height float64
		}
		lines := run(t, tabB, "the alarm area", chromedp.Evaluate[[]line](`[...document.querySelectorAll('#alarms > div')].filter(e => !e.hidden).map(e => {
			const r = e.getBoundingClientRect();
			return { id: e.id, top: r.top, height: r.height };
		})`))
		var order []string
		total := 0.0
		for _, l := range lines {
			order = append(order, l.ID)
			total += l.Height
			if l.Height > 50 {
				t.Errorf("%s is %.0f px high: more than one line", l.ID, l.Height)
			}
		}
		if strings.Join(order, ",") != "alarm,rollcall,owed,escalation" {
			t.Errorf("the alarm area's order: %v, want FLASH, roll-call, our deadlines, theirs", order)
		}
		t.Logf("the alarm area with four lines: %.0f px", total)
		if total > 170 {
			t.Errorf("the alarm area takes %.0f px", total)
		}
		// The other side's lapse: no alarm colours, no button that looks
		// like one to act on.
		theirs := run(t, tabB, "the other side's line", chromedp.Evaluate[[]int](`(() => {
			const c = getComputedStyle(document.getElementById('escalation')).backgroundColor.match(/\d+/g).map(Number);
			return [Math.max(...c.slice(0, 3)) - Math.min(...c.slice(0, 3)), document.querySelectorAll('#escalation .primary').length];
		})()`))
		if theirs[0] > 30 || theirs[1] != 0 {
			t.Errorf("the other side's line has colour spread %d and %d primary buttons", theirs[0], theirs[1])
		}
		if n := run(t, tabB, "silence on ours", chromedp.Evaluate[int](`document.querySelectorAll('#alarm button, #rollcall button:not(#rollcall-answer), #owed button').length`)); n != 0 {
			t.Errorf("what we owe offers %d buttons beside the answer", n)
		}
		checkContrast(t, tabB, "FLASH due, roll-call missed, a deadline owed, a peer's lapse")
		screenshot(t, tabB, "alarm-area.png")

		// The last two minutes, then overdue, by the page's clock.
		deadline := run(t, tabB, "ack deadline", chromedp.Evaluate[string](`document.getElementById('alarm-due').dataset.deadline`))
		ackBy, err := time.Parse(time.RFC3339Nano, deadline)
		if err != nil {
			t.Fatalf("ack deadline %q: %v", deadline, err)
		}
		pageClock(t, tabB, time.Until(ackBy.Add(-90*time.Second)).Milliseconds())
		poll(t, tabB, "the last two minutes", `document.getElementById('alarm-due').classList.contains('soon')`)
		if due := run(t, tabB, "countdown", chromedp.TextContent(chromedp.ID("alarm-due"))); !strings.HasPrefix(due, "ack due in 1:") {
			t.Errorf("in the last two minutes the countdown says %q", due)
		}
		checkContrast(t, tabB, "FLASH soon")
		screenshot(t, tabB, "flash-soon.png")
		pageClock(t, tabB, time.Until(ackBy.Add(124*time.Second)).Milliseconds())
		poll(t, tabB, "overdue", `document.getElementById('alarm-due').textContent.startsWith('OVERDUE by 2:0')`)
		checkContrast(t, tabB, "FLASH overdue")
		screenshot(t, tabB, "flash-overdue.png")
		pageClock(t, tabB, 0)

		// The roll-call line while a slot is open: a sample drawn by the
		// page's own module in the alarm area, with an answer due in a
		// minute, then in an hour.
		for _, left := range []int{60_000, 3_600_000} {
			got := run(t, tabB, "roll-call pending", chromedp.Evaluate[string](fmt.Sprintf(`import('/static/rollcall.js').then(m => {
				const b = document.createElement('div');
				b.className = 'rollcall';
				b.id = 'rollcall-sample';
				document.getElementById('alarms').append(b);
				m.prompt(b, [{ line: 'x', title: 'Seoul–Beijing', view: { pending: true, answer_by: new Date(Date.now() + %d).toISOString() } }], { role: 'watch' }, () => {});
				return b.textContent;
			})`, left), chromedp.EvalAwaitPromise))
			if !strings.Contains(got, "answer due in") || strings.Contains(got, "within in") {
				t.Errorf("the pending roll-call says %q", got)
			}
			checkContrast(t, tabB, fmt.Sprintf("roll-call pending, %d s left", left/1000))
			tabB.do(t, 5*time.Second, "remove the sample", chromedp.Evaluate[chromedp.Void](`document.getElementById('rollcall-sample').remove()`))
		}
		tabB.checkConsole(t)
	})

	t.Run("roll-call", func(t *testing.T) {
		tabB.goTo(t, "#/alerts")
		poll(t, tabB, "our missed roll-call among the alerts", `!!document.querySelector('tr[data-kind="rollcall_missed"]')`)
		tabB.do(t, 20*time.Second, "answer late", chromedp.Click(chromedp.ID("rollcall-answer")))
		answered := time.Now()
		tabB.do(t, 5*time.Second, "the prompt goes at once", chromedp.WaitNotVisible(chromedp.ID("rollcall")))
		t.Logf("the prompt went %v after the click", time.Since(answered))
		poll(t, tabB, "the alert closes", `document.body.dataset.view === 'alerts' && !document.querySelector('tr[data-kind="rollcall_missed"]')`)
		tabB.goTo(t, "#/board")
		poll(t, tabB, "the board shows the answer late", `(() => {
			const c = document.querySelector('tr[data-party="beijing"] [data-rollcall]');
			return c && c.dataset.rollcall === 'late' && c.textContent.includes('answered late') && c.textContent.includes('Wang Lei');
		})()`)
		v, err := beijing.srv.Node.RollCalls(line)
		if err != nil {
			t.Fatal(err)
		}
		if b := v[1]; !b.Missed || b.MissOpen || b.AnsweredLate.IsZero() || b.Officer != "Wang Lei" {
			t.Errorf("Beijing's roll-call after the late answer: %+v", b)
		}
		if !run(t, tabB, "prompt hidden", chromedp.Evaluate[bool](`document.getElementById('rollcall').hidden`)) {
			t.Error("the roll-call prompt came back after the answer")
		}
		screenshot(t, tabB, "rollcall-late.png")
		tabB.checkConsole(t)
	})

	t.Run("hostile layout", func(t *testing.T) {
		long := strings.Repeat("W", entry.MaxOfficerName)
		lang := "x-" + strings.Repeat("q", 33)
		if _, err := a.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Routine, Officer: long, Lang: lang,
			Text: strings.Repeat("NoSpacesAtAll", 40)}); err != nil {
			t.Fatal(err)
		}
		var text strings.Builder
		for i := range 2000 {
			fmt.Fprintf(&text, "Line %d of a long message.\n", i)
		}
		longMsg, err := a.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Priority, Text: text.String()})
		if err != nil {
			t.Fatal(err)
		}
		tabB.goTo(t, "#/inbox")
		poll(t, tabB, "the long name and language tag in the inbox, whole on hover",
			`!!document.querySelector('tr.row [title*="`+long+`"]') && !!document.querySelector('tr.row [title="`+lang+`"]')`)
		type box struct{ Table, Window, Overflowing int }
		b := run(t, tabB, "the inbox's width", chromedp.Evaluate[box](`(() => {
			const w = document.documentElement.clientWidth;
			let over = 0;
			for (const td of document.querySelectorAll('table.messages td')) if (td.getBoundingClientRect().right > w + 1) over++;
			return { table: Math.round(document.querySelector('table.messages').getBoundingClientRect().width), window: w, overflowing: over };
		})()`))
		if b.Table > b.Window || b.Overflowing != 0 {
			t.Errorf("the inbox is %d px wide in a %d px window, %d cells beyond its edge", b.Table, b.Window, b.Overflowing)
		}
		screenshot(t, tabB, "inbox-long-name.png")

		// A long message: its buttons stay in view.
		tabB.goTo(t, "#/message/"+line+"/"+longMsg)
		tabB.do(t, 20*time.Second, "the long message", chromedp.WaitVisible(chromedp.ID("ack")))
		inView := `(() => {
			const r = document.getElementById('ack').getBoundingClientRect();
			const alarms = document.getElementById('alarms').getBoundingClientRect().bottom;
			const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			return r.top >= alarms && r.bottom <= window.innerHeight && hit === document.getElementById('ack');
		})()`
		for _, at := range []string{"top", "middle"} {
			if at == "middle" {
				tabB.do(t, 5*time.Second, "scroll", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, document.body.scrollHeight / 3)`))
			}
			if !run(t, tabB, "Acknowledge in view", chromedp.Evaluate[bool](inView)) {
				t.Errorf("scrolled to the %s, Acknowledge is out of view", at)
			}
		}
		tabB.checkConsole(t)
	})

	t.Run("reply", func(t *testing.T) {
		tabB.goTo(t, "#/message/"+line+"/"+flash)
		// Receipts arriving redraw the view: click whichever button is
		// there now.
		poll(t, tabB, "open the reply", `(() => {
			const m = document.querySelector('article.message[data-id="`+flash+`"]');
			const b = m && m.querySelector('#reply-open');
			if (b) b.click();
			const f = m && m.querySelector('#reply-form');
			return !!f && !f.hidden;
		})()`)
		if p := run(t, tabB, "reply precedence", chromedp.Value(chromedp.ID("reply-precedence"))); p != "FLASH" {
			t.Errorf("a reply to a FLASH defaults to %s", p)
		}
		if !run(t, tabB, "the original beside the reply", chromedp.Evaluate[bool](`(() => {
			const o = document.getElementById('message-text').getBoundingClientRect(), f = document.getElementById('reply-form').getBoundingClientRect();
			return o.width > 0 && f.left >= o.right && f.top < o.bottom;
		})()`)) {
			t.Error("the original is not beside the reply form")
		}
		// The text typed survives receipts arriving (the view keeps the
		// form); the page's own click sends it.
		tabB.do(t, 20*time.Second, "write the reply",
			chromedp.Evaluate[chromedp.Void](`document.getElementById('reply-text').value = '已收到。正在核实。'; document.getElementById('reply-send').click()`))
		poll(t, tabB, "the reply sent", `!!document.querySelector('#reply-status a')`)
		// Read in one step: a redraw may put the form back between a query
		// and a read of the node.
		reply := run(t, tabB, "the reply's ID", chromedp.Evaluate[string](`document.querySelector('#reply-status a').textContent`))
		m, err := beijing.srv.Node.Message(line, reply)
		if err != nil {
			t.Fatal(err)
		}
		if m.ReplyTo != flash || m.Precedence != entry.Flash || m.Officer != "Wang Lei" {
			t.Errorf("the reply: reply_to %q, precedence %s, officer %q", m.ReplyTo, m.Precedence, m.Officer)
		}
		// The answer ends the FLASH alarm; Beijing's inbox row links the
		// answer.
		tabB.do(t, 20*time.Second, "the alarm ends", chromedp.WaitNotVisible(chromedp.ID("alarm")))
		tabB.goTo(t, "#/inbox")
		poll(t, tabB, "answered in Beijing's inbox", `(() => {
			const a = document.querySelector('tr[data-id="`+flash+`"] a.replied-with');
			return a && a.textContent === `+jsString(reply)+`;
		})()`)
		// Seoul sees "in reply to" in its inbox and on the message, and the
		// answer on its FLASH.
		tabA.goTo(t, "#/inbox")
		poll(t, tabA, "in reply to, in Seoul's inbox", `(() => {
			const a = document.querySelector('tr[data-id="`+reply+`"] a.reply-to');
			return a && a.textContent === `+jsString(flash)+`;
		})()`)
		tabA.goTo(t, "#/message/"+line+"/"+reply)
		poll(t, tabA, "in reply to, on the message", `(document.getElementById('message-reply-to') || {}).textContent === `+jsString(flash))
		tabA.goTo(t, "#/message/"+line+"/"+flash)
		poll(t, tabA, "the answer on Seoul's FLASH", `((document.getElementById('message-replies') || {}).textContent || '').includes(`+jsString(reply)+`)`)
		// A drafter's compose in reply takes the precedence of what it
		// answers and shows it.
		tabA.goTo(t, "#/compose/"+line+"?reply_to="+reply)
		poll(t, tabA, "the compose in reply", `(() => {
			const o = document.getElementById('compose-original'), p = document.getElementById('compose-precedence');
			return !!o && o.textContent.includes('已收到') && p.value === 'FLASH';
		})()`)
		tabA.checkConsole(t, "/messages")
		tabB.checkConsole(t)
	})
}
