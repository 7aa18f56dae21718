package node

import (
	"context"
	"errors"
	"time"

	"github.com/hotline-line/hotline/internal/store"
)

// op is one unit of work for the writer. apply validates and writes inside
// the group transaction; it may append to in-memory trees but must leave
// every other in-memory change to after, which runs only once the group has
// committed.
type op struct {
	apply func(tx *store.Tx) error
	after func()
	done  chan error // nil for fire-and-forget ops
	// lazy marks a fire-and-forget record that need not be on disk at once
	// (when entries were sent, a peer's receipt): it waits up to noteDelay
	// for an op that is not lazy to share a commit with, rather than
	// costing an fsync of its own. Ops that are not lazy never wait.
	lazy bool
}

// noteDelay bounds how long a lazy op waits for company. Under steady
// traffic the next send or segment comes well within it, so the notes of
// one message ride on the commit of the next instead of on the path
// between a send and its receipt.
const noteDelay = 20 * time.Millisecond

// Refusal is an error that concerns one operation only (bad input, a
// refused peer): it fails that operation, not the group.
type Refusal struct{ Err error }

func (r *Refusal) Error() string { return r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

func refuse(err error) error { return &Refusal{err} }

// maxGroup bounds the operations that share one commit.
const maxGroup = 512

// submit queues an op and waits for its commit.
func (n *Node) submit(ctx context.Context, o *op) error {
	o.done = make(chan error, 1)
	select {
	case n.ops <- o:
	case <-ctx.Done():
		return ctx.Err()
	case <-n.ctx.Done():
		return ErrClosed
	}
	select {
	case err := <-o.done:
		return err
	case <-n.wrote:
		// The writer finished the group it held and failed the ops
		// queued before it exited. An op queued after that (the node
		// closed while this call was between its two selects) is never
		// taken: waiting for it would block forever.
		select {
		case err := <-o.done:
			return err
		default:
			return ErrClosed
		}
	}
}

// ErrClosed means the node is shutting down.
var ErrClosed = errors.New("node is closed")

func (n *Node) writer() {
	defer n.wg.Done()
	defer close(n.wrote)
	for {
		var group []*op
		select {
		case o := <-n.ops:
			group = append(group, o)
		case <-n.ctx.Done():
			n.drain()
			return
		}
		if group[0].lazy {
			group = n.company(group)
		}
		n.commit(n.fill(group))
	}
}

// company adds to a group of lazy ops those that come within noteDelay,
// until one that is not lazy comes (whose commit the group then shares) or
// the group is full.
func (n *Node) company(group []*op) []*op {
	t := time.NewTimer(noteDelay)
	defer t.Stop()
	for len(group) < maxGroup {
		select {
		case o := <-n.ops:
			group = append(group, o)
			if !o.lazy {
				return group
			}
		case <-t.C:
			return group
		case <-n.ctx.Done():
			return group
		}
	}
	return group
}

// queue hands o to the writer without waiting for its commit.
func (n *Node) queue(ctx context.Context, o *op) error {
	select {
	case n.ops <- o:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-n.ctx.Done():
		return ErrClosed
	}
}

// fill adds to group the ops already queued, up to maxGroup.
func (n *Node) fill(group []*op) []*op {
	for len(group) < maxGroup {
		select {
		case o := <-n.ops:
			group = append(group, o)
		default:
			return group
		}
	}
	return group
}

// drain commits the ops still queued at shutdown: a send or a receipt the
// node accepted is written, not dropped, and the queue is bounded, so this
// ends. What callers queue after it has emptied the queue is never taken
// (see submit).
func (n *Node) drain() {
	for {
		group := n.fill(nil)
		if len(group) == 0 {
			return
		}
		n.commit(group)
	}
}

// commit applies a group of ops in one transaction. Each op of a larger
// group runs inside a savepoint: a refused op is rolled back alone. A group
// of one needs none: its refusal rolls the whole transaction back, which
// is the same and costs no commit. If the transaction itself fails (a full
// disk), every op fails and the trees are cut back to what is on disk.
func (n *Node) commit(group []*op) {
	errs := make([]error, len(group))
	err := n.Store.Write(context.Background(), func(tx *store.Tx) error {
		if len(group) == 1 {
			errs[0] = group[0].apply(tx)
			return errs[0]
		}
		for i, o := range group {
			if err := tx.Savepoint(); err != nil {
				return err
			}
			errs[i] = o.apply(tx)
			var r *Refusal
			switch {
			case errs[i] == nil:
				if err := tx.Release(); err != nil {
					return err
				}
			case errors.As(errs[i], &r):
				if err := tx.RollbackTo(); err != nil {
					return err
				}
			default:
				return errs[i]
			}
		}
		return nil
	})
	var r *Refusal
	if len(group) == 1 && errors.As(errs[0], &r) {
		err = nil // rolled back alone, as in a savepoint
	}
	if err != nil {
		n.log.Error("commit failed", "err", err, "ops", len(group))
		n.alarmDue.Store(false)
		n.truncateUncommitted()
		for _, o := range group {
			if o.done != nil {
				o.done <- err
			}
		}
		return
	}
	n.publishCommitted()
	for i, o := range group {
		if errs[i] == nil && o.after != nil {
			o.after()
		}
		if o.done != nil {
			o.done <- errs[i]
		}
	}
	n.notify()
	if n.alarmDue.Swap(false) {
		n.alarm.Fire()
	}
}

func (n *Node) eachLog(fn func(ls *lineState, lg *logState)) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, ls := range n.lines {
		for _, lg := range ls.logs() {
			fn(ls, lg)
		}
	}
}

func (n *Node) truncateUncommitted() {
	n.eachLog(func(_ *lineState, lg *logState) { lg.tree.Truncate(lg.committed.Load()) })
}

func (n *Node) publishCommitted() {
	n.eachLog(func(ls *lineState, lg *logState) {
		if size := lg.tree.Size(); size != lg.committed.Load() {
			lg.committed.Store(size)
			if lg.author == ls.me {
				n.wakeLinks(ls.id)
			}
		}
	})
}
