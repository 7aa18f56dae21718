package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestChildOutlivesItsStartingThread: a goroutine that locked its OS
// thread starts a process and returns without unlocking, so the thread
// exits. A child forked on that thread with a parent-death signal is
// killed then; one started through the harness is not, because the
// harness forks every child on a thread of its own that never exits.
func TestChildOutlivesItsStartingThread(t *testing.T) {
	sh := shell(t)
	dir := t.TempDir()
	type started struct {
		harness *Proc
		control *exec.Cmd
		err     error
	}
	ch := make(chan started, 1)
	// The main thread is never ended, only parked: try until the
	// goroutine runs on another.
	for attempt := 0; ; attempt++ {
		if attempt == 100 {
			t.Skip("every goroutine ran on the main thread")
		}
		onMain := make(chan bool)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread exits with this goroutine
			if syscall.Gettid() == os.Getpid() {
				runtime.UnlockOSThread()
				onMain <- true
				return
			}
			onMain <- false
			var s started
			s.harness, s.err = StartProc(sh, []string{"-c", "trap 'exit 0' TERM; echo up; while :; do sleep 0.05; done"}, filepath.Join(dir, "harness.log"))
			if s.err == nil {
				s.control = exec.Command(sh, "-c", "exec sleep 60")
				s.control.SysProcAttr = sysProcAttr()
				s.err = s.control.Start()
			}
			ch <- s
		}()
		if !<-onMain {
			break
		}
		runtime.Gosched()
	}
	s := <-ch
	if s.err != nil {
		t.Fatal(s.err)
	}
	t.Cleanup(s.harness.Kill)
	controlDone := make(chan error, 1)
	go func() { controlDone <- s.control.Wait() }()
	select {
	case err := <-controlDone:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("the child forked on the exited thread ended with %v, want SIGKILL (its parent-death signal)", err)
		}
	case <-time.After(time.Minute):
		s.control.Process.Kill()
		t.Fatal("the child forked on the exited thread still runs a minute later: the thread did not exit, so this test shows nothing")
	}
	// The kernel signalled the thread's children as the thread exited,
	// before the control child could be reaped: had the harness's child
	// been one of them it could no longer stop cleanly.
	err := Poll(t.Context(), 10*time.Second, "up", func() (bool, error) {
		if !s.harness.Alive() {
			return false, fmt.Errorf("the harness's child died with the thread that asked for it: %w", s.harness.Exited())
		}
		return strings.Contains(s.harness.Output(), "\nup\n"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.harness.Stop(10 * time.Second); err != nil {
		t.Fatalf("the harness's child after its starting goroutine's thread exited: %v", err)
	}
}

// TestKillTakesTheGroup: Kill ends what the process started too.
func TestKillTakesTheGroup(t *testing.T) {
	sh := shell(t)
	p, err := StartProc(sh, []string{"-c", "sleep 60 & echo child $!; wait"}, filepath.Join(t.TempDir(), "p.log"))
	if err != nil {
		t.Fatal(err)
	}
	var child int
	err = Poll(t.Context(), 10*time.Second, "the child's pid", func() (bool, error) {
		_, after, ok := strings.Cut(p.Output(), "\nchild ")
		child, _ = strconv.Atoi(strings.TrimSpace(after))
		return ok && strings.HasSuffix(after, "\n") && child > 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p.Kill()
	err = Poll(t.Context(), 10*time.Second, "the child to be gone", func() (bool, error) { return gone(child), nil })
	if err != nil {
		syscall.Kill(child, syscall.SIGKILL)
		t.Fatal(err)
	}
}

// gone reports whether pid has exited (it may be a zombie not yet reaped
// by its new parent).
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	_, after, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(after, "Z") || strings.HasPrefix(after, "X")
}
