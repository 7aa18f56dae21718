// Package linestate decides what state a line is in, given the signed
// notices in its parties' logs. It is the one rule: the sending node
// checks a new notice or message against it, the receiving node derives
// the state it shows from it, and a transcript's report states what it
// proves with it.
//
// # Rules
//
// A line starts open. Notices are taken in the order of their signed
// times (then author, then index, so every party orders the same set the
// same way):
//
//   - suspended: any party may suspend an open line;
//   - open: only the party that suspended the line may reopen it;
//   - closed: any party may close an open or suspended line, and a closed
//     line stays closed.
//
// A notice that breaks a rule is refused with its own error and changes
// nothing; it stays in its author's log, where every party can see it.
//
// While a line is suspended FLASH and IMMEDIATE messages still go (the
// emergency channel never closes), as do link tests, roll-calls and
// acknowledgements; ROUTINE and PRIORITY messages go only when the sender
// says so, and the message records it. A closed line takes no new message,
// notice, link test or roll-call; acknowledgements of what it carried are
// still written, and it stays verifiable and exportable.
package linestate

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
)

// Notice is a notice entry as the rule needs it: who gave it, when, and
// what it says.
type Notice struct {
	ID     string    // the entry's ID, author-index
	Author string    // the party whose log holds it
	Index  uint64    // its index in that log
	Time   time.Time // the author's signed time
	Body   *entry.Notice
	// Err, if set, is why the body could not be read (not included in a
	// transcript, or refused when it arrived); the notice then changes
	// nothing and is reported with this error.
	Err error
}

// Status is the state of a line and the notice that set it. By, Officer,
// Reason, Since and Notice are empty while no notice has taken effect.
type Status struct {
	State   entry.LineState `json:"state"`
	By      string          `json:"by,omitempty"`      // the party whose notice set the state
	Officer string          `json:"officer,omitempty"` // the officer who gave that notice
	Reason  string          `json:"reason,omitempty"`
	Since   time.Time       `json:"since,omitzero"`   // the notice's signed time
	Notice  string          `json:"notice,omitempty"` // the notice's entry ID
}

// Refusal is a notice that broke a rule, with the rule it broke.
type Refusal struct {
	Notice string `json:"notice"`
	Author string `json:"author"`
	Error  string `json:"error"`
}

// Errors a notice is refused with.
var (
	// ErrNotSuspender: only the party that suspended a line may reopen it;
	// the others may close it, or ask the suspender to reopen.
	ErrNotSuspender = errors.New("only the party that suspended the line may reopen it")
	// ErrClosed: a closed line takes nothing new. Propose a new line.
	ErrClosed = errors.New("the line is closed")
	// ErrAlreadyInState: the notice would not change the line's state.
	ErrAlreadyInState = errors.New("the line is already in that state")
	// ErrSuspended: a ROUTINE or PRIORITY message on a suspended line needs
	// the sender to say it goes despite the suspension.
	ErrSuspended = errors.New("the line is suspended: ROUTINE and PRIORITY messages need --despite-suspension")
)

// Open is the state of a line with no notice.
var Open = Status{State: entry.LineOpen}

// Next returns the state after notice n on a line in state cur, or the
// error the notice is refused with.
func Next(cur Status, n Notice) (Status, error) {
	if n.Err != nil {
		return cur, n.Err
	}
	b := n.Body
	switch {
	case cur.State == entry.LineClosed:
		return cur, fmt.Errorf("%w (by %s, %s)", ErrClosed, cur.By, cur.Notice)
	case b.State == cur.State:
		return cur, fmt.Errorf("%w (%s)", ErrAlreadyInState, cur.State)
	case b.State == entry.LineOpen && n.Author != cur.By:
		return cur, fmt.Errorf("%w (%s suspended it, in %s)", ErrNotSuspender, cur.By, cur.Notice)
	}
	return Status{State: b.State, By: n.Author, Officer: b.Officer, Reason: b.Reason, Since: n.Time.UTC(), Notice: n.ID}, nil
}

// Fold returns the state of a line given all its notices, in any order,
// and the notices that were refused.
func Fold(notices []Notice) (Status, []Refusal) {
	sorted := slices.Clone(notices)
	slices.SortFunc(sorted, func(a, b Notice) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Author, b.Author), cmp.Compare(a.Index, b.Index))
	})
	st := Open
	var refused []Refusal
	for _, n := range sorted {
		next, err := Next(st, n)
		if err != nil {
			refused = append(refused, Refusal{Notice: n.ID, Author: n.Author, Error: err.Error()})
			continue
		}
		st = next
	}
	return st, refused
}

// At returns the state of a line at time t: by the notices signed at or
// before t.
func At(notices []Notice, t time.Time) Status {
	var before []Notice
	for _, n := range notices {
		if !n.Time.After(t) {
			before = append(before, n)
		}
	}
	st, _ := Fold(before)
	return st
}

// Admit says whether a new entry of kind (a message of precedence p, sent
// despite a suspension or not) may be written on a line in state s.
func Admit(s Status, kind entry.Kind, p entry.Precedence, despite bool) error {
	switch {
	case kind == entry.KindDisplayed || kind == entry.KindAck:
		return nil
	case s.State == entry.LineClosed:
		return fmt.Errorf("%w (by %s: %q): it takes no new %s", ErrClosed, s.By, s.Reason, kind)
	case s.State == entry.LineSuspended && kind == entry.KindMessage && !p.Urgent() && !despite:
		return fmt.Errorf("%w (by %s: %q)", ErrSuspended, s.By, s.Reason)
	}
	return nil
}

// Read makes the Notice of entry author-index written at t on line from its
// body: nil when the body is not at hand (a transcript without bodies),
// and bodyErr when the receiving node already found it unreadable.
func Read(line, author string, index uint64, t time.Time, body []byte, bodyErr string) Notice {
	n := Notice{ID: entry.ID(author, index), Author: author, Index: index, Time: t.UTC()}
	switch {
	case bodyErr != "":
		n.Err = errors.New(bodyErr)
	case body == nil:
		n.Err = ErrUnreadable
	default:
		n.Body, n.Err = entry.DecodeNotice(body, line)
	}
	return n
}

// ErrUnreadable means a notice's body is not included, so what it says
// is unknown: it is counted as changing nothing.
var ErrUnreadable = errors.New("the notice's body is not included")
