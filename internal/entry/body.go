package entry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxTextSize bounds the text of one message.
const MaxTextSize = 64 << 10

// Message is the body of a KindMessage entry.
type Message struct {
	Lang    string `json:"lang"`
	Text    string `json:"text"`
	ReplyTo string `json:"reply_to,omitempty"` // the ID of the message this answers
	// Officer is who wrote (or drafted) the message, and ReleasedBy the
	// second officer who released it where the charter requires two-person
	// release. Both are signed with the entry, so every party can see who
	// spoke for the author.
	Officer    string `json:"officer,omitempty"`
	ReleasedBy string `json:"released_by,omitempty"`
	// DespiteSuspension records that the author sent a ROUTINE or
	// PRIORITY message while the line was suspended, knowingly.
	DespiteSuspension bool `json:"despite_suspension,omitempty"`
	// Form, if set, makes the message a formatted notice: a template's
	// fields, and Text may be empty (see form.go).
	Form *Form `json:"form,omitempty"`
}

// MaxOfficerName bounds an officer's name in any body.
const MaxOfficerName = 100

// Mark is the body of KindDisplayed and KindAck entries: it names a peer's
// message and, for an acknowledgement, the officer who made it.
type Mark struct {
	Message string `json:"message"`
	Officer string `json:"officer,omitempty"`
}

// Validate checks a message before it is written.
func (m *Message) Validate() error {
	if m.Lang == "" || len(m.Lang) > 35 {
		return fmt.Errorf("message language %q: give a language tag such as ko or zh", m.Lang)
	}
	if m.Text == "" && m.Form == nil {
		return fmt.Errorf("message text is empty")
	}
	if m.Form != nil {
		if err := m.Form.Validate(); err != nil {
			return err
		}
	}
	if len(m.Text) > MaxTextSize {
		return TooLong("message text", int64(len(m.Text)))
	}
	if !utf8.ValidString(m.Text) {
		return fmt.Errorf("message text is not valid UTF-8")
	}
	if m.ReplyTo != "" {
		if _, _, err := ParseID(m.ReplyTo); err != nil {
			return err
		}
	}
	if err := checkOfficer(m.Officer, false); err != nil {
		return err
	}
	if err := checkOfficer(m.ReleasedBy, false); err != nil {
		return err
	}
	if m.ReleasedBy != "" && (m.Officer == "" || m.ReleasedBy == m.Officer) {
		return fmt.Errorf("a released message names its drafter, and the releaser is another officer")
	}
	return nil
}

// checkOfficer checks an officer's name in a body: valid UTF-8 of at most
// MaxOfficerName bytes, and present if required.
func checkOfficer(name string, required bool) error {
	if name == "" && !required {
		return nil
	}
	if name == "" || len(name) > MaxOfficerName || !utf8.ValidString(name) {
		return fmt.Errorf("an officer's name is 1 to %d bytes of UTF-8", MaxOfficerName)
	}
	return nil
}

// Validate checks a mark.
func (m *Mark) Validate(kind Kind) error {
	if _, _, err := ParseID(m.Message); err != nil {
		return err
	}
	if kind == KindAck && (m.Officer == "" || len(m.Officer) > MaxOfficerName) {
		return fmt.Errorf("an acknowledgement names the officer who made it (1 to %d bytes)", MaxOfficerName)
	}
	return nil
}

// DecodeMessage decodes and validates a message body.
func DecodeMessage(b []byte) (*Message, error) {
	var m Message
	if err := strictJSON(b, &m); err != nil {
		return nil, fmt.Errorf("message body: %w", err)
	}
	return &m, m.Validate()
}

// DecodeMark decodes and validates a displayed or ack body.
func DecodeMark(b []byte, kind Kind) (*Mark, error) {
	var m Mark
	if err := strictJSON(b, &m); err != nil {
		return nil, fmt.Errorf("%s body: %w", kind, err)
	}
	return &m, m.Validate(kind)
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	// More would report false for a stray '}' or ']'; only EOF ends a body.
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data")
	}
	return nil
}

// RouteResult is the outcome of testing one route to one peer.
type RouteResult struct {
	Peer  string `json:"peer"`
	Route string `json:"route"`
	OK    bool   `json:"ok"`
	RTTms int64  `json:"rtt_ms"`
	Error string `json:"error,omitempty"`
}

// LinkTest is the body of a KindLinkTest entry: what the author found when
// it tested every route to every peer. Being an entry, it reaches the
// peers, so each side sees both directions.
type LinkTest struct {
	Results []RouteResult `json:"results"`
}

// DecodeLinkTest decodes and validates a link-test body.
func DecodeLinkTest(b []byte) (*LinkTest, error) {
	var t LinkTest
	if err := strictJSON(b, &t); err != nil {
		return nil, fmt.Errorf("linktest body: %w", err)
	}
	if len(t.Results) > 1024 {
		return nil, fmt.Errorf("linktest body: %d results", len(t.Results))
	}
	for _, r := range t.Results {
		if len(r.Peer) > 32 || len(r.Route) > 32 || len(r.Error) > 1024 {
			return nil, fmt.Errorf("linktest body: oversized result")
		}
	}
	return &t, nil
}

// RollCall is the body of a KindRollCall entry: the officer who confirmed
// that a person is on watch, answering the roll-call of the slot that began
// at Slot (Unix milliseconds; see charter.RollCallRule).
type RollCall struct {
	Officer string `json:"officer"`
	Slot    int64  `json:"slot"`
}

// Validate checks a roll-call body.
func (r *RollCall) Validate() error {
	if err := checkOfficer(r.Officer, true); err != nil {
		return fmt.Errorf("roll-call: %w", err)
	}
	if r.Slot < 0 {
		return fmt.Errorf("roll-call: negative slot")
	}
	return nil
}

// DecodeRollCall decodes and validates a roll-call body.
func DecodeRollCall(b []byte) (*RollCall, error) {
	var r RollCall
	if err := strictJSON(b, &r); err != nil {
		return nil, fmt.Errorf("rollcall body: %w", err)
	}
	return &r, r.Validate()
}
