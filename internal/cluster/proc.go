package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Proc is one long-running hotline process (serve or relay serve) whose
// standard output and error are appended to a log file.
type Proc struct {
	cmd    *exec.Cmd
	log    string
	offset int64         // where this run's output starts in the log
	done   chan struct{} // closed when the process has exited and been reaped
	err    error         // Wait's result, set before done is closed
}

// StartProc starts bin with args, its output appended to the file log
// after a line that names the command and the time.
func StartProc(bin string, args []string, log string) (*Proc, error) {
	f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	fmt.Fprintf(f, "### %s hotline %s\n", time.Now().UTC().Format(time.RFC3339Nano), strings.Join(args, " "))
	cmd := Command(context.Background(), bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := start(cmd); err != nil {
		f.Close()
		return nil, err
	}
	p := &Proc{cmd: cmd, log: log, offset: fi.Size(), done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process's ID.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Alive reports whether the process has not exited.
func (p *Proc) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Output is what this run of the process wrote to its log so far.
func (p *Proc) Output() string {
	b, err := os.ReadFile(p.log)
	if err != nil || p.offset > int64(len(b)) {
		return ""
	}
	return string(b[p.offset:])
}

// Exited reports how a process that is no longer alive ended, with the
// end of its output.
func (p *Proc) Exited() error {
	return fmt.Errorf("exited by itself (%v):\n%s", p.err, Tail(p.Output(), 40))
}

// signal sends sig to the process's group, unless the process has been
// reaped: its ID may then be another process's.
func (p *Proc) signal(sig syscall.Signal) {
	if p.Alive() {
		signalGroup(p.cmd.Process.Pid, sig)
	}
}

// Kill SIGKILLs the process and anything it started (its process group)
// and waits until the process is gone.
func (p *Proc) Kill() {
	p.signal(syscall.SIGKILL)
	<-p.done
}

// Stop asks the process to stop (SIGTERM) and waits for a clean exit. A
// process that does not stop within timeout gets SIGQUIT, which writes
// its goroutines to the log, then SIGKILL; the error carries those
// goroutines. The timeout is the caller's bound, not stretched by the
// load: stopping in time may be what a test asserts.
func (p *Proc) Stop(timeout time.Duration) error {
	p.signal(syscall.SIGTERM)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		p.signal(syscall.SIGQUIT)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second): // only to let it write its goroutines
			p.Kill()
		}
		return fmt.Errorf("did not stop within %v of SIGTERM; its goroutines:\n%s", timeout, ownStacks(p.Output()))
	}
	if p.err != nil {
		return fmt.Errorf("exited with %v after SIGTERM:\n%s", p.err, Tail(p.Output(), 40))
	}
	return nil
}

// ownStacks returns the goroutines of a Go traceback that run hotline
// code, leaving out the runtime's own.
func ownStacks(out string) string {
	var keep []string
	for _, block := range strings.Split(out, "\n\n") {
		if strings.HasPrefix(block, "goroutine ") && strings.Contains(block, "hotline-line/hotline") {
			keep = append(keep, block)
		}
	}
	if len(keep) == 0 {
		return Tail(out, 100)
	}
	return strings.Join(keep, "\n\n")
}

// Tail returns the last lines of s.
func Tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// TailFile returns the last lines of a file, or why it cannot be read.
func TailFile(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return Tail(string(b), lines)
}
