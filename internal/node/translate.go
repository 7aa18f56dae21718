package node

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/store"
)

// Translations: each side writes in its own language, and the original
// stays authoritative. A translation is an entry of its own in the
// translator's party's log, naming the original, the target language and
// who made it (a named officer, and whether a machine did the work). Either
// side may translate any message; a sender may attach its official
// translations to a message, written in the same commit.

// TranslateRequest is a translation of a message to write.
type TranslateRequest struct {
	Line    string `json:"line"`
	Message string `json:"message"` // the ID of the original
	Lang    string `json:"lang"`    // the target language, a BCP 47 tag
	Text    string `json:"text"`
	Officer string `json:"officer"` // the translator, or who had a machine translate
	Machine bool   `json:"machine,omitempty"`
}

// AttachedTranslation is a translation a sender writes with its message
// (SendRequest.Translations).
type AttachedTranslation struct {
	Lang    string `json:"lang"`
	Text    string `json:"text"`
	Officer string `json:"officer"`
	Machine bool   `json:"machine,omitempty"`
}

// TranslationView is a translation as people see it, beside its original.
type TranslationView struct {
	ID      string    `json:"id"`
	Author  string    `json:"author"` // the translator's party
	Lang    string    `json:"lang,omitempty"`
	Text    string    `json:"text,omitempty"`
	Officer string    `json:"officer,omitempty"`
	Machine bool      `json:"machine,omitempty"`
	Written time.Time `json:"written"` // the translator's clock
}

// Translate writes a translation of a message on the line, by this party.
func (n *Node) Translate(ctx context.Context, req TranslateRequest) (string, error) {
	ls, err := n.line(req.Line)
	if err != nil {
		return "", err
	}
	if err := n.admit(ls, entry.KindTranslation, "", false); err != nil {
		return "", err
	}
	t := entry.Translation{Message: req.Message, Lang: req.Lang, Text: req.Text, Officer: req.Officer, Machine: req.Machine}
	if err := t.Validate(); err != nil {
		return "", err
	}
	author, index, _ := entry.ParseID(t.Message)
	e, err := n.Store.Entry(ls.id, author, index)
	if errors.Is(err, sql.ErrNoRows) || err == nil && e.Kind != entry.KindMessage {
		return "", fmt.Errorf("%w: %s", ErrNoMessage, t.Message)
	}
	if err != nil {
		return "", err
	}
	if orig := toMessage(e); orig.Lang == t.Lang {
		return "", fmt.Errorf("%s is written in %s already", t.Message, t.Lang)
	}
	d, err := n.translationDraft(ls, &t)
	if err != nil {
		return "", err
	}
	return n.writeOne(ctx, ls, d)
}

// translationDraft seals a translation to every peer.
func (n *Node) translationDraft(ls *lineState, t *entry.Translation) (draft, error) {
	body, _ := json.Marshal(t)
	d, err := n.sealDraft(ls, entry.KindTranslation, body)
	d.ref, d.officer = t.Message, t.Officer
	return d, err
}

// checkAttached checks the translations a sender attaches to a message in
// lang, before the message has an ID.
func checkAttached(me, lang string, ts []AttachedTranslation) error {
	seen := map[string]bool{lang: true}
	for _, a := range ts {
		// Any valid ID stands in for the message's, which the writer gives.
		t := entry.Translation{Message: entry.ID(me, 0), Lang: a.Lang, Text: a.Text, Officer: a.Officer, Machine: a.Machine}
		if err := t.Validate(); err != nil {
			return err
		}
		if seen[a.Lang] {
			return fmt.Errorf("translation into %s: the message is in %s or already has one", a.Lang, a.Lang)
		}
		seen[a.Lang] = true
	}
	return nil
}

// writeAttached writes a sender's translations of message id, inside the
// writer's transaction that wrote the message. They are sealed here, not
// before: their bodies name the message, whose ID the writer has only
// just given. An error fails the whole group, as a disk error does; but
// sealing to the keys that have just sealed the message does not fail.
func (n *Node) writeAttached(tx *store.Tx, ls *lineState, id string, ts []AttachedTranslation) error {
	for _, a := range ts {
		d, err := n.translationDraft(ls, &entry.Translation{Message: id, Lang: a.Lang, Text: a.Text, Officer: a.Officer, Machine: a.Machine})
		if err != nil {
			return err
		}
		if _, err := n.writeEntry(tx, ls, d); err != nil {
			return err
		}
	}
	return nil
}

// translations returns the translations of message id on the line, in
// the order they were written. A translation whose body does not decode
// names no message (ingest sets its ref only from a readable body), so it
// is not found here.
func (n *Node) translations(ls *lineState, id string) ([]TranslationView, error) {
	refs, err := n.Store.Referring(ls.id, id)
	if err != nil {
		return nil, err
	}
	var out []TranslationView
	for _, e := range refs {
		if e.Kind != entry.KindTranslation || e.Body == nil {
			continue
		}
		t, err := entry.DecodeTranslation(e.Body)
		if err != nil || t.Message != id {
			continue
		}
		out = append(out, TranslationView{ID: entry.ID(e.Author, e.Index), Author: e.Author, Written: ms(e.Time),
			Lang: t.Lang, Text: t.Text, Officer: t.Officer, Machine: t.Machine})
	}
	return out, nil
}
