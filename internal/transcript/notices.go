package transcript

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/linestate"
)

// NoticeReport is a proven state notice: an officer of the author
// suspended, reopened or closed the line.
type NoticeReport struct {
	ID       string          `json:"id"`
	Author   string          `json:"author"`
	Written  time.Time       `json:"written"` // the author's clock, as signed
	Readable bool            `json:"readable"`
	State    entry.LineState `json:"state,omitempty"`
	Officer  string          `json:"officer,omitempty"`
	Reason   string          `json:"reason,omitempty"`
	Refused  string          `json:"refused,omitempty"` // the rule it broke, if it changed nothing
}

// LineStateReport is the state of the line the document proves: the
// notices in its logs, taken by linestate's rule.
type LineStateReport struct {
	Status  linestate.Status `json:"status"`
	Notices []NoticeReport   `json:"notices"`
}

// reportLineState adds to rep what the notices of a verified transcript
// prove: the line's state, and each message written against the state the
// line was in when it was written. It runs after every entry has been
// checked, so it only reads.
func reportLineState(rep *Report, t *Transcript) {
	var notices []linestate.Notice
	var msgs []*entry.Leaf
	despite := map[string]bool{} // by message ID, for the messages whose text is included
	for i := range t.Logs {
		lg := &t.Logs[i]
		for j := range lg.Entries {
			e := &lg.Entries[j]
			l, err := entry.Parse([]byte(e.Leaf))
			if err != nil {
				continue
			}
			switch l.Kind {
			case entry.KindNotice:
				notices = append(notices, linestate.Read(rep.Line, l.Author, l.Index, l.Time, e.Body, ""))
			case entry.KindMessage:
				msgs = append(msgs, l)
				if m, err := entry.DecodeMessage(e.Body); e.Body != nil && err == nil {
					despite[l.ID()] = m.DespiteSuspension
				}
			}
		}
	}
	if len(notices) == 0 {
		return
	}
	breach := map[string]string{}
	for _, l := range msgs {
		said, known := despite[l.ID()]
		err := linestate.Admit(linestate.At(notices, l.Time), l.Kind, l.Precedence, said)
		// Without the text, whether it was sent despite a suspension is
		// unknown: only a close is held against it.
		if err != nil && (known || !errors.Is(err, linestate.ErrSuspended)) {
			breach[l.ID()] = err.Error()
		}
	}
	for i := range rep.Messages {
		rep.Messages[i].StateBreach = breach[rep.Messages[i].ID]
	}
	st, refused := linestate.Fold(notices)
	why := map[string]string{}
	for _, r := range refused {
		why[r.Notice] = r.Error
	}
	ls := &LineStateReport{Status: st}
	for _, n := range notices {
		r := NoticeReport{ID: n.ID, Author: n.Author, Written: n.Time, Refused: why[n.ID]}
		if n.Body != nil {
			r.Readable, r.State, r.Officer, r.Reason = true, n.Body.State, n.Body.Officer, n.Body.Reason
		}
		ls.Notices = append(ls.Notices, r)
	}
	rep.LineState = ls
}

// writeLineState prints the line's state and its notices for people.
func (r *Report) writeLineState(w io.Writer) {
	ls := r.LineState
	if ls == nil {
		fmt.Fprintf(w, "line state: open (no state notice in this document)\n")
		return
	}
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
	if s := ls.Status; s.Notice != "" {
		fmt.Fprintf(w, "line state: %s by %s (officer %s) at %s in %s", s.State, s.By, inert.Text(s.Officer), ts(s.Since), s.Notice)
		if s.Reason != "" {
			fmt.Fprintf(w, ": %s", inert.Text(s.Reason))
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "line state: %s\n", ls.Status.State)
	}
	for _, n := range ls.Notices {
		if n.Readable {
			fmt.Fprintf(w, "  notice %s by %s (officer %s), written %s: %s", n.ID, n.Author, inert.Text(n.Officer), ts(n.Written), n.State)
			if n.Reason != "" {
				fmt.Fprintf(w, ": %s", inert.Text(n.Reason))
			}
		} else {
			fmt.Fprintf(w, "  notice %s by %s, written %s", n.ID, n.Author, ts(n.Written))
		}
		if n.Refused != "" {
			fmt.Fprintf(w, " (REFUSED: %s)", inert.Text(n.Refused))
		}
		fmt.Fprintln(w)
	}
}
