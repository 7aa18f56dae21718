package twoperson_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/twoperson"
)

// desk is Seoul's desk on a Seoul–Beijing line whose charter puts FLASH
// under two-person release, with officers of every role.
type desk struct {
	*twoperson.Desk
	n    *node.Node
	off  *officer.Store
	line string
}

func newDesk(t *testing.T) *desk {
	t.Helper()
	dirs := nodetest.Dirs(t)
	nodes, line := nodetest.PairWith(t, dirs, node.Options{}, func(c *charter.Charter) {
		c.TwoPerson = []entry.Precedence{entry.Flash}
	})
	off, err := officer.Open(filepath.Join(dirs[0], officer.File), officer.Config{Params: officer.Params{Time: 1, Memory: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { off.Close() })
	for name, role := range map[string]officer.Role{"Kim": officer.Admin, "KIM": officer.Releaser, "Park": officer.Releaser,
		"Lee": officer.Admin, "Choi": officer.Watch} {
		if err := off.Add(context.Background(), name, role, "a long enough password"); err != nil {
			t.Fatal(err)
		}
	}
	return &desk{Desk: twoperson.Open(context.Background(), nodes[0], off, nil), n: nodes[0], off: off, line: line}
}

func (d *desk) save(t *testing.T, text string) *officer.Draft {
	t.Helper()
	dr, err := d.Save(context.Background(), officer.Draft{Line: d.line, Precedence: "FLASH", Lang: "ko", Text: text, Drafter: "Kim"})
	if err != nil {
		t.Fatal(err)
	}
	return dr
}

// outbox returns Seoul's messages.
func (d *desk) outbox(t *testing.T) []node.Message {
	t.Helper()
	msgs, err := d.n.Messages(d.line, true, 100)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// TestReleaseOnce: the drafter cannot release its own draft, under any
// spelling of its name or role; an officer whose role does not release
// cannot either; of many releasers at once exactly one releases it, and
// the node writes one message with both names.
func TestReleaseOnce(t *testing.T) {
	ctx := context.Background()
	d := newDesk(t)
	dr := d.save(t, "미사일 발사 탐지")
	changed := d.Changed()

	for _, who := range []string{"Kim", "KIM"} {
		if _, err := d.Release(ctx, d.line, dr.ID, who); !errors.Is(err, officer.ErrOwnDraft) {
			t.Fatalf("release by %q, the drafter's name: %v", who, err)
		}
	}
	if _, err := d.Release(ctx, d.line, dr.ID, "Choi"); !errors.Is(err, twoperson.ErrNotReleaser) {
		t.Fatalf("release by a watch officer: %v", err)
	}
	if _, err := d.Release(ctx, d.line, dr.ID, "Nobody"); !errors.Is(err, officer.ErrNoOfficer) {
		t.Fatalf("release by no account: %v", err)
	}
	if _, err := d.Release(ctx, d.line, dr.ID+1, "Park"); !errors.Is(err, officer.ErrNoDraft) {
		t.Fatalf("release of no draft: %v", err)
	}
	if len(d.outbox(t)) != 0 {
		t.Fatal("a refused release wrote a message")
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []*twoperson.Released
	for i := range 20 {
		wg.Go(func() {
			rel, err := d.Release(ctx, d.line, dr.ID, []string{"Park", "Lee"}[i%2])
			var de *twoperson.DecidedError
			switch {
			case err == nil:
				mu.Lock()
				won = append(won, rel)
				mu.Unlock()
			case errors.As(err, &de) && errors.Is(err, officer.ErrDecided):
			default:
				t.Errorf("concurrent release: %v", err)
			}
		})
	}
	wg.Wait()
	if len(won) != 1 {
		t.Fatalf("%d releases succeeded, want exactly 1", len(won))
	}
	rel := won[0]
	out := d.outbox(t)
	if len(out) != 1 || out[0].ID != rel.Message || out[0].Officer != "Kim" || out[0].ReleasedBy != rel.Draft.DecidedBy ||
		out[0].Precedence != entry.Flash {
		t.Fatalf("outbox after the release: %+v, released %+v", out, rel)
	}
	if rel.Draft.State != officer.DraftReleased || rel.Draft.Message != rel.Message {
		t.Fatalf("released draft: %+v", rel.Draft)
	}
	select {
	case <-changed:
	default:
		t.Fatal("releasing did not signal a change")
	}
	// Decided: neither a second release nor a rejection.
	if _, err := d.Release(ctx, d.line, dr.ID, "Park"); !errors.Is(err, officer.ErrDecided) {
		t.Fatalf("second release: %v", err)
	}
	if _, err := d.Reject(ctx, d.line, dr.ID, "Park", "too late"); !errors.Is(err, officer.ErrDecided) {
		t.Fatalf("rejecting a released draft: %v", err)
	}
	acts, _ := d.off.Acts(ctx, 10)
	if len(acts) < 2 || acts[0].Act != "release" || acts[0].Message != rel.Message || acts[1].Act != "draft" {
		t.Fatalf("acts: %+v", acts)
	}
}

// TestReject: a rejected draft is never sent; the drafter may withdraw its
// own draft when its role releases.
func TestReject(t *testing.T) {
	ctx := context.Background()
	d := newDesk(t)
	a, b := d.save(t, "first"), d.save(t, "second")
	if _, err := d.Reject(ctx, d.line, a.ID, "Choi", "no"); !errors.Is(err, twoperson.ErrNotReleaser) {
		t.Fatalf("rejection by a watch officer: %v", err)
	}
	got, err := d.Reject(ctx, d.line, a.ID, "Park", "wrong coordinates")
	if err != nil || got.State != officer.DraftRejected || got.Reason != "wrong coordinates" || got.DecidedBy != "Park" {
		t.Fatalf("reject: %+v %v", got, err)
	}
	if _, err := d.Release(ctx, d.line, a.ID, "Lee"); !errors.Is(err, officer.ErrDecided) {
		t.Fatalf("releasing a rejected draft: %v", err)
	}
	if got, err := d.Reject(ctx, d.line, b.ID, "Kim", "withdrawn"); err != nil || got.DecidedBy != "Kim" {
		t.Fatalf("the drafter withdraws: %+v %v", got, err)
	}
	if len(d.outbox(t)) != 0 {
		t.Fatal("a rejected draft was sent")
	}
}

// TestSettle: a release a crash interrupted (the draft left in releasing)
// is settled when the next desk opens: released if the node wrote the
// message, pending again if not.
func TestSettle(t *testing.T) {
	ctx := context.Background()
	d := newDesk(t)
	written, lost := d.save(t, "written before the crash"), d.save(t, "lost in the crash")
	for _, dr := range []*officer.Draft{written, lost} {
		if _, err := d.off.ClaimRelease(ctx, d.line, dr.ID, "Park"); err != nil {
			t.Fatal(err)
		}
	}
	msg, err := d.n.Send(ctx, node.SendRequest{Line: d.line, Precedence: entry.Flash, Lang: "ko", Text: written.Text,
		Officer: "Kim", ReleasedBy: "Park"})
	if err != nil {
		t.Fatal(err)
	}

	twoperson.Open(ctx, d.n, d.off, nil)
	if got, _ := d.off.Draft(ctx, d.line, written.ID); got.State != officer.DraftReleased || got.Message != msg {
		t.Fatalf("the written draft after settling: %+v", got)
	}
	if got, _ := d.off.Draft(ctx, d.line, lost.ID); got.State != officer.DraftPending || got.DecidedBy != "" {
		t.Fatalf("the lost draft after settling: %+v", got)
	}
	if rel, err := d.Release(ctx, d.line, lost.ID, "Lee"); err != nil || rel.Draft.DecidedBy != "Lee" {
		t.Fatalf("releasing the settled draft: %+v %v", rel, err)
	}
}
