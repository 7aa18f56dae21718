package transcript

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/verify"
)

// Audit is a transcript checked entry by entry. Err is what
// VerifyTranscript decides; Logs say what holds of each log and each entry
// even when the whole does not verify, so that one changed entry does not
// hide what the others prove.
type Audit struct {
	Err     error   // the first failure; nil if the transcript verifies
	Report  *Report // set if Err is nil
	Line    string
	Title   string   // from the charter; empty if it does not verify
	Parties []string // likewise
	Logs    []LogAudit
}

// The status of one entry.
const (
	// StatusVerified: the leaf is well formed and in its place, its body
	// (if the transcript holds it) matches the commitment, and it is
	// included under a checkpoint its author signed and another party
	// cosigned: the tree recomputed from the leaves has that root.
	StatusVerified = "verified"
	// StatusUnconfirmed: as verified, but only under its author's own
	// checkpoint: no other party's receipt covers it yet.
	StatusUnconfirmed = "unconfirmed"
	// StatusFailed: something above does not hold; Problem says what.
	StatusFailed = "failed"
)

// What is known of an entry's body.
const (
	BodyVerified = "verified" // salt and body hash to the leaf's commitment
	BodyMismatch = "mismatch" // they do not: the body was changed
	BodyAbsent   = "absent"   // not in the transcript (sealed to other parties)
)

// EntryReport is what a transcript proves of one entry. It carries no
// text: it says that an entry is what its receivers hold, not what it says.
type EntryReport struct {
	ID         string           `json:"id"`
	Log        string           `json:"log"` // the author, whose log holds it
	Index      uint64           `json:"index"`
	Kind       entry.Kind       `json:"kind,omitempty"`
	Precedence entry.Precedence `json:"precedence,omitempty"`
	Ref        string           `json:"ref,omitempty"` // the message a displayed or ack entry names
	Written    time.Time        `json:"written,omitzero"`
	Status     string           `json:"status"`
	Body       string           `json:"body"`
	// Checkpoint is the size of the smallest cosigned checkpoint of the
	// log the entry is proven included under (0: none).
	Checkpoint uint64         `json:"checkpoint,omitempty"`
	Cosigned   []FirstReceipt `json:"cosigned_by"`
	Problem    string         `json:"problem,omitempty"`
}

// FirstReceipt is a party's first receipt covering an entry.
type FirstReceipt struct {
	Party string    `json:"party"`
	Size  uint64    `json:"size"` // of the checkpoint it cosigned
	Time  time.Time `json:"time"` // by the cosigner's clock
}

// LogAudit is one log of a transcript and what was proven of it.
type LogAudit struct {
	Author     string            `json:"author"`
	Size       uint64            `json:"size"`
	Checkpoint string            `json:"checkpoint"` // verified or failed: the author's signed checkpoint at Size
	Receipts   int               `json:"receipts"`   // cosigned checkpoints that verified
	HeldBy     map[string]uint64 `json:"held_by"`    // cosigner -> largest size it cosigned
	Problems   []string          `json:"problems,omitempty"`
	Entries    []EntryReport     `json:"-"`

	leaves   []*entry.Leaf        // parsed, nil where an entry failed
	tree     *tlog.Tree           // from the leaves as they are
	receipts []*verify.Checkpoint // the receipts that verified
}

// maxProblems bounds the problems listed for one log.
const maxProblems = 10

// Check verifies a transcript and reports on every log and entry.
func Check(t *Transcript) *Audit {
	a := &Audit{Line: t.Line}
	k, err := verify.OpenCharter([]byte(t.Charter), t.Line)
	if err != nil {
		a.Err = err
		return a
	}
	a.Title, a.Parties = k.Charter.Title, slugs(joinParties(k, t).Cards())
	fail := func(err error) {
		if a.Err == nil {
			a.Err = err
		}
	}
	keyErrs := followKeys(k, t)
	seen := map[string]bool{}
	for i := range t.Logs {
		lg := &t.Logs[i]
		la := LogAudit{Author: lg.Author, Size: uint64(len(lg.Entries)), Checkpoint: StatusFailed, HeldBy: map[string]uint64{}}
		err := k.Party(lg.Author)
		if err == nil && seen[lg.Author] {
			err = fmt.Errorf("%w: log %s appears twice", verify.ErrPlacement, lg.Author)
		}
		if err != nil {
			fail(err)
			la.Problems = []string{err.Error()}
			for j := range lg.Entries {
				la.Entries = append(la.Entries, failedEntry(lg.Author, uint64(j), err))
			}
		} else {
			seen[lg.Author] = true
			if err := keyErrs[lg.Author]; err != nil {
				la.Problems = append(la.Problems, err.Error())
				fail(err)
			}
			if err := checkLog(k, lg, &la); err != nil {
				fail(err)
			}
		}
		a.Logs = append(a.Logs, la)
	}
	if err := checkRefs(a.Logs); err != nil {
		fail(err)
	}
	if a.Err == nil {
		a.Report = report(k, t, a.Logs)
	}
	return a
}

