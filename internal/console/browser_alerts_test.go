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
	"github.com/hotline-line/hotline/internal/officer"
)

// TestAlertsInBrowser drives both consoles of a line whose charter asks for
// roll-call and gives FLASH a two-second acknowledgement deadline:
//
//   - Beijing's console asks its watch officer to confirm presence; the
//     answer is an entry in Beijing's log, and Seoul's board shows the
//     person present, by name.
//   - A FLASH from Seoul raises Beijing's escalation alarm at once (what
//     Beijing owes), and Seoul's when Beijing lets the deadline pass
//     (what Beijing missed, with what is proven: delivered, not
//     acknowledged). Seoul's officer silences it; Beijing's alarm stays
//     until Beijing acknowledges, and then both close.
func TestAlertsInBrowser(t *testing.T) {
	chromium(t)
	seoul, beijing, line := startLineWith(t, lineSpec{
		seoul:   []account{{"Kim Min-jun", officer.Admin}},
		beijing: []account{{"Wang Lei", officer.Watch}},
		charter: func(c *charter.Charter) {
			c.RollCall = &charter.RollCallRule{Every: charter.Duration(4 * time.Hour), Answer: charter.Duration(15 * time.Minute)}
			c.Deadlines[entry.Flash] = charter.Deadline{Ack: charter.Duration(2 * time.Second), Reply: charter.Duration(time.Hour)}
		},
	})
	browser := newBrowser(t)
	tabA, tabB := newTab(t, browser), newTab(t, browser)
	tabB.login(t, beijing)
	tabA.login(t, seoul)

	t.Run("roll-call", func(t *testing.T) {
		tabB.do(t, 20*time.Second, "Beijing is asked for its roll-call",
			chromedp.WaitVisible(chromedp.ID("rollcall-answer")),
			chromedp.Click(chromedp.ID("rollcall-answer")),
			chromedp.WaitNotVisible(chromedp.ID("rollcall")))
		tabA.goTo(t, "#/board")
		tabA.do(t, 30*time.Second, "Seoul sees a person present at Beijing",
			chromedp.Poll[chromedp.Void](`(() => {
				const c = document.querySelector('tr[data-party="beijing"] [data-rollcall]');
				return c && c.dataset.rollcall === 'ok' && c.textContent.includes('by Wang Lei');
			})()`, chromedp.WithPollingTimeout(30*time.Second)))
		v, err := seoul.srv.Node.RollCalls(line)
		if err != nil {
			t.Fatal(err)
		}
		if v[1].Party != "beijing" || v[1].Officer != "Wang Lei" || v[1].Pending || v[1].Missed {
			t.Errorf("Seoul's view of Beijing's roll-call: %+v", v[1])
		}
	})

	t.Run("escalation", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		id, err := seoul.srv.Node.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash, Text: "Vessel entering the exclusion zone.", Officer: "Kim Min-jun"})
		if err != nil {
			t.Fatal(err)
		}
		alertOn := func(kind string) string {
			return `(() => {
				const e = document.getElementById('escalation');
				return !e.hidden && (e.dataset.alert || '').startsWith('` + kind + `:') && (e.dataset.alert || '').includes('` + id + `');
			})()`
		}
		// What Beijing owes is an alert at arrival; its FLASH alarm rings.
		tabB.goTo(t, "#/alerts")
		owed := `tr[data-kind="owed_ack"][data-alert*="` + id + `"]`
		tabB.do(t, 20*time.Second, "Beijing's alert",
			chromedp.WaitVisible(chromedp.ID("alarm")),
			chromedp.WaitVisible(chromedp.CSS(owed)))
		// Beijing's officer cannot silence what Beijing owes: no button.
		if n := run(t, tabB, "silence buttons on Beijing", chromedp.Evaluate[int](
			"document.querySelectorAll('"+owed+" button').length")); n != 0 {
			t.Errorf("Beijing's alert offers %d buttons; what is owed closes only by acting", n)
		}
		if hidden := run(t, tabB, "Beijing's escalation banner", chromedp.Evaluate[bool](
			"document.getElementById('escalation').hidden")); !hidden {
			t.Error("a FLASH owed raises the escalation banner beside the FLASH alarm")
		}
		// Beijing lets the two-second deadline pass: Seoul's console says
		// what is proven.
		tabA.do(t, 30*time.Second, "Seoul's escalation alarm",
			chromedp.Poll[chromedp.Void](alertOn("peer_ack_overdue"), chromedp.WithPollingTimeout(30*time.Second)))
		text := run(t, tabA, "Seoul's alarm text", chromedp.TextContent(chromedp.ID("escalation")))
		if !strings.Contains(text, "beijing") || !strings.Contains(text, "delivered") || !strings.Contains(text, "not acknowledged") {
			t.Errorf("Seoul's alarm %q does not say what is proven", text)
		}
		// Seoul's officer silences Seoul's alarm; the alert stays listed.
		tabA.do(t, 20*time.Second, "silence",
			chromedp.Click(chromedp.CSS("#escalation button")),
			chromedp.WaitNotVisible(chromedp.ID("escalation")))
		tabA.goTo(t, "#/alerts")
		tabA.do(t, 20*time.Second, "the alert, silenced, in Seoul's list",
			chromedp.Poll[chromedp.Void](`(() => {
				const r = document.querySelector('tr[data-kind="peer_ack_overdue"]');
				return r && r.classList.contains('silenced') && r.textContent.includes('silenced by Kim Min-jun');
			})()`, chromedp.WithPollingTimeout(20*time.Second)))

		// Beijing acknowledges: its alarm ends, and Seoul's alert closes.
		tabB.goTo(t, "#/message/"+line+"/"+id)
		tabB.do(t, 20*time.Second, "acknowledge",
			chromedp.WaitVisible(chromedp.ID("ack")),
			click("ack"),
			chromedp.WaitVisible(chromedp.ID("acked")),
			chromedp.WaitNotVisible(chromedp.ID("alarm")))
		tabB.goTo(t, "#/alerts")
		tabB.do(t, 20*time.Second, "Beijing's alert closes", chromedp.WaitVisible(chromedp.ID("no-alerts")))
		tabA.do(t, 30*time.Second, "Seoul's alert closes",
			chromedp.Poll[chromedp.Void](`!document.querySelector('tr[data-kind="peer_ack_overdue"]')`, chromedp.WithPollingTimeout(30*time.Second)))
		tabA.checkConsole(t)
		tabB.checkConsole(t)
	})
}
