package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/hotlinebin"
)

// The README's "Two real parties" commands lie between these markers.
const (
	scriptStart = "<!-- readme-script: two-parties"
	scriptEnd   = "<!-- /readme-script -->"
)

// settle bounds how long a command of a script is run again while it
// fails: a person types "show" after the message has arrived, a script
// may be faster than the delivery.
const settle = 60 * time.Second

// TestReadmeTwoParties runs the README's "Two real parties" commands as
// written, one real process each, in a fresh directory holding the hotline
// binary as ./hotline: so the README cannot drift from the command. Only
// the hosts change, to loopback addresses on free ports, since both
// parties share this machine.
func TestReadmeTwoParties(t *testing.T) {
	t.Parallel()
	hotlinebin.TrackSources(t, "HOTLINE_E2E_RACE")
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	script, err := readmeScript(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	// Both parties' steps, and the charter's way back to Seoul.
	all := strings.Join(script, "\n")
	for _, step := range []string{"init --dir seoul", "card --dir seoul", "init --dir beijing", "card --dir beijing",
		"line propose --dir seoul", "line accept --dir beijing", "line accept --dir seoul", "serve --dir seoul", "serve --dir beijing"} {
		if !strings.Contains(all, "./hotline "+step) {
			t.Errorf("the README's two-party script lacks ./hotline %s", step)
		}
	}
	addrs, err := cluster.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	hosts := strings.NewReplacer("0.0.0.0:7441", addrs[0], "seoul.example:7441", addrs[0],
		"0.0.0.0:7442", addrs[1], "beijing.example:7442", addrs[1])
	dir := scriptDir(t)
	for i := range script {
		script[i] = hosts.Replace(script[i])
	}
	runScript(t, dir, script)
	// The ladder at Seoul shows Beijing's acknowledgement once its
	// receipt has travelled back.
	runUntil(t, dir, "./hotline show --dir seoul seoul-1", "acknowledged")
}

// TestDemoCommandsRunAsPrinted starts the demo as the README does and
// runs every command it prints, as printed.
func TestDemoCommandsRunAsPrinted(t *testing.T) {
	t.Parallel()
	hotlinebin.TrackSources(t, "HOTLINE_E2E_RACE")
	dir := scriptDir(t)
	demo := startShell(t, dir, "./hotline demo --dir "+filepath.Join(dir, "line"))
	var printed string
	err := cluster.Poll(t.Context(), cluster.StartTimeout, "the demo's commands", func() (bool, error) {
		if !demo.Alive() {
			return false, demo.Exited()
		}
		printed = demo.Output()
		return strings.Contains(printed, "What happens on the line"), nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, demo.Output())
	}
	// After the log's header line, the demo's own first line.
	_, out, _ := strings.Cut(printed, "\n")
	if first, _, _ := strings.Cut(out, "\n"); !strings.HasPrefix(first, "hotline demo: creating") {
		t.Errorf("the demo's first line is not its own progress: %q", first)
	}
	var script []string
	for _, l := range strings.Split(printed, "\n") {
		// By the binary's absolute path: the commands run in any directory.
		if cmd, ok := strings.CutPrefix(l, "  "+filepath.Join(dir, "hotline")+" "); ok {
			script = append(script, filepath.Join(dir, "hotline")+" "+cmd)
		}
	}
	if len(script) < 8 {
		t.Fatalf("the demo printed %d commands:\n%s", len(script), printed)
	}
	// From another directory, as in another terminal.
	runScript(t, t.TempDir(), script)
}

// readmeScript returns the commands of the sh blocks between the markers,
// a line continued with \ joined to the next, comment lines left out.
func readmeScript(readme string) ([]string, error) {
	_, rest, ok := strings.Cut(readme, scriptStart)
	part, _, ok2 := strings.Cut(rest, scriptEnd)
	if !ok || !ok2 {
		return nil, errors.New("README.md lacks the markers " + scriptStart + " … " + scriptEnd)
	}
	var cmds []string
	in, cont := false, ""
	for _, l := range strings.Split(part, "\n") {
		switch {
		case strings.HasPrefix(l, "```"):
			in = l == "```sh"
		case !in || strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "":
		case strings.HasSuffix(l, `\`):
			cont += strings.TrimSuffix(l, `\`)
		default:
			cmds = append(cmds, cont+l)
			cont = ""
		}
	}
	if len(cmds) == 0 {
		return nil, errors.New("no commands between the README's markers")
	}
	return cmds, nil
}

// scriptDir is a fresh directory holding the binary under test as ./hotline.
func scriptDir(t *testing.T) string {
	dir := t.TempDir()
	if err := os.Symlink(hotlineBin, filepath.Join(dir, "hotline")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runScript runs each command with bash in dir: one that ends in & as a
// process stopped when the test ends, the others to completion. A command
// that fails is run again until it succeeds or settle passes, except on a
// usage error (exit 2), which no wait mends.
func runScript(t *testing.T, dir string, script []string) {
	t.Helper()
	for _, cmd := range script {
		if bg, ok := strings.CutSuffix(strings.TrimSpace(cmd), "&"); ok {
			startShell(t, dir, bg)
			continue
		}
		runUntil(t, dir, cmd, "")
	}
}

// runUntil runs cmd with bash in dir until it succeeds with want in its
// output, for up to settle.
func runUntil(t *testing.T, dir, cmd, want string) {
	t.Helper()
	var stdout, stderr []byte
	var err error
	poll := cluster.Poll(t.Context(), settle, cmd, func() (bool, error) {
		stdout, stderr, err = cluster.Run(t.Context(), "bash", cluster.CommandTimeout, nil, "-c", "cd "+dir+" && "+cmd)
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 2 {
			return false, err
		}
		return err == nil && strings.Contains(string(stdout)+string(stderr), want), nil
	})
	if poll != nil {
		t.Fatalf("%s\n%v\nlast run: %v\nstdout:\n%s\nstderr:\n%s", cmd, poll, err, stdout, stderr)
	}
	t.Logf("%s\n%s%s", cmd, stdout, stderr)
}

// startShell starts cmd with bash in dir as a long-running process (bash
// execs it, so it gets the signals), stopped when the test ends.
func startShell(t *testing.T, dir, cmd string) *cluster.Proc {
	t.Helper()
	log := filepath.Join(dir, fmt.Sprintf("proc-%d.log", time.Now().UnixNano()))
	p, err := cluster.StartProc("bash", []string{"-c", "cd " + dir + " && exec " + cmd}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(cluster.StopTimeout); err != nil {
			t.Errorf("%s: %v", cmd, err)
		}
	})
	return p
}
