package escalate

import (
	"context"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
)

// Kind says what an alert is about.
type Kind string

// The kinds of alerts. Those of the receiving side (owed_*) are resolved by
// our own people acting; the others wait on another party or on the
// network, so our people may silence them once they know.
const (
	// OwedAck: a message from another party waits for our
	// acknowledgement. FLASH and IMMEDIATE open it at arrival, PRIORITY and
	// ROUTINE when the acknowledgement deadline passes.
	OwedAck Kind = "owed_ack"
	// OwedReply: the reply deadline of a message from another party passed
	// and we have not replied.
	OwedReply Kind = "owed_reply"
	// PeerAckOverdue: a party has not acknowledged our message and the
	// deadline, counted from its delivery, passed.
	PeerAckOverdue Kind = "peer_ack_overdue"
	// PeerReplyOverdue: likewise for the reply deadline.
	PeerReplyOverdue Kind = "peer_reply_overdue"
	// Undelivered: our FLASH or IMMEDIATE message has no delivery receipt
	// from a party within its acknowledgement deadline, counted from when
	// it was queued: the cable is cut, or the party's node is down.
	Undelivered Kind = "undelivered"
	// LinkTestOverdue: a party's scheduled link tests stopped arriving.
	LinkTestOverdue Kind = "linktest_overdue"
	// RollCallPending: our roll-call slot is open and no officer has
	// confirmed presence yet; the chain's first step is the ask.
	RollCallPending Kind = "rollcall_pending"
	// RollCallMissed: our latest closed roll-call slot ended with no
	// confirmation in time; it closes with the next confirmation.
	RollCallMissed Kind = "rollcall_missed"
	// PeerRollCallMissed: a party's roll-call slot ended with no
	// confirmation from a person there.
	PeerRollCallMissed Kind = "peer_rollcall_missed"
)

// Alert is one open condition, as the node proves it at one moment. It
// carries metadata only — parties, message IDs, precedence, times — and
// never a message's text: notifications cross mail and web systems that the
// line's end-to-end encryption does not trust.
type Alert struct {
	// ID names the condition, stably from one evaluation to the next
	// (kind:line:message[:party]), so the engine can follow it.
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Owed means our own people resolve the alert by acting
	// (acknowledging, replying): it cannot be silenced.
	Owed       bool             `json:"owed"`
	Line       string           `json:"line"`
	LineTitle  string           `json:"line_title"`
	Party      string           `json:"party"`             // the party concerned: the peer, or us
	Message    string           `json:"message,omitempty"` // message ID, such as seoul-12
	Precedence entry.Precedence `json:"precedence,omitempty"`
	// Summary is one line of English: "beijing has not acknowledged
	// seoul-12 — deadline 03:22 UTC passed".
	Summary string `json:"summary"`
	// Detail states the proven facts in one sentence: "delivered 03:12 UTC
	// (cosigned receipt), displayed 03:13, not acknowledged; ack deadline
	// 03:22 passed".
	Detail   string    `json:"detail,omitempty"`
	Facts    Facts     `json:"facts"`
	Deadline time.Time `json:"deadline,omitzero"`
	Opened   time.Time `json:"opened"` // when the condition began
}

// Facts are the proven rungs of a message at the party concerned, and for
// alerts about the network, the health of the routes. Zero times are
// rungs not reached.
type Facts struct {
	Queued    time.Time `json:"queued,omitzero"`
	Sent      time.Time `json:"sent,omitzero"`
	Delivered time.Time `json:"delivered,omitzero"`
	// DeliveryProof says what proves the delivery: "cosigned receipt", or
	// a later rung ("displayed mark", ...) when the receipt is still on
	// its way.
	DeliveryProof string    `json:"delivery_proof,omitempty"`
	Displayed     time.Time `json:"displayed,omitzero"`
	Acknowledged  time.Time `json:"acknowledged,omitzero"`
	AckedBy       string    `json:"acked_by,omitempty"`
	Replied       time.Time `json:"replied,omitzero"`
	Reply         string    `json:"reply,omitempty"` // the reply's message ID
	LastLinkTest  time.Time `json:"last_link_test,omitzero"`
	Routes        []Route   `json:"routes,omitempty"`
}

// Route is the health of one route to the party concerned, as real traffic
// measured it.
type Route struct {
	Name        string    `json:"name"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastFailure time.Time `json:"last_failure,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Failures    int       `json:"consecutive_failures,omitempty"`
}

// Source returns the alerts open at now. An error leaves every alert as it
// was: a failed evaluation closes nothing. It must stop reading when ctx
// ends: the engine stops with the node.
type Source func(ctx context.Context, now time.Time) ([]Alert, error)
