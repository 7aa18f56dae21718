package node

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/notice"
	"github.com/hotline-line/hotline/internal/store"
)

// Message is a message as people see it, with its receipt ladder.
type Message struct {
	ID         string           `json:"id"`
	Line       string           `json:"line"`
	Author     string           `json:"author"`
	Precedence entry.Precedence `json:"precedence"`
	Lang       string           `json:"lang,omitempty"`
	Text       string           `json:"text,omitempty"`
	ReplyTo    string           `json:"reply_to,omitempty"`
	Officer    string           `json:"officer,omitempty"`     // who wrote or drafted it, as its author's node signed
	ReleasedBy string           `json:"released_by,omitempty"` // the second officer, under two-person release
	BodyError  string           `json:"body_error,omitempty"`
	Written    time.Time        `json:"written"`  // the author's clock
	Received   time.Time        `json:"received"` // this node's clock
	Ladder     []Rungs          `json:"ladder"`   // per receiving party
	// Form is a formatted notice's fields as sent, and Template its
	// template from the charter, for the reader to label them in its
	// language; FormError says why a form does not fit its template.
	Form      *entry.Form      `json:"form,omitempty"`
	Template  *notice.Template `json:"template,omitempty"`
	FormError string           `json:"form_error,omitempty"`
}

// Rungs is the ladder of one message at one receiving party:
// queued → sent → delivered → displayed → acknowledged → replied.
type Rungs struct {
	Party        string    `json:"party"`
	State        string    `json:"state"`
	Queued       time.Time `json:"queued,omitzero"`
	Sent         time.Time `json:"sent,omitzero"`
	Delivered    time.Time `json:"delivered,omitzero"` // the party's cosignature time
	Displayed    time.Time `json:"displayed,omitzero"`
	Acknowledged time.Time `json:"acknowledged,omitzero"`
	AckedBy      string    `json:"acked_by,omitempty"`
	Replied      time.Time `json:"replied,omitzero"`
	Reply        string    `json:"reply,omitempty"`
	AckBy        time.Time `json:"ack_by,omitzero"`   // deadline, from delivery
	ReplyBy      time.Time `json:"reply_by,omitzero"` // deadline, from delivery
}

