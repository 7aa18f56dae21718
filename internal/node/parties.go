package node

import (
	"crypto/hpke"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hotline-line/hotline/internal/amend"
	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/tlog"
)

// Parties joining and leaving (protocol §33). The signed charter names a
// line's first parties; an amendment in force (package amend) adds a party
// by its signed card or removes one. The node holds the log of every
// party the line ever had, and follows the charter in force for everything
// else: whom a new body is sealed to (recipients), which peers it keeps
// links to (peers), and whose TLS key it lets in (PartyForTLSKey). A
// party's HPKE and TLS keys follow its key entries (verify.Keyring).

// partySet is every party whose log the node holds on a line: those of
// the signed charter and those an amendment in force added since. It is
// replaced, never changed, when a party joins, so readers take no lock.
type partySet struct {
	logs map[string]*logState
	hpke map[string]hpke.PublicKey // every other party's key
}

// log returns what the node holds of party p's log, or nil.
func (ls *lineState) log(p string) *logState { return ls.set.Load().logs[p] }

// logs returns every log the node holds of the line; the caller does not
// change the map.
func (ls *lineState) logs() map[string]*logState { return ls.set.Load().logs }

// hpkeOf returns party p's HPKE key: the one its newest key entry in
// force put in place, else its card's. A body is sealed to it from the
// moment this node takes the key entry in (protocol §32).
func (ls *lineState) hpkeOf(p string) (hpke.PublicKey, bool) {
	if pk, ok := ls.keys.HPKEKey(p); ok {
		return pk, true
	}
	pk, ok := ls.set.Load().hpke[p]
	return pk, ok
}

// peers lists the other parties in force now, in charter order: those the
// node keeps links to and seals new bodies to. A party that left has none.
func (ls *lineState) peers() []string {
	if ls.left() {
		return nil
	}
	var out []string
	for _, p := range ls.rules().Slugs() {
		if p != ls.me {
			out = append(out, p)
		}
	}
	return out
}

// isPeer reports whether p is another party in force now: a party that
// left, or one not in force yet, neither sends to us nor hears from us.
func (ls *lineState) isPeer(p string) bool { return slices.Contains(ls.peers(), p) }

// left reports whether this party was a party of the line in force once
// and an amendment in force removed it since.
func (ls *lineState) left() bool {
	ch := ls.chain.Load()
	if ch == nil {
		return false
	}
	_, _, ok := ch.Joined(ls.me)
	return ok && ch.Current().Charter.Party(ls.me) == nil
}

// ErrLeft means this party is no longer a party of the line: an amendment
// in force removed it. It writes nothing more there; what it holds stays
// readable, exportable and verifiable.
var ErrLeft = errors.New("this party is no longer a party of the line: an amendment in force removed it")

// recipients returns whom the body of a new entry of kind is sealed to:
// every other party in force now, by the charter in force. Entries of an
// open kind (entry.Kind.Open) go in an open envelope instead, open true,
// for every party present and future to read. It is the one rule of who
// reads a new body; the seal path calls it.
func (ls *lineState) recipients(kind entry.Kind) (to map[string]hpke.PublicKey, open bool, err error) {
	if ls.left() {
		return nil, false, ErrLeft
	}
	if kind.Open() {
		return nil, true, nil
	}
	to = map[string]hpke.PublicKey{}
	for _, p := range ls.peers() {
		pk, ok := ls.hpkeOf(p)
		if !ok {
			return nil, false, fmt.Errorf("line %s: no key of %s, a party in force", ls.id, p)
		}
		to[p] = pk
	}
	return to, false, nil
}

// wasParty reports whether a body written at t is sealed to this party:
// whether it was a party in force then, by the chain this node holds. A
// joiner that does not hold the amendment that added it yet counts itself
// out everywhere: it takes in what it cannot open, and checks the bodies
// it should have once the chain has come.
func (ls *lineState) wasParty(t time.Time) bool {
	return ls.rulesAt(t).Party(ls.me) != nil
}

// newLog is an empty log of party p on the line.
func newLog(line, p string) *logState {
	return &logState{author: p, origin: tlog.Origin(line, p), receipts: map[string]uint64{}, stored: map[string]uint64{}, lastReceipt: map[string][]byte{}}
}

// addParties puts the logs and keys of cards into the line's party set,
// each loaded from the store (a node that reopens holds their entries
// already). Cards held already are left as they are.
func (n *Node) addParties(ls *lineState, cards []card.Card, cosigs []store.Cosig) error {
	set := ls.set.Load()
	next := &partySet{logs: maps.Clone(set.logs), hpke: maps.Clone(set.hpke)}
	var added []*card.Card
	for i := range cards {
		k := &cards[i]
		if next.logs[k.Party] != nil {
			continue
		}
		lg := newLog(ls.id, k.Party)
		if err := n.loadLog(ls, lg, cosigs); err != nil {
			return err
		}
		next.logs[k.Party] = lg
		if k.Party != n.Me() {
			pk, err := identity.KEM().NewPublicKey(k.HPKEKey)
			if err != nil {
				return fmt.Errorf("line %s: %s's HPKE key: %w", ls.id, k.Party, err)
			}
			next.hpke[k.Party] = pk
		}
		added = append(added, k)
	}
	if len(added) == 0 {
		return nil
	}
	// The log first, then the keys: a segment of the new party verifies
	// only once both are there.
	ls.set.Store(next)
	for _, k := range added {
		if err := ls.keys.AddParty(k); err != nil {
			return err
		}
		n.log.Info("party joined", "line", ls.id, "joined", k.Party)
	}
	return nil
}

// takeParties takes in every party the chain ever put in force: its log
// and its keys. Links follow the charter in force (startLinks; a link to a
// party no longer in force ends itself, link.followCharter).
func (n *Node) takeParties(ls *lineState, ch *amend.Chain) {
	if len(ch.Versions) == 1 {
		return
	}
	cards := ch.Cards()
	set := ls.set.Load()
	if !slices.ContainsFunc(cards, func(k card.Card) bool { return set.logs[k.Party] == nil }) {
		return // the usual case: every party is held already
	}
	cosigs, err := n.Store.LatestCosigs(ls.id)
	if err == nil {
		err = n.addParties(ls, cards, cosigs)
	}
	if err != nil {
		n.log.Error("taking in the parties of the charter in force", "line", ls.id, "err", err)
	}
}
