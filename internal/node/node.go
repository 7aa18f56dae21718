// Package node is a party's hotline node: it keeps the party's log and its
// copies of the other parties' logs, writes new entries, verifies and
// cosigns what peers send, and runs one delivery link per peer over the
// routes it is given.
//
// All writes go through one writer goroutine that commits in groups: many
// sends and receipts share one fsync. Nothing is reported as queued, and no
// cosignature leaves the node, before the transaction that holds it has
// committed. A peer's receipt counts once verified and is stored on a later
// commit: the peer repeats it if it is lost. See docs/protocol.md.
package node

import (
	"context"
	"crypto/hpke"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotline-line/hotline/internal/amend"
	"github.com/hotline-line/hotline/internal/broadcast"
	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/seal"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/verify"
)

// Options tune a node. The zero value is usable.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time // the clock; time.Now if nil
	// Envelope is the envelope version the node seals bodies in
	// (package seal): 0 means the newest, 2. Version 1 is kept for the
	// format vectors of version 1, which a real exchange produces.
	Envelope int
}

// Node is an open hotline node.
type Node struct {
	Dir   string
	Cfg   *Config
	Keys  *identity.Keys
	Store *store.Store
	lock  *os.File
	log   *slog.Logger
	now   func() time.Time

	// envelope is the version this node seals (Options.Envelope); epochs
	// remembers the epoch secrets of version 2 bodies sealed to us.
	envelope int
	epochs   seal.Epochs

	mu    sync.RWMutex
	lines map[string]*lineState

	noticeMu    sync.Mutex // one state notice at a time (SetLineState)
	amendStepMu sync.Mutex // one amendment step at a time (Amend)
	amendMu     sync.Mutex // one recomputation of a charter in force at a time

	signers  signers    // our signing keys, retired ones too (keys.go)
	rotating sync.Mutex // one key rotation at a time

	ops     chan *op
	changed broadcast.Signal // fired whenever state changes
	wrote   chan struct{}    // closed when the writer has exited
	// alarm is fired at a commit that may open or close an alert;
	// alarmDue is set while the writer applies such a group, and taken
	// when it commits (alarm.go).
	alarm    broadcast.Signal
	alarmDue atomic.Bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	linkMu sync.Mutex
	links  map[string]*link // by line + "/" + peer
	routes []Route
}

type lineState struct {
	id      string
	charter *charter.Signed
	me      string
	set     atomic.Pointer[partySet] // every party's log and key (parties.go)
	keys    *verify.Keyring
	// sender holds our epochs with each peer; only the writer uses it.
	sender seal.Sender
	// installed is when this node installed the line: link tests are not
	// overdue before the first interval has passed.
	installed time.Time
	// The charter in force and its version (amend.go); awaitingReceipt
	// says one of our acceptances counts once the peers cosign it.
	inForce         atomic.Pointer[charter.Charter]
	chain           atomic.Pointer[amend.Chain] // as last folded: every version, from 1, and every amendment
	version         atomic.Uint64
	awaitingReceipt atomic.Bool
}

// logState is what the node holds of one party's log on a line.
type logState struct {
	author string
	origin string
	tree   tlog.Tree
	// committed is the size that is on disk. Anything beyond it in tree
	// belongs to a transaction in flight and must not be signed or sent.
	committed atomic.Uint64

	mu         sync.Mutex
	checkpoint []byte            // peer logs: the author's latest verified checkpoint note
	ourCosig   []byte            // peer logs: our latest cosignature note
	ourSize    uint64            // peer logs: the size ourCosig covers
	urgentAt   uint64            // peer logs: size after the latest FLASH or IMMEDIATE entry; its receipt is urgent too
	receipts   map[string]uint64 // own log: largest size each peer has cosigned, as verified
	// stored is, on our own log, the largest receipt of each peer that is
	// on disk: receipts are stored with a later commit, and what people
	// are shown (Status) is what the store can prove.
	stored map[string]uint64
	// lastReceipt is, on our own log, each peer's latest cosignature note
	// as verified: the peer repeats it in every bundle until it cosigns more.
	lastReceipt map[string][]byte
	recent      recent // own log: the latest entries, for segments
}

