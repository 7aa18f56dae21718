package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/hotline-line/hotline/internal/store"
)

// LockFile is held by the one process that has the node open.
const LockFile = "hotline.lock"

// ErrLocked means another process (usually hotline serve) has the node open.
var ErrLocked = errors.New("another hotline process has this node open")

// lockDir takes an exclusive lock on the data directory. Two processes
// writing one log would each think they own its next index.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", store.Classify(err))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", dir, ErrLocked)
		}
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	return f, nil
}
