package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every hotline database opens owner-only and on the current schema; a
// file from a newer hotline is refused, not downgraded.
func TestOpenSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.db")
	two := []string{`CREATE TABLE a (x)`, `CREATE TABLE b (y)`}
	w, r, err := OpenSQLite(path, two, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(`INSERT INTO b VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Exec(`INSERT INTO b VALUES (2)`); err == nil {
		t.Error("the reader pool wrote")
	}
	for _, p := range []string{path, filepath.Dir(path)} {
		st, err := statMode(p)
		if err != nil {
			t.Fatal(err)
		}
		if st&0o077 != 0 {
			t.Errorf("%s has mode %o: others may read it", p, st)
		}
	}
	closeAll(w, r)

	w, r, err = OpenSQLite(path, two[:1], 0)
	if err == nil || !strings.Contains(err.Error(), "newer than this hotline") || r != nil {
		closeAll(w, r)
		t.Fatalf("a schema from a newer hotline: %v", err)
	}
}

func statMode(p string) (uint32, error) {
	st, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	return uint32(st.Mode().Perm()), nil
}
