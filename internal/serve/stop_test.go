package serve_test

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/bench"
	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/hotlinebin"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/serve/servetest"
)

var stopEntries = flag.Int("serve.stop.entries", 0,
	"entries of the backlog in TestServeStopsOnSIGTERM: 121000 for the size of a full hotline bench (default 10000, 2000 under the race detector)")

// stopWithin is how long a serve may take to exit after SIGTERM, whatever
// it is doing.
const stopWithin = 2 * time.Second

// TestServeStopsOnSIGTERM: a real "hotline serve" exits within stopWithin
// of SIGTERM while it catches up on a large backlog, and while it sends
// one just after its start, its escalation engine reading the whole log;
// what it committed is there when the node is opened again.
func TestServeStopsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hotline and writes a large log")
	}
	hotlinebin.TrackSources(t)
	entries := *stopEntries
	if entries <= 0 {
		entries = 10_000
		if raceOn {
			entries = 2_000
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute+time.Duration(entries)*5*time.Millisecond)
	defer cancel()
	root := t.TempDir()
	bin, err := hotlinebin.Build(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	env, err := bench.NewEnv(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close(context.Background()) })
	// Beijing goes down; Seoul writes the backlog in-process.
	start := time.Now()
	if _, err := env.PrepareBacklog(ctx, entries, 32); err != nil {
		t.Fatal(err)
	}
	t.Logf("backlog of %d entries written in %v", entries, time.Since(start).Round(time.Millisecond))
	seoul, beijing := env.Dirs[0], env.Dirs[1]
	size := uint64(entries) + 1 // the charter and the backlog

	// Beijing, a real process, pulls the backlog from Seoul; stopped in
	// the middle of it.
	p, err := cluster.StartServe(ctx, bin, beijing, filepath.Join(root, "beijing.log"))
	if err != nil {
		t.Fatal(err)
	}
	var cosigned uint64
	err = cluster.Poll(ctx, time.Minute, "beijing to be catching up", func() (bool, error) {
		cosigned, err = env.A.Node.Receipt(env.Line, bench.Parties[1].Slug)
		return cosigned > 1, err
	})
	if err != nil {
		p.Kill()
		t.Fatal(err)
	}
	if cosigned >= size {
		t.Logf("beijing caught up before it was stopped (%d entries): raise -serve.stop.entries", cosigned)
	}
	stopInTime(t, p, "beijing catching up")
	// Beijing cosigned only what it had committed: its copy of Seoul's
	// log holds at least that.
	held := logSize(t, beijing, bench.Parties[0].Slug)
	if held < cosigned || held > size {
		t.Errorf("beijing holds %d entries of seoul's log after the stop; it had cosigned %d of %d", held, cosigned, size)
	}

	// Seoul, a real process over the whole log, stopped while it sends
	// the rest of the backlog to Beijing (in-process now), just after its
	// start: its escalation engine is reading the backlog too.
	if err := env.StopA(ctx); err != nil {
		t.Fatal(err)
	}
	p, err = cluster.StartServe(ctx, bin, seoul, filepath.Join(root, "seoul.log"))
	if err != nil {
		t.Fatal(err)
	}
	b := servetest.Start(t, beijing)
	err = cluster.Poll(ctx, time.Minute, "seoul to be sending the backlog", func() (bool, error) {
		if held >= size {
			return true, nil // Beijing caught up before its stop: Seoul has nothing left to send
		}
		got, err := sizeOf(b.Node, env.Line, bench.Parties[0].Slug)
		return got > held, err
	})
	if err != nil {
		p.Kill()
		t.Fatalf("%v; seoul's log ends:\n%s", err, cluster.Tail(p.Output(), 20))
	}
	stopInTime(t, p, "seoul sending its backlog")
	if got := logSize(t, seoul, bench.Parties[0].Slug); got != size {
		t.Errorf("seoul's log holds %d entries after the stop, want %d", got, size)
	}
}

// stopInTime sends SIGTERM to p and fails unless it exits cleanly within
// stopWithin (with its goroutines if it does not).
func stopInTime(t *testing.T, p *cluster.Proc, doing string) {
	t.Helper()
	start := time.Now()
	err := p.Stop(stopWithin)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("%s: %v", doing, err)
	}
	t.Logf("%s: exited %v after SIGTERM; %s", doing, took.Round(time.Millisecond), cluster.Tail(p.Output(), 1))
}

// logSize opens the node in dir and returns the size of author's log
// there.
func logSize(t *testing.T, dir, author string) uint64 {
	t.Helper()
	n, err := node.Open(dir, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	id, err := n.DefaultLine()
	if err != nil {
		t.Fatal(err)
	}
	size, err := sizeOf(n, id, author)
	if err != nil {
		t.Fatal(err)
	}
	return size
}

// sizeOf is the size of author's log on line at node n.
func sizeOf(n *node.Node, line, author string) (uint64, error) {
	st, err := n.Status(line)
	if err != nil {
		return 0, err
	}
	for _, p := range st.Parties {
		if p.Party == author {
			return p.LogSize, nil
		}
	}
	return 0, fmt.Errorf("%s has no log of %s", n.Me(), author)
}
