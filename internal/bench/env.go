package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hotline-line/hotline/internal/demo"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/serve"
)

// Parties are the two sides of the benchmark line: A sends, B receives.
var Parties = [2]demo.Party{
	{Slug: "seoul", Name: "Ministry of National Defense, Seoul", Lang: "ko"},
	{Slug: "beijing", Name: "Ministry of National Defense, Beijing", Lang: "zh"},
}

// Env is a paired line between two real nodes on loopback, each served by
// internal/serve (mutual-TLS direct route, SQLite with fsync) from its own
// data directory.
type Env struct {
	Line string
	Dirs [2]string
	A, B *serve.Server // B is nil while stopped
	log  *slog.Logger
}

// NewEnv creates both parties under dir, pairs them by the same ceremony as
// real parties (cards, a charter both sign) and starts both nodes.
func NewEnv(ctx context.Context, dir string, log *slog.Logger) (*Env, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Env{log: log}
	dirs, signed, err := demo.Pair(dir, "benchmark line", Parties[:])
	if err != nil {
		return nil, err
	}
	copy(e.Dirs[:], dirs)
	e.Line = signed.ID()
	for i, d := range e.Dirs {
		s, err := startNode(d, Parties[i].Slug, log)
		if err != nil {
			e.Close(ctx)
			return nil, err
		}
		if i == 0 {
			e.A = s
		} else {
			e.B = s
		}
		if err := s.Node.Install(ctx, signed); err != nil {
			e.Close(ctx)
			return nil, fmt.Errorf("install line: %w", err)
		}
	}
	// Both charters cross before anything is measured.
	if err := e.waitReceipt(ctx, 1); err != nil {
		e.Close(ctx)
		return nil, err
	}
	return e, nil
}

// startNode serves the node in dir. Its goroutines carry the profiler
// label node=slug, so a CPU profile of the run splits by node
// (go tool pprof -tagfocus node=seoul).
func startNode(dir, slug string, log *slog.Logger) (s *serve.Server, err error) {
	pprof.Do(context.Background(), pprof.Labels("node", slug), func(context.Context) {
		s, err = serve.Start(dir, log)
	})
	return s, err
}

// Close stops whichever nodes run.
func (e *Env) Close(ctx context.Context) error {
	var errs []error
	if e.A != nil {
		errs = append(errs, e.A.Close(ctx))
		e.A = nil
	}
	if e.B != nil {
		errs = append(errs, e.B.Close(ctx))
		e.B = nil
	}
	return errors.Join(errs...)
}

// StopA stops node A (so that its directory can be served by another
// process).
func (e *Env) StopA(ctx context.Context) error {
	if e.A == nil {
		return nil
	}
	err := e.A.Close(ctx)
	e.A = nil
	return err
}

func (e *Env) peer() string { return Parties[1].Slug }

// waitReceipt waits, without polling, until B has cosigned A's log up to
// size.
func (e *Env) waitReceipt(ctx context.Context, size uint64) error {
	return waitReceipt(ctx, e.A.Node, e.Line, e.peer(), size)
}

// waitReceipt waits, without polling, until peer has cosigned n's own log
// up to size: it re-reads the receipt each time n's state changes.
func waitReceipt(ctx context.Context, n *node.Node, line, peer string, size uint64) error {
	for {
		ch := n.Changed()
		r, err := n.Receipt(line, peer)
		if err != nil {
			return err
		}
		if r >= size {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s's receipt of %d entries (have %d): %w", peer, size, r, ctx.Err())
		}
	}
}

// logSize is the committed size of A's own log.
func (e *Env) logSize() (uint64, error) { return ownLogSize(e.A.Node, e.Line) }

// ownLogSize is the committed size of n's own log on line.
func ownLogSize(n *node.Node, line string) (uint64, error) {
	st, err := n.Status(line)
	if err != nil {
		return 0, err
	}
	for _, p := range st.Parties {
		if p.Party == st.Me {
			return p.LogSize, nil
		}
	}
	return 0, fmt.Errorf("status names no log of %s", st.Me)
}

// text is a message of typical length for a hotline (a short formatted
// notice).
func text(i int) string {
	return fmt.Sprintf("Benchmark notice %07d: routine status report, all stations normal, next report at 06:00 UTC.", i)
}

// send writes one ROUTINE message on A and returns its index in A's log.
func (e *Env) send(ctx context.Context, i int) (uint64, error) {
	return sendOn(ctx, e.A.Node, e.Line, i)
}

