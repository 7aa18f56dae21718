package transcript

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hotline-line/hotline/internal/amend"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/tlog"
)

// ErrNotDelivered means no checkpoint held by another party covers the
// entry yet, so there is no receipt to disclose.
var ErrNotDelivered = errors.New("no receipt covers this entry yet")

// source reads a line from a node's database.
type source struct {
	st   *store.Store
	keys *identity.Keys
	line string
	ch   *charter.Signed
}

func open(st *store.Store, keys *identity.Keys, line string) (*source, error) {
	lines, err := st.Lines()
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		if l.ID == line {
			c, err := charter.Parse(l.Charter)
			if err != nil {
				return nil, err
			}
			return &source{st: st, keys: keys, line: line, ch: c}, nil
		}
	}
	return nil, fmt.Errorf("no such line: %s", line)
}

// Export writes the transcript of line as this node holds it. With
// plaintext, it includes every body the node can read; without, only the
// charter's.
func Export(st *store.Store, keys *identity.Keys, line string, plaintext bool, now time.Time) (*Transcript, error) {
	src, err := open(st, keys, line)
	if err != nil {
		return nil, err
	}
	t := &Transcript{Format: FormatTranscript, Line: line, Charter: string(src.ch.Raw), ExportedBy: keys.Slug, ExportedAt: now.UTC()}
	authors, err := src.parties()
	if err != nil {
		return nil, err
	}
	for _, author := range authors {
		rows, err := st.Entries(line, author, 0, math.MaxInt64)
		if err != nil {
			return nil, err
		}
		lg := Log{Author: author, Entries: make([]Entry, len(rows))}
		for i, r := range rows {
			lg.Entries[i].Leaf = string(r.Leaf)
			// The charter, key statements and the other governance
			// entries travel in the open: a verifier needs them to know
			// the parties and their keys. A body this node could not
			// open (written before it joined) is absent.
			if (plaintext || r.Kind.Open()) && r.Body != nil {
				lg.Entries[i].Salt, lg.Entries[i].Body = r.Salt, r.Body
			}
		}
		if len(rows) > 0 {
			cp, err := src.checkpointAt(author, uint64(len(rows)))
			if err != nil {
				return nil, err
			}
			lg.Checkpoint = cp
		}
		cosigs, err := st.Cosigs(line, author)
		if err != nil {
			return nil, err
		}
		for _, c := range cosigs {
			// A receipt that arrived after the entries were read may cover
			// more than they hold; it would make a sound log fail to verify.
			// Leaving it out only proves less.
			if c.Size > uint64(len(rows)) {
				continue
			}
			lg.Receipts = append(lg.Receipts, string(c.Note))
		}
		t.Logs = append(t.Logs, lg)
	}
	return t, nil
}

