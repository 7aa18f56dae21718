package entry

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// LineState is the state a line is in: open, suspended or closed. It
// changes only by a notice entry, signed by the party that gives it.
type LineState string

// The line states.
const (
	LineOpen      LineState = "open"
	LineSuspended LineState = "suspended"
	LineClosed    LineState = "closed"
)

// MaxReason bounds the reason given in a notice.
const MaxReason = 2000

// Notice is the body of a KindNotice entry: an officer of the author puts
// the line into State, for Reason. Line repeats the line's ID inside the
// body, so a notice cannot be read as one about another line.
type Notice struct {
	Line    string    `json:"line"`
	State   LineState `json:"state"`
	Reason  string    `json:"reason,omitempty"`
	Officer string    `json:"officer"`
}

// ErrNoticeOtherLine means a notice names another line than the log it is
// in: it is refused and changes nothing.
var ErrNoticeOtherLine = errors.New("the notice names another line")

// Validate checks a notice on line.
func (n *Notice) Validate(line string) error {
	switch n.State {
	case LineOpen, LineSuspended, LineClosed:
	default:
		return fmt.Errorf("notice: state %q: want open, suspended or closed", n.State)
	}
	if n.Line != line {
		return fmt.Errorf("%w (%.40q, not %s)", ErrNoticeOtherLine, n.Line, line)
	}
	if err := checkOfficer(n.Officer, true); err != nil {
		return fmt.Errorf("notice: %w", err)
	}
	if n.State != LineOpen && n.Reason == "" {
		return fmt.Errorf("notice: a line is %s with a reason", n.State)
	}
	if len(n.Reason) > MaxReason || !utf8.ValidString(n.Reason) {
		return fmt.Errorf("notice: the reason is at most %d bytes of UTF-8", MaxReason)
	}
	return nil
}

// DecodeNotice decodes a notice body and checks it belongs to line.
func DecodeNotice(b []byte, line string) (*Notice, error) {
	var n Notice
	if err := strictJSON(b, &n); err != nil {
		return nil, fmt.Errorf("notice body: %w", err)
	}
	return &n, n.Validate(line)
}
