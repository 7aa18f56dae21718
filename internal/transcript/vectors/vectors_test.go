package vectors

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/cryptotest"
	"testing/synctest"

	"github.com/hotline-line/hotline/internal/atomicfile"
)

var update = flag.Bool("update", false, "rewrite the vectors and docs/vectors.md from the code")

const root = "../../.."

// TestVectorsAreTheCode regenerates every vector from fixed seeds, a fixed
// random source and a fake clock, and fails when any committed vector
// differs: the documents and the tests cannot drift from the code. Run it
// with -update to rewrite them after a deliberate change of format.
func TestVectorsAreTheCode(t *testing.T) {
	var files map[string][]byte
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 0)
		var err error
		if files, err = Build(synctest.Wait); err != nil {
			t.Fatal(err)
		}
	})
	if *update {
		for _, dir := range []string{TamperDir, FormatDir} {
			os.RemoveAll(filepath.Join(root, dir))
			if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for path, data := range files {
			if err := atomicfile.Write(filepath.Join(root, path), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	for path, data := range files {
		have, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Errorf("%s: %v (run go test ./internal/transcript/vectors -update)", path, err)
			continue
		}
		if !bytes.Equal(have, data) {
			t.Errorf("%s differs from what the code produces (run go test ./internal/transcript/vectors -update and review the diff)", path)
		}
	}
	for _, dir := range []string{TamperDir, FormatDir} {
		names, _ := filepath.Glob(filepath.Join(root, dir, "*"))
		for _, n := range names {
			rel, _ := filepath.Rel(root, n)
			if _, ok := files[filepath.ToSlash(rel)]; !ok {
				t.Errorf("%s is no longer produced by the code: remove it", rel)
			}
		}
	}
	if len(files) == 0 || !slices.Contains(keys(files), FormatDoc) {
		t.Fatal("Build produced no format document")
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
