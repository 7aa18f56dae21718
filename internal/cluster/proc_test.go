package cluster

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// shell skips the test where there is no /bin/sh to stand in for a
// hotline process.
func shell(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs /bin/sh")
	}
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("needs /bin/sh")
	}
	return "/bin/sh"
}

func TestProcKillAndOutput(t *testing.T) {
	sh := shell(t)
	log := filepath.Join(t.TempDir(), "p.log")
	if err := os.WriteFile(log, []byte("an earlier run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := StartProc(sh, []string{"-c", "echo ready; exec sleep 60"}, log)
	if err != nil {
		t.Fatal(err)
	}
	err = Poll(t.Context(), 10*time.Second, "output", func() (bool, error) {
		return strings.Contains(p.Output(), "\nready\n"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out := p.Output(); strings.Contains(out, "an earlier run") || !strings.HasPrefix(out, "### ") {
		t.Errorf("this run's output is %q: want its own header and lines only", out)
	}
	if !p.Alive() {
		t.Fatal("not alive before the kill")
	}
	p.Kill()
	if p.Alive() {
		t.Fatal("alive after the kill")
	}
	if err := p.Exited(); !strings.Contains(err.Error(), "killed") {
		t.Errorf("Exited() = %v, want the kill named", err)
	}
}

func TestProcStop(t *testing.T) {
	sh := shell(t)
	dir := t.TempDir()
	clean, err := StartProc(sh, []string{"-c", "trap 'exit 0' TERM; echo up; while :; do sleep 0.05; done"}, filepath.Join(dir, "clean.log"))
	if err != nil {
		t.Fatal(err)
	}
	// The trap is set before "up" is written: only then is a SIGTERM a
	// clean stop.
	if err := Poll(t.Context(), 10*time.Second, "up", func() (bool, error) { return strings.Contains(clean.Output(), "\nup\n"), nil }); err != nil {
		t.Fatal(err)
	}
	if err := clean.Stop(10 * time.Second); err != nil {
		t.Errorf("clean stop: %v", err)
	}
	hung, err := StartProc(sh, []string{"-c", "trap '' TERM QUIT; echo up; while :; do sleep 0.05; done"}, filepath.Join(dir, "hung.log"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Poll(t.Context(), 10*time.Second, "up", func() (bool, error) { return strings.Contains(hung.Output(), "\nup\n"), nil }); err != nil {
		t.Fatal(err)
	}
	if err := hung.Stop(100 * time.Millisecond); err == nil || !strings.Contains(err.Error(), "did not stop") {
		t.Errorf("stop of a process that ignores SIGTERM: %v, want an error", err)
	}
	if hung.Alive() {
		t.Error("a hung process is left running")
	}
}

func TestRunError(t *testing.T) {
	sh := shell(t)
	out, _, err := Run(t.Context(), sh, 10*time.Second, nil, "-c", "echo out; echo 'hotline: error: nope' >&2; exit 3")
	var ce *CommandError
	if !errors.As(err, &ce) || !strings.Contains(ce.Stderr, "nope") || string(out) != "out\n" {
		t.Fatalf("Run = %q, %v: want the output and a CommandError with the standard error", out, err)
	}
	_, _, err = Run(t.Context(), sh, 50*time.Millisecond, nil, "-c", "exec sleep 60")
	if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("Run past its timeout: %v", err)
	}
}

func TestFreePorts(t *testing.T) {
	addrs, err := FreePorts(5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range addrs {
		if seen[a] {
			t.Errorf("%s given twice", a)
		}
		seen[a] = true
		l, err := net.Listen("tcp", a)
		if err != nil {
			t.Errorf("%s is not free: %v", a, err)
			continue
		}
		l.Close()
	}
}

func TestTailAndProblems(t *testing.T) {
	if got := Tail("a\nb\nc\n", 2); got != "b\nc" {
		t.Errorf("Tail = %q", got)
	}
	out := "ok\npanic: boom\nfine\nWARNING: DATA RACE\n"
	if got := problemLines(out); len(got) != 2 || got[0] != "panic: boom" {
		t.Errorf("problemLines = %q", got)
	}
	stacks := "goroutine 1 [running]:\nruntime.main()\n\ngoroutine 7 [select]:\ngithub.com/hotline-line/hotline/internal/node.(*Node).run()"
	if got := ownStacks(stacks); !strings.HasPrefix(got, "goroutine 7") || strings.Contains(got, "goroutine 1 ") {
		t.Errorf("ownStacks kept %q", got)
	}
}
