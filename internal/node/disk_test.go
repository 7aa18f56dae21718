//go:build linux

package node_test

// Disk faults: a data directory that turns read-only, and a disk that
// fills up. Both run on a real tmpfs mounted for the test (root only:
// root ignores permission bits, so chmod proves nothing), with real SQLite
// files on it.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/memroute"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/store"
)

// mountTmpfs mounts a tmpfs of size bytes at dir for the test, or skips
// the test when mounting is not permitted.
func mountTmpfs(t *testing.T, dir string, size int) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: disk fault tests mount a tmpfs, which needs root")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Skipf("skipping: cannot mount a tmpfs at %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
}

// remount makes the tmpfs at dir read-only or writable again.
func remount(t *testing.T, dir string, readOnly bool) {
	t.Helper()
	flags := uintptr(syscall.MS_REMOUNT | syscall.MS_NOSUID | syscall.MS_NODEV)
	if readOnly {
		flags |= syscall.MS_RDONLY
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", flags, ""); err != nil {
		t.Fatalf("remount %s (read-only %v): %v", dir, readOnly, err)
	}
}

// snapshot is what a node shows of a line: every message with its text,
// and the receipts it holds.
type snapshot struct {
	outbox, inbox map[string]string
	receipt       uint64
	size          uint64
}

func snap(t *testing.T, n *node.Node, line, peer string) snapshot {
	t.Helper()
	out, err := n.Messages(line, true, 100000)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot{outbox: map[string]string{}, inbox: inbox(t, n, line), size: held(t, n, line, n.Me())}
	for _, m := range out {
		s.outbox[m.ID] = m.Text
	}
	s.receipt, _ = n.Receipt(line, peer)
	return s
}

// contains fails unless every message of want is in got, with its text.
func contains(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for id, text := range want {
		if got[id] != text {
			t.Fatalf("%s: message %s is %q, want %q", what, id, got[id], text)
		}
	}
}

// diskLine pairs Seoul, whose data directory is the tmpfs at mnt, with
// Beijing on the ordinary disk, and starts both on an in-memory network.
func diskLine(t *testing.T, mnt string) (*memroute.Net, string, []*node.Node, string) {
	t.Helper()
	seoulDir := nodetest.Create(t, mnt, nodetest.Default[0])
	beijingDir := nodetest.Create(t, t.TempDir(), nodetest.Default[1])
	nodes, line := nodetest.Pair(t, []string{seoulDir, beijingDir}, node.Options{})
	net := memroute.New()
	for _, n := range nodes {
		net.Add(n)
	}
	for _, n := range nodes {
		n.Start(net.Route(n.Me()))
	}
	return net, seoulDir, nodes, line
}

func sendAll(t *testing.T, n *node.Node, line string, texts ...string) []string {
	t.Helper()
	var ids []string
	for _, s := range texts {
		id, err := n.Send(context.Background(), node.SendRequest{Line: line, Text: s})
		if err != nil {
			t.Fatalf("%s: send %q: %v", n.Me(), s, err)
		}
		ids = append(ids, id)
	}
	return ids
}

// waitSynced waits until each node has cosigned all of the other's log.
func waitSynced(t *testing.T, line string, a, b *node.Node) {
	t.Helper()
	nodetest.Wait(t, 30*time.Second, "both logs delivered and cosigned", func() bool {
		ra, _ := a.Receipt(line, b.Me())
		rb, _ := b.Receipt(line, a.Me())
		return ra == held(t, a, line, a.Me()) && rb == held(t, b, line, b.Me()) &&
			held(t, a, line, b.Me()) == held(t, b, line, b.Me()) &&
			held(t, b, line, a.Me()) == held(t, a, line, a.Me())
	})
}

