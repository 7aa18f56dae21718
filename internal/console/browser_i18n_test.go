package console_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/chromedp"

	"github.com/hotline-line/hotline/internal/consolei18n"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/officer"
)

// msg is a message of the console's catalog of lang, with no variables.
func msg(t *testing.T, lang, id string) string {
	t.Helper()
	c, ok := consolei18n.Get(lang)
	if !ok {
		t.Fatalf("no catalog %s", lang)
	}
	s, ok := c.Messages[id].(string)
	if !ok {
		t.Fatalf("%s has no message %s", lang, id)
	}
	return s
}

// wantText fails unless the element sel reads want. It reads in one
// step, as a redraw may replace the element between a query and a read.
func wantText(t *testing.T, tb *tab, sel, want string) {
	t.Helper()
	js := `(() => { const e = document.querySelector(` + jsString(sel) + `); return e ? e.innerText : '(no ' + ` + jsString(sel) + ` + ')'; })()`
	if got := run(t, tb, "text of "+sel, chromedp.Evaluate[string](js)); strings.TrimSpace(got) != want {
		t.Errorf("%s reads %q, want %q", sel, got, want)
	}
}

// messageID is what a missing message shows in place of its text (t()
// shows the ID), and so what no page may show.
var messageID = regexp.MustCompile(`\b(nav|login|top|board|messages|rung|account|proof|drafts|alerts|rollcall|compose|send|live|api|time|countdown|due|state|role|list)\.[a-z_]+\b`)

// noEnglish fails if the page shows a message ID, or one of the English
// catalog's longer strings, where the officer reads lang.
func noEnglish(t *testing.T, tb *tab, lang string) {
	t.Helper()
	body := run(t, tb, "page text", chromedp.Evaluate[string]("document.body.innerText"))
	if m := messageID.FindString(body); m != "" {
		t.Errorf("the %s page shows the message ID %s, not its text", lang, m)
	}
	en, _ := consolei18n.Get("en")
	local, _ := consolei18n.Get(lang)
	for id, m := range en.Messages {
		s, ok := m.(string)
		if !ok || strings.Contains(s, "{{") || len(s) < 8 || s == local.Messages[id] {
			continue
		}
		if strings.Contains(body, s) {
			t.Errorf("the %s page shows English: %q (%s)", lang, s, id)
		}
	}
}

// cjkFont fails unless Chromium draws the text of sel with a Noto CJK
// font (Debian's fonts-noto-cjk): without one it draws boxes.
func cjkFont(t *testing.T, tb *tab, sel string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, css.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	// The page redraws a view when the node changes (a receipt, the
	// display of the message itself), so the element found may be gone
	// before its fonts are asked for: then ask again, for the new one.
	var res css.GetPlatformFontsForNodeResult
	for try := 0; ; try++ {
		nodes := run(t, tb, "node "+sel, chromedp.Nodes(chromedp.CSS(sel)))
		var err error
		res, err = chromedp.Call(ctx, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: nodes[0].NodeID})
		if err == nil {
			break
		}
		if try == 4 || !strings.Contains(err.Error(), "Could not find node") {
			t.Fatal(err)
		}
	}
	var names []string
	for _, f := range res.Fonts {
		names = append(names, f.FamilyName)
		if strings.Contains(f.FamilyName, "Noto Sans CJK") || strings.Contains(f.FamilyName, "Noto Serif CJK") {
			return
		}
	}
	t.Errorf("%s is drawn with %v, not a Noto CJK font: install fonts-noto-cjk (.ci/run does)", sel, names)
}

