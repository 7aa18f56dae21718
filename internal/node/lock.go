package node

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/hotline-line/hotline/internal/store"
)

// LockFile is held by the one process that has the node open. It names
// that process (its pid and command), so that one kept waiting can say
// what holds the node.
const LockFile = "hotline.lock"

// ErrLocked means another process (usually hotline serve) has the node
// open. The error names that process when it could be read. The hotline
// command waits a while for the node before it reports this.
var ErrLocked = errors.New("another hotline process has this node open")

// ErrStopping is ErrLocked when the holder is a hotline serve that is
// stopping (see Node.Stopping): it lets go of the node within seconds, so
// a command run again then opens it.
var ErrStopping = fmt.Errorf("%w and is stopping", ErrLocked)

// stoppingMark ends the holder's line in the lock file while it stops.
const stoppingMark = ", stopping"

// lockDir takes an exclusive lock on the data directory. Two processes
// writing one log would each think they own its next index.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", store.Classify(err))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := readHolder(f)
			if strings.HasSuffix(holder, stoppingMark) {
				return nil, fmt.Errorf("%s: %w (%s)", dir, ErrStopping, strings.TrimSuffix(holder, stoppingMark))
			}
			if holder != "" {
				return nil, fmt.Errorf("%s: %w (%s)", dir, ErrLocked, holder)
			}
			return nil, fmt.Errorf("%s: %w", dir, ErrLocked)
		}
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	// Only the holder writes the file, so what a waiter reads is the
	// holder's (or, for the instant between taking the lock and this
	// write, the previous holder's). Failing to write it costs only that
	// name, never the lock.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(holderName()+"\n"), 0)
	}
	return f, nil
}

// Stopping marks the lock file: this process is stopping. A command kept
// waiting for the node then says so, instead of that the node is busy.
func (n *Node) Stopping() {
	if err := n.lock.Truncate(0); err == nil {
		n.lock.WriteAt([]byte(holderName()+stoppingMark+"\n"), 0)
	}
}

// holderName describes this process for the lock file: its pid and the
// command and subcommand it runs, never the rest of its arguments (a
// message's text may be among them).
func holderName() string {
	name := "pid " + strconv.Itoa(os.Getpid())
	if len(os.Args) > 0 {
		name += ", " + filepath.Base(os.Args[0])
	}
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		name += " " + os.Args[1]
	}
	return name
}

// readHolder returns the holder's description from the lock file, or ""
// if it holds nothing readable. The file's content comes from whoever can
// write to the data directory: only printable ASCII of it is shown.
func readHolder(f *os.File) string {
	b, err := io.ReadAll(io.LimitReader(f, 200))
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(b))
	for _, r := range s {
		if r < ' ' || r > '~' {
			return ""
		}
	}
	return s
}
