// Package hotlinebin builds the hotline binary for the tests and soak
// commands that run real hotline processes.
package hotlinebin

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/cluster"
)

// Build compiles cmd/hotline into dir (with the race detector if race) and
// returns the binary's path.
func Build(ctx context.Context, dir string, race bool) (string, error) {
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		if goCmd, err = exec.LookPath("go"); err != nil {
			return "", fmt.Errorf("build hotline: no go command: %w", err)
		}
	}
	bin := filepath.Join(dir, "hotline")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "github.com/hotline-line/hotline/cmd/hotline")
	// Started as the harness starts hotline: a test binary killed in the
	// middle of the build does not leave the go command running.
	cmd := cluster.Command(ctx, goCmd, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cluster.Start(cmd)
	if err == nil {
		err = cmd.Wait()
	}
	if err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out.Bytes())
	}
	return bin, nil
}

// TrackSources makes go test's result cache depend on every source file of
// the module, and on the environment variables named: a test that runs a
// hotline binary built from packages it does not import would otherwise
// keep a cached pass after those packages changed. It must be called from
// a test in a package two levels below the module root (internal/x).
func TrackSources(t testing.TB, env ...string) {
	t.Helper()
	for _, e := range env {
		os.Getenv(e)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum" {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
