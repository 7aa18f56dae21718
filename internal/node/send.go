package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/seal"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/tlog"
)

// Install makes a fully signed charter one of the node's lines and writes
// the charter as entry 0 of this party's log on it. Installing a line twice
// is a no-op.
func (n *Node) Install(ctx context.Context, c *charter.Signed) error {
	if !c.Complete() {
		return fmt.Errorf("charter is not signed by every party yet: missing %v", c.Missing())
	}
	mine := c.Party(n.Me())
	if mine == nil {
		return fmt.Errorf("charter does not name this party (%s)", n.Me())
	}
	if err := n.checkOwnCard(mine, "the charter"); err != nil {
		return err
	}
	return n.install(ctx, c, nil)
}

// checkOwnCard refuses a card of this party with keys that are not this
// node's: a charter or an amendment that names us with another key would
// let its author read or speak for us.
func (n *Node) checkOwnCard(mine *card.Card, where string) error {
	if cur := n.current(); mine.LogKey != cur.LogVerifierKey() || mine.CosignerKey != cur.CosignerVerifierKey() ||
		!bytes.Equal(mine.HPKEKey, cur.HPKEPublicKey()) || !bytes.Equal(mine.TLSKey, cur.TLSPublicKey()) {
		return fmt.Errorf("%s names %s with keys that are not this node's: refusing to install it", where, n.Me())
	}
	return nil
}

// install opens line c here and writes its charter as entry 0 of our log;
// joined is our own card when an amendment added us after the charter.
func (n *Node) install(ctx context.Context, c *charter.Signed, joined *card.Card) error {
	if _, err := n.line(c.ID()); err == nil {
		return nil
	}
	if err := n.checkName(c); err != nil {
		return err
	}
	ls, err := n.newLineState(c, joined)
	if err != nil {
		return err
	}
	ls.installed = n.now()
	salt := newSalt()
	installed := false
	return n.submit(ctx, &op{
		apply: func(tx *store.Tx) error {
			if ok, err := tx.HasLine(ls.id); err != nil || ok {
				return err
			}
			installed = true
			if err := tx.InsertLine(&store.Line{ID: ls.id, Charter: c.Raw, State: "open", Installed: n.now().UnixMilli()}); err != nil {
				return err
			}
			_, err := n.writeEntry(tx, ls, draft{kind: entry.KindCharter, salt: salt, body: c.Raw, env: seal.Plain(salt, c.Raw)})
			return err
		},
		after: func() {
			if !installed {
				return
			}
			n.mu.Lock()
			n.lines[ls.id] = ls
			n.mu.Unlock()
			ls.log(n.Me()).committed.Store(ls.log(n.Me()).tree.Size())
			n.startLinks(ls)
		},
	})
}

// draft is an entry before it has a place in the log.
type draft struct {
	kind       entry.Kind
	precedence entry.Precedence
	salt, body []byte
	env        *seal.Envelope // nil: sealed to every peer when written
	ref        string
	officer    string
}

func newSalt() []byte {
	s := make([]byte, entry.SaltSize)
	rand.Read(s)
	return s
}

// sealDraft prepares a draft whose body is sealed to every peer of the
// line. The sealing itself happens in writeEntry: a body of version 2 names
// the entry that opened its epoch, by an index only the writer knows.
func (n *Node) sealDraft(ls *lineState, kind entry.Kind, body []byte) (draft, error) {
	d := draft{kind: kind, salt: newSalt(), body: body}
	_, open, err := ls.recipients(kind)
	if err != nil {
		return draft{}, err
	}
	if open {
		d.env = seal.Plain(d.salt, body)
	}
	return d, nil
}

// writeEntry appends a draft to this party's log inside the writer's
// transaction and returns the new entry's ID.
func (n *Node) writeEntry(tx *store.Tx, ls *lineState, d draft) (string, error) {
	lg := ls.log(ls.me)
	index := lg.tree.Size()
	leaf := &entry.Leaf{
		Line: ls.id, Author: ls.me, Index: index, Kind: d.kind,
		Time: n.stampTime(tx, ls, index, d.ref), Precedence: d.precedence,
		Refs: n.refs(ls), Body: entry.Commit(d.salt, d.body),
	}
	raw := leaf.Marshal()
	hash := tlog.HashLeaf(raw)
	envelope := d.env
	if envelope == nil {
		var err error
		if envelope, err = n.sealBody(ls, lg, index, hash, d); err != nil {
			return "", err
		}
	}
	env := envelope.Marshal()
	e := &store.Entry{
		Line: ls.id, Author: ls.me, Index: index, Leaf: raw, Envelope: env,
		Kind: d.kind, Time: leaf.Time.UnixMilli(), Precedence: d.precedence,
		Salt: d.salt, Body: d.body, Ref: d.ref, Officer: d.officer, Received: n.now().UnixMilli(),
	}
	if err := checkRuleQuota(tx, e); err != nil {
		return "", err
	}
	if err := tx.InsertEntry(e); err != nil {
		return "", err
	}
	n.noteAlarming(e)
	lg.tree.Append(hash)
	lg.recent.put(index, raw, env)
	return leaf.ID(), nil
}