func failedEntry(author string, index uint64, err error) EntryReport {
	return EntryReport{ID: entry.ID(author, index), Log: author, Index: index, Status: StatusFailed, Body: BodyAbsent,
		Cosigned: []FirstReceipt{}, Problem: err.Error()}
}

// checkLog checks one log entry by entry, then its checkpoint and
// receipts, then places each entry under the smallest verified checkpoint
// that covers it. It returns the first failure, in that order.
func checkLog(k *verify.Keyring, lg *Log, la *LogAudit) error {
	var first error
	fail := func(err error) {
		if first == nil {
			first = err
		}
	}
	la.Entries = make([]EntryReport, len(lg.Entries))
	la.leaves = make([]*entry.Leaf, len(lg.Entries))
	la.tree = &tlog.Tree{}
	for j := range lg.Entries {
		var err error
		la.Entries[j], la.leaves[j], err = checkEntry(k, &lg.Entries[j], lg.Author, uint64(j))
		if err != nil {
			fail(err)
		}
		la.tree.Append(tlog.HashLeaf([]byte(lg.Entries[j].Leaf)))
	}

	// Every checkpoint that verifies and matches the entries.
	var goods []*verify.Checkpoint
	var failedSizes []uint64 // sizes of checkpoints whose root does not match
	problem := func(err error) {
		la.Problems = append(la.Problems, err.Error())
		fail(err)
	}
	// check verifies a checkpoint; a receipt must also carry another
	// party's cosignature.
	check := func(raw string, what string, receipt bool) *verify.Checkpoint {
		c, err := k.Checkpoint([]byte(raw), lg.Author)
		if err != nil {
			problem(fmt.Errorf("%s of log %s: %w", what, lg.Author, err))
			return nil
		}
		if receipt && len(c.Cosigned) == 0 {
			problem(fmt.Errorf("%w: %s of log %s carries no other party's cosignature", verify.ErrReceipt, what, lg.Author))
			return nil
		}
		if err := c.Match(la.tree); err != nil {
			problem(fmt.Errorf("%s: %w", what, err))
			failedSizes = append(failedSizes, c.Size)
			return nil
		}
		goods = append(goods, c)
		for _, s := range c.Cosigned {
			la.HeldBy[s.Party] = max(la.HeldBy[s.Party], c.Size)
		}
		return c
	}
	if lg.Checkpoint == "" && la.Size == 0 {
		la.Checkpoint = StatusVerified
	} else if c := check(lg.Checkpoint, "checkpoint", false); c != nil {
		if c.Size != la.Size {
			problem(fmt.Errorf("%w: log %s has %d entries but its checkpoint says %d", verify.ErrRoot, lg.Author, la.Size, c.Size))
		} else {
			la.Checkpoint = StatusVerified
		}
	}
	for n, raw := range lg.Receipts {
		if c := check(raw, fmt.Sprintf("receipt %d", n), true); c != nil {
			la.Receipts++
			la.receipts = append(la.receipts, c)
		}
	}
	if n := len(la.Problems); n > maxProblems {
		// One changed entry fails every later receipt: say so once.
		la.Problems = append(la.Problems[:maxProblems], fmt.Sprintf("and %d more", n-maxProblems))
	}
	place(la, goods, failedSizes)
	return first
}

