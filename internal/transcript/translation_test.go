package transcript_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/transcript"
)

// translatedPair has Seoul send in Korean with its own English
// translation, and a named Beijing officer translate it into Chinese; it
// waits until both logs are delivered and cosigned.
func translatedPair(t *testing.T) (nodes []*node.Node, line, id, zh string) {
	t.Helper()
	ctx := context.Background()
	nodes, line = pair(t)
	seoul, beijing := nodes[0], nodes[1]
	id, err := seoul.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Immediate, Lang: "ko", Text: "미사일 발사 탐지",
		Officer: "Kim Min-jun", Translations: []node.AttachedTranslation{{Lang: "en", Text: "Missile launch detected", Officer: "Kim Min-jun"}}})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 30*time.Second, "beijing to hold the message", func() bool {
		_, err := beijing.Message(line, id)
		return err == nil
	})
	if zh, err = beijing.Translate(ctx, node.TranslateRequest{Line: line, Message: id, Lang: "zh", Text: "检测到导弹发射", Officer: "Li Wei"}); err != nil {
		t.Fatal(err)
	}
	settle(t, nodes, line)
	return nodes, line, id, zh
}

// TestTranscriptShowsTranslations: the transcript of either side, once
// verified, shows the original and beside it each translation with who
// made it.
func TestTranscriptShowsTranslations(t *testing.T) {
	nodes, line, id, zh := translatedPair(t)
	for _, n := range nodes {
		tr, err := transcript.Export(n.Store, n.Keys, line, true, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		rep, err := transcript.VerifyTranscript(tr)
		if err != nil {
			t.Fatalf("%s's transcript: %v", n.Me(), err)
		}
		var m *transcript.MessageReport
		for i := range rep.Messages {
			if rep.Messages[i].ID == id {
				m = &rep.Messages[i]
			}
		}
		if m == nil || m.Text != "미사일 발사 탐지" || len(m.Translations) != 2 {
			t.Fatalf("%s's transcript: %+v", n.Me(), m)
		}
		var b bytes.Buffer
		rep.WriteText(&b)
		out := b.String()
		for _, want := range []string{"text (ko): 미사일 발사 탐지",
			"translation (zh) " + zh + ", translated by officer Li Wei of beijing: 检测到导弹发射",
			"translation (en) ", "translated by officer Kim Min-jun of seoul: Missile launch detected"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s's report lacks %q:\n%s", n.Me(), want, out)
			}
		}
		// The original comes first: the translations are beside it, not
		// in its place.
		if strings.Index(out, "미사일 발사 탐지") > strings.Index(out, "检测到导弹发射") {
			t.Errorf("a translation comes before its original:\n%s", out)
		}
	}
}

// TestDisclosureWithTranslations: a disclosure holds translations only
// when asked, the sender's own among them, and a verifier refuses one
// that is not of the disclosed message or comes without its text.
func TestDisclosureWithTranslations(t *testing.T) {
	nodes, line, id, zh := translatedPair(t)
	seoul := nodes[0]
	plain, err := transcript.Disclose(seoul.Store, seoul.Keys, line, id, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, mk := range plain.Marks {
		if strings.Contains(string(mk.Body), "Li Wei") || bytes.Contains(mk.Body, []byte("检测到导弹发射")) {
			t.Errorf("a disclosure without translations holds one: %s", mk.Body)
		}
	}
	d, err := transcript.DiscloseWith(seoul.Store, seoul.Keys, line, id, transcript.DiscloseOptions{Translations: true})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := transcript.VerifyDisclosure(d)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]transcript.TranslationReport{}
	for _, tr := range rep.Messages[0].Translations {
		got[tr.Lang] = tr
	}
	if got["zh"].ID != zh || got["zh"].Officer != "Li Wei" || got["en"].Author != "seoul" || len(got) != 2 {
		t.Errorf("disclosed translations: %+v", got)
	}
	if s := rep.TextsSummary(); !strings.Contains(s, zh+" (zh)") {
		t.Errorf("summary: %s", s)
	}

	// A translation without its body names no original.
	i := translationMark(t, d, zh)
	stripped := *d
	stripped.Marks = append([]transcript.Proven(nil), d.Marks...)
	stripped.Marks[i].Body, stripped.Marks[i].Salt = nil, nil
	if _, err := transcript.VerifyDisclosure(&stripped); !errors.Is(err, transcript.ErrBody) {
		t.Errorf("a translation without its text: %v", err)
	}
}

// translationMark returns the index of translation id among d's marks.
func translationMark(t *testing.T, d *transcript.Disclosure, id string) int {
	t.Helper()
	for i, mk := range d.Marks {
		if entry.ID(mk.Author, mk.Index) == id {
			return i
		}
	}
	t.Fatalf("no mark %s", id)
	return 0
}

// TestDisclosureRefusesAnotherMessagesTranslation: a translation proven
// under the right checkpoints but of another message does not pass as a
// translation of the disclosed one.
func TestDisclosureRefusesAnotherMessagesTranslation(t *testing.T) {
	nodes, line, id, _ := translatedPair(t)
	seoul := nodes[0]
	other, err := seoul.Send(context.Background(), node.SendRequest{Line: line, Lang: "ko", Text: "훈련 취소",
		Translations: []node.AttachedTranslation{{Lang: "zh", Text: "演习取消", Officer: "Kim Min-jun"}}})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, nodes, line)
	od, err := transcript.DiscloseWith(seoul.Store, seoul.Keys, line, other, transcript.DiscloseOptions{Translations: true})
	if err != nil {
		t.Fatal(err)
	}
	d, err := transcript.DiscloseWith(seoul.Store, seoul.Keys, line, id, transcript.DiscloseOptions{Translations: true})
	if err != nil {
		t.Fatal(err)
	}
	_, index, _ := entry.ParseID(other)
	d.Marks = append(d.Marks, od.Marks[translationMark(t, od, entry.ID("seoul", index+1))])
	if _, err := transcript.VerifyDisclosure(d); !errors.Is(err, transcript.ErrPlacement) {
		t.Errorf("another message's translation: %v", err)
	}
}
