package transcript

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/agenda"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/notice"
	"github.com/hotline-line/hotline/internal/verify"
)

// Report is what a verified document proves, in terms a non-engineer reads.
type Report struct {
	Kind     string          `json:"kind"` // transcript, disclosure or fork
	Line     string          `json:"line"`
	Title    string          `json:"title"`
	Parties  []string        `json:"parties"`
	Logs     []LogReport     `json:"logs,omitempty"`
	Messages []MessageReport `json:"messages"`
	// RollCalls are the roll-call answers in the document's logs, log by
	// log in log order.
	RollCalls []RollCallReport `json:"roll_calls,omitempty"`
	Fork      *ForkReport      `json:"fork,omitempty"`
	// Agenda is the shared agenda of exchanges the document proves, each
	// event with its history (agenda.go).
	Agenda []agenda.Event `json:"agenda,omitempty"`
	// Texts are the messages whose text the document holds, and Withheld
	// the entries it proves without their bodies (disclosures; see
	// disclosure.go).
	Texts    []string   `json:"texts,omitempty"`
	Withheld []Withheld `json:"withheld,omitempty"`
	// LineState is the line's state by its notices (transcripts only).
	LineState *LineStateReport `json:"line_state,omitempty"`
	// Chain is the charter and its amendments (transcripts only).
	Chain *ChainReport `json:"chain,omitempty"`
	// Keys is the parties' key history, if any party changed its keys
	// (keys.go).
	Keys *KeysReport `json:"keys,omitempty"`
	// templates are the charter's, to label the notices (forms.go).
	templates notice.Set
}

// LogReport summarizes one verified log.
type LogReport struct {
	Author string            `json:"author"`
	Size   uint64            `json:"size"`
	HeldBy map[string]uint64 `json:"held_by"` // cosigner -> largest size cosigned
}

// MessageReport is one message and what is proven about it.
type MessageReport struct {
	ID         string               `json:"id"`
	Author     string               `json:"author"`
	Precedence entry.Precedence     `json:"precedence"`
	Written    time.Time            `json:"written"`
	Lang       string               `json:"lang,omitempty"`
	Text       string               `json:"text,omitempty"`
	Readable   bool                 `json:"readable"`
	ReplyTo    string               `json:"reply_to,omitempty"`
	Officer    string               `json:"officer,omitempty"`     // who wrote or drafted it, as signed
	ReleasedBy string               `json:"released_by,omitempty"` // who released it, under two-person release
	Held       map[string]time.Time `json:"held"`                  // party -> first cosignature covering it
	Displayed  map[string]time.Time `json:"displayed,omitempty"`
	Acked      map[string]Ack       `json:"acked,omitempty"`
	Replies    map[string]string    `json:"replies,omitempty"`
	// Translations are the proven translations of the message, by any
	// party (translation.go).
	Translations []TranslationReport `json:"translations,omitempty"`
	// StateBreach, if set, is the rule the message broke by the line's
	// state when it was written (see linestate.Admit): sent on a closed
	// line, or not urgent on a suspended one without saying so (known
	// only when its text is included).
	StateBreach string `json:"state_breach,omitempty"`
	// Form is a formatted notice's fields, as proven (forms.go).
	Form *FormReport `json:"form,omitempty"`
}

// Ack is a proven acknowledgement.
type Ack struct {
	Officer string    `json:"officer"`
	Time    time.Time `json:"time"`
}

// RollCallReport is a proven roll-call answer: an officer of the author
// confirmed a person on watch.
type RollCallReport struct {
	ID       string    `json:"id"`
	Author   string    `json:"author"`
	Written  time.Time `json:"written"` // the author's clock, as signed
	Readable bool      `json:"readable"`
	Officer  string    `json:"officer,omitempty"`
	Slot     time.Time `json:"slot,omitzero"` // the start of the slot it answers, as the body says
}

// ForkReport describes a proven fork.
type ForkReport struct {
	Author string `json:"author"`
	Index  uint64 `json:"index"`
	SizeA  uint64 `json:"size_a"`
	SizeB  uint64 `json:"size_b"`
}

func newReport(kind string, k *verify.Keyring) *Report {
	return &Report{Kind: kind, Line: k.Line, Title: k.Charter.Title, Parties: k.Charter.Slugs(), templates: k.Charter.Templates}
}

// message starts the report of a message entry.
func messageReport(l *entry.Leaf, e *Entry) MessageReport {
	m := MessageReport{ID: l.ID(), Author: l.Author, Precedence: l.Precedence, Written: l.Time,
		Held: map[string]time.Time{}, Displayed: map[string]time.Time{}, Acked: map[string]Ack{}, Replies: map[string]string{}}
	if e.Body != nil {
		if b, err := entry.DecodeMessage(e.Body); err == nil {
			m.Readable, m.Lang, m.Text, m.ReplyTo = true, b.Lang, b.Text, b.ReplyTo
			m.Officer, m.ReleasedBy = b.Officer, b.ReleasedBy
			if b.Form != nil {
				m.Form = &FormReport{Form: b.Form}
			}
		}
	}
	return m
}

// rollCallReport reports a roll-call entry. A body that is not included,
// or does not decode, leaves it unreadable: the entry still proves that
// the author wrote a roll-call answer at that time.
func rollCallReport(l *entry.Leaf, e *Entry) RollCallReport {
	r := RollCallReport{ID: l.ID(), Author: l.Author, Written: l.Time}
	if e.Body != nil {
		if b, err := entry.DecodeRollCall(e.Body); err == nil {
			r.Readable, r.Officer, r.Slot = true, b.Officer, time.UnixMilli(b.Slot).UTC()
		}
	}
	return r
}