// sealBody seals a draft's body to every peer of the line, under each
// peer's epoch (version 2) or, on a node told to, in version 1. An epoch
// lasts as long as the charter in force says; the sender holds it in
// memory only, so a restart starts new ones.
func (n *Node) sealBody(ls *lineState, lg *logState, index uint64, leafHash []byte, d draft) (*seal.Envelope, error) {
	// Who reads it is the parties in force now (parties.go), not those of
	// the signed charter.
	to, _, err := ls.recipients(d.kind)
	if err != nil {
		return nil, err
	}
	if n.envelope == 1 {
		return seal.Seal(to, seal.Info(ls.id, ls.me), d.salt, d.body)
	}
	messages, every := ls.inForce.Load().Epoch()
	return ls.sender.Seal(to, seal.Policy{Messages: messages, Time: every},
		seal.Slot{Index: index, LeafHash: leafHash, Now: n.now(), Held: func(i uint64) []byte {
			if i >= lg.tree.Size() {
				return nil
			}
			return lg.tree.LeafHash(i)
		}}, d.salt, d.body)
}

// writeOne writes a draft alone and returns its entry's ID once it is
// committed.
func (n *Node) writeOne(ctx context.Context, ls *lineState, d draft) (id string, err error) {
	err = n.submit(ctx, &op{apply: func(tx *store.Tx) (err error) {
		id, err = n.writeEntry(tx, ls, d)
		return err
	}})
	return id, err
}

// refs names the latest committed checkpoint of every peer's log: what this
// party had seen when it wrote.
func (n *Node) refs(ls *lineState) []entry.Ref {
	var refs []entry.Ref
	for _, p := range slices.Sorted(slices.Values(ls.peers())) {
		lg := ls.log(p)
		size := lg.committed.Load()
		if size == 0 {
			continue
		}
		root, err := lg.tree.Root(size)
		if err != nil {
			continue
		}
		refs = append(refs, entry.Ref{Party: p, Size: size, Root: root})
	}
	return refs
}

// SendRequest is a message to write.
type SendRequest struct {
	Line       string           `json:"line"`
	Precedence entry.Precedence `json:"precedence"`
	Lang       string           `json:"lang"`
	Text       string           `json:"text"`
	ReplyTo    string           `json:"reply_to,omitempty"`
	// Officer wrote (or drafted) the message; ReleasedBy, another officer,
	// released it. Both are signed into the message. A precedence the
	// charter puts under two-person release needs both.
	Officer    string `json:"officer,omitempty"`
	ReleasedBy string `json:"released_by,omitempty"`
	// Form, if set, sends a formatted notice: a template of the line's
	// charter and its field values as the sender wrote them. Send writes
	// them in canonical form, or refuses them naming the field at fault.
	Form *entry.Form `json:"form,omitempty"`
	// Key, if set, makes the send idempotent: a later Send on the line
	// with the same key writes nothing and returns the first message's ID,
	// whatever else it asks. A client that lost the reply (the node died
	// between commit and answer) retries with the same key and sends once.
	Key string `json:"key,omitempty"`
	// Translations are the sender's own official translations of the
	// message, written with it in one commit (see translate.go).
	Translations []AttachedTranslation `json:"translations,omitempty"`
	// DespiteSuspension sends a ROUTINE or PRIORITY message on a
	// suspended line; the message body records it.
	DespiteSuspension bool `json:"despite_suspension,omitempty"`
}

// MaxKey bounds an idempotency key.
const MaxKey = 128

// ErrNeedsRelease means the charter requires two-person release for the
// message's precedence and the request does not name a drafter and a
// different releaser.
var ErrNeedsRelease = errors.New("this precedence needs two-person release: one officer drafts, another releases")

