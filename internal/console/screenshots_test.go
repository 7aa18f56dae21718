package console_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
)

var screenshots = flag.Bool("screenshots", false, "write screenshots of the console to docs/screenshots")

// TestScreenshots writes the console's screenshots for the README:
//
//	go test ./internal/console -run Screenshots -screenshots
//
// (Install fonts-noto-cjk first, or the Korean and Chinese come out as
// boxes.)
func TestScreenshots(t *testing.T) {
	if !*screenshots {
		t.Skip("run with -screenshots to write docs/screenshots/*.png")
	}
	chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The line asks for roll-call, and gives IMMEDIATE a short deadline so
	// that Seoul's alerts show a missed one.
	seoul, beijing, line := startLineWith(t, lineSpec{
		seoul:   []account{{"Kim Min-jun", officer.Admin}},
		beijing: []account{{"Wang Lei", officer.Watch}},
		charter: func(c *charter.Charter) {
			c.RollCall = &charter.RollCallRule{Every: charter.Duration(4 * time.Hour), Answer: charter.Duration(15 * time.Minute)}
			c.Deadlines[entry.Immediate] = charter.Deadline{Ack: charter.Duration(2 * time.Second), Reply: charter.Duration(time.Hour)}
		},
	})
	a, b := seoul.srv.Node, beijing.srv.Node
	if _, err := a.AnswerRollCall(ctx, line, "Kim Min-jun"); err != nil {
		t.Fatal(err)
	}

	// Some history: a routine check, acknowledged and answered.
	first, err := a.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Routine,
		Text: "정기 연락 점검입니다. 수신 상태를 확인해 주십시오."})
	if err != nil {
		t.Fatal(err)
	}
	waitMessage(t, b, line, first)
	if _, err := b.Ack(ctx, line, first, "Wang Lei"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Routine, Text: "已收到，线路正常。", ReplyTo: first}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*node.Node{a, b} {
		if _, err := n.RunLinkTests(ctx, line); err != nil {
			t.Fatal(err)
		}
	}

	browser := newBrowser(t)
	tabA, tabB := newTab(t, browser), newTab(t, browser)
	for tb, zone := range map[*tab]string{tabA: "Asia/Seoul", tabB: "Asia/Shanghai"} {
		if _, err := chromedp.Call(tb.ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone}); err != nil {
			t.Fatal(err)
		}
	}
	shot := func(tb *tab, name string) { screenshot(t, tb, name) }

	tabB.login(t, beijing)
	tabB.do(t, 20*time.Second, "Beijing answers its roll-call",
		chromedp.WaitVisible(chromedp.ID("rollcall-answer")),
		chromedp.Click(chromedp.ID("rollcall-answer")),
		chromedp.WaitNotVisible(chromedp.ID("rollcall")))
	tabB.do(t, 20*time.Second, "link tests and roll-calls on the board",
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('.line-card tr[data-party] .ok').length >= 2 &&
			document.querySelectorAll('[data-rollcall="ok"]').length === 2`,
			chromedp.WithPollingTimeout(20*time.Second)))
	shot(tabB, "board.png")

	flash, err := a.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash,
		Text: "03:12 UTC 서해상에서 미사일 발사 탐지. 귀측 상황을 즉시 확인 바랍니다."})
	if err != nil {
		t.Fatal(err)
	}
	tabB.goTo(t, "#/inbox")
	tabB.do(t, 20*time.Second, "the FLASH alarm",
		chromedp.WaitVisible(chromedp.ID("alarm")),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-id="`+flash+`"]`)))
	shot(tabB, "inbox-flash.png")

	tabB.goTo(t, "#/message/"+line+"/"+flash)
	tabB.do(t, 20*time.Second, "acknowledge",
		chromedp.WaitVisible(chromedp.ID("ack")),
		click("ack"),
		chromedp.WaitVisible(chromedp.ID("acked")))
	tabA.login(t, seoul)
	tabA.goTo(t, "#/message/"+line+"/"+flash)
	tabA.do(t, 20*time.Second, "the acknowledgement in Seoul",
		chromedp.Poll[chromedp.Void](`(() => {
			const r = document.querySelector('tr[data-party="beijing"] .rung');
			return r && r.textContent === 'acknowledged';
		})()`, chromedp.WithPollingTimeout(20*time.Second)))
	shot(tabA, "message-ladder.png")

	// An IMMEDIATE Beijing lets pass its deadline: Seoul's alarm says what
	// is proven, and the alerts page lists it.
	if _, err := a.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Immediate, Officer: "Kim Min-jun",
		Text: "09:00 UTC 국방장관 통화를 제안합니다. 가능 여부를 회신 바랍니다."}); err != nil {
		t.Fatal(err)
	}
	tabA.goTo(t, "#/alerts")
	tabA.do(t, 30*time.Second, "Seoul's escalation alarm",
		chromedp.Poll[chromedp.Void](`!document.getElementById('escalation').hidden && document.querySelector('tr[data-kind="peer_ack_overdue"]')`,
			chromedp.WithPollingTimeout(30*time.Second)))
	shot(tabA, "alerts.png")
}

// screenshot writes what tb shows to docs/screenshots/name when the tests
// run with -screenshots; other tests call it at the moments worth showing.
func screenshot(t *testing.T, tb *tab, name string) {
	t.Helper()
	if !*screenshots {
		return
	}
	out := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	png := run(t, tb, "screenshot "+name, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(out, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", filepath.Join(out, name))
}

// waitMessage waits until n holds message id.
func waitMessage(t *testing.T, n *node.Node, line, id string) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		ch := n.Changed()
		if _, err := n.Message(line, id); err == nil {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("%s never reached %s", id, n.Me())
		}
	}
}
