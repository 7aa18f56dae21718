package console_test

import (
	"cmp"
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/console"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/serve"
	"github.com/hotline-line/hotline/internal/serve/servetest"
	"github.com/hotline-line/hotline/internal/testload"
)

const chromiumPath = "/usr/bin/chromium"

// chromium returns the browser to drive. Without it the browser tests skip,
// except in CI (CI set), where they fail: CI installs it (see .ci/run).
func chromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing, and CI is set: CI must install chromium (.ci/run does)", chromiumPath)
		}
		t.Skipf("%s is missing: install it (apt-get install chromium) to run the browser tests", chromiumPath)
	}
	return chromiumPath
}

// side is one running party with its console and an officer to log in as.
type side struct {
	srv      *serve.Server
	officer  string
	password string
}

// as is the same party with another of its officers logged in.
func (s *side) as(name string) *side {
	return &side{srv: s.srv, officer: name, password: "password of " + name}
}

// account is an officer to create: its password is "password of NAME".
type account struct {
	name string
	role officer.Role
}

// lineSpec shapes a line for a test: each party's officers (the first is
// the side's officer) and changes to the charter before it is signed.
// The officers' passwords are hashed with console.CheapParams: the tests
// log in through the page, and argon2id at its real cost, under the race
// detector, took half a second of CPU (seconds on a loaded machine) for
// each officer made and each login.
// An officer reads the console in its langs entry, else in English (the
// tests that read the page's words read English; the parties' own
// default is ko or zh).
type lineSpec struct {
	seoul, beijing []account
	charter        func(*charter.Charter)
	langs          map[string]string
}

// startLine runs two real nodes in this process through internal/serve:
// SQLite, the direct route over mutual TLS on loopback, and each with its
// console on a loopback port. Seoul has a drafter, Beijing a watch officer.
func startLine(t *testing.T) (seoul, beijing *side, line string) {
	t.Helper()
	return startLineWith(t, lineSpec{
		seoul:   []account{{"Kim Min-jun", officer.Drafter}},
		beijing: []account{{"Wang Lei", officer.Watch}},
	})
}

// startLineWith is startLine with the officers and charter of spec.
func startLineWith(t *testing.T, spec lineSpec) (seoul, beijing *side, line string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	accounts := [][]account{spec.seoul, spec.beijing}
	var dirs []string
	var cards []*card.Card
	for i, p := range nodetest.Default {
		d := nodetest.Create(t, dir, p)
		cfg, keys, err := node.LoadIdentity(d)
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := node.MakeCard(cfg, keys)
		if err != nil {
			t.Fatal(err)
		}
		off, err := officer.OpenDir(d, officer.Config{Params: console.CheapParams})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range accounts[i] {
			if err := off.Add(ctx, a.name, a.role, "password of "+a.name); err != nil {
				t.Fatal(err)
			}
			if err := off.SetLang(ctx, a.name, cmp.Or(spec.langs[a.name], "en")); err != nil {
				t.Fatal(err)
			}
		}
		off.Close()
		dirs, cards = append(dirs, d), append(cards, c)
	}
	ch := charter.New("Seoul–Beijing defense hotline", time.Now(), cards)
	if spec.charter != nil {
		spec.charter(ch)
	}
	var raw []byte
	for _, d := range dirs {
		_, keys, err := node.LoadIdentity(d)
		if err != nil {
			t.Fatal(err)
		}
		s, err := charter.Sign(ch, raw, keys)
		if err != nil {
			t.Fatal(err)
		}
		raw = s.Raw
	}
	signed, err := charter.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var sides []*side
	for i, d := range dirs {
		s := servetest.Start(t, d, serve.Console("127.0.0.1:0"))
		if err := s.Node.Install(ctx, signed); err != nil {
			t.Fatal(err)
		}
		name := accounts[i][0].name
		sides = append(sides, &side{srv: s, officer: name, password: "password of " + name})
	}
	return sides[0], sides[1], signed.ID()
}

// The browser tests share one Chromium per test binary: starting it costs
// more than most of what a test does in it. A test gets a browser context
// of its own from newBrowser, which is what a fresh profile was: its own
// cookies, storage and cache, closed with the test. A new browser test
// needs nothing more than
//
//	browser := newBrowser(t) // a person's browser
//	tb := newTab(t, browser) // a tab in it; its tabs share the cookies
//
// and a second newBrowser for a second person. TestMain stops Chromium.
var chrome struct {
	mu     sync.Mutex
	ctx    context.Context // the first tab of the running Chromium
	cancel func()
	dir    string // its profile
}

