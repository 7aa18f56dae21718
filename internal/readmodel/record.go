package readmodel

import (
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/store"
)

// record is what a [Tracker] keeps of one message owed by one party: the
// times recorded of it, with its author, party and precedence as small
// numbers. The store.Pending it is read from, its strings and the string
// keys that found it took two and a half times the memory: 341 bytes per
// message owed against about 135.
type record struct {
	idx      uint64
	received int64  // ms: queued (ours) or arrived (a peer's)
	receipt  int64  // s: the party's first cosignature covering it
	sent     int64  // ms, ours only
	shown    int64  // ms: the party's displayed mark
	acked    int64  // ms
	replied  int64  // ms
	text     *texts // nil while all are empty, as for most messages owed
	author   name
	party    name
	prec     name
	gone     bool // forgotten: its entries in the deadline heap are stale
}

// texts are the strings of a record, apart: most messages owed have none.
type texts struct {
	ackedBy string
	reply   string // the party's reply, when replied
	replyTo string // the message this one answers, if it is a reply
}

// recordKey finds a record: message and party, as Owed.Key does.
type recordKey struct {
	author, party name
	idx           uint64
}

// name is a string the tracker keeps once (see names): a party or a
// precedence. 0 is the empty string.
type name uint16

// names interns the parties and precedences of a line's records: a few
// strings, checked when their entries were accepted. Should a line ever
// bring more than 65,535, the rest are kept as empty rather than grow
// the table.
type names struct {
	ids  map[string]name
	strs []string
}

func newNames() names { return names{ids: map[string]name{"": 0}, strs: []string{""}} }

func (ns *names) id(s string) name {
	if n, ok := ns.ids[s]; ok {
		return n
	}
	if len(ns.strs) > int(^name(0)) {
		return 0
	}
	n := name(len(ns.strs))
	ns.ids[s] = n
	ns.strs = append(ns.strs, s)
	return n
}

func (ns *names) str(n name) string { return ns.strs[n] }

// find returns the name of s, if it has one, without adding it.
func (ns *names) find(s string) (name, bool) {
	n, ok := ns.ids[s]
	return n, ok
}

// record turns p, owed by party, into a record.
func (ns *names) record(p *store.Pending, party string) *record {
	r := &record{idx: p.Index, author: ns.id(p.Author), party: ns.id(party)}
	ns.set(r, p)
	return r
}

// set copies the facts of p into r.
func (ns *names) set(r *record, p *store.Pending) {
	r.received, r.receipt, r.sent, r.shown, r.acked, r.replied = p.Received, p.Receipt, p.Sent, p.Displayed, p.Acked, p.Replied
	r.prec, r.text = ns.id(string(p.Precedence)), nil
	if p.AckedBy != "" || p.Reply != "" || p.ReplyTo != "" {
		r.text = &texts{ackedBy: p.AckedBy, reply: p.Reply, replyTo: p.ReplyTo}
	}
}

// pending gives r back as the store.Pending it was read from.
func (ns *names) pending(r *record) store.Pending {
	p := store.Pending{Author: ns.str(r.author), Index: r.idx, Precedence: entry.Precedence(ns.str(r.prec)),
		Received: r.received, Receipt: r.receipt, Sent: r.sent, Displayed: r.shown, Acked: r.acked, Replied: r.replied}
	if r.text != nil {
		p.AckedBy, p.Reply, p.ReplyTo = r.text.ackedBy, r.text.reply, r.text.replyTo
	}
	return p
}

func (r *record) key() recordKey { return recordKey{author: r.author, party: r.party, idx: r.idx} }