// Open opens the node in dir: its configuration, key, database and lines.
func Open(dir string, opts Options) (*Node, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	seed, err := identity.ReadSeed(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	keys, err := identity.Derive(cfg.Party, seed)
	if err != nil {
		lock.Close()
		return nil, err
	}
	st, err := store.Open(filepath.Join(dir, DBFile))
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	n := &Node{
		Dir: dir, Cfg: cfg, Keys: keys, Store: st, lock: lock,
		log:   opts.Logger,
		now:   opts.Now,
		lines: map[string]*lineState{},
		ops:   make(chan *op, 4096),
		wrote: make(chan struct{}),
		links: map[string]*link{},
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	n.envelope = opts.Envelope
	if n.now == nil {
		n.now = time.Now
	}
	n.log = n.log.With("party", cfg.Party)
	err = n.loadLines()
	if err == nil {
		err = n.loadSigners()
	}
	if err != nil {
		st.Close()
		lock.Close()
		return nil, err
	}
	// Rebuilding the trees read every leaf of every log once: for a long
	// log that is tens of megabytes of garbage, which the runtime returns
	// to the system only slowly. A node spends its life mostly idle, so
	// hand it back now.
	if n.leaves() >= 10_000 {
		debug.FreeOSMemory()
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.wg.Add(1)
	go n.writer()
	return n, nil
}

// Close stops the links and the writer and closes the database. Operations
// in flight finish or fail; nothing committed is lost.
func (n *Node) Close() error {
	n.cancel()
	n.wg.Wait()
	// The writer has stopped and seals nothing more: overwrite every epoch
	// secret this node holds rather than leave it to the garbage collector.
	n.mu.RLock()
	for _, ls := range n.lines {
		ls.sender.Erase()
	}
	n.mu.RUnlock()
	n.epochs.Erase()
	err := n.Store.Close()
	n.lock.Close()
	return err
}

// Me is this node's party.
func (n *Node) Me() string { return n.Cfg.Party }

func (n *Node) loadLines() error {
	rows, err := n.Store.Lines()
	if err != nil {
		return fmt.Errorf("load lines: %w", err)
	}
	for _, r := range rows {
		c, err := charter.Parse(r.Charter)
		if err != nil {
			return fmt.Errorf("line %s: stored charter: %w", r.ID, err)
		}
		joined, err := n.joinedCard(c)
		if err != nil {
			return err
		}
		ls, err := n.newLineState(c, joined)
		if err != nil {
			return err
		}
		ls.installed = time.UnixMilli(r.Installed)
		if err := n.loadLogs(ls); err != nil {
			return err
		}
		// The chain first: it takes in the parties that joined, whose
		// logs may hold key entries too.
		n.refreshCharter(ls)
		if err := n.loadKeyChains(ls); err != nil {
			return err
		}
		n.lines[ls.id] = ls
	}
	return nil
}

func (n *Node) newLineState(c *charter.Signed, joined *card.Card) (*lineState, error) {
	ls := &lineState{id: c.ID(), charter: c, me: n.Me()}
	ls.sender = seal.Sender{Line: ls.id, Author: ls.me}
	keys, err := verify.NewKeyring(c)
	if err != nil {
		return nil, err
	}
	ls.keys = keys
	ls.inForce.Store(c.Charter)
	ls.version.Store(1)
	set := &partySet{logs: map[string]*logState{}, hpke: map[string]hpke.PublicKey{}}
	for i := range c.Parties {
		p := &c.Parties[i]
		set.logs[p.Party] = newLog(ls.id, p.Party)
		if p.Party == n.Me() {
			continue
		}
		pk, err := identity.KEM().NewPublicKey(p.HPKEKey)
		if err != nil {
			return nil, err
		}
		set.hpke[p.Party] = pk
	}
	// A party that joined after the charter holds its own log from the
	// card the amendment that added it carries (join.go).
	if joined != nil && set.logs[joined.Party] == nil {
		set.logs[joined.Party] = newLog(ls.id, joined.Party)
		if err := keys.AddParty(joined); err != nil {
			return nil, err
		}
	}
	ls.set.Store(set)
	if _, ok := set.logs[n.Me()]; !ok {
		return nil, fmt.Errorf("line %s does not name this party (%s)", ls.id, n.Me())
	}
	return ls, nil
}

// loadLogs rebuilds the trees of a line from the database and restores the
// latest checkpoints and cosignatures.
func (n *Node) loadLogs(ls *lineState) error {
	cosigs, err := n.Store.LatestCosigs(ls.id)
	if err != nil {
		return err
	}
	for _, lg := range ls.logs() {
		if err := n.loadLog(ls, lg, cosigs); err != nil {
			return err
		}
	}
	return nil
}

// loadLog rebuilds one log's tree from the database and restores its
// latest checkpoint and cosignatures from cosigs, the line's latest.
func (n *Node) loadLog(ls *lineState, lg *logState, cosigs []store.Cosig) error {
	var want uint64
	err := n.Store.Leaves(ls.id, lg.author, func(i uint64, leaf []byte) error {
		if i != want {
			return fmt.Errorf("log %s of line %s: entry %d missing", lg.author, ls.id, want)
		}
		want++
		lg.tree.Append(tlog.HashLeaf(leaf))
		return nil
	})
	if err != nil {
		return err
	}
	lg.committed.Store(lg.tree.Size())
	for _, c := range cosigs {
		switch {
		case c.Author != lg.author:
		case c.Author == n.Me():
			lg.receipts[c.Cosigner], lg.lastReceipt[c.Cosigner] = c.Size, c.Note
			lg.stored[c.Cosigner] = c.Size
		case c.Cosigner == n.Me():
			lg.ourCosig, lg.ourSize = c.Note, c.Size
			lg.checkpoint = c.Note // carries the author's signature too
		}
	}
	return nil
}

// leaves counts the entries of every log the node holds.
func (n *Node) leaves() uint64 {
	var total uint64
	n.eachLog(func(_ *lineState, lg *logState) { total += lg.tree.Size() })
	return total
}

// line returns the state of line id.
func (n *Node) line(id string) (*lineState, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if ls, ok := n.lines[id]; ok {
		return ls, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNoLine, id)
}

// ErrNoLine means the node has no such line.
var ErrNoLine = errors.New("no such line")

// Lines returns the IDs of the node's lines.
func (n *Node) Lines() []string {
	n.mu.RLock()
	defer n.mu.RUnlock()
	ids := make([]string, 0, len(n.lines))
	for id := range n.lines {
		ids = append(ids, id)
	}
	return ids
}

// DefaultLine returns the node's only line, or an error naming the choice.
func (n *Node) DefaultLine() (string, error) { return n.ResolveLine("") }

// Changed returns a channel closed at the next change of state (a new
// entry, a receipt). Callers wait on it, then call Changed again.
func (n *Node) Changed() <-chan struct{} { return n.changed.Wait() }

func (n *Node) notify() { n.changed.Fire() }