// checkEntry checks one entry on its own: its leaf, its place and its
// body. Status is left empty unless it failed; place puts it under the
// checkpoints.
func checkEntry(k *verify.Keyring, e *Entry, author string, index uint64) (EntryReport, *entry.Leaf, error) {
	l, err := k.Leaf([]byte(e.Leaf), author, index)
	if err != nil {
		return failedEntry(author, index, err), nil, err
	}
	r := EntryReport{ID: l.ID(), Log: author, Index: index, Kind: l.Kind, Precedence: l.Precedence, Written: l.Time,
		Body: BodyAbsent, Cosigned: []FirstReceipt{}}
	if e.Body == nil && e.Salt == nil {
		return r, l, nil
	}
	if err := k.Body(l, e.Salt, e.Body); err != nil {
		r.Status, r.Problem, r.Body = StatusFailed, err.Error(), BodyVerified
		if errors.Is(err, verify.ErrBody) {
			r.Body = BodyMismatch
		}
		return r, nil, err
	}
	r.Body = BodyVerified
	if l.Kind == entry.KindDisplayed || l.Kind == entry.KindAck {
		if mk, err := entry.DecodeMark(e.Body, l.Kind); err == nil {
			r.Ref = mk.Message
		}
	}
	return r, l, nil
}

// place puts each entry that passed its own checks under the smallest
// verified checkpoint covering it, and finds each party's first receipt
// covering it.
func place(la *LogAudit, goods []*verify.Checkpoint, failedSizes []uint64) {
	slices.SortStableFunc(goods, func(a, b *verify.Checkpoint) int { return cmp.Compare(a.Size, b.Size) })
	// Each party's receipts, smallest first, for a binary search per entry.
	byParty := map[string][]FirstReceipt{}
	for _, g := range goods {
		for _, c := range g.Cosigned {
			byParty[c.Party] = append(byParty[c.Party], FirstReceipt{Party: c.Party, Size: g.Size, Time: c.Time})
		}
	}
	parties := slices.Sorted(maps.Keys(byParty))
	for j := range la.Entries {
		r := &la.Entries[j]
		if r.Status == StatusFailed {
			continue
		}
		idx := uint64(j)
		at, _ := slices.BinarySearchFunc(goods, idx+1, func(g *verify.Checkpoint, size uint64) int { return cmp.Compare(g.Size, size) })
		if at == len(goods) {
			r.Status, r.Problem = StatusFailed, "no signed checkpoint covers it"
			if slices.ContainsFunc(failedSizes, func(s uint64) bool { return s > idx }) {
				r.Problem = "not under any checkpoint that verifies: an entry of this log at or before it was changed, dropped or reordered"
			}
			continue
		}
		// goods[at] matched the tree recomputed from these very leaves, so
		// the entry is included under it: the tree is the inclusion proof.
		for _, p := range parties {
			rs := byParty[p]
			i, _ := slices.BinarySearchFunc(rs, idx+1, func(c FirstReceipt, size uint64) int { return cmp.Compare(c.Size, size) })
			if i < len(rs) {
				r.Cosigned = append(r.Cosigned, rs[i])
				if r.Checkpoint == 0 || rs[i].Size < r.Checkpoint {
					r.Checkpoint = rs[i].Size
				}
			}
		}
		if len(r.Cosigned) > 0 {
			r.Status = StatusVerified
		} else {
			r.Status = StatusUnconfirmed
			r.Problem = "under its author's checkpoint only: no other party's receipt covers it yet"
		}
	}
}

// checkRefs checks every checkpoint an author says it had seen against the
// log the transcript holds, so that no log can be edited without the
// others showing it. A log that failed its own checks is not used to
// accuse the entries of others.
func checkRefs(logs []LogAudit) error {
	clean := map[string]*LogAudit{}
	for i := range logs {
		la := &logs[i]
		if la.tree != nil && la.Checkpoint == StatusVerified && len(la.Problems) == 0 &&
			!slices.ContainsFunc(la.Entries, func(r EntryReport) bool { return r.Status == StatusFailed }) {
			clean[la.Author] = la
		}
	}
	var first error
	for i := range logs {
		la := &logs[i]
		for j, l := range la.leaves {
			if l == nil {
				continue
			}
			for _, ref := range l.Refs {
				named := clean[ref.Party]
				if named == nil || ref.Size > named.tree.Size() {
					continue // the exporter does not hold that much of it, or it failed already
				}
				if root, _ := named.tree.Root(ref.Size); !bytes.Equal(root, ref.Root) {
					err := fmt.Errorf("%w: %s saw %s's log at size %d with another root", verify.ErrRef, l.ID(), ref.Party, ref.Size)
					la.Entries[j].Status, la.Entries[j].Problem = StatusFailed, err.Error()
					if first == nil {
						first = err
					}
				}
			}
		}
	}
	return first
}

// slugs lists the parties of cards.
func slugs(cards []card.Card) []string {
	out := make([]string, len(cards))
	for i := range cards {
		out[i] = cards[i].Party
	}
	return out
}
