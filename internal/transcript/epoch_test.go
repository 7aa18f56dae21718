package transcript_test

import (
	"context"
	"encoding/base64"
	"slices"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/seal"
	"github.com/hotline-line/hotline/internal/transcript"
)

// TestDisclosureInAnEpoch: three messages sealed in one epoch (envelope
// version 2); the disclosure of the second, by its receiver, holds its text
// and proves it, and holds nothing of the other two: not their texts, not
// their salts, and no part of any envelope (the epoch's encapsulation or a
// ciphertext), so the file gives no hold on the epoch.
func TestDisclosureInAnEpoch(t *testing.T) {
	nodes, line := pair(t)
	seoul, beijing := nodes[0], nodes[1]
	ctx := context.Background()
	texts := []string{"First: exercise at 06:00.", "Second: the exercise is postponed.", "Third: new date follows."}
	var ids []string
	for _, text := range texts {
		id, err := seoul.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Routine, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	nodetest.Wait(t, 30*time.Second, "beijing to hold the three messages", func() bool {
		_, err := beijing.Message(line, ids[2])
		return err == nil
	})
	secrets := map[string][]byte{}
	var epoch uint64
	for i, id := range ids {
		_, index, _ := entry.ParseID(id)
		e, err := beijing.Store.Entry(line, "seoul", index)
		if err != nil {
			t.Fatal(err)
		}
		env, err := seal.Parse(e.Envelope)
		if err != nil || env.Epochs == nil {
			t.Fatalf("%s: not sealed in an epoch: %v", id, err)
		}
		sh := env.Epochs["beijing"]
		if i == 0 {
			epoch = sh.Epoch
		}
		if sh.Epoch != epoch {
			t.Fatalf("%s is in epoch %d, want %d: the test needs one epoch", id, sh.Epoch, epoch)
		}
		secrets[id+"'s ciphertext"] = []byte(base64.StdEncoding.EncodeToString(sh.CT))
		if sh.Enc != nil {
			secrets["the epoch's encapsulation"] = []byte(base64.StdEncoding.EncodeToString(sh.Enc))
		}
		if i != 1 {
			secrets[id+"'s text"] = []byte(texts[i])
			secrets[id+"'s salt"] = []byte(base64.StdEncoding.EncodeToString(e.Salt))
			secrets[id+"'s body"] = []byte(base64.StdEncoding.EncodeToString(e.Body))
		}
	}

	d, err := transcript.Disclose(beijing.Store, beijing.Keys, line, ids[1], false)
	if err != nil {
		t.Fatal(err)
	}
	for _, word := range []string{`"epochs"`, `"enc"`, `"sealed"`} {
		secrets["the envelope field "+word] = []byte(word)
	}
	data := transcript.Marshal(d)
	holdsNone(t, data, secrets)
	rep, err := transcript.Verify(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Messages) != 1 || rep.Messages[0].Text != texts[1] || !slices.Equal(rep.Texts, []string{ids[1]}) {
		t.Fatalf("report: %+v", rep)
	}
}
