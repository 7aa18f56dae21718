package e2e

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/hotlinebin"
	"github.com/hotline-line/hotline/internal/testload"
)

// hangEnv, set, makes TestTimeoutLeavesNothing the test that hangs: its
// value marks every process it starts.
const hangEnv = "HOTLINE_E2E_HANG"

// TestTimeoutLeavesNothing runs this test binary again with a short
// -test.timeout; there the test pairs two parties, starts both serves and
// hangs until go test's timeout ends the binary, as a hung end-to-end
// test does. Then no process the timed-out binary started may be left
// (each carries a marker in its environment), and the directory of its
// run, which it could not remove, is reclaimed. The first timeout is
// short; while it strikes before both serves run (the machine is slow),
// the test runs again with twice as long, and each of those timeouts,
// in the middle of pairing, must leave nothing behind either.
func TestTimeoutLeavesNothing(t *testing.T) {
	t.Parallel()
	if os.Getenv(hangEnv) != "" {
		hang(t)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("finds processes through /proc")
	}
	marker := rand.Text()
	t.Cleanup(func() { killMarked(marker) })
	// Not t.TempDir: its path would make the sockets' too long.
	tmp, err := os.MkdirTemp(hotlinebin.KeepDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	for timeout := 3 * time.Second; ; timeout *= 2 {
		if timeOut(t, marker, tmp, timeout) {
			break
		}
		if timeout > testload.Scale(time.Minute) {
			t.Fatalf("the hanging test timed out after %v before both its serves ran", timeout)
		}
	}
	// Each run reclaimed the directory of the one before; the last one's
	// is left.
	runs := filepath.Join(tmp, hotlinebin.RunsDir)
	left, err := os.ReadDir(runs)
	if err != nil || len(left) != 1 {
		t.Fatalf("the timed-out runs left %v in %s (%v), want the last one's directory", left, runs, err)
	}
	removed, err := hotlinebin.Reclaim(runs)
	if err != nil {
		t.Fatal(err)
	}
	if left, _ = os.ReadDir(runs); len(removed) != 1 || len(left) != 0 {
		t.Errorf("reclaiming removed %v and left %v", removed, left)
	}
}

// timeOut runs the hanging test with timeout, in TMPDIR tmp, and fails
// the test unless go test's timeout ends it and every process it started
// ends too. It reports whether both serves ran before the timeout.
func timeOut(t *testing.T, marker, tmp string, timeout time.Duration) (served bool) {
	t.Helper()
	var out syncBuffer
	cmd := cluster.Command(t.Context(), os.Args[0], "-test.run=^TestTimeoutLeavesNothing$", "-test.v", "-test.timeout="+timeout.String())
	cmd.Env = append(cmd.Env, hangEnv+"="+marker, hotlinebin.BinEnv+"="+hotlineBin, "TMPDIR="+tmp)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 10 * time.Second
	begun := time.Now()
	if err := cluster.Start(cmd); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// While it hangs, its serves are found by their marker: the check
	// for what is left can fail.
	started := regexp.MustCompile(`(seoul|beijing): serve started, pid (\d+)`)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	late := time.After(timeout + testload.Scale(time.Minute))
	var err error
wait:
	for {
		select {
		case err = <-exited:
			break wait
		case <-late:
			t.Fatalf("the hanging test still runs %v after it started with a timeout of %v", time.Since(begun).Round(time.Second), timeout)
		case <-tick.C:
		}
		if served {
			continue
		}
		var serves []int
		for _, m := range started.FindAllStringSubmatch(out.String(), -1) {
			pid, _ := strconv.Atoi(m[2])
			serves = append(serves, pid)
		}
		if len(serves) < 2 {
			continue
		}
		served = true
		t.Logf("the hanging test's serves %v ran %v after it started; its timeout is %v", serves, time.Since(begun).Round(time.Millisecond), timeout)
		if marked := markedProcs(marker); !slices.Contains(marked, serves[0]) || !slices.Contains(marked, serves[1]) {
			t.Fatalf("the serves %v are not among the processes marked %s: %v", serves, marker, marked)
		}
	}
	if err == nil || !strings.Contains(out.String(), "panic: test timed out after") {
		t.Fatalf("the hanging test ended with %v, not by its timeout of %v:\n%s", err, timeout, cluster.Tail(out.String(), 40))
	}
	if !served {
		t.Logf("the hanging test timed out after %v before both serves ran, at: %s", timeout, lastLine(out.String()))
	}
	err = cluster.Poll(t.Context(), 30*time.Second, "every process of the timed-out test to end", func() (bool, error) {
		return len(markedProcs(marker)) == 0, nil
	})
	if err != nil {
		t.Fatalf("%v; left running:\n%s", err, describe(markedProcs(marker)))
	}
	return served
}

// lastLine is the last line of the hanging test's own output before the
// timeout's report.
func lastLine(out string) string {
	before, _, _ := strings.Cut(out, "panic: test timed out")
	return cluster.Tail(before, 1)
}

// hang is the test that times out: it pairs two parties, starts their
// serves (which log their pids) and waits for go test to end it.
func hang(t *testing.T) {
	c := newCluster(t)
	startAll(t, c)
	t.Log("both serves run; hanging until the timeout")
	select {}
}

// markedProcs returns the processes, not yet exited, whose environment
// carries hangEnv=marker.
func markedProcs(marker string) []int {
	want := []byte(hangEnv + "=" + marker + "\x00")
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !bytes.Contains(env, want) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join(d, "stat")); err == nil {
			if _, after, _ := strings.Cut(string(stat), ") "); strings.HasPrefix(after, "Z") {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

// describe names processes by their command lines.
func describe(pids []int) string {
	var b strings.Builder
	for _, pid := range pids {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		fmt.Fprintf(&b, "%d %s\n", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
	}
	return b.String()
}

// killMarked kills whatever the test failed to see end, so that a
// failure of this test leaks nothing either.
func killMarked(marker string) {
	for _, pid := range markedProcs(marker) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// syncBuffer is a buffer a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
