package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/serve/servetest"
)

// TestMessagesSayWhatToDo: each message a new user met on the first day,
// in the words that say what happened and what to do next. want must all
// appear on standard error, avoid must not.
func TestMessagesSayWhatToDo(t *testing.T) {
	for _, tc := range []struct {
		name        string
		setup       func(t *testing.T) []string // the command to run
		code        int
		want, avoid []string
	}{{
		name: "officer add without a terminal asks for --password-file",
		setup: func(t *testing.T) []string {
			_, beijing := pairCLI(t)
			stdinFrom(t, "")
			return []string{"officer", "add", "Wang Lei", "--role", "watch", "--dir", beijing}
		},
		code: 1, want: []string{"not a terminal", "--password-file"}, avoid: []string{"too short"},
	}, {
		name: "flags before the command",
		setup: func(t *testing.T) []string {
			seoul, _ := pairCLI(t)
			return []string{"--dir", seoul, "status"}
		},
		code: 0, avoid: []string{"unknown command"},
	}, {
		name: "--console on a node that already serves says to restart serve",
		setup: func(t *testing.T) []string {
			seoul, _ := pairCLI(t)
			servetest.Start(t, seoul)
			return []string{"serve", "--dir", seoul, "--console", "127.0.0.1:0"}
		},
		code: 1, want: []string{"already running", "stop that serve", "start it again"},
	}, {
		name: "a 2 MB text in human terms",
		setup: func(t *testing.T) []string {
			seoul, _ := pairCLI(t)
			return []string{"send", "--dir", seoul, strings.Repeat("x", 2<<20)}
		},
		code: 1, want: []string{"message text is 2 MiB (2097152 bytes), limit 64 KiB"}, avoid: []string{"65537"},
	}, {
		name: "missing --dir names the flag, not init",
		setup: func(t *testing.T) []string {
			t.Chdir(t.TempDir())
			t.Setenv("HOTLINE_DIR", "")
			return []string{"status"}
		},
		code: 1, want: []string{"no --dir given", "--dir DIR"}, avoid: []string{"hotline init"},
	}, {
		name: "a truncated transcript is called damaged",
		setup: func(t *testing.T) []string {
			seoul, _ := pairCLI(t)
			out := filepath.Join(t.TempDir(), "line.json")
			if code, _, stderr := hotlineOut(t, "export", "--dir", seoul, "--out", out); code != 0 {
				t.Fatal(stderr)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(out, b[:len(b)/2], 0o644)
			return []string{"verify", out}
		},
		code: 1, want: []string{"truncated or damaged", "copy it again"}, avoid: []string{"not a hotline transcript"},
	}, {
		name: "a line proposed but not yet accepted",
		setup: func(t *testing.T) []string {
			root := t.TempDir()
			seoul, _ := newParty(t, root, "seoul", "ko", "127.0.0.1:7441")
			_, beijingCard := newParty(t, root, "beijing", "zh", "127.0.0.1:7442")
			if code, _, stderr := hotlineOut(t, "line", "propose", "--dir", seoul, "--title", "T", "--peer", beijingCard, "--out", filepath.Join(root, "charter.txt")); code != 0 {
				t.Fatal(stderr)
			}
			return []string{"status", "--dir", seoul}
		},
		code: 1, want: []string{"no open line yet", "line accept --dir "}, avoid: []string{"no such line"},
	}, {
		name: "a send while serve is stopping",
		setup: func(t *testing.T) []string {
			seoul, _ := pairCLI(t)
			n, err := node.Open(seoul, node.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { n.Close() })
			n.Stopping() // as serve's Close does first
			t.Setenv(waitEnv, "50ms")
			return []string{"send", "--dir", seoul, "hello"}
		},
		code: 1, want: []string{"is stopping", "run this again"}, avoid: []string{"starting"},
	}, {
		name: "an unknown flag prints the usage once",
		setup: func(t *testing.T) []string {
			seoul, _ := pairCLI(t)
			return []string{"status", "--dir", seoul, "--bogus"}
		},
		code: 2, want: []string{"flag provided but not defined: -bogus", "usage: hotline status"}, avoid: []string{"Usage of"},
	}, {
		name: "a white-space message is refused",
		setup: func(t *testing.T) []string {
			seoul, _ := pairCLI(t)
			return []string{"send", "--dir", seoul, " \t "}
		},
		code: 1, want: []string{"only white space"},
	}, {
		name: "after the last party accepts, the next step has --dir",
		setup: func(t *testing.T) []string {
			root := t.TempDir()
			seoul, _ := newParty(t, root, "seoul", "ko", "127.0.0.1:7441")
			beijing, beijingCard := newParty(t, root, "beijing", "zh", "127.0.0.1:7442")
			ch := filepath.Join(root, "charter.txt")
			for _, args := range [][]string{
				{"line", "propose", "--dir", seoul, "--title", "T", "--peer", beijingCard, "--out", ch},
				{"line", "accept", "--dir", beijing, ch},
			} {
				if code, _, stderr := hotlineOut(t, args...); code != 0 {
					t.Fatal(stderr)
				}
			}
			return []string{"line", "accept", "--dir", seoul, ch}
		},
		code: 0, want: []string{"line accept --dir DIR ", "serve --dir ", "to beijing"},
		avoid: []string{"Every party runs: hotline line accept charter.txt"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.setup(t)
			code, _, stderr := hotlineOut(t, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q", w)
				}
			}
			for _, a := range tc.avoid {
				if strings.Contains(stderr, a) {
					t.Errorf("stderr has %q", a)
				}
			}
			if n := strings.Count(stderr, "usage:"); n > 1 {
				t.Errorf("the usage %d times", n)
			}
			if t.Failed() {
				t.Logf("stderr:\n%s", stderr)
			}
		})
	}
}

