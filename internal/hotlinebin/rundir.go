package hotlinebin

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// RunsDir is the directory, in the system's temporary directory, that
// holds one directory per run of a test binary that runs hotline
// processes, named for its process ID. The names are short: a serve's
// control socket is a path in there, and a Unix socket's path can only
// be about a hundred bytes long.
const RunsDir = "hotline-runs"

// lockFile, in a run's directory, is held locked by the run for as long
// as its process lives: the kernel lets go of the lock when the process
// dies, however it dies, and the next run then removes the directory.
const lockFile = ".lock"

// unlockedGrace is how old a run's directory without a lock file must be
// before it is reclaimed: younger, it may be a run between making its
// directory and locking it.
const unlockedGrace = time.Hour

// NewRunDir reclaims the directories of earlier runs in parent that
// ended without removing theirs (see Reclaim) and makes and locks a new
// one for this run. release removes it; if the process is killed first,
// the next run removes it.
func NewRunDir(parent string) (dir string, release func(), err error) {
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return "", nil, err
	}
	if _, err := Reclaim(parent); err != nil {
		return "", nil, err
	}
	dir = filepath.Join(parent, strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(dir, 0o700); err != nil {
		// Another process of this ID that has not ended, or one so
		// recent that it had no lock yet.
		if dir, err = os.MkdirTemp(parent, strconv.Itoa(os.Getpid())+"-"); err != nil {
			return "", nil, err
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err == nil {
		err = lock(f, true)
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return dir, func() {
		os.RemoveAll(dir)
		f.Close()
	}, nil
}

// Reclaim removes the directories in parent of runs whose process has
// ended: those whose lock file can be locked. It returns what it
// removed.
func Reclaim(parent string) ([]string, error) {
	entries, err := os.ReadDir(parent)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		dir := filepath.Join(parent, e.Name())
		if !e.IsDir() || !ended(dir) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			return removed, fmt.Errorf("remove the directory of an ended run: %w", err)
		}
		removed = append(removed, dir)
	}
	return removed, nil
}

// ended reports whether the run that made dir has ended.
func ended(dir string) bool {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR, 0)
	if err != nil {
		fi, serr := os.Stat(dir)
		return errors.Is(err, fs.ErrNotExist) && serr == nil && time.Since(fi.ModTime()) > unlockedGrace
	}
	defer f.Close()
	return lock(f, false) == nil
}
