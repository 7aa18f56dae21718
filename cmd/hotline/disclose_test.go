package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/transcript"
)

// TestDiscloseSaysWhichTexts: hotline disclose and hotline verify say
// which texts a disclosure holds: the message's alone, or with
// --with-reply its reply's too.
func TestDiscloseSaysWhichTexts(t *testing.T) {
	dirs, nodes, line, id := sentToBeijing(t, "훈련 취소")
	seoul, beijing := nodes[0], nodes[1]
	reply, err := beijing.Send(context.Background(), node.SendRequest{Line: line, Text: "收到", ReplyTo: id})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 30*time.Second, "a receipt of the reply", func() bool {
		d, err := transcript.Disclose(seoul.Store, seoul.Keys, line, id, false)
		return err == nil && len(d.Marks) == 1
	})

	out := filepath.Join(t.TempDir(), "d.json")
	for _, c := range []struct {
		flags []string
		say   []string
	}{
		{nil, []string{"holds the text of " + id + " and of no other message", reply + " is proven by its entry alone"}},
		{[]string{"--with-reply"}, []string{"holds the texts of " + id + " and " + reply + " and of no other message"}},
	} {
		args := append([]string{"disclose", "--dir", dirs[0], "--message", id, "--out", out}, c.flags...)
		code, _, stderr := hotlineOut(t, args...)
		for _, s := range c.say {
			if code != 0 || !strings.Contains(stderr, s) {
				t.Errorf("%v: %d, want %q in\n%s", c.flags, code, s, stderr)
			}
		}
		code, stdout, stderr := hotlineOut(t, "verify", out)
		for _, s := range c.say {
			if code != 0 || !strings.Contains(stdout, s) {
				t.Errorf("verify after %v: %d, want %q in\n%s%s", c.flags, code, s, stdout, stderr)
			}
		}
	}
}