// sendOn writes one ROUTINE message on n and returns its index in n's log.
func sendOn(ctx context.Context, n *node.Node, line string, i int) (uint64, error) {
	id, err := n.Send(ctx, node.SendRequest{Line: line, Text: text(i)})
	if err != nil {
		return 0, err
	}
	_, index, err := entry.ParseID(id)
	return index, err
}

// sendMany writes count messages on A from senders goroutines at once and
// returns when every Send has returned.
func (e *Env) sendMany(ctx context.Context, count, senders int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, senders)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := range senders {
		wg.Go(func() {
			// Sealing happens in the caller of Send: it is node A's work.
			pprof.SetGoroutineLabels(pprof.WithLabels(ctx, pprof.Labels("node", Parties[0].Slug)))
			for {
				i := int(next.Add(1)) - 1
				if i >= count {
					return
				}
				if _, err := e.send(ctx, i); err != nil {
					errs[w] = err
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// SendCosign sends n messages on A one at a time and returns, for each, the
// time from the Send call to the moment A holds B's cosignature covering it.
func (e *Env) SendCosign(ctx context.Context, n int) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	defer pprof.SetGoroutineLabels(ctx)
	pprof.SetGoroutineLabels(pprof.WithLabels(ctx, pprof.Labels("node", Parties[0].Slug)))
	for i := range n {
		d, err := e.sendCosign(ctx, i)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// sendCosign sends one message on A and returns the time from the Send
// call to the moment A holds B's cosignature covering it.
func (e *Env) sendCosign(ctx context.Context, i int) (time.Duration, error) {
	start := time.Now()
	index, err := e.send(ctx, i)
	if err != nil {
		return 0, err
	}
	if err := e.waitReceipt(ctx, index+1); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// Throughput sends count messages on A from senders goroutines at once and
// returns the time from the first Send to the moment B has cosigned all of
// them.
func (e *Env) Throughput(ctx context.Context, count, senders int) (time.Duration, error) {
	start := time.Now()
	if err := e.sendMany(ctx, count, senders); err != nil {
		return 0, err
	}
	size, err := e.logSize()
	if err != nil {
		return 0, err
	}
	if err := e.waitReceipt(ctx, size); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// PrepareBacklog stops B and writes count messages on A meanwhile. It
// returns how long the writing took.
func (e *Env) PrepareBacklog(ctx context.Context, count, senders int) (time.Duration, error) {
	if e.B != nil {
		if err := e.B.Close(ctx); err != nil {
			return 0, err
		}
		e.B = nil
	}
	start := time.Now()
	err := e.sendMany(ctx, count, senders)
	d := time.Since(start)
	// Writing the backlog leaves hundreds of megabytes of dirty pages that
	// the kernel would write back during the catch-up: flush them first,
	// so that the catch-up is measured on a settled disk.
	syscall.Sync()
	return d, err
}

// CatchUp starts B again and returns the time from its start to the moment
// A holds B's cosignature on A's whole log, and that log's size.
func (e *Env) CatchUp(ctx context.Context) (time.Duration, uint64, error) {
	size, err := e.logSize()
	if err != nil {
		return 0, 0, err
	}
	if e.B != nil {
		return 0, 0, errors.New("catch-up: B is already running")
	}
	start := time.Now()
	e.B, err = startNode(e.Dirs[1], Parties[1].Slug, e.log)
	if err != nil {
		return 0, 0, fmt.Errorf("restart %s: %w", e.peer(), err)
	}
	if err := e.waitReceipt(ctx, size); err != nil {
		return 0, 0, err
	}
	return time.Since(start), size, nil
}

// Work is what both nodes have done since they started: SQL statements
// (reads, and writes with each transaction's BEGIN and COMMIT) and commits,
// each commit one fsync.
type Work struct {
	Statements, Commits int64
	CPU                 time.Duration // of this process, both nodes
}

// Work reads the counters of both running nodes and this process's CPU time.
func (e *Env) Work() Work {
	var w Work
	for _, s := range []*serve.Server{e.A, e.B} {
		if s == nil {
			continue
		}
		st := s.Node.Store
		w.Statements += st.Reads() + st.Writes()
		w.Commits += st.Commits()
	}
	w.CPU = markCPU().self
	return w
}

// PerItem divides what was done between w and later by items.
func (w Work) PerItem(later Work, items int) (statements, commits, cpuMicros float64) {
	n := float64(items)
	return float64(later.Statements-w.Statements) / n, float64(later.Commits-w.Commits) / n,
		float64(later.CPU-w.CPU) / float64(time.Microsecond) / n
}
