// Package nodetest sets up paired nodes for tests: real data directories,
// real SQLite files, a signed charter installed on every side.
package nodetest

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/memroute"
	"github.com/hotline-line/hotline/internal/node"
)

// Party describes one party to create.
type Party struct {
	Slug, Name, Lang string
}

// Default is the flagship pair: Seoul and Beijing.
var Default = []Party{
	{"seoul", "Ministry of National Defense, Seoul", "ko"},
	{"beijing", "Ministry of National Defense, Beijing", "zh"},
}

// Tokyo is a third party, for lines of three and for a party that joins.
var Tokyo = Party{"tokyo", "Ministry of Defense, Tokyo", "ja"}

// FreeAddr returns a loopback address with a port free right now.
func FreeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Create initializes a party's data directory under dir.
func Create(t testing.TB, dir string, p Party) string {
	d := filepath.Join(dir, p.Slug)
	cfg := node.Config{Party: p.Slug, Name: p.Name, Langs: []string{p.Lang}, Listen: FreeAddr(t)}
	if err := node.Init(d, cfg); err != nil {
		t.Fatal(err)
	}
	return d
}

// WithRecoveryKey gives the party in dir a recovery key, as hotline init
// does, before it pairs, and returns the signer key a person would keep on
// paper.
func WithRecoveryKey(t testing.TB, dir string) string {
	t.Helper()
	cfg, err := node.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	skey, vkey, err := node.NewRecoveryKey(cfg.Party)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RecoveryKey = vkey
	if err := cfg.Save(dir); err != nil {
		t.Fatal(err)
	}
	return skey
}

// Pair opens the nodes in dirs, has the first propose a charter, the others
// sign it in turn, and installs it on every node. It returns the nodes
// (closed at test end) and the line ID.
func Pair(t testing.TB, dirs []string, opts node.Options) ([]*node.Node, string) {
	t.Helper()
	return PairWith(t, dirs, opts, nil)
}

// PairWith is Pair with a charter that edit may change before anyone signs
// it: its rules, or its creation time under an injected clock.
func PairWith(t testing.TB, dirs []string, opts node.Options, edit func(*charter.Charter)) ([]*node.Node, string) {
	t.Helper()
	each := make([]node.Options, len(dirs))
	for i := range each {
		each[i] = opts
	}
	return PairEach(t, dirs, each, edit)
}

// PairEach is PairWith with options for each node: a clock of its own.
func PairEach(t testing.TB, dirs []string, opts []node.Options, edit func(*charter.Charter)) ([]*node.Node, string) {
	t.Helper()
	var nodes []*node.Node
	for i, d := range dirs {
		nodes = append(nodes, Open(t, d, opts[i]))
	}
	return nodes, Line(t, nodes, edit)
}

// Open opens the node in dir for the test, closed at its end, whose
// changes wake Wait: a party that joins a line later.
func Open(t testing.TB, dir string, opts node.Options) *node.Node {
	t.Helper()
	n, err := node.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	watch(t, n)
	return n
}

// Line opens one more line between open nodes, the first proposing, on a
// charter that edit may change, and returns its ID. A node holds as many
// lines as it is given.
func Line(t testing.TB, nodes []*node.Node, edit func(*charter.Charter)) string {
	t.Helper()
	signed := Charter(t, nodes, edit)
	for _, n := range nodes {
		if err := n.Install(context.Background(), signed); err != nil {
			t.Fatal(fmt.Errorf("install on %s: %w", n.Me(), err))
		}
	}
	return signed.ID()
}

// Charter is a charter between open nodes, which edit may change, signed
// by every one of them in turn and installed on none.
func Charter(t testing.TB, nodes []*node.Node, edit func(*charter.Charter)) *charter.Signed {
	t.Helper()
	var cards []*card.Card
	for _, n := range nodes {
		c, _, err := n.Card()
		if err != nil {
			t.Fatal(err)
		}
		cards = append(cards, c)
	}
	ch := charter.New("test line", time.Now(), cards)
	if edit != nil {
		edit(ch)
	}
	var raw []byte
	for _, n := range nodes {
		s, err := charter.Sign(ch, raw, n.Keys)
		if err != nil {
			t.Fatal(err)
		}
		raw = s.Raw
	}
	signed, err := charter.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// watched holds the nodes opened for each test, whose changes wake Wait.
var watched = struct {
	sync.Mutex
	nodes map[testing.TB][]*node.Node
}{nodes: map[testing.TB][]*node.Node{}}

func watch(t testing.TB, n *node.Node) {
	watched.Lock()
	defer watched.Unlock()
	if watched.nodes[t] == nil {
		t.Cleanup(func() {
			watched.Lock()
			defer watched.Unlock()
			delete(watched.nodes, t)
		})
	}
	watched.nodes[t] = append(watched.nodes[t], n)
}

// Bounds of the re-check of a condition that no node signals.
const (
	minRecheck = 5 * time.Millisecond
	maxRecheck = 200 * time.Millisecond
)

// Wait waits until cond holds, or fails t once d has passed. It checks
// cond again each time a node that Pair opened for t changes state (a
// commit: an entry, a receipt, evidence), so it returns as soon as the
// change it waits for is made. A condition on state that no such node
// signals (a node opened by the test itself, a log line, another
// process) is checked again also at growing intervals. Inside a
// testing/synctest bubble, d and those intervals are the bubble's time.
func Wait(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	recheck := minRecheck
	for {
		// Take the change channels before looking, so that no change
		// falls between the look and the wait.
		cases := changes(t)
		if cond() {
			return
		}
		again := time.NewTimer(recheck)
		cases = append(cases,
			reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(again.C)},
			reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(deadline.C)})
		chosen, _, _ := reflect.Select(cases)
		again.Stop()
		switch chosen {
		case len(cases) - 1:
			if cond() {
				return
			}
			t.Fatalf("timed out after %v waiting for %s", d, what)
		case len(cases) - 2:
			recheck = min(2*recheck, maxRecheck)
		}
	}
}

// changes returns a select case for the next change of every node opened
// for t.
func changes(t testing.TB) []reflect.SelectCase {
	watched.Lock()
	defer watched.Unlock()
	var cases []reflect.SelectCase
	for _, n := range watched.nodes[t] {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(n.Changed())})
	}
	return cases
}

// Dirs creates the Default parties under a fresh temporary directory and
// returns their data directories.
func Dirs(t testing.TB) []string { return DirsOf(t, Default...) }

// DirsOf creates parties under a fresh temporary directory and returns
// their data directories, in order.
func DirsOf(t testing.TB, parties ...Party) []string {
	dir := t.TempDir()
	var dirs []string
	for _, p := range parties {
		dirs = append(dirs, Create(t, dir, p))
	}
	return dirs
}

// Connect joins nodes by an in-memory network and starts their links on
// it: the fast route of protocol tests.
func Connect(nodes ...*node.Node) *memroute.Net {
	net := memroute.New()
	for _, n := range nodes {
		net.Add(n)
	}
	for _, n := range nodes {
		n.Start(net.Route(n.Me()))
	}
	return net
}
