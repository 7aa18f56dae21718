package hotlinebin

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRunDirReclaimed: the directory of a run whose process died without
// removing it is removed by the next run; the directory of a run that is
// still going, and a young directory not locked yet, are left alone.
func TestRunDirReclaimed(t *testing.T) {
	if os.Getenv("HOTLINE_TEST_RUNDIR_CHILD") != "" {
		// The child: make a run directory and die without removing it.
		dir, _, err := NewRunDir(os.Getenv("HOTLINE_TEST_RUNDIR_CHILD"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "hotline"), []byte("a large binary"), 0o755)
		os.Stdout.WriteString("rundir=" + dir + "\n")
		os.Exit(0)
	}
	parent := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunDirReclaimed$")
	cmd.Env = append(os.Environ(), "HOTLINE_TEST_RUNDIR_CHILD="+parent)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	_, dead, ok := strings.Cut(string(out), "rundir=")
	dead = strings.TrimSpace(dead)
	if !ok {
		t.Fatalf("the child printed no run directory:\n%s", out)
	}
	young := filepath.Join(parent, "young")
	if err := os.Mkdir(young, 0o700); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(parent, "old")
	if err := os.Mkdir(old, 0o700); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-2 * unlockedGrace)
	if err := os.Chtimes(old, long, long); err != nil {
		t.Fatal(err)
	}

	live, release, err := NewRunDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	for _, gone := range []string{dead, old} {
		if _, err := os.Stat(gone); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v): its run has ended", gone, err)
		}
	}
	removed, err := Reclaim(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 0 {
		t.Errorf("Reclaim removed %q while their runs go on", removed)
	}
	for _, kept := range []string{live, young} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("%s: %v", kept, err)
		}
	}
	release()
	if entries, _ := os.ReadDir(parent); slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.Name() == filepath.Base(live) }) {
		t.Errorf("%s is still there after its release", live)
	}
}
