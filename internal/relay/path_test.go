package relay

import (
	"os"
	"path/filepath"
	"testing"
)

// A relay directory whose name SQLite would read as URI syntax keeps its
// database inside it.
func TestOddDirectoryName(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "relay#2?x", DBFile)
	d, err := openDB(path)
	if err != nil {
		t.Fatal(err)
	}
	d.close()
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 1 {
		t.Fatalf("%d entries in %s, want the relay directory alone", len(ents), root)
	}
}
