// Package nodetest sets up paired nodes for tests: real data directories,
// real SQLite files, a signed charter installed on every side.
package nodetest

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
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
	var cards []*card.Card
	for i, d := range dirs {
		n, err := node.Open(d, opts[i])
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		c, _, err := n.Card()
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
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
	for _, n := range nodes {
		if err := n.Install(context.Background(), signed); err != nil {
			t.Fatal(fmt.Errorf("install on %s: %w", n.Me(), err))
		}
	}
	return nodes, signed.ID()
}

// Wait polls cond until it holds or the deadline passes.
func Wait(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Dirs creates the Default parties under a fresh temporary directory and
// returns their data directories.
func Dirs(t testing.TB) []string {
	t.Helper()
	dir := t.TempDir()
	var dirs []string
	for _, p := range Default {
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