// sharedChromium returns the running Chromium, starting it if it is not
// running (the first test, or a crash in an earlier test).
func sharedChromium(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	chrome.mu.Lock()
	defer chrome.mu.Unlock()
	if chrome.ctx != nil && chrome.ctx.Err() == nil {
		return chrome.ctx
	}
	stopChromium()
	dir, err := os.MkdirTemp("", "hotline-console-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 860),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	chrome.ctx, chrome.dir = ctx, dir
	chrome.cancel = func() { cancelCtx(); cancelAlloc() }
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		stopChromium()
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// stopChromium stops the shared Chromium, if it runs, and removes its
// profile. The caller holds chrome.mu, or no test runs any more.
func stopChromium() {
	if chrome.cancel != nil {
		chrome.cancel()
	}
	if chrome.dir != "" {
		os.RemoveAll(chrome.dir)
	}
	chrome.ctx, chrome.cancel, chrome.dir = nil, nil, ""
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopChromium()
	os.Exit(code)
}

// newBrowser returns a browser of its own for the test: a new browser
// context of the shared Chromium, with no cookies, storage or cache,
// disposed of at the end of the test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	browser, cancel := chromedp.NewContext(sharedChromium(t), chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(browser); err != nil { // creates the context and a first tab
		t.Fatalf("a browser context in chromium: %v", err)
	}
	return browser
}

// tab is a browser tab that remembers what the page wrote to its console.
// The tabs of one browser share their cookies, as a person's would: the
// two consoles on one host must not take each other's.
type tab struct {
	ctx  context.Context
	mu   sync.Mutex
	logs []chromedp.ConsoleMessage
}

func newTab(t *testing.T, browser context.Context) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	tb := &tab{ctx: ctx}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.logs = append(tb.logs, m)
			tb.mu.Unlock()
		}
	}()
	return tb
}

// do runs actions with a deadline: d on an idle machine, stretched by
// its load.
func (tb *tab) do(t *testing.T, d time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, testload.Scale(d))
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func run[T any](t *testing.T, tb *tab, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, testload.Scale(20*time.Second))
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// login opens the console and logs in.
func (tb *tab) login(t *testing.T, s *side) {
	t.Helper()
	tb.do(t, 30*time.Second, "log in to "+s.srv.ConsoleURL,
		chromedp.Navigate(s.srv.ConsoleURL),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SendKeys(chromedp.ID("login-name"), s.officer),
		chromedp.SendKeys(chromedp.ID("login-password"), s.password),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("top")),
		chromedp.WaitVisible(chromedp.CSS(".line-card")),
	)
}

// goTo changes the route in the page, without a reload.
func (tb *tab) goTo(t *testing.T, hash string) {
	t.Helper()
	tb.do(t, 10*time.Second, "go to "+hash, chromedp.Evaluate[chromedp.Void]("location.hash = "+jsString(hash)))
}

// checkConsole fails the test if the page reported an error: a script
// exception, or a resource the Content-Security-Policy refused. The API
// paths in refused are requests the test made fail on purpose.
func (tb *tab) checkConsole(t *testing.T, refused ...string) {
	t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, m := range tb.logs {
		if m.Type == chromedp.ConsoleError && strings.Contains(m.Text, "401") && strings.HasSuffix(m.URL, "/api/me") {
			continue // the page asking whether it has a session yet
		}
		if m.Type == chromedp.ConsoleError && slices.ContainsFunc(refused, func(p string) bool { return strings.HasSuffix(m.URL, p) }) {
			continue
		}
		if m.Type == chromedp.ConsoleException || m.Type == chromedp.ConsoleError ||
			strings.Contains(m.Text, "Content Security Policy") {
			t.Errorf("page console: %s: %s (%s)", m.Type, m.Text, m.URL)
		}
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`)
	return "'" + r.Replace(s) + "'"
}

// click clicks the element with this ID from inside the page, in one
// step: a redraw (a receipt arriving) may replace the element between
// chromedp's query for its node and a click on that node.
func click(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void]("document.getElementById(" + jsString(id) + ").click()")
}