// parties lists every party whose log the line holds: the charter's, then
// those amendments in force added, from the amendment entries the node
// holds (their bodies are open to every party).
func (s *source) parties() ([]string, error) {
	rows, err := s.st.EntriesByKind(s.line, entry.KindAmendment, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	acts := make([]amend.Act, len(rows))
	for i, e := range rows {
		acts[i] = amend.Read(s.line, e.Author, e.Index, time.UnixMilli(e.Time), e.Body, e.BodyError)
	}
	return slugs(amend.Fold(s.ch.Charter, acts).Cards()), nil
}

// checkpointAt returns a checkpoint of author's log at exactly size, signed
// by the author: freshly signed for our own log, or the latest one the
// author sent us.
func (s *source) checkpointAt(author string, size uint64) (string, error) {
	if author == s.keys.Slug {
		tree, err := s.tree(author)
		if err != nil {
			return "", err
		}
		root, err := tree.Root(size)
		if err != nil {
			return "", err
		}
		cp, err := tlog.Sign(s.keys.LogSigner, tlog.Origin(s.line, author), size, root)
		if err != nil {
			return "", err
		}
		return string(cp.Note), nil
	}
	cosigs, err := s.st.Cosigs(s.line, author)
	if err != nil {
		return "", err
	}
	for _, c := range cosigs {
		if c.Size == size {
			return string(c.Note), nil
		}
	}
	return "", fmt.Errorf("log %s: no signed checkpoint at size %d", author, size)
}

func (s *source) tree(author string) (*tlog.Tree, error) {
	t := &tlog.Tree{}
	err := s.st.Leaves(s.line, author, func(_ uint64, leaf []byte) error {
		t.Append(tlog.HashLeaf(leaf))
		return nil
	})
	return t, err
}

// covering returns the first checkpoint of author's log that covers index
// and that another party cosigned: the receipt of that entry.
func (s *source) covering(author string, index uint64) (*store.Cosig, error) {
	cosigs, err := s.st.Cosigs(s.line, author)
	if err != nil {
		return nil, err
	}
	for i := range cosigs {
		if cosigs[i].Size > index {
			return &cosigs[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrNotDelivered, entry.ID(author, index))
}

// prove proves an entry by its inclusion proof under the first cosigned
// checkpoint that covers it; with its salt and body when withBody.
func (s *source) prove(e store.Entry, withBody bool) (*Proven, error) {
	c, err := s.covering(e.Author, e.Index)
	if err != nil {
		return nil, err
	}
	tree, err := s.tree(e.Author)
	if err != nil {
		return nil, err
	}
	proof, err := tree.InclusionProof(e.Index, c.Size)
	if err != nil {
		return nil, err
	}
	p := &Proven{Entry: Entry{Leaf: string(e.Leaf)}, Author: e.Author, Index: e.Index, Size: c.Size, Inclusion: proof, Checkpoint: string(c.Note)}
	if !withBody {
		return p, nil
	}
	if e.Body == nil {
		return nil, fmt.Errorf("%s: this node cannot read the body", entry.ID(e.Author, e.Index))
	}
	p.Salt, p.Body = e.Salt, e.Body
	return p, nil
}

// Disclose proves one message, with its text, and the displayed marks,
// acknowledgements and replies the other parties wrote about it. The marks
// carry their bodies, which name only this message and the acknowledging
// officer: without them nothing would show which message a mark is about.
// A reply is proven by its entry alone, without its text, unless
// withReplies: then its text is disclosed too. Of any other entry nothing
// is revealed but hashes in the inclusion proofs. Disclose includes no
// translation; see DiscloseWith.
func Disclose(st *store.Store, keys *identity.Keys, line, id string, withReplies bool) (*Disclosure, error) {
	return DiscloseWith(st, keys, line, id, DiscloseOptions{Replies: withReplies})
}

// DiscloseOptions chooses what a disclosure reveals beyond the message.
type DiscloseOptions struct {
	Replies bool // the texts of the replies, not only their entries
	// Translations: the message's translations, by any party, with their
	// texts and attribution (without it, none at all).
	Translations bool
}

// DiscloseWith is Disclose with the choices of o.
func DiscloseWith(st *store.Store, keys *identity.Keys, line, id string, o DiscloseOptions) (*Disclosure, error) {
	withReplies, withTranslations := o.Replies, o.Translations
	src, err := open(st, keys, line)
	if err != nil {
		return nil, err
	}
	author, index, err := entry.ParseID(id)
	if err != nil {
		return nil, err
	}
	e, err := st.Entry(line, author, index)
	if err != nil || e.Kind != entry.KindMessage {
		return nil, fmt.Errorf("no message %s on line %s", id, line)
	}
	p, err := src.prove(e, true)
	if err != nil {
		return nil, err
	}
	d := &Disclosure{Format: FormatDisclosure, Line: line, Charter: string(src.ch.Raw), Message: *p}
	if d.Keys, err = src.proveKeys(); err != nil {
		return nil, err
	}
	refs, err := st.Referring(line, id)
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		if r.Kind == entry.KindTranslation {
			if !withTranslations {
				continue
			}
		} else if r.Author == author {
			continue
		}
		reply := r.Kind == entry.KindMessage
		mp, err := src.prove(r, !reply || withReplies)
		if errors.Is(err, ErrNotDelivered) {
			continue // not yet cosigned: nothing to prove it with
		}
		if err != nil {
			return nil, err
		}
		d.Marks = append(d.Marks, *mp)
	}
	return d, nil
}
