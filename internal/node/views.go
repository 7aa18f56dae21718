package node

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/notice"
	"github.com/hotline-line/hotline/internal/readmodel"
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
	// BeforeJoining says the message was written before this party
	// joined the line: its body is sealed to the parties then in force.
	BeforeJoining bool      `json:"before_joining,omitempty"`
	Written       time.Time `json:"written"`  // the author's clock
	Received      time.Time `json:"received"` // this node's clock
	Ladder        []Rungs   `json:"ladder"`   // per receiving party
	// Translations are the attributed translations of the message, by
	// any party, beside the original (filled by Message only).
	Translations []TranslationView `json:"translations,omitempty"`
	// Form is a formatted notice's fields as sent, and Template its
	// template from the charter, for the reader to label them in its
	// language; FormError says why a form does not fit its template.
	Form      *entry.Form      `json:"form,omitempty"`
	Template  *notice.Template `json:"template,omitempty"`
	FormError string           `json:"form_error,omitempty"`
	// Disputed, if set, says that its author later declared the keys that
	// signed it stolen from before it was written (keys.go): it is shown,
	// not trusted as the author's word.
	Disputed string `json:"disputed,omitempty"`
}

// Rungs is the ladder of one message at one receiving party (see
// readmodel.Rungs).
type Rungs = readmodel.Rungs

func ms(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// ReadLine returns what the read side needs of line id: its signed
// charter, read once when the node opened or installed the line, the
// charter in force, and this node's place in it. The views, the alerts and the console all take it from here.
func (n *Node) ReadLine(id string) (*readmodel.Line, error) {
	ls, err := n.line(id)
	if err != nil {
		return nil, err
	}
	l := readmodel.NewLine(ls.charter, ls.me, ls.installed)
	l.InForce, l.InForceAt = ls.rules, ls.rulesAt
	return l, nil
}

func toMessage(e store.Entry) Message {
	m := Message{ID: entry.ID(e.Author, e.Index), Line: e.Line, Author: e.Author,
		Precedence: e.Precedence, BodyError: e.BodyError,
		Written: ms(e.Time), Received: ms(e.Received)}
	if e.BodyError == entry.BeforeJoining {
		m.BodyError, m.BeforeJoining = "", true
	}
	if e.BodyError == "" && e.Body != nil {
		var body entry.Message
		if err := json.Unmarshal(e.Body, &body); err == nil {
			m.Lang, m.Text, m.ReplyTo = body.Lang, body.Text, body.ReplyTo
			m.Officer, m.ReleasedBy = body.Officer, body.ReleasedBy
			m.Form = body.Form
		}
	}
	return m
}

// withLadders turns stored messages into views with their ladders, in a
// constant number of queries (see readmodel.Ladders).
func (n *Node) withLadders(line string, rows []store.Entry) ([]Message, error) {
	l, err := n.ReadLine(line)
	if err != nil {
		return nil, err
	}
	ladders, err := readmodel.Ladders(n.ctx, n.Store, l, rows)
	if err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(rows))
	for i, e := range rows {
		m := toMessage(e)
		m.Ladder = ladders[i]
		m.Disputed = n.disputed(line, e)
		if m.Form != nil {
			m.Template, m.FormError = formView(l.Rules().Templates, m.Form)
		}
		out = append(out, m)
	}
	return out, nil
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
	return n.withLadders(ls.id, rows)
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
	if errors.Is(err, sql.ErrNoRows) || err == nil && e.Kind != entry.KindMessage {
		return nil, fmt.Errorf("%w: %s", ErrNoMessage, id)
	}
	if err != nil {
		return nil, err
	}
	m, err := n.withLadders(ls.id, []store.Entry{e})
	if err != nil {
		return nil, err
	}
	if m[0].Translations, err = n.translations(ls, m[0].ID); err != nil {
		return nil, err
	}
	return &m[0], nil
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
	Evidence  int64          `json:"evidence"` // refusals of input on this line (hotline evidence)
	// Keys is the parties' signing keys over time, when some party has
	// changed its keys (keys.go).
	Keys []KeyChange `json:"keys,omitempty"`
	// EvidenceCounts are those refusals by party and kind.
	EvidenceCounts []store.EvidenceCount `json:"evidence_counts,omitempty"`
	LineNotices
	// CharterVersion is the version of the charter in force (1: as
	// signed), and AmendmentsWaiting how many amendments wait for answers
	// (amend.go).
	CharterVersion    uint64 `json:"charter_version"`
	AmendmentsWaiting int    `json:"amendments_waiting,omitempty"`
	// Templates are the formatted notices the charter defines.
	Templates notice.Set `json:"templates,omitempty"`
}

// PartyStatus is what this node knows of one party of a line.
type PartyStatus struct {
	Party   string        `json:"party"`
	Name    string        `json:"name"`
	Langs   []string      `json:"langs"`
	LogSize uint64        `json:"log_size"`          // entries of its log held here
	Receipt uint64        `json:"receipt,omitempty"` // peers: how much of our log it has cosigned, by the receipts stored
	Pending uint64        `json:"pending,omitempty"` // peers: our entries it has not cosigned yet
	Routes  []RouteHealth `json:"routes,omitempty"`
	Clock   *ClockOffset  `json:"clock,omitempty"` // peers: its clock against ours, once measured
}

// Status reports on a line.
func (n *Node) Status(line string) (*LineStatus, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	st := &LineStatus{ID: ls.id, Title: ls.charter.Title, Me: ls.me}
	if err := n.fillState(ls, st); err != nil {
		return nil, err
	}
	st.Templates = ls.rules().Templates
	n.fillAmendments(ls, st)
	own := ls.log(ls.me)
	rules := ls.rules() // the parties in force: one that joined, none that left
	for i := range rules.Parties {
		c := &rules.Parties[i]
		if ls.log(c.Party) == nil {
			continue
		}
		ps := PartyStatus{Party: c.Party, Name: c.Name, Langs: c.Langs, LogSize: ls.log(c.Party).committed.Load()}
		if c.Party != ls.me {
			own.mu.Lock()
			ps.Receipt = own.stored[c.Party] // what the store can prove, as the ladder shows it
			own.mu.Unlock()
			ps.Pending = own.committed.Load() - ps.Receipt
			if l := n.linkFor(ls.id, c.Party); l != nil {
				l.mu.Lock()
				for _, h := range l.health {
					ps.Routes = append(ps.Routes, *h)
				}
				l.mu.Unlock()
			}
			if o, ok := n.clockOffset(ls.id, c.Party); ok {
				ps.Clock = &o
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
	if st.EvidenceCounts, err = n.EvidenceCounts(ls.id); err != nil {
		return nil, err
	}
	for _, c := range st.EvidenceCounts {
		st.Evidence += c.Count
	}
	if h := ls.keys.History(); len(h) > len(ls.charter.Parties) {
		st.Keys = h
	}
	return st, nil
}

// Receipt returns how much of this party's log peer has cosigned.
func (n *Node) Receipt(line, peer string) (uint64, error) {
	ls, err := n.line(line)
	if err != nil {
		return 0, err
	}
	own := ls.log(ls.me)
	own.mu.Lock()
	defer own.mu.Unlock()
	return own.receipts[peer], nil
}
