package node_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
)

// TestTranslationBesideOriginal: Seoul sends in Korean with its own
// official English translation, written in the same commit; a named
// Beijing officer translates it into Chinese. Both nodes show the
// original with both translations and who made each.
func TestTranslationBesideOriginal(t *testing.T) {
	ctx := context.Background()
	nodes, line := startedPair(t, nil, nil)
	seoul, beijing := nodes[0], nodes[1]
	id, err := seoul.Send(ctx, node.SendRequest{Line: line, Lang: "ko", Text: "미사일 발사 탐지", Officer: "Kim Min-jun",
		Translations: []node.AttachedTranslation{{Lang: "en", Text: "Missile launch detected", Officer: "Kim Min-jun"}}})
	if err != nil {
		t.Fatal(err)
	}
	// The translation is the entry right after the message: one commit.
	_, index, _ := entry.ParseID(id)
	if e, err := seoul.Store.Entry(line, "seoul", index+1); err != nil || e.Kind != entry.KindTranslation || e.Ref != id {
		t.Fatalf("entry after the message: %+v, %v", e, err)
	}
	nodetest.Wait(t, 30*time.Second, "Beijing to hold the message", func() bool {
		_, err := beijing.Message(line, id)
		return err == nil
	})
	tr, err := beijing.Translate(ctx, node.TranslateRequest{Line: line, Message: id, Lang: "zh", Text: "检测到导弹发射", Officer: "Li Wei"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		nodetest.Wait(t, 30*time.Second, n.Me()+" to show both translations", func() bool {
			m, err := n.Message(line, id)
			return err == nil && len(m.Translations) == 2
		})
		m, _ := n.Message(line, id)
		if m.Lang != "ko" || m.Text != "미사일 발사 탐지" {
			t.Errorf("%s: the original is %s %q", n.Me(), m.Lang, m.Text)
		}
		got := map[string]node.TranslationView{}
		for _, v := range m.Translations {
			got[v.Lang] = v
		}
		if v := got["en"]; v.Author != "seoul" || v.Officer != "Kim Min-jun" || v.Machine || v.Text != "Missile launch detected" {
			t.Errorf("%s: the sender's translation: %+v", n.Me(), v)
		}
		if v := got["zh"]; v.ID != tr || v.Author != "beijing" || v.Officer != "Li Wei" || v.Text != "检测到导弹发射" || v.Written.IsZero() {
			t.Errorf("%s: Beijing's translation: %+v", n.Me(), v)
		}
		// A translation is no rung of the ladder.
		if s := m.Ladder[0].State; s != "delivered" && s != "sent" && s != "queued" {
			t.Errorf("%s: ladder state %s", n.Me(), s)
		}
	}
}

// TestTranslateRefuses: what a translation must name and say.
func TestTranslateRefuses(t *testing.T) {
	ctx := context.Background()
	nodes, line := startedPair(t, nil, nil)
	seoul := nodes[0]
	id, err := seoul.Send(ctx, node.SendRequest{Line: line, Lang: "ko", Text: "훈련 일정"})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := seoul.Status(line)
	for _, tc := range []struct {
		name string
		req  node.TranslateRequest
		want string
	}{
		{"no such message", node.TranslateRequest{Message: "beijing-40", Lang: "zh", Text: "x", Officer: "Kim"}, "no such message"},
		{"not a message", node.TranslateRequest{Message: "seoul-0", Lang: "zh", Text: "x", Officer: "Kim"}, "no such message"},
		{"its own language", node.TranslateRequest{Message: id, Lang: "ko", Text: "x", Officer: "Kim"}, "already"},
		{"no translator", node.TranslateRequest{Message: id, Lang: "zh", Text: "x"}, "translator"},
		{"no tag", node.TranslateRequest{Message: id, Lang: "chinese!", Text: "x", Officer: "Kim"}, "BCP 47"},
	} {
		tc.req.Line = line
		if _, err := seoul.Translate(ctx, tc.req); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	_, err = seoul.Send(ctx, node.SendRequest{Line: line, Lang: "ko", Text: "x",
		Translations: []node.AttachedTranslation{{Lang: "ko", Text: "x", Officer: "Kim"}}})
	if err == nil {
		t.Error("a message was sent with a translation into its own language")
	}
	_, err = seoul.Send(ctx, node.SendRequest{Line: line, Lang: "ko", Text: "x",
		Translations: []node.AttachedTranslation{{Lang: "zh", Text: "x"}}})
	if err == nil {
		t.Error("a message was sent with a translation that names no translator")
	}
	if after, _ := seoul.Status(line); after.Parties[0].LogSize != before.Parties[0].LogSize {
		t.Errorf("refusals wrote: log %d, was %d", after.Parties[0].LogSize, before.Parties[0].LogSize)
	}
	if _, err := seoul.Translate(ctx, node.TranslateRequest{Line: line, Message: "x", Lang: "zh", Text: "x", Officer: "K"}); err == nil || errors.Is(err, node.ErrNoMessage) {
		t.Errorf("a malformed ID: %v", err)
	}
}