func TestReadOnlyDataDir(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "disk")
	mountTmpfs(t, mnt, 16<<20)
	net, seoulDir, nodes, line := diskLine(t, mnt)
	seoul, beijing := nodes[0], nodes[1]
	sendAll(t, seoul, line, "one", "two", "three", "four", "five")
	sendAll(t, beijing, line, "一", "二", "三")
	waitSynced(t, line, seoul, beijing)
	before := snap(t, seoul, line, beijing.Me())
	if len(before.outbox) != 5 || len(before.inbox) != 3 || before.receipt != 6 {
		t.Fatalf("before: %d sent, %d received, receipt %d", len(before.outbox), len(before.inbox), before.receipt)
	}

	// Seoul goes down, and its disk comes back read-only.
	net.Cut(beijing.Me(), seoul.Me())
	net.Cut(seoul.Me(), beijing.Me())
	if err := seoul.Close(); err != nil {
		t.Fatal(err)
	}
	remount(t, mnt, true)
	if err := os.WriteFile(filepath.Join(seoulDir, "probe"), nil, 0o600); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("the data directory is not read-only: %v", err)
	}
	ro, err := node.Open(seoulDir, node.Options{})
	if err != nil {
		// Refusing to open is a fine answer, if it says why.
		t.Logf("open on a read-only disk: %v", err)
		if !errors.Is(err, store.ErrReadOnly) || !errors.Is(err, syscall.EROFS) {
			t.Fatalf("open on a read-only disk: %v, want ErrReadOnly", err)
		}
	} else {
		// Opening for reading is a fine answer too; then writing must fail,
		// and say why.
		_, err := ro.Send(context.Background(), node.SendRequest{Line: line, Text: "six"})
		t.Logf("send on a read-only disk: %v", err)
		if !errors.Is(err, store.ErrReadOnly) {
			t.Fatalf("send on a read-only disk: %v, want ErrReadOnly", err)
		}
		now := snap(t, ro, line, beijing.Me())
		contains(t, "outbox on a read-only disk", now.outbox, before.outbox)
		contains(t, "inbox on a read-only disk", now.inbox, before.inbox)
		if err := ro.Close(); err != nil {
			t.Logf("close: %v", err)
		}
	}

	// The disk is writable again: everything is there, and the line works.
	remount(t, mnt, false)
	seoul, err = node.Open(seoulDir, node.Options{})
	if err != nil {
		t.Fatalf("reopen after the disk came back: %v", err)
	}
	t.Cleanup(func() { seoul.Close() })
	after := snap(t, seoul, line, beijing.Me())
	if !maps.Equal(after.outbox, before.outbox) || !maps.Equal(after.inbox, before.inbox) ||
		after.receipt != before.receipt || after.size != before.size {
		t.Fatalf("state changed across the read-only spell:\nbefore %+v\nafter  %+v", before, after)
	}
	net.Add(seoul)
	net.Mend(beijing.Me(), seoul.Me())
	net.Mend(seoul.Me(), beijing.Me())
	seoul.Start(net.Route(seoul.Me()))
	checkLineWorks(t, []*node.Node{seoul, beijing}, line)
}

// fill writes a file in dir until the disk is full, and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	// The last partial chunk may have left a few bytes: take them too.
	for {
		if _, err := f.Write(chunk[:512]); err != nil {
			break
		}
	}
	return path
}