func ms(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func (n *Node) toMessage(ls *lineState, e store.Entry) Message {
	m := Message{ID: entry.ID(e.Author, e.Index), Line: e.Line, Author: e.Author,
		Precedence: entry.Precedence(e.Precedence), BodyError: e.BodyError,
		Written: ms(e.Time), Received: ms(e.Received)}
	if e.BodyError == "" && e.Body != nil {
		var body entry.Message
		if err := json.Unmarshal(e.Body, &body); err == nil {
			m.Lang, m.Text, m.ReplyTo = body.Lang, body.Text, body.ReplyTo
			m.Officer, m.ReleasedBy = body.Officer, body.ReleasedBy
			if body.Form != nil {
				m.Form = body.Form
				m.Template, m.FormError = formView(ls.charter.Templates, body.Form)
			}
		}
	}
	return m
}

// ladder fills the rungs of message m at each party that receives it.
func (n *Node) ladder(ls *lineState, m *Message, index uint64) error {
	refs, err := n.Store.Referring(ls.id, m.ID)
	if err != nil {
		return err
	}
	dl := ls.charter.Deadline(m.Precedence)
	for _, p := range ls.charter.Slugs() {
		if p == m.Author {
			continue
		}
		r := Rungs{Party: p, Queued: m.Received, State: "queued"}
		if m.Author == ls.me {
			sent, err := n.Store.FirstSent(ls.id, p, index)
			if err != nil {
				return err
			}
			r.Sent = ms(sent)
			c, err := n.Store.FirstCosig(ls.id, ls.me, p, index)
			if err != nil {
				return err
			}
			if c != nil {
				r.Delivered = time.Unix(c.Time, 0).UTC()
			}
		} else if p == ls.me {
			r.Sent, r.Delivered = m.Received, m.Received
		}
		for _, e := range refs {
			if e.Author != p {
				continue
			}
			at := ms(e.Time)
			switch entry.Kind(e.Kind) {
			case entry.KindDisplayed:
				r.Displayed = at
			case entry.KindAck:
				r.Acknowledged, r.AckedBy = at, e.Officer
			case entry.KindMessage:
				if r.Replied.IsZero() {
					r.Replied, r.Reply = at, entry.ID(e.Author, e.Index)
				}
			}
		}
		// A later rung proves the earlier ones even if their records are
		// missing (a receipt still in flight, a display not yet written).
		for _, later := range []time.Time{r.Displayed, r.Acknowledged, r.Replied} {
			if r.Delivered.IsZero() && !later.IsZero() {
				r.Delivered = later
			}
		}
		if r.Sent.IsZero() && !r.Delivered.IsZero() {
			r.Sent = r.Delivered
		}
		if !r.Delivered.IsZero() {
			r.AckBy = r.Delivered.Add(time.Duration(dl.Ack))
			r.ReplyBy = r.Delivered.Add(time.Duration(dl.Reply))
		}
		switch {
		case !r.Replied.IsZero():
			r.State = "replied"
		case !r.Acknowledged.IsZero():
			r.State = "acknowledged"
		case !r.Displayed.IsZero():
			r.State = "displayed"
		case !r.Delivered.IsZero():
			r.State = "delivered"
		case !r.Sent.IsZero():
			r.State = "sent"
		}
		m.Ladder = append(m.Ladder, r)
	}
	return nil
}

// Messages lists messages on line, newest first: those written by this
// party (outbox) or by the others (inbox).
func (n *Node) Messages(line string, outbox bool, limit int) ([]Message, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	rows, err := n.Store.Messages(ls.id, ls.me, outbox, limit)
	if err != nil {
		return nil, err
	}
	var out []Message
	for _, e := range rows {
		m := n.toMessage(ls, e)
		if err := n.ladder(ls, &m, e.Index); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// ErrNoMessage means there is no message with that ID on the line.
var ErrNoMessage = errors.New("no such message")

// Message returns one message with its ladder.
func (n *Node) Message(line, id string) (*Message, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	author, index, err := entry.ParseID(id)
	if err != nil {
		return nil, err
	}
	e, err := n.Store.Entry(ls.id, author, index)
	if errors.Is(err, sql.ErrNoRows) || err == nil && e.Kind != string(entry.KindMessage) {
		return nil, fmt.Errorf("%w: %s", ErrNoMessage, id)
	}
	if err != nil {
		return nil, err
	}
	m := n.toMessage(ls, e)
	if err := n.ladder(ls, &m, index); err != nil {
		return nil, err
	}
	return &m, nil
}

// LineStatus is the state of a line as this node sees it.
type LineStatus struct {
	ID      string        `json:"id"`
	Title   string        `json:"title"`
	State   string        `json:"state"`
	Me      string        `json:"me"`
	Parties []PartyStatus `json:"parties"`
	// LinkTests is the latest link test of every party: ours, and each
	// peer's view of its routes to us.
	LinkTests []LinkTestView `json:"link_tests"`
	// RollCalls is "person present" at every party, where the charter
	// has a roll-call.
	RollCalls []RollCallView `json:"roll_calls,omitempty"`
	Evidence  int            `json:"evidence"` // pieces of refused input kept (hotline evidence)
	// Templates are the formatted notices the charter defines.
	Templates notice.Set `json:"templates,omitempty"`
}

// PartyStatus is what this node knows of one party of a line.
type PartyStatus struct {
	Party   string        `json:"party"`
	Name    string        `json:"name"`
	Langs   []string      `json:"langs"`
	LogSize uint64        `json:"log_size"`          // entries of its log held here
	Receipt uint64        `json:"receipt,omitempty"` // peers: how much of our log it has cosigned
	Pending uint64        `json:"pending,omitempty"` // peers: our entries it has not cosigned yet
	Routes  []RouteHealth `json:"routes,omitempty"`
}

// Status reports on a line.
func (n *Node) Status(line string) (*LineStatus, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	st := &LineStatus{ID: ls.id, Title: ls.charter.Title, State: "open", Me: ls.me}
	st.Templates = ls.charter.Templates
	own := ls.logs[ls.me]
	for i := range ls.charter.Parties {
		c := &ls.charter.Parties[i]
		ps := PartyStatus{Party: c.Party, Name: c.Name, Langs: c.Langs, LogSize: ls.logs[c.Party].committed.Load()}
		if c.Party != ls.me {
			own.mu.Lock()
			ps.Receipt = own.receipts[c.Party]
			own.mu.Unlock()
			ps.Pending = own.committed.Load() - ps.Receipt
			if l := n.linkFor(ls.id, c.Party); l != nil {
				l.mu.Lock()
				for _, h := range l.health {
					ps.Routes = append(ps.Routes, *h)
				}
				l.mu.Unlock()
			}
		}
		st.Parties = append(st.Parties, ps)
	}
	if st.LinkTests, err = n.LinkTests(line); err != nil {
		return nil, err
	}
	if st.RollCalls, err = n.RollCalls(line); err != nil {
		return nil, err
	}
	ev, err := n.Store.EvidenceList(1000)
	if err != nil {
		return nil, err
	}
	for _, e := range ev {
		if e.Line == ls.id {
			st.Evidence++
		}
	}
	return st, nil
}

// Receipt returns how much of this party's log peer has cosigned.
func (n *Node) Receipt(line, peer string) (uint64, error) {
	ls, err := n.line(line)
	if err != nil {
		return 0, err
	}
	own := ls.logs[ls.me]
	own.mu.Lock()
	defer own.mu.Unlock()
	return own.receipts[peer], nil
}
