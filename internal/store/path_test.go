package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// Directories whose names SQLite would read as URI syntax ('#' starts a
// fragment, '?' parameters, '%' an escape) each get their own database.
func TestOddDirectoryNames(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"node#1", "node#2", "node?x=1", "node%23"} {
		path := filepath.Join(root, name, "hotline.db")
		s, err := Open(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		err = s.Write(context.Background(), func(tx *Tx) error {
			return tx.InsertLine(&Line{ID: name, Charter: []byte("c"), State: "open"})
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		lines, err := s.Lines()
		s.Close()
		if err != nil || len(lines) != 1 || lines[0].ID != name {
			t.Fatalf("%s: the database holds lines %+v (%v): it is shared with another directory", name, lines, err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if ents, _ := os.ReadDir(root); len(ents) != 4 {
		t.Fatalf("%d entries in %s, want the 4 directories and nothing beside them", len(ents), root)
	}
}
