// Package fuzzseed reads the committed seed corpus of a fuzz target, so a
// test can check that the valid seeds still parse under today's formats
// and keys, and the invalid ones are still refused.
package fuzzseed

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Read returns the single []byte value of testdata/fuzz/target/name.
func Read(t testing.TB, target, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fuzz", target, name))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s/%s: not a one-value corpus file", target, name)
	}
	v, ok := strings.CutPrefix(lines[1], "[]byte(")
	v, ok2 := strings.CutSuffix(v, ")")
	s, err := strconv.Unquote(v)
	if !ok || !ok2 || err != nil {
		t.Fatalf("%s/%s: not a []byte value: %v", target, name, err)
	}
	return []byte(s)
}