// Send writes a message to this party's log. When it returns, the message
// is on disk and queued for every peer.
func (n *Node) Send(ctx context.Context, req SendRequest) (string, error) {
	ls, err := n.line(req.Line)
	if err != nil {
		return "", err
	}
	if req.Lang == "" {
		req.Lang = n.Cfg.Langs[0]
	}
	if req.Precedence == "" {
		req.Precedence = entry.Routine
	}
	if _, err := entry.ParsePrecedence(string(req.Precedence)); err != nil {
		return "", err
	}
	if len(req.Key) > MaxKey {
		return "", fmt.Errorf("idempotency key of %d bytes: at most %d", len(req.Key), MaxKey)
	}
	if err := n.admit(ls, entry.KindMessage, req.Precedence, req.DespiteSuspension); err != nil {
		return "", err
	}
	m := entry.Message{Lang: req.Lang, Text: req.Text, ReplyTo: req.ReplyTo, Officer: req.Officer, ReleasedBy: req.ReleasedBy,
		DespiteSuspension: req.DespiteSuspension}
	if req.Form != nil {
		if m.Form, err = fillForm(ls.rules().Templates, req.Form); err != nil {
			return "", err
		}
	}
	// Checked before Validate, so that a releaser who is the drafter gets
	// the error that says what the charter wants.
	if ls.rules().NeedsTwoPerson(req.Precedence) && (m.Officer == "" || m.ReleasedBy == "" || entry.SameOfficer(m.Officer, m.ReleasedBy)) {
		return "", fmt.Errorf("%w (%s)", ErrNeedsRelease, req.Precedence)
	}
	// Refused when written, not when received: a peer's entries are
	// checked by entry's rules alone.
	if m.Form == nil && m.Text != "" && strings.TrimSpace(m.Text) == "" {
		return "", errors.New("message text is only white space: write the message")
	}
	if err := m.Validate(); err != nil {
		return "", err
	}
	if err := checkAttached(ls.me, m.Lang, req.Translations); err != nil {
		return "", err
	}
	if m.ReplyTo != "" {
		if e, err := n.Store.Entry(ls.id, mustAuthor(m.ReplyTo), mustIndex(m.ReplyTo)); err != nil || e.Kind != entry.KindMessage {
			return "", fmt.Errorf("reply to %s: no such message on this line", m.ReplyTo)
		}
	}
	body, _ := json.Marshal(m)
	d, err := n.sealDraft(ls, entry.KindMessage, body)
	if err != nil {
		return "", err
	}
	d.precedence, d.ref = req.Precedence, req.ReplyTo
	var id string
	err = n.submit(ctx, &op{apply: func(tx *store.Tx) (err error) {
		if req.Key != "" {
			// In the transaction, so that two sends racing with one key
			// write one message.
			if first, ok, err := tx.SendKey(ls.id, req.Key); err != nil || ok {
				id = first
				return err
			}
		}
		if id, err = n.writeEntry(tx, ls, d); err != nil {
			return err
		}
		if err := n.writeAttached(tx, ls, id, req.Translations); err != nil || req.Key == "" {
			return err
		}
		return tx.InsertSendKey(ls.id, req.Key, id)
	}})
	return id, err
}

func mustAuthor(id string) string { a, _, _ := entry.ParseID(id); return a }
func mustIndex(id string) uint64  { _, i, _ := entry.ParseID(id); return i }

// ErrNotAPeerMessage means a mark names a message this party did not receive.
var ErrNotAPeerMessage = errors.New("not a message from another party")

// MarkDisplayed records that a peer's message was shown to a person. Only
// the first display is written.
func (n *Node) MarkDisplayed(ctx context.Context, line, id string) error {
	_, err := n.mark(ctx, line, id, entry.KindDisplayed, "")
	return err
}

// Ack records that officer acknowledged a peer's message. It returns false
// if the message had already been acknowledged.
func (n *Node) Ack(ctx context.Context, line, id, officer string) (bool, error) {
	return n.mark(ctx, line, id, entry.KindAck, officer)
}

func (n *Node) mark(ctx context.Context, line, id string, kind entry.Kind, officer string) (bool, error) {
	ls, err := n.line(line)
	if err != nil {
		return false, err
	}
	mk := entry.Mark{Message: id, Officer: officer}
	if err := mk.Validate(kind); err != nil {
		return false, err
	}
	author, index, _ := entry.ParseID(id)
	e, err := n.Store.Entry(ls.id, author, index)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (author == ls.me || e.Kind != entry.KindMessage) {
		return false, fmt.Errorf("%s: %w", id, ErrNotAPeerMessage)
	}
	if err != nil {
		return false, err
	}
	if e.BodyError == entry.BeforeJoining {
		// Not ours to have read: its body is sealed to the parties of the
		// time, and no deadline of it is ours.
		return false, fmt.Errorf("%s was written before this party joined the line: %w", id, ErrNotAPeerMessage)
	}
	body, _ := json.Marshal(mk)
	d, err := n.sealDraft(ls, kind, body)
	if err != nil {
		return false, err
	}
	d.ref, d.officer = id, officer
	wrote := false
	err = n.submit(ctx, &op{apply: func(tx *store.Tx) error {
		if done, err := tx.HasMark(ls.id, ls.me, kind, id); err != nil || done {
			return err
		}
		wrote = true
		_, err := n.writeEntry(tx, ls, d)
		return err
	}})
	return wrote, err
}
