package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hotline-line/hotline/internal/testload"
)

// Timeouts for one short command, for a listing of messages (whose cost
// grows with the log), and for a serve to come up and to stop, on an idle
// machine: each is stretched by testload.Scale where it is used.
var (
	CommandTimeout = 60 * time.Second
	ListTimeout    = 10 * time.Minute
	StartTimeout   = 60 * time.Second
	StopTimeout    = 60 * time.Second
)

// env is the environment of every hotline process. A race-enabled binary
// would otherwise sleep a second at every exit, and HOTLINE_DIR from the
// caller's environment must not point a command at another directory.
func env() []string {
	e := os.Environ()
	g := os.Getenv("GORACE")
	if !strings.Contains(g, "atexit_sleep_ms") {
		g = strings.TrimSpace(g + " atexit_sleep_ms=0")
	}
	return append(e, "GORACE="+g, "HOTLINE_DIR=")
}

// CommandError is a hotline command that failed.
type CommandError struct {
	Args   []string
	Err    error
	Stderr string
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("hotline %s: %v: %s", strings.Join(e.Args, " "), e.Err, strings.TrimSpace(e.Stderr))
}

func (e *CommandError) Unwrap() error { return e.Err }

// Command is bin with args, in the environment every hotline process of
// a cluster gets (see env), in a process group of its own that is
// SIGKILLed when ctx is done, and dying with this process where the
// system allows it (see sysProcAttr). Start it with [Start].
func Command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env()
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { return signalGroup(cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

// Start starts cmd (made by [Command]) from the one OS thread that
// starts every child of the harness, so that its parent-death signal
// comes only when this process ends; cmd.Start could run on a thread
// that exits sooner.
func Start(cmd *exec.Cmd) error { return start(cmd) }

// Run runs bin with args and the extra environment variables extra to
// completion, for at most timeout stretched by testload.Scale, and
// returns its standard output and error. A failure is a *CommandError
// whose Err is the *exec.ExitError.
func Run(ctx context.Context, bin string, timeout time.Duration, extra []string, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, testload.Scale(timeout))
	defer cancel()
	cmd := Command(ctx, bin, args...)
	cmd.Env = append(cmd.Env, extra...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = start(cmd)
	if err == nil {
		err = cmd.Wait()
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", err, context.Cause(ctx))
		}
		return o.Bytes(), e.Bytes(), &CommandError{Args: args, Err: err, Stderr: e.String()}
	}
	return o.Bytes(), e.Bytes(), nil
}

// FreePorts returns n distinct loopback addresses whose ports are free
// now. The ports come from below the usual ephemeral range (32768 and
// up), so that outgoing connections of other programs on the machine do
// not take them while a process is down between a kill and its restart.
func FreePorts(n int) ([]string, error) {
	var addrs []string
	seen := map[int]bool{}
	for tries := 0; len(addrs) < n; tries++ {
		if tries > 1000 {
			return nil, errors.New("no free loopback port in 20000-32000")
		}
		p := 20000 + rand.IntN(12000)
		if seen[p] {
			continue
		}
		seen[p] = true
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		l.Close()
		addrs = append(addrs, addr)
	}
	return addrs, nil
}

// Poll calls cond until it holds, fails, or d passes; d is how long on an
// idle machine, stretched by testload.Scale. It calls cond again after
// 20 ms, and waits twice as long after each call that did not hold, up to
// pollMax: most conditions run a hotline process (status --json), about
// 40 ms of CPU each, and a wait of a minute at 20 ms kept a core busy
// doing nothing but asking.
func Poll(ctx context.Context, d time.Duration, what string, cond func() (bool, error)) error {
	d = testload.Scale(d)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	wait := pollMin
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w after %v", what, ctx.Err(), d)
		case <-time.After(wait):
		}
		wait = min(2*wait, pollMax)
	}
}

// The first and the longest pause of Poll between two calls.
const (
	pollMin = 20 * time.Millisecond
	pollMax = 250 * time.Millisecond
)

// Signs of a bug in a hotline process's output: a data race (when the
// binary is built with -race), a panic, a fatal runtime error, input from
// the peer refused as evidence of misbehaviour, a failed commit.
var bugSigns = []string{"WARNING: DATA RACE", "panic:", "fatal error:", "refused input from peer", "commit failed"}

func problemLines(out string) []string {
	var found []string
	for _, line := range strings.Split(out, "\n") {
		for _, sign := range bugSigns {
			if strings.Contains(line, sign) {
				found = append(found, line)
				break
			}
		}
	}
	return found
}
