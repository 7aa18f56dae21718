package vectors

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/transcript"
)

// rotate has seoul replace its signing keys (only: statements of the first
// form, which these vectors keep) after the exchange and send one more
// message under the new ones, then exports seoul's transcript: the base of
// the rotation vectors (protocol §32).
func rotate(r *run, settle func()) error {
	r.retired = r.seoul.SigningKeys()
	var err error
	r.rotated, err = rotateAndSend(r, settle, node.RotateOptions{SigningOnly: true}, "Third message, under the new keys.")
	r.next = r.seoul.SigningKeys()
	return err
}

// rotateAll has seoul replace every key, its HPKE and TLS keys too, at the
// end of the run (so that every other vector keeps its bytes), and send a
// message sealed after it.
func rotateAll(r *run, settle func()) (*transcript.Transcript, error) {
	return rotateAndSend(r, settle, node.RotateOptions{}, "A message after a rotation of every key.")
}

// rotateAndSend has seoul rotate as opts say and send text under the new
// keys, and exports seoul's transcript once beijing holds all of it.
func rotateAndSend(r *run, settle func(), opts node.RotateOptions, text string) (*transcript.Transcript, error) {
	ctx := context.Background()
	if _, err := r.seoul.RotateKeys(ctx, opts); err != nil {
		return nil, err
	}
	settle()
	if _, err := r.seoul.Send(ctx, node.SendRequest{Line: r.line, Text: text}); err != nil {
		return nil, err
	}
	settle()
	own, err := r.seoul.Status(r.line)
	if err != nil {
		return nil, err
	}
	for _, p := range own.Parties {
		if a, _ := r.seoul.Receipt(r.line, "beijing"); p.Party == "seoul" && a != p.LogSize {
			return nil, fmt.Errorf("the rotation did not settle: beijing holds %d of seoul's log, want %d", a, p.LogSize)
		}
	}
	return transcript.Export(r.seoul.Store, r.seoul.SigningKeys(), r.line, true, time.Now())
}

// rotationCases tamper with the key entry of seoul's log, or sign past it
// with the key it retired.
func rotationCases(r *run) []tcase {
	stranger, _ := identity.Derive("seoul", []byte(strings.Repeat("\x02", identity.SeedSize)))
	return []tcase{
		// Someone without the old key names a key of theirs: the entry
		// and the checkpoints after it are theirs to make, the old key's
		// signature is not.
		{"rotation-not-signed-by-old-key", "ErrRotation", resignKeyEntry(stranger.LogSigner, r.next.LogSigner)},
		{"rotation-without-new-key", "ErrNewKey", resignKeyEntry(r.retired.LogSigner)},
		// A statement that names an HPKE key of the wrong size, signed by
		// the old and the new key: peers would seal bodies to nothing.
		{"rotation-hpke-key-malformed", "ErrRotation", restateKeyEntry(func(c *entry.KeyChange) {
			c.HPKEKey, c.TLSKey = make([]byte, 32), r.next.TLSPublicKey()
		}, r.retired.LogSigner, r.next.LogSigner)},
		{"rotation-statement-dropped", "ErrRotation", func(t *transcript.Transcript) error {
			e, err := keyEntry(t)
			if err == nil {
				e.Salt, e.Body = nil, nil
			}
			return err
		}},
		{"rotation-retired-key-checkpoint", "ErrRetiredKey", func(t *transcript.Transcript) error {
			cp := t.Logs[0].Checkpoint
			b, err := note.Sign(&note.Note{Text: cp[:strings.Index(cp, "\n\n")+1]}, r.retired.LogSigner)
			t.Logs[0].Checkpoint = string(b)
			return err
		}},
	}
}

// keyEntry is the key entry of seoul's log.
func keyEntry(t *transcript.Transcript) (*transcript.Entry, error) {
	for i := range t.Logs[0].Entries {
		if e := &t.Logs[0].Entries[i]; strings.Contains(e.Leaf, "\nkind key\n") {
			return e, nil
		}
	}
	return nil, fmt.Errorf("no key entry in seoul's log")
}

// resignKeyEntry signs the key statement anew by signers and commits the
// leaf to the new body, as the maker of a false rotation would.
func resignKeyEntry(signers ...note.Signer) func(*transcript.Transcript) error {
	return restateKeyEntry(func(*entry.KeyChange) {}, signers...)
}

// restateKeyEntry changes the key statement by edit, then signs it anew
// as resignKeyEntry does.
func restateKeyEntry(edit func(*entry.KeyChange), signers ...note.Signer) func(*transcript.Transcript) error {
	return func(t *transcript.Transcript) error {
		e, err := keyEntry(t)
		if err != nil {
			return err
		}
		c, err := entry.DecodeKeyChange(e.Body)
		if err != nil {
			return err
		}
		edit(c)
		if e.Body, err = c.Sign(signers...); err != nil {
			return err
		}
		i := strings.Index(e.Leaf, "\nbody ")
		e.Leaf = e.Leaf[:i] + "\nbody " + base64.StdEncoding.EncodeToString(entry.Commit(e.Salt, e.Body)) + "\n"
		return nil
	}
}
