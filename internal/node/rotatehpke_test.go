package node_test

import (
	"bytes"
	"context"
	"crypto/hpke"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/seal"
)

// TestRotationReplacesHPKEKey: a rotation replaces seoul's HPKE and TLS
// keys too. A body beijing sealed to the old HPKE key before it held the
// key entry (in flight) still opens at seoul, which keeps its retired keys;
// once beijing holds the key entry, its new bodies are sealed to the new
// key, and the old seed alone no longer opens them. Beijing admits seoul's
// new TLS key.
func TestRotationReplacesHPKEKey(t *testing.T) {
	dirs := nodetest.Dirs(t)
	nodes, line := nodetest.Pair(t, dirs, node.Options{})
	net := nodetest.Connect(nodes...)
	seoul, beijing := nodes[0], nodes[1]
	ctx := context.Background()
	send := func(n *node.Node, text string) string {
		t.Helper()
		id, err := n.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	// holds waits until peer holds size entries of n's log.
	holds := func(n *node.Node, peer string, size uint64) {
		t.Helper()
		nodetest.Wait(t, 20*time.Second, fmt.Sprintf("%s holding %d of %s's log", peer, size, n.Me()), func() bool {
			got, _ := n.Receipt(line, peer) // how much of n's log peer holds
			return got >= size
		})
	}
	send(beijing, "before")
	holds(beijing, "seoul", 2)
	retired := loadKeys(t, dirs[0]) // the seed of party.key: every key before the rotation

	// Beijing seals a body to the old key while the key entry is on its way.
	net.Cut("seoul", "beijing")
	inFlight := send(beijing, "sealed to the old key")
	if _, err := seoul.RotateKeys(ctx, node.RotateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, next, err := node.LoadIdentity(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(next.HPKEPublicKey(), retired.HPKEPublicKey()) || next.TLSPublicKey().Equal(retired.TLSPublicKey()) {
		t.Fatal("the rotation kept seoul's HPKE or TLS key")
	}
	if p, ok := beijing.PartyForTLSKey(next.TLSPublicKey()); ok {
		t.Fatalf("beijing admits seoul's new TLS key (as %s) before it holds the key entry", p)
	}
	net.Mend("seoul", "beijing")
	holds(seoul, "beijing", 2) // beijing holds the key entry (seoul-1)
	holds(beijing, "seoul", 3) // seoul holds the body sealed to the old key
	if p, ok := beijing.PartyForTLSKey(next.TLSPublicKey()); !ok || p != "seoul" {
		t.Fatalf("beijing does not admit seoul's new TLS key: %q, %v", p, ok)
	}

	after := send(beijing, "sealed to the new key")
	holds(beijing, "seoul", 4)
	for _, id := range []string{inFlight, after} {
		m, err := seoul.Message(line, id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Text == "" {
			t.Fatalf("seoul cannot read %s: %+v", id, m)
		}
	}

	// Beijing's entry after the key entry opens with the new key only.
	e, err := seoul.Store.Entry(line, "beijing", 3)
	if err != nil {
		t.Fatal(err)
	}
	l, err := entry.Parse(e.Leaf)
	if err != nil {
		t.Fatal(err)
	}
	env, err := seal.Parse(e.Envelope)
	if err != nil {
		t.Fatal(err)
	}
	open := func(priv hpke.PrivateKey) error {
		_, _, err := env.OpenAt("seoul", priv, nil, &seal.Place{Line: line, Author: "beijing", Index: 3, Commitment: l.Body,
			Carrier: func(i uint64) ([]byte, error) {
				c, err := seoul.Store.Entry(line, "beijing", i)
				if err != nil {
					return nil, err
				}
				return c.Envelope, nil
			}})
		return err
	}
	if err := open(next.HPKEPrivateKey()); err != nil {
		t.Fatalf("the new HPKE key does not open beijing-3: %v", err)
	}
	if err := open(retired.HPKEPrivateKey()); err == nil {
		t.Fatal("the retired seed alone opens beijing-3, written after beijing held the key entry")
	}
}

// TestRotationSeedFormsSurviveRestart: a rotation of the first form
// (signing keys only, a hotline-seed-v1 line) and one of every key (a
// hotline-keys-v1 line) both come back after a restart, each with the
// HPKE and TLS keys it put in force.
func TestRotationSeedFormsSurviveRestart(t *testing.T) {
	dirs := nodetest.Dirs(t)
	nodes, _ := nodetest.Pair(t, dirs, node.Options{})
	seoul := nodes[0]
	ctx := context.Background()
	first := seoul.SigningKeys()
	if _, err := seoul.RotateKeys(ctx, node.RotateOptions{SigningOnly: true}); err != nil {
		t.Fatal(err)
	}
	if k := seoul.SigningKeys(); !bytes.Equal(k.HPKEPublicKey(), first.HPKEPublicKey()) || k.LogVerifierKey() == first.LogVerifierKey() {
		t.Fatal("a signing-only rotation changed the HPKE key or kept the log key")
	}
	if _, err := seoul.RotateKeys(ctx, node.RotateOptions{}); err != nil {
		t.Fatal(err)
	}
	want := seoul.SigningKeys()
	if err := seoul.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dirs[0], node.SigningFile))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 2 ||
		!strings.HasPrefix(lines[0], "hotline-seed-v1 ") || !strings.HasPrefix(lines[1], "hotline-keys-v1 ") {
		t.Fatalf("%s holds %q", node.SigningFile, lines)
	}
	again, err := node.Open(dirs[0], node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	got := again.SigningKeys()
	if got.LogVerifierKey() != want.LogVerifierKey() || !bytes.Equal(got.HPKEPublicKey(), want.HPKEPublicKey()) || !got.TLSPublicKey().Equal(want.TLSPublicKey()) {
		t.Fatal("the keys after a restart are not those of the last rotation")
	}
	if _, k, err := node.LoadIdentity(dirs[0]); err != nil || !bytes.Equal(k.HPKEPublicKey(), want.HPKEPublicKey()) {
		t.Fatalf("LoadIdentity: %v, or another HPKE key", err)
	}
}
