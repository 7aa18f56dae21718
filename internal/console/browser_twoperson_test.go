package console_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/officer"
)

// TestTwoPersonReleaseInBrowser: on a line whose charter puts FLASH under
// two-person release, Seoul's drafter composes a FLASH, which waits; a
// releaser at Seoul, in a browser of its own, sees the draft arrive with no
// reload and releases it; Beijing's console alarms and shows who drafted
// and who released it. Then the proof page verifies the line.
func TestTwoPersonReleaseInBrowser(t *testing.T) {
	chromium(t)
	seoul, beijing, line := startLineWith(t, lineSpec{
		seoul:   []account{{"Kim Min-jun", officer.Drafter}, {"Park Ji-woo", officer.Releaser}},
		beijing: []account{{"Wang Lei", officer.Watch}},
		charter: func(c *charter.Charter) { c.TwoPerson = []entry.Precedence{entry.Flash} },
	})
	browser := newBrowser(t)
	drafter, watch := newTab(t, browser), newTab(t, browser)
	// Two officers of one party need two browsers: they would share the
	// party's session cookie in one.
	releaser := newTab(t, newBrowser(t))

	releaser.login(t, seoul.as("Park Ji-woo"))
	releaser.goTo(t, "#/drafts")
	releaser.do(t, 10*time.Second, "the empty drafts view", chromedp.WaitVisible(chromedp.ID("no-drafts")))
	watch.login(t, beijing)
	drafter.login(t, seoul)

	// The drafter's compose form says the FLASH needs a second officer.
	text := "Missile launch detected at 03:12 UTC. Release authorised?"
	drafter.goTo(t, "#/compose")
	drafter.do(t, 20*time.Second, "compose a FLASH",
		chromedp.WaitVisible(chromedp.ID("compose-text")),
		chromedp.SetValue(chromedp.ID("compose-precedence"), "FLASH"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('compose-precedence').dispatchEvent(new Event('change'))`),
		chromedp.WaitVisible(chromedp.ID("compose-release")))
	if b := run(t, drafter, "send button", chromedp.Text(chromedp.ID("compose-send"))); b != "Submit for release" {
		t.Errorf("the send button says %q", b)
	}
	drafter.do(t, 20*time.Second, "submit the FLASH",
		chromedp.SendKeys(chromedp.ID("compose-text"), text),
		chromedp.Click(chromedp.ID("compose-send")),
		chromedp.WaitVisible(chromedp.CSS("#compose-status[data-draft]")))
	status := run(t, drafter, "compose status", chromedp.Text(chromedp.ID("compose-status")))
	if !strings.Contains(status, "needs release by a second officer") || !strings.Contains(status, "Kim Min-jun") {
		t.Errorf("compose status %q", status)
	}
	draft := run(t, drafter, "draft ID", chromedp.Evaluate[string](`document.getElementById('compose-status').dataset.draft`))
	if _, err := strconv.Atoi(draft); err != nil {
		t.Fatalf("draft ID %q", draft)
	}
	if n, _ := seoul.srv.Node.Messages(line, true, 10); len(n) != 0 {
		t.Fatalf("a message was written before its release: %+v", n)
	}

	// The releaser's open console shows it, with no reload, counted in the nav.
	card := `article[data-draft="` + draft + `"]`
	releaser.do(t, 10*time.Second, "the draft at the releaser", chromedp.WaitVisible(chromedp.CSS(card)))
	if got := run(t, releaser, "draft text", chromedp.TextContent(chromedp.CSS(card+" .text"))); got != text {
		t.Errorf("the releaser sees %q, want %q", got, text)
	}
	if got := run(t, releaser, "drafter", chromedp.Text(chromedp.CSS(card+" .drafter"))); !strings.HasPrefix(got, "Kim Min-jun") {
		t.Errorf("drafted by %q", got)
	}
	releaser.do(t, 10*time.Second, "the nav count", chromedp.Poll[chromedp.Void](
		`document.getElementById('drafts-count').textContent === '1'`, chromedp.WithPollingTimeout(10*time.Second)))
	releaser.do(t, 20*time.Second, "release",
		chromedp.Click(chromedp.CSS(card+" button.release")),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-draft="`+draft+`"][data-state="released"] .outcome a`)))
	id := run(t, releaser, "message ID", chromedp.Text(chromedp.CSS(`tr[data-draft="`+draft+`"] .outcome a`)))
	if !strings.HasPrefix(id, "seoul-") {
		t.Fatalf("released as %q", id)
	}

	// Beijing alarms, and the message names both officers.
	watch.do(t, 20*time.Second, "the FLASH alarm", chromedp.WaitVisible(chromedp.ID("alarm")))
	watch.goTo(t, "#/message/"+line+"/"+id)
	// The view redraws once "displayed" is recorded: wait for the text
	// itself, not for the first element to appear.
	const officers = "drafted by Kim Min-jun, released by Park Ji-woo"
	watch.do(t, 20*time.Second, "the message naming both officers", chromedp.Poll[chromedp.Void](
		`document.getElementById('message-officers')?.textContent === `+jsString(officers)))
	// Read in one evaluation: the redraw may replace the element between
	// finding it and reading its text.
	if got := run(t, watch, "officers", chromedp.Evaluate[string](`document.getElementById('message-officers')?.textContent ?? ''`)); got != officers {
		t.Errorf("Beijing's console says %q", got)
	}

	// The drafter sees what became of the draft.
	drafter.goTo(t, "#/drafts")
	drafter.do(t, 10*time.Second, "the drafter's view",
		chromedp.WaitVisible(chromedp.CSS(`tr[data-draft="`+draft+`"][data-state="released"]`)))
	if got := run(t, drafter, "outcome", chromedp.Text(chromedp.CSS(`tr[data-draft="`+draft+`"] .outcome`))); !strings.Contains(got, "Park Ji-woo") || !strings.Contains(got, id) {
		t.Errorf("the drafter sees %q", got)
	}

	// The proof page at Beijing: the line verifies.
	watch.goTo(t, "#/proof")
	watch.do(t, 30*time.Second, "the proof page", chromedp.WaitVisible(chromedp.ID("proof-verdict")))
	if v := run(t, watch, "verdict", chromedp.Evaluate[string](`document.getElementById('proof-verdict').dataset.verified`)); v != "yes" {
		t.Errorf("proof verdict %q: %s", v, run(t, watch, "verdict text", chromedp.Text(chromedp.ID("proof-verdict"))))
	}
	watch.do(t, 10*time.Second, "the released message on the proof page", chromedp.WaitVisible(chromedp.CSS(`tr[data-id="`+id+`"]`)))
	// Below the proof, the charter chain: no amendments, each party's keys
	// from the charter.
	watch.do(t, 10*time.Second, "the signing keys on the proof page",
		chromedp.WaitVisible(chromedp.CSS(`#charter-chain li[data-party="seoul"]`)), chromedp.WaitVisible(chromedp.CSS(`#charter-chain li[data-party="beijing"]`)))

	for _, tb := range []*tab{drafter, watch, releaser} {
		tb.checkConsole(t)
	}
}