// TestConsoleInKoreanAndChinese logs in as Seoul's officer, who reads
// Korean, and Beijing's, who reads Chinese. Each login page names its
// party and line in the party's language; after login every string of
// the page is in the officer's language (no English, no message ID), and
// Chromium draws it with a CJK font. A message written in Korean is read
// and acknowledged in a Chinese page, and the acknowledgement shows in the
// Korean one; an officer switches its page to Chinese in the account view.
func TestConsoleInKoreanAndChinese(t *testing.T) {
	chromium(t)
	seoul, beijing, line := startLineWith(t, lineSpec{
		seoul:   []account{{"Kim Min-jun", officer.Drafter}},
		beijing: []account{{"Wang Lei", officer.Watch}},
		langs:   map[string]string{"Kim Min-jun": "ko", "Wang Lei": "zh"},
	})
	browser := newBrowser(t)
	tabA, tabB := newTab(t, browser), newTab(t, browser)

	// The login pages, in each party's language, name the party and line.
	for _, c := range []struct {
		tb   *tab
		s    *side
		lang string
		p    nodetest.Party
	}{{tabA, seoul, "ko", nodetest.Default[0]}, {tabB, beijing, "zh", nodetest.Default[1]}} {
		c.tb.do(t, 30*time.Second, "open "+c.p.Slug+"'s login page",
			chromedp.Navigate(c.s.srv.ConsoleURL),
			chromedp.WaitVisible(chromedp.ID("login-name")),
			chromedp.Poll[chromedp.Void](`document.getElementById('login-lines').children.length > 0`, chromedp.WithPollingTimeout(20*time.Second)))
		wantText(t, c.tb, "#login h1", msg(t, c.lang, "login.title"))
		wantText(t, c.tb, "#login-submit", msg(t, c.lang, "login.submit"))
		if got := run(t, c.tb, "party", chromedp.Text(chromedp.ID("login-party"))); !strings.Contains(got, c.p.Name) || !strings.Contains(got, c.p.Slug) {
			t.Errorf("%s's login page names %q, want %s (%s)", c.p.Slug, got, c.p.Name, c.p.Slug)
		}
		wantText(t, c.tb, "#login-lines li", "Seoul–Beijing defense hotline")
		if lang := run(t, c.tb, "page language", chromedp.Evaluate[string]("document.documentElement.lang")); lang != c.lang {
			t.Errorf("%s's login page is in %q, want %s", c.p.Slug, lang, c.lang)
		}
		screenshot(t, c.tb, "login-"+c.lang+".png")
	}

	// A wrong password: the node's refusal, in the party's language.
	tabA.do(t, 20*time.Second, "a wrong password",
		chromedp.SendKeys(chromedp.ID("login-name"), "Kim Min-jun"),
		chromedp.SendKeys(chromedp.ID("login-password"), "not the password"),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.Poll[chromedp.Void](`document.getElementById('login-error').textContent !== ''`, chromedp.WithPollingTimeout(20*time.Second)))
	wantText(t, tabA, "#login-error", msg(t, "ko", "api.bad_login"))
	tabA.do(t, 5*time.Second, "clear the form", chromedp.Evaluate[chromedp.Void](
		`document.getElementById('login-name').value = ''; document.getElementById('login-password').value = ''`))

	tabA.login(t, seoul)
	tabB.login(t, beijing)
	for _, c := range []struct {
		tb   *tab
		lang string
		role string
	}{{tabA, "ko", "role.drafter"}, {tabB, "zh", "role.watch"}} {
		wantText(t, c.tb, `a[data-nav="inbox"]`, msg(t, c.lang, "nav.inbox"))
		wantText(t, c.tb, "#logout", msg(t, c.lang, "top.logout"))
		if who := run(t, c.tb, "who", chromedp.Text(chromedp.ID("who"))); !strings.Contains(who, msg(t, c.lang, c.role)) {
			t.Errorf("the header says %q, want the role %q", who, msg(t, c.lang, c.role))
		}
		c.tb.do(t, 20*time.Second, "the board", chromedp.WaitVisible(chromedp.CSS(".line-card table.parties")))
		wantText(t, c.tb, "#view > div > h2", msg(t, c.lang, "nav.lines"))
		noEnglish(t, c.tb, c.lang)
		cjkFont(t, c.tb, `a[data-nav="inbox"]`)
		screenshot(t, c.tb, "board-"+c.lang+".png")
	}

	// Seoul writes in Korean; Beijing reads and acknowledges it in a
	// Chinese page.
	ctx := context.Background()
	id, err := seoul.srv.Node.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Immediate, Officer: "Kim Min-jun", Lang: "ko",
		Text: "09:00 UTC 국방장관 통화를 제안합니다. 가능 여부를 회신 바랍니다."})
	if err != nil {
		t.Fatal(err)
	}
	waitMessage(t, beijing.srv.Node, line, id)
	tabB.goTo(t, "#/message/"+line+"/"+id)
	tabB.do(t, 20*time.Second, "the message in Beijing", chromedp.WaitVisible(chromedp.ID("ack")))
	wantText(t, tabB, "#ack", strings.ReplaceAll(msg(t, "zh", "messages.ack_as"), "{{.Officer}}", "Wang Lei"))
	wantText(t, tabB, "article.message > h3", msg(t, "zh", "messages.ladder"))
	noEnglish(t, tabB, "zh")
	cjkFont(t, tabB, "#message-text")
	screenshot(t, tabB, "message-zh.png")
	tabB.do(t, 20*time.Second, "acknowledge", click("ack"), chromedp.WaitVisible(chromedp.ID("acked")))

	tabA.goTo(t, "#/message/"+line+"/"+id)
	acked := msg(t, "ko", "rung.acknowledged")
	tabA.do(t, 20*time.Second, "Seoul sees the acknowledgement, in Korean",
		chromedp.Poll[chromedp.Void](`(() => {
			const r = document.querySelector('tr[data-party="beijing"] .rung');
			return r && r.textContent === `+jsString(acked)+`;
		})()`, chromedp.WithPollingTimeout(20*time.Second)))
	noEnglish(t, tabA, "ko")
	screenshot(t, tabA, "message-ko.png")

	// Seoul's officer reads the console in Chinese from now on, and back.
	for _, lang := range []string{"zh", "ko"} {
		tabA.goTo(t, "#/account")
		tabA.do(t, 20*time.Second, "choose "+lang,
			chromedp.WaitVisible(chromedp.ID("lang-select")),
			chromedp.SetValue(chromedp.ID("lang-select"), lang),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('lang-select').dispatchEvent(new Event('change'))`),
			chromedp.Poll[chromedp.Void](`document.documentElement.lang === `+jsString(lang)+` && document.getElementById('lang-select')`,
				chromedp.WithPollingTimeout(20*time.Second)))
		wantText(t, tabA, `a[data-nav="inbox"]`, msg(t, lang, "nav.inbox"))
		wantText(t, tabA, "#view h2", msg(t, lang, "account.title"))
		if lang == "zh" {
			screenshot(t, tabA, "account-zh.png")
		}
	}
	tabA.checkConsole(t, "/api/login")
	tabB.checkConsole(t)
}