func TestDiskFull(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "disk")
	mountTmpfs(t, mnt, 4<<20)
	_, seoulDir, nodes, line := diskLine(t, mnt)
	seoul, beijing := nodes[0], nodes[1]
	ctx := context.Background()
	sendAll(t, seoul, line, "one", "two", "three")
	sendAll(t, beijing, line, "一", "二")
	waitSynced(t, line, seoul, beijing)
	before := snap(t, seoul, line, beijing.Me())

	filler := fill(t, mnt)
	// The database may still have room in pages it already holds: write
	// until it has none. Large messages get there fast.
	big := strings.Repeat("가", 20000) // 60 kB of text
	var full error
	var accepted []string
	for i := range 100 {
		id, err := seoul.Send(ctx, node.SendRequest{Line: line, Text: fmt.Sprintf("%d %s", i, big)})
		if err != nil {
			full = err
			break
		}
		accepted = append(accepted, id)
	}
	if full == nil {
		t.Fatal("100 large messages written to a full disk")
	}
	t.Logf("send on a full disk (after %d more were accepted): %v", len(accepted), full)
	if !errors.Is(full, store.ErrDiskFull) {
		t.Fatalf("send on a full disk: %v, want ErrDiskFull", full)
	}
	// Nothing was half written: the log holds exactly the accepted messages.
	if got, want := held(t, seoul, line, seoul.Me()), before.size+uint64(len(accepted)); got != want {
		t.Fatalf("seoul's log holds %d entries, want %d", got, want)
	}
	// Sending keeps failing cleanly while the disk is full.
	if id, err := seoul.Send(ctx, node.SendRequest{Line: line, Text: "small"}); err == nil {
		// A small message may fit in a page freed by the rollback.
		accepted = append(accepted, id)
	} else if !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("second send on a full disk: %v", err)
	}
	// Beijing talks to a full node: its words wait on Beijing's side.
	late := sendAll(t, beijing, line, "四")

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	more := sendAll(t, seoul, line, "after the disk was freed", "and again")
	waitSynced(t, line, seoul, beijing)

	// Everything accepted is there, once, on both sides.
	now := snap(t, seoul, line, beijing.Me())
	contains(t, "seoul's outbox", now.outbox, before.outbox)
	contains(t, "seoul's inbox", now.inbox, before.inbox)
	for _, id := range append(accepted, more...) {
		if _, ok := now.outbox[id]; !ok {
			t.Fatalf("accepted message %s is missing from seoul's outbox", id)
		}
	}
	if _, ok := now.inbox[late[0]]; !ok {
		t.Fatalf("beijing's message %s sent while seoul was full never arrived", late[0])
	}
	theirs := inbox(t, beijing, line)
	if !maps.Equal(theirs, now.outbox) {
		t.Fatalf("beijing received %d messages, seoul sent %d", len(theirs), len(now.outbox))
	}
	if got := now.size; got != uint64(1+len(now.outbox)) {
		t.Fatalf("seoul's log has %d entries for %d messages and a charter", got, len(now.outbox))
	}

	// And on disk: a fresh open rebuilds the same log.
	if err := seoul.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := node.Open(seoulDir, node.Options{})
	if err != nil {
		t.Fatalf("reopen after a full disk: %v", err)
	}
	defer again.Close()
	if got := snap(t, again, line, beijing.Me()); !maps.Equal(got.outbox, now.outbox) || !maps.Equal(got.inbox, now.inbox) || got.size != now.size {
		t.Fatalf("reopened node differs: %d/%d messages, size %d, want %d/%d, %d",
			len(got.outbox), len(got.inbox), got.size, len(now.outbox), len(now.inbox), now.size)
	}
}

// TestInitOnFullDisk: init on a full disk fails with ErrDiskFull and leaves
// nothing behind that would block a retry once space is freed.
func TestInitOnFullDisk(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "disk")
	mountTmpfs(t, mnt, 1<<20)
	filler := fill(t, mnt)
	dir := filepath.Join(mnt, "seoul")
	cfg := node.Config{Party: "seoul", Name: "Seoul", Langs: []string{"ko"}, Listen: "127.0.0.1:1"}
	err := node.Init(dir, cfg)
	t.Logf("init on a full disk: %v", err)
	if !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("init on a full disk: %v, want ErrDiskFull", err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := node.Init(dir, cfg); err != nil {
		t.Fatalf("init again once the disk has room: %v", err)
	}
	n, err := node.Open(dir, node.Options{})
	if err != nil {
		t.Fatalf("open after init: %v", err)
	}
	n.Close()
}
