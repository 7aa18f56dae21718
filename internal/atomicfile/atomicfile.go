// Package atomicfile replaces files so that a crash leaves either the old
// content or the new, never a torn mix.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes data to path atomically: a temporary file in the same
// directory is written and fsynced, renamed over path, and the directory is
// fsynced so the rename itself survives a crash.
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil { // the data must be on disk before the name points at it
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return SyncDir(dir) // make the rename durable
}

// SyncDir fsyncs the directory dir, which makes the names created, renamed
// or removed in it survive a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
