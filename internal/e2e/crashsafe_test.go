package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/hotlinebin"
	"github.com/hotline-line/hotline/internal/node"
)

// ran is how a hotline process ended.
type ran struct {
	code           int  // exit status; -1 if killed by a signal
	killed         bool // by SIGKILL
	stdout, stderr string
}

// hotline runs the hotline binary through c with args and the extra
// environment variables env, and says how it ended.
func hotline(t *testing.T, c *cluster.Cluster, env []string, args ...string) ran {
	t.Helper()
	stdout, stderr, err := c.RunEnv(t.Context(), env, args...)
	r := ran{stdout: string(stdout), stderr: string(stderr)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
		ws, ok := exit.Sys().(syscall.WaitStatus)
		r.killed = ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
	default:
		t.Fatalf("hotline %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// TestInitKilledAtEveryStep kills "hotline init" with SIGKILL after each
// of its steps. Whatever the kill left, the other commands say to run init
// again, running it again makes a complete party (or, once hotline.json
// was written, says there is one), and the party works.
func TestInitKilledAtEveryStep(t *testing.T) {
	t.Parallel()
	hotlinebin.TrackSources(t)
	root := t.TempDir()
	c := &cluster.Cluster{Bin: hotlineBin, Root: root}
	initArgs := func(dir string) []string {
		return []string{"init", "--dir", dir, "--party", "seoul", "--name", "Seoul", "--lang", "ko", "--listen", "127.0.0.1:7441"}
	}
	for _, step := range node.InitSteps {
		t.Run(step, func(t *testing.T) {
			dir := filepath.Join(root, step)
			r := hotline(t, c, []string{"HOTLINE_INIT_CRASH_AFTER=" + step}, initArgs(dir)...)
			if !r.killed {
				t.Fatalf("init with a crash after %s: exit %d, not killed\n%s", step, r.code, r.stderr)
			}
			_, statErr := os.Stat(filepath.Join(dir, node.ConfigFile))
			committed := statErr == nil
			if committed != (step == "config") {
				t.Fatalf("killed after %s: hotline.json exists %v", step, committed)
			}
			if !committed {
				for _, args := range [][]string{{"status", "--dir", dir}, {"send", "--dir", dir, "text"}} {
					r := hotline(t, c, nil, args...)
					if r.code != 1 || !strings.Contains(r.stderr, "hint: create one with: hotline init --dir "+dir) {
						t.Errorf("%s after init was killed: exit %d, want 1 and a hint to run init\n%s", args[0], r.code, r.stderr)
					}
				}
				if r := hotline(t, c, nil, "card", "--dir", dir); r.code != 1 || !strings.Contains(r.stderr, "hotline init") {
					t.Errorf("card after init was killed: exit %d, want 1 and a word of init\n%s", r.code, r.stderr)
				}
			}
			r = hotline(t, c, nil, initArgs(dir)...)
			switch {
			case !committed && r.code != 0:
				t.Fatalf("init again after a kill after %s: exit %d\n%s", step, r.code, r.stderr)
			case committed && (r.code != 1 || !strings.Contains(r.stderr, "already holds a party")):
				t.Fatalf("init again after a kill after its commit: exit %d, want 1 and already holds a party\n%s", r.code, r.stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, node.PartialFile)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s is still there after init ran again: %v", node.PartialFile, err)
			}
			if r := hotline(t, c, nil, "card", "--dir", dir); r.code != 0 || !strings.Contains(r.stderr, "fingerprint: ") {
				t.Fatalf("card after init ran again: exit %d\n%s", r.code, r.stderr)
			}
		})
	}

	// A key without the mark of an unfinished init is not init's to
	// remove: it may be a working party's whose hotline.json was lost.
	dir := filepath.Join(root, "stray")
	if r := hotline(t, c, nil, initArgs(dir)...); r.code != 0 {
		t.Fatalf("init: %d %s", r.code, r.stderr)
	}
	key, err := os.ReadFile(filepath.Join(dir, node.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, node.ConfigFile)); err != nil {
		t.Fatal(err)
	}
	r := hotline(t, c, nil, initArgs(dir)...)
	if r.code != 1 || !strings.Contains(r.stderr, "restore "+filepath.Join(dir, node.ConfigFile)) || !strings.Contains(r.stderr, "remove "+filepath.Join(dir, node.KeyFile)) {
		t.Fatalf("init over a key without hotline.json: exit %d, want 1 and what to restore or remove\n%s", r.code, r.stderr)
	}
	if again, err := os.ReadFile(filepath.Join(dir, node.KeyFile)); err != nil || !bytes.Equal(again, key) {
		t.Fatalf("init changed a key it did not write: %v", err)
	}
}

// dyingServe plays "hotline serve" on dir: it answers on the control
// socket, writes the first message sent to it, and dies before answering
// (its socket closes and the connection drops). Its node stays open, as
// if another command had taken the node the moment the serve died; release
// lets go of it. written receives the ID of the message written.
func dyingServe(t *testing.T, dir string) (written <-chan string, release func()) {
	t.Helper()
	n, err := node.Open(dir, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var closeNode sync.Once
	release = func() { closeNode.Do(func() { n.Close() }) }
	t.Cleanup(release)
	l, err := net.Listen("unix", filepath.Join(dir, node.SocketFile))
	if err != nil {
		t.Fatal(err)
	}
	ids := make(chan string, 1)
	inner := control.Handler(control.Local{N: n})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, r)
		var res struct{ Value json.RawMessage }
		json.Unmarshal(rec.Body.Bytes(), &res)
		var id string
		if json.Unmarshal(res.Value, &id); !strings.HasPrefix(id, n.Me()+"-") {
			w.Header().Set("Content-Type", "application/json")
			w.Write(rec.Body.Bytes()) // not the send: answered
			return
		}
		l.Close()
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		ids <- id
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return ids, release
}

// outbox returns the IDs of the messages in n's outbox, newest first.
func outbox(t *testing.T, n *cluster.Party) []string {
	t.Helper()
	msgs, err := n.Outbox(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.ID)
	}
	return ids
}

// TestSendAnswerLost: the serve writes a message and dies before
// answering, and the node is held by another process when "hotline send"
// tries again. The send waits for the node and writes the message once;
// when the wait runs out, it fails with a hint that names its key, and
// sending again with that key writes nothing new.
func TestSendAnswerLost(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	seoul := c.Parties[0].Dir

	t.Run("waits", func(t *testing.T) {
		written, release := dyingServe(t, seoul)
		// Not through the cluster: its standard error is read while it
		// runs.
		cmd := cluster.Command(t.Context(), hotlineBin, "send", "--dir", seoul, "--precedence", "FLASH", "훈련 취소")
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cluster.Start(cmd); err != nil {
			t.Fatal(err)
		}
		// Let go of the node only once the send says it waits for it.
		var said strings.Builder
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			said.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "waiting for the node") {
				if want := fmt.Sprintf("pid %d", os.Getpid()); !strings.Contains(sc.Text(), want) {
					t.Errorf("the wait does not name what holds the node (%s): %s", want, sc.Text())
				}
				release()
				break
			}
		}
		for sc.Scan() {
			said.WriteString(sc.Text() + "\n")
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("send: %v\n%s", err, said.String())
		}
		id := strings.TrimSpace(stdout.String())
		if got := <-written; id != got || !strings.Contains(said.String(), "sending again with key cli-") {
			t.Fatalf("send printed %q, the dying serve wrote %q\n%s", id, got, said.String())
		}
		if ids := outbox(t, c.Parties[0]); len(ids) != 1 || ids[0] != id {
			t.Fatalf("outbox %q, want %s once", ids, id)
		}
	})

	t.Run("gives up", func(t *testing.T) {
		written, release := dyingServe(t, seoul)
		r := hotline(t, c, []string{"HOTLINE_WAIT=1s"}, "send", "--dir", seoul, "정기 보고")
		id := <-written
		_, key, _ := strings.Cut(r.stderr, "hint: ")
		key, _, _ = strings.Cut(key, "\n")
		if i := strings.Index(key, "--key "); i >= 0 {
			key = strings.Fields(key[i+len("--key "):])[0]
		} else {
			key = ""
		}
		if r.code != 1 || !strings.HasPrefix(key, "cli-") || !strings.Contains(r.stderr, fmt.Sprintf("pid %d", os.Getpid())) {
			t.Fatalf("send to a node held past the wait: exit %d, want 1, a hint with the key and the holder named\n%s", r.code, r.stderr)
		}
		release()
		r = hotline(t, c, nil, "send", "--dir", seoul, "--key", key, "정기 보고")
		if got := strings.TrimSpace(r.stdout); r.code != 0 || got != id {
			t.Fatalf("send --key %s again: exit %d, printed %q, want the ID %s the dying serve wrote\n%s", key, r.code, got, id, r.stderr)
		}
		if ids := outbox(t, c.Parties[0]); len(ids) != 2 || ids[0] != id {
			t.Fatalf("outbox %q, want %s once above the first test's message", ids, id)
		}
	})
}

