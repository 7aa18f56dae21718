package transcript

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
)

// A disclosure holds the text of one message. The receivers' displayed
// and ack entries about it come with their bodies, which name only that
// message and the acknowledging officer: without them nothing would show
// which message they mark. A reply is another message: it comes as its
// entry and inclusion proof alone, which prove that its author wrote a
// message at that time, after its node held the disclosed one, and reveal
// nothing of what it says. Only when the discloser chooses
// (hotline disclose --with-reply) does the reply's body come too; then its
// text is proven, and so is that it answers the disclosed message.

// Withheld is an entry a document proves without its body: its author
// wrote it at that time, and nothing more.
type Withheld struct {
	ID      string     `json:"id"`
	Author  string     `json:"author"`
	Kind    entry.Kind `json:"kind"`
	Written time.Time  `json:"written"` // the author's clock, as signed
	// After is the message its author's node held when it wrote the
	// entry (a reply's entry names no message without its body).
	After string `json:"after,omitempty"`
}

// disclosedMark checks one verified mark of a disclosure against the
// disclosed message m and applies it. It returns the report of a reply
// whose text the disclosure holds, or nil.
func disclosedMark(rep *Report, m *MessageReport, l *entry.Leaf, cos []Cosigned, p *Proven) (*MessageReport, error) {
	if l.Author == m.Author {
		return nil, fmt.Errorf("%w: %s is by the disclosed message's own author", ErrPlacement, l.ID())
	}
	if p.Body == nil && p.Salt == nil {
		if l.Kind != entry.KindMessage {
			return nil, fmt.Errorf("%w: %s: a %s entry is disclosed with its body, which alone names the message it marks", ErrBody, l.ID(), l.Kind)
		}
		if !heldBefore(l, m) {
			return nil, fmt.Errorf("%w: %s was written before %s's node held %s, so it cannot answer it", ErrPlacement, l.ID(), l.Author, m.ID)
		}
		rep.Withheld = append(rep.Withheld, Withheld{ID: l.ID(), Author: l.Author, Kind: l.Kind, Written: l.Time, After: m.ID})
		return nil, nil
	}
	mark(map[string]*MessageReport{m.ID: m}, l, &p.Entry)
	if l.Kind != entry.KindMessage {
		return nil, nil
	}
	r := messageReport(l, &p.Entry)
	if !r.Readable || r.ReplyTo != m.ID {
		return nil, fmt.Errorf("%w: %s is a message that does not answer %s", ErrPlacement, l.ID(), m.ID)
	}
	for _, c := range cos {
		r.Held[c.Party] = c.Time
	}
	return &r, nil
}

// heldBefore reports whether l's author had seen m's author's log
// through m when it wrote l, by the checkpoint l names.
func heldBefore(l *entry.Leaf, m *MessageReport) bool {
	_, index, err := entry.ParseID(m.ID)
	if err != nil {
		return false
	}
	for _, ref := range l.Refs {
		if ref.Party == m.Author && ref.Size > index {
			return true
		}
	}
	return false
}

// textsHeld lists the messages whose text the report's document holds.
func textsHeld(rep *Report) []string {
	out := []string{}
	for _, m := range rep.Messages {
		if m.Readable {
			out = append(out, m.ID)
		}
	}
	return out
}

// TextsSummary says, for a disclosure, which messages' texts the file
// holds and which entries it proves without theirs; "" for other
// documents.
func (r *Report) TextsSummary() string {
	if r.Kind != "disclosure" {
		return ""
	}
	var b strings.Builder
	switch len(r.Texts) {
	case 0:
		b.WriteString("This file holds no message's text.")
	case 1:
		fmt.Fprintf(&b, "This file holds the text of %s and of no other message.", r.Texts[0])
	default:
		fmt.Fprintf(&b, "This file holds the texts of %s and of no other message.", strings.Join(r.Texts, " and "))
	}
	for _, w := range r.Withheld {
		fmt.Fprintf(&b, "\n%s is proven by its entry alone: %s wrote a %s at %s, after its node held %s; its text is not in this file, so neither is what it says or that it answers %s.",
			w.ID, w.Author, w.Kind, w.Written.UTC().Format("2006-01-02 15:04:05 UTC"), w.After, w.After)
	}
	return b.String()
}

// writeTexts prints TextsSummary, if any.
func (r *Report) writeTexts(w io.Writer) {
	if s := r.TextsSummary(); s != "" {
		fmt.Fprintf(w, "\n%s\n", s)
	}
}