// stdinFrom makes standard input a file holding s (not a terminal) for
// the rest of the test.
func stdinFrom(t *testing.T, s string) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(s)
	f.Seek(0, 0)
	old := os.Stdin
	os.Stdin = f
	t.Cleanup(func() { os.Stdin = old; f.Close() })
}

// subcommands are the subcommands of every command that has some: each
// takes -h as well.
var subcommands = map[string][]string{
	"agenda":     {"propose", "confirm", "postpone", "cancel", "held", "history"},
	"alerts":     {"silence"},
	"bundle":     {"export", "import"},
	"escalation": {"check", "test"},
	"key":        {"rotate", "compromised"},
	"line":       {"propose", "accept", "suspend", "reopen", "close", "amend", "accept-amendment", "refuse-amendment", "amendments"},
	"officer":    {"add", "list", "remove", "passwd", "role", "unlock"},
	"relay":      {"init", "key", "add-line", "serve"},
}

// TestHelpOnEveryCommand: -h (and --help) on every command of the table,
// and on every subcommand, prints that command's usage and exits 0; a
// subcommand's -h lists its own flags.
func TestHelpOnEveryCommand(t *testing.T) {
	t.Chdir(t.TempDir()) // nothing a command might write lands in the tree
	for _, c := range commands {
		for _, h := range []string{"-h", "--help"} {
			code, _, stderr := hotlineOut(t, c.name, h)
			if code != 0 || !strings.Contains(stderr, "usage: hotline "+c.name+" ") || strings.Contains(stderr, "error:") {
				t.Errorf("hotline %s %s: exit %d\n%s", c.name, h, code, stderr)
			}
		}
		for _, sub := range subcommands[c.name] {
			if !isSubcommand(c, sub) {
				t.Errorf("%s's usage %q does not name its subcommand %s", c.name, c.usage, sub)
			}
			code, _, stderr := hotlineOut(t, c.name, sub, "-h")
			if code != 0 || !strings.Contains(stderr, "flags of hotline "+c.name+" "+sub+":") {
				t.Errorf("hotline %s %s -h: exit %d\n%s", c.name, sub, code, stderr)
			}
		}
	}
	for name := range subcommands {
		if !strings.Contains(commandNames(), " "+name+" ") {
			t.Errorf("subcommands lists %s, which the command table does not have", name)
		}
	}
}

func commandNames() string {
	s := " "
	for _, c := range commands {
		s += c.name + " "
	}
	return s
}

// TestFlagsBeforeTheCommand: flags given before the command reach it,
// and before a subcommand, the subcommand.
func TestFlagsBeforeTheCommand(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"--dir", "seoul", "status"}, []string{"--dir", "seoul"}},
		{[]string{"status", "--dir", "seoul"}, []string{"--dir", "seoul"}},
		{[]string{"--dir=seoul", "--json", "status", "--line", "navy"}, []string{"--dir=seoul", "--json", "--line", "navy"}},
		{[]string{"--dir", "seoul", "line", "accept", "c.txt"}, []string{"accept", "--dir", "seoul", "c.txt"}},
		{[]string{"--dir", "seoul", "send", "hello"}, []string{"--dir", "seoul", "hello"}},
	} {
		c, args, err := commandOf(tc.in)
		if err != nil || strings.Join(args, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%q: %s %q %v, want %q", tc.in, c.name, args, err, tc.want)
		}
	}
	if _, _, err := commandOf([]string{"--dir", "seoul"}); err == nil {
		t.Error("flags without a command: no error")
	}
}

// TestServeWaitsForACommand: a serve started while a command has the
// node open waits its turn, as commands do, instead of exiting (the
// README starts serve and then sends at once).
func TestServeWaitsForACommand(t *testing.T) {
	seoul, _ := pairCLI(t)
	held, err := node.Open(seoul, node.Options{}) // the command
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var out strings.Builder
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		b := make([]byte, 4096)
		for {
			n, err := r.Read(b)
			mu.Lock()
			out.Write(b[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	old := os.Stderr
	os.Stderr = w
	defer func() { os.Stderr = old }()
	ctx, cancel := context.WithCancel(t.Context())
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"serve", "--dir", seoul}, w) }()
	err = cluster.Poll(ctx, time.Minute, "serve saying it waits", func() (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(out.String(), "waiting for the node"), nil
	})
	held.Close()
	if err == nil {
		err = cluster.Poll(ctx, time.Minute, "serve answering", func() (bool, error) {
			_, err := control.Dial(seoul)
			return err == nil, nil
		})
	}
	cancel()
	if c := <-code; c != 0 || err != nil {
		t.Errorf("serve: exit %d: %v", c, err)
	}
	w.Close()
	<-copied
	if t.Failed() {
		t.Logf("serve's output:\n%s", out.String())
	}
}
