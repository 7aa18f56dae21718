package transcript_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/transcript"
)

// TestRollCallAndOfficersInTranscript exports a line with a roll-call
// answer and a message released by a second officer: both verify and the
// report names the officers.
func TestRollCallAndOfficersInTranscript(t *testing.T) {
	dirs := nodetest.Dirs(t)
	nodes, line := nodetest.PairWith(t, dirs, node.Options{}, func(c *charter.Charter) {
		c.RollCall = &charter.RollCallRule{Every: charter.Duration(4 * time.Hour), Answer: charter.Duration(15 * time.Minute)}
		c.TwoPerson = []entry.Precedence{entry.Flash}
	})
	nodetest.Connect(nodes...)
	seoul, beijing := nodes[0], nodes[1]
	ctx := context.Background()
	v, err := seoul.AnswerRollCall(ctx, line, "Kim Min-jun")
	if err != nil {
		t.Fatal(err)
	}
	id, err := beijing.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash, Text: "收到", Officer: "Wang Lei", ReleasedBy: "Zhao Min"})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, nodes, line)

	for _, n := range nodes {
		tr, err := transcript.Export(n.Store, n.Keys, line, true, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		rep, err := transcript.Verify(transcript.Marshal(tr))
		if err != nil {
			t.Fatalf("export of %s does not verify: %v", n.Me(), err)
		}
		if len(rep.RollCalls) != 1 {
			t.Fatalf("export of %s reports roll-calls %+v", n.Me(), rep.RollCalls)
		}
		r := rep.RollCalls[0]
		if r.Author != "seoul" || !r.Readable || r.Officer != "Kim Min-jun" || !r.Slot.Equal(v.Slot) || !r.Written.Equal(v.Last) {
			t.Fatalf("roll-call report %+v, view %+v", r, v)
		}
		var m *transcript.MessageReport
		for i := range rep.Messages {
			if rep.Messages[i].ID == id {
				m = &rep.Messages[i]
			}
		}
		if m == nil || m.Officer != "Wang Lei" || m.ReleasedBy != "Zhao Min" {
			t.Fatalf("message report %+v", m)
		}
		var text bytes.Buffer
		rep.WriteText(&text)
		for _, want := range []string{"roll-call answered by Kim Min-jun at seoul", "written by officer Wang Lei, released by Zhao Min"} {
			if !strings.Contains(text.String(), want) {
				t.Errorf("report of %s lacks %q:\n%s", n.Me(), want, text.String())
			}
		}
	}

	// Without plaintext the answer is still proven, its officer is not shown.
	tr, err := transcript.Export(seoul.Store, seoul.Keys, line, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := transcript.Verify(transcript.Marshal(tr))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.RollCalls) != 1 || rep.RollCalls[0].Readable || rep.RollCalls[0].Officer != "" {
		t.Fatalf("roll-calls without plaintext: %+v", rep.RollCalls)
	}
}