// TestConcurrentCommandsQueue: with no serve running, eight sends and
// four shows at once on one node each wait their turn for the node, and
// all succeed.
func TestConcurrentCommandsQueue(t *testing.T) {
	t.Parallel()
	const sends, shows = 8, 4
	c := newCluster(t)
	seoul := c.Parties[0].Dir
	first := hotline(t, c, nil, "send", "--dir", seoul, "first")
	if first.code != 0 {
		t.Fatalf("send: %d %s", first.code, first.stderr)
	}
	firstID := strings.TrimSpace(first.stdout)

	results := make([]ran, sends+shows)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			if i < sends {
				results[i] = hotline(t, c, nil, "send", "--dir", seoul, fmt.Sprintf("message %d", i))
			} else {
				results[i] = hotline(t, c, nil, "show", "--dir", seoul, firstID)
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{firstID: true}
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("command %d of %d at once: exit %d\n%s", i, len(results), r.code, r.stderr)
			continue
		}
		if i < sends {
			seen[strings.TrimSpace(r.stdout)] = true
		} else if !strings.Contains(r.stdout, "first") {
			t.Errorf("show %s: %s", firstID, r.stdout)
		}
	}
	if len(seen) != sends+1 {
		t.Errorf("%d distinct IDs, want %d", len(seen), sends+1)
	}
	if ids := outbox(t, c.Parties[0]); len(ids) != sends+1 {
		t.Errorf("outbox holds %d messages, want %d", len(ids), sends+1)
	}
}