// mark applies a displayed, ack or reply entry to the message it names.
func mark(msgs map[string]*MessageReport, l *entry.Leaf, e *Entry) {
	if e.Body == nil {
		return
	}
	switch l.Kind {
	case entry.KindDisplayed, entry.KindAck:
		mk, err := entry.DecodeMark(e.Body, l.Kind)
		if err != nil {
			return
		}
		m := msgs[mk.Message]
		if m == nil || m.Author == l.Author {
			return
		}
		if l.Kind == entry.KindAck {
			if _, ok := m.Acked[l.Author]; !ok {
				m.Acked[l.Author] = Ack{Officer: mk.Officer, Time: l.Time}
			}
		} else if _, ok := m.Displayed[l.Author]; !ok {
			m.Displayed[l.Author] = l.Time
		}
	case entry.KindTranslation:
		translated(msgs, l, e)
	case entry.KindMessage:
		b, err := entry.DecodeMessage(e.Body)
		if err != nil || b.ReplyTo == "" {
			return
		}
		if m := msgs[b.ReplyTo]; m != nil && m.Author != l.Author {
			if _, ok := m.Replies[l.Author]; !ok {
				m.Replies[l.Author] = l.ID()
			}
		}
	}
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) {
	r.labelForms()
	fmt.Fprintf(w, "VERIFIED %s of line %s %q\nparties: %s\n", r.Kind, r.Line, inert.Text(r.Title), strings.Join(r.Parties, ", "))
	if r.Fork != nil {
		f := r.Fork
		fmt.Fprintf(w, "\nFORK PROVEN: %s signed two checkpoints (sizes %d and %d) that hold different entries at index %d.\n"+
			"Both signatures verify with %s's key from the charter; both cannot be true.\n", f.Author, f.SizeA, f.SizeB, f.Index, f.Author)
		return
	}
	if r.Kind == "transcript" {
		r.writeChain(w)
		r.writeLineState(w)
	}
	r.writeKeys(w)
	for _, l := range r.Logs {
		fmt.Fprintf(w, "log of %s: size %d", l.Author, l.Size)
		for _, p := range slices.Sorted(mapKeys(l.HeldBy)) {
			fmt.Fprintf(w, "; %s cosigned up to %d", p, l.HeldBy[p])
		}
		fmt.Fprintln(w)
	}
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
	for _, m := range r.Messages {
		fmt.Fprintf(w, "\n%s  %s  sent by %s, written %s\n", m.ID, m.Precedence, m.Author, ts(m.Written))
		if m.Readable {
			if m.Form == nil || m.Text != "" {
				fmt.Fprintf(w, "  text (%s): %s\n", inert.Text(m.Lang), inert.Text(m.Text))
			}
			m.Form.writeText(w)
			if m.ReplyTo != "" {
				fmt.Fprintf(w, "  in reply to %s\n", m.ReplyTo)
			}
			if m.Officer != "" {
				fmt.Fprintf(w, "  written by officer %s", inert.Text(m.Officer))
				if m.ReleasedBy != "" {
					fmt.Fprintf(w, ", released by %s", inert.Text(m.ReleasedBy))
				}
				fmt.Fprintln(w)
			}
			writeTranslations(w, &m)
		} else {
			fmt.Fprintln(w, "  text: not included (sealed to others)")
		}
		if m.StateBreach != "" {
			fmt.Fprintf(w, "  AGAINST THE LINE'S STATE: %s\n", inert.Text(m.StateBreach))
		}
		for _, p := range r.Parties {
			if p == m.Author {
				continue
			}
			if t, ok := m.Held[p]; ok {
				fmt.Fprintf(w, "  %s's node held it at %s (cosigned)\n", p, ts(t))
			} else {
				fmt.Fprintf(w, "  %s's node: no receipt in this document\n", p)
			}
			if t, ok := m.Displayed[p]; ok {
				fmt.Fprintf(w, "  shown to a person at %s at %s\n", p, ts(t))
			}
			if a, ok := m.Acked[p]; ok {
				fmt.Fprintf(w, "  acknowledged at %s by %s at %s\n", p, inert.Text(a.Officer), ts(a.Time))
			}
			if id, ok := m.Replies[p]; ok {
				fmt.Fprintf(w, "  answered by %s in %s\n", p, id)
			}
		}
	}
	r.writeTexts(w)
	for _, r := range r.RollCalls {
		if r.Readable {
			fmt.Fprintf(w, "\n%s  roll-call answered by %s at %s, written %s, for the slot of %s\n",
				r.ID, inert.Text(r.Officer), r.Author, ts(r.Written), ts(r.Slot))
		} else {
			fmt.Fprintf(w, "\n%s  roll-call answered at %s, written %s; officer not shown (body not included, or unreadable)\n",
				r.ID, r.Author, ts(r.Written))
		}
	}
	r.writeAgenda(w)
}

// WriteJSON prints the report as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	r.labelForms()
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(r)
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// firstHolder records, for each message of a log, the first cosignature by
// each party that covers it.
func firstHolder(msgs []*MessageReport, receipts []*verify.Checkpoint) {
	for _, m := range msgs {
		_, index, _ := entry.ParseID(m.ID)
		for _, r := range receipts {
			if r.Size <= index {
				continue
			}
			for _, c := range r.Cosigned {
				if t, ok := m.Held[c.Party]; !ok || c.Time.Before(t) {
					m.Held[c.Party] = c.Time
				}
			}
		}
	}
}
