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
}

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
	if m.Text == "" {
		return fmt.Errorf("message text is empty")
	}
	if len(m.Text) > MaxTextSize {
		return fmt.Errorf("message text is %d bytes, limit %d", len(m.Text), MaxTextSize)
	}
	if !utf8.ValidString(m.Text) {
		return fmt.Errorf("message text is not valid UTF-8")
	}
	if m.ReplyTo != "" {
		if _, _, err := ParseID(m.ReplyTo); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a mark.
func (m *Mark) Validate(kind Kind) error {
	if _, _, err := ParseID(m.Message); err != nil {
		return err
	}
	if kind == KindAck && (m.Officer == "" || len(m.Officer) > 100) {
		return fmt.Errorf("an acknowledgement names the officer who made it (1 to 100 bytes)")
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
