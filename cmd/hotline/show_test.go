package main

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
)

// TestShowMarksDisplayedAfterReading: reading a received message over the
// control socket writes nothing; hotline show prints it and then records
// the display, once.
func TestShowMarksDisplayedAfterReading(t *testing.T) {
	ctx := context.Background()
	dirs, nodes, line, id := sentToBeijing(t, "미사일 발사 탐지")
	beijing := nodes[1]
	l, err := net.Listen("unix", filepath.Join(dirs[1], node.SocketFile))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: control.Handler(control.Local{N: beijing})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	logSize := func() uint64 {
		st, err := beijing.Status(line)
		if err != nil {
			t.Fatal(err)
		}
		return st.Parties[1].LogSize
	}
	before := logSize()

	c, err := control.Dial(dirs[1])
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if m, err := c.Show(ctx, line, id); err != nil || !m.Ladder[0].Displayed.IsZero() || logSize() != before {
			t.Fatalf("reading wrote: %v, ladder %+v, log %d entries, was %d", err, m.Ladder, logSize(), before)
		}
	}
	for range 2 {
		code, stdout, stderr := hotlineOut(t, "show", "--dir", dirs[1], id)
		if code != 0 || !strings.Contains(stdout, "미사일 발사 탐지") {
			t.Fatalf("show: %d\n%s%s", code, stdout, stderr)
		}
		if m, _ := beijing.Message(line, id); m.Ladder[0].Displayed.IsZero() || logSize() != before+1 {
			t.Fatalf("after show: ladder %+v, log %d entries, was %d", m.Ladder, logSize(), before)
		}
	}
}

// sentToBeijing pairs Seoul and Beijing in this process, over an in-memory
// route, and sends a FLASH from Seoul that Beijing holds on return.
func sentToBeijing(t *testing.T, text string) (dirs []string, nodes []*node.Node, line, id string) {
	t.Helper()
	dirs = nodetest.Dirs(t)
	nodes, line = nodetest.Pair(t, dirs, node.Options{})
	nodetest.Connect(nodes...)
	id, err := nodes[0].Send(context.Background(), node.SendRequest{Line: line, Precedence: entry.Flash, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 30*time.Second, "Beijing to receive it", func() bool {
		_, err := nodes[1].Message(line, id)
		return err == nil
	})
	return dirs, nodes, line, id
}
