package vectors

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/transcript"
)

// joinAndLeave adds tokyo to the line (seoul proposes its card, beijing
// accepts), has tokyo open the line from its invitation and send a
// message, then removes it (beijing proposes, seoul accepts), and exports
// seoul's transcript: the base of the party vectors (protocol §33). It
// adds the proposal and the invitation to doc.
func joinAndLeave(r *run, settle func(), doc *Document) error {
	ctx := context.Background()
	// Three nodes' links run in an order the bubble does not fix: a
	// receipt may be stored (with the next commit, or a moment later)
	// before or after a step, and a link that failed to reach tokyo
	// before it joined retries after a random rest. Inside the bubble,
	// time passes only when every goroutine waits: half a minute of it
	// ends every rest and puts every receipt on disk before the next
	// step, the same in every run.
	settle = func(wait func()) func() {
		return func() {
			wait()
			time.Sleep(30 * time.Second)
			wait()
		}
	}(settle)
	d := filepath.Join(r.dir, "tokyo")
	if err := node.Init(d, node.Config{Party: "tokyo", Name: "Ministry of Defense, Tokyo", Langs: []string{"ja"}, Listen: "127.0.0.1:1"}); err != nil {
		return err
	}
	// Tokyo's key comes from a fixed seed too: 32 bytes of 0x03.
	if err := replaceSeed(d, 3); err != nil {
		return err
	}
	tokyo, err := node.Open(d, node.Options{})
	if err != nil {
		return err
	}
	r.tokyo = tokyo
	_, card, err := tokyo.Card()
	if err != nil {
		return err
	}
	add, err := r.seoul.Amend(ctx, node.AmendRequest{Line: r.line, Act: entry.AmendPropose, Officer: "Gen. Kim",
		Reason: "a trilateral line, by note 7", Changes: &entry.Changes{AddParty: card}})
	if err != nil {
		return err
	}
	settle()
	if _, err := r.beijing.Amend(ctx, node.AmendRequest{Line: r.line, Act: entry.AmendAccept, Proposal: add, Officer: "Wang Lei"}); err != nil {
		return err
	}
	settle()
	inv, err := r.seoul.Invite(r.line, "tokyo")
	if err != nil {
		return err
	}
	if err := tokyo.Join(ctx, inv); err != nil {
		return err
	}
	r.net.Add(tokyo)
	tokyo.Start(r.net.Route("tokyo"))
	settle()
	if _, err := tokyo.Send(ctx, node.SendRequest{Line: r.line, Text: "Tokyo on the line."}); err != nil {
		return err
	}
	settle()
	remove, err := r.beijing.Amend(ctx, node.AmendRequest{Line: r.line, Act: entry.AmendPropose, Officer: "Wang Lei",
		Reason: "tokyo withdrew, by note 9", Changes: &entry.Changes{RemoveParty: "tokyo"}})
	if err != nil {
		return err
	}
	settle()
	if _, err := r.seoul.Amend(ctx, node.AmendRequest{Line: r.line, Act: entry.AmendAccept, Proposal: remove, Officer: "Gen. Kim"}); err != nil {
		return err
	}
	settle()
	c, err := r.seoul.Rules(r.line)
	if err != nil {
		return err
	}
	if got := strings.Join(c.Slugs(), ","); got != "seoul,beijing" {
		return fmt.Errorf("tokyo's removal did not settle: parties in force %s", got)
	}
	if r.joined, err = transcript.Export(r.seoul.Store, r.seoul.SigningKeys(), r.line, true, time.Now()); err != nil {
		return err
	}
	_, i, _ := entry.ParseID(add)
	prop, err := r.seoul.Store.Entry(r.line, "seoul", i)
	if err != nil {
		return err
	}
	invJSON, _ := json.MarshalIndent(inv, "", "  ")
	var b bytes.Buffer
	b.WriteString("\n## Parties joining and leaving (§33)\n\n")
	fmt.Fprintf(&b, "Tokyo (seed of 32 bytes of 0x03) joins the line after seoul's key rotation, writes `Tokyo on the line.`, and is removed by `%s`. "+
		"The body of `%s`, seoul's proposal to add tokyo (kind amendment, in an open envelope: `add_party` is tokyo's signed card), "+
		"and the invitation seoul wrote for tokyo once the addition was in force (`hotline line invite`). "+
		"Seoul's transcript at the end is `%s/parties-ok.json`, the base of the `party-*` tamper vectors.\n\n", remove, add, TamperDir)
	doc.file(&b, "party-added.json", append(prop.Body, '\n'))
	doc.file(&b, "invitation.json", append(invJSON, '\n'))
	doc.Markdown = append(doc.Markdown, b.Bytes()...)
	return nil
}

// replaceSeed gives the node in dir the fixed seed of 32 bytes of b.
func replaceSeed(dir string, b byte) error {
	key := filepath.Join(dir, node.KeyFile)
	if err := os.Remove(key); err != nil {
		return err
	}
	return identity.WriteSeed(key, bytes.Repeat([]byte{b}, identity.SeedSize))
}

// partyCases tamper with the joining and the leaving in seoul's
// transcript: neither can be altered or hidden.
func partyCases() []tcase {
	return []tcase{
		// The card in seoul's proposal, changed: the commitment no longer
		// matches, so the party it would admit admits no one.
		{"party-added-card", "ErrBody", func(t *transcript.Transcript) error {
			for j := range t.Logs[0].Entries {
				e := &t.Logs[0].Entries[j]
				var a entry.Amendment
				if !strings.Contains(e.Leaf, "\nkind amendment\n") || json.Unmarshal(e.Body, &a) != nil || a.Changes == nil || a.Changes.AddParty == nil {
					continue
				}
				a.Changes.AddParty = bytes.Replace(a.Changes.AddParty, []byte("Tokyo"), []byte("Tokyp"), 1)
				e.Body = a.Marshal()
				return nil
			}
			return fmt.Errorf("no proposal adding a party in seoul's log")
		}},
		// Seoul's acceptance of the removal, its last entry, cut.
		{"party-removal-dropped", "ErrRoot", func(t *transcript.Transcript) error {
			es := t.Logs[0].Entries
			if !strings.Contains(es[len(es)-1].Leaf, "\nkind amendment\n") {
				return fmt.Errorf("seoul's last entry is not its acceptance of the removal")
			}
			t.Logs[0].Entries = es[:len(es)-1]
			return nil
		}},
	}
}
