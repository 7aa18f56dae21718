//go:build unix

package hotlinebin

import (
	"os"
	"syscall"
)

// lock takes an exclusive lock on f without waiting. The lock lasts as
// long as f is open in this process, unless keep is false, in which case
// it is let go at once: that only tests whether another process holds
// it.
func lock(f *os.File, keep bool) error {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return err
	}
	if !keep {
		return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}
	return nil
}
