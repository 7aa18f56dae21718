package console

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	flog "github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/transcript"
)

// The verdict on one entry of a transcript.
const (
	// proofVerified: the leaf is well formed and in its place, its body (if
	// the transcript holds it) matches the commitment, and an inclusion
	// proof puts it under a checkpoint its author signed and another party
	// cosigned.
	proofVerified = "verified"
	// proofUnconfirmed: as verified, but only under its author's own
	// checkpoint: no other party's receipt covers it yet.
	proofUnconfirmed = "unconfirmed"
	// proofFailed: something above does not hold; Problem says what.
	proofFailed = "failed"
)

// What is known of an entry's body.
const (
	bodyVerified = "verified" // salt and body hash to the leaf's commitment
	bodyMismatch = "mismatch" // they do not: the body was changed
	bodyAbsent   = "absent"   // not in the transcript (sealed to other parties)
)

// proofEntry is one entry of the transcript and what was proven of it.
// It carries no text: the proof page shows that a message is what its
// receivers hold, not what it says.
type proofEntry struct {
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
	Checkpoint uint64     `json:"checkpoint,omitempty"`
	Cosigned   []cosigned `json:"cosigned_by"`
	Problem    string     `json:"problem,omitempty"`
}

// cosigned is a party's first receipt covering an entry.
type cosigned struct {
	Party string    `json:"party"`
	Size  uint64    `json:"size"` // of the checkpoint it cosigned
	Time  time.Time `json:"time"` // by the cosigner's clock
}

// proofLog is one party's log in the transcript.
type proofLog struct {
	Author     string            `json:"author"`
	Size       uint64            `json:"size"`
	Checkpoint string            `json:"checkpoint"` // verified or failed: the author's signed checkpoint at Size
	Receipts   int               `json:"receipts"`   // cosigned checkpoints that verified
	HeldBy     map[string]uint64 `json:"held_by"`    // cosigner -> largest size it cosigned
	Problems   []string          `json:"problems,omitempty"`
}

// maxProblems bounds the problems listed for one log.
const maxProblems = 10

// keyring holds the parties' verifiers from the transcript's charter.
type keyring struct {
	line   string
	logV   map[string]note.Verifier
	cosV   map[string]note.Verifier
	byName map[string]string // signed-note key name -> party
	all    note.Verifiers
}

func newKeyring(c *charter.Signed) *keyring {
	k := &keyring{line: c.ID(), logV: map[string]note.Verifier{}, cosV: map[string]note.Verifier{}, byName: map[string]string{}}
	var vs []note.Verifier
	for i := range c.Parties {
		p := &c.Parties[i]
		lv, err1 := p.LogVerifier()
		cv, err2 := p.CosignerVerifier()
		if err1 != nil || err2 != nil {
			continue // charter.Parse has checked them
		}
		k.logV[p.Party], k.cosV[p.Party] = lv, cv
		k.byName[lv.Name()], k.byName[cv.Name()] = p.Party, p.Party
		vs = append(vs, lv, cv)
	}
	k.all = note.VerifierList(vs...)
	return k
}

// checkpoint verifies one signed checkpoint of author's log with every
// signature on it (each verified once) and returns the other parties'
// cosignatures.
func (k *keyring) checkpoint(raw, author string) (*flog.Checkpoint, []cosigned, error) {
	lv := k.logV[author]
	if lv == nil {
		return nil, nil, fmt.Errorf("%s is not a party of this line", author)
	}
	n, err := note.Open([]byte(raw), k.all)
	if err != nil {
		return nil, nil, fmt.Errorf("a signature does not verify: %v", err)
	}
	var cp flog.Checkpoint
	ext, err := cp.Unmarshal([]byte(n.Text))
	if err != nil || len(ext) != 0 || len(cp.Hash) != 32 || n.Text != string(cp.Marshal()) || cp.Origin != tlog.Origin(k.line, author) {
		return nil, nil, errors.New("not a checkpoint of this log")
	}
	signed := false
	var cos []cosigned
	for _, s := range n.Sigs {
		p := k.byName[s.Name]
		switch {
		case s.Name == lv.Name() && s.Hash == lv.KeyHash():
			signed = true
		case p != "" && p != author && s.Name == k.cosV[p].Name():
			t, err := fnote.CoSigV1Timestamp(s)
			if err != nil {
				return nil, nil, fmt.Errorf("%s's cosignature: %v", p, err)
			}
			cos = append(cos, cosigned{Party: p, Size: cp.Size, Time: t.UTC()})
		}
	}
	if !signed {
		return nil, nil, fmt.Errorf("not signed by %s", author)
	}
	return &cp, cos, nil
}

// checkLog verifies one log of a transcript entry by entry.
func (k *keyring) checkLog(lg *transcript.Log) (proofLog, []proofEntry) {
	pl := proofLog{Author: lg.Author, Size: uint64(len(lg.Entries)), HeldBy: map[string]uint64{}}
	rows := make([]proofEntry, len(lg.Entries))
	tree := &tlog.Tree{}
	for j := range lg.Entries {
		rows[j] = k.checkEntry(&lg.Entries[j], lg.Author, uint64(j))
		tree.Append(tlog.HashLeaf([]byte(lg.Entries[j].Leaf)))
	}

	// Every checkpoint that verifies and matches the entries, smallest first.
	type good struct {
		cp  *flog.Checkpoint
		cos []cosigned
	}
	var goods []good
	var failedSizes []uint64 // sizes of checkpoints whose root does not match
	check := func(raw, what string) bool {
		cp, cos, err := k.checkpoint(raw, lg.Author)
		if err != nil {
			pl.Problems = append(pl.Problems, what+": "+inert.Text(err.Error()))
			return false
		}
		if root, err := tree.Root(cp.Size); cp.Size > pl.Size || err != nil || !bytes.Equal(root, cp.Hash) {
			pl.Problems = append(pl.Problems, fmt.Sprintf("%s at size %d: the entries do not hash to its root", what, cp.Size))
			failedSizes = append(failedSizes, cp.Size)
			return false
		}
		goods = append(goods, good{cp, cos})
		for _, c := range cos {
			pl.HeldBy[c.Party] = max(pl.HeldBy[c.Party], cp.Size)
		}
		return true
	}
	pl.Checkpoint = proofFailed
	if lg.Checkpoint == "" && pl.Size == 0 {
		pl.Checkpoint = proofVerified
	} else if check(lg.Checkpoint, "its checkpoint") {
		pl.Checkpoint = proofVerified
		if g := goods[len(goods)-1]; g.cp.Size != pl.Size {
			pl.Checkpoint = proofFailed
			pl.Problems = append(pl.Problems, fmt.Sprintf("its checkpoint is at size %d, the log holds %d entries", g.cp.Size, pl.Size))
		}
	}
	for i, raw := range lg.Receipts {
		if check(raw, "receipt "+strconv.Itoa(i+1)) {
			pl.Receipts++
		}
	}
	if n := len(pl.Problems); n > maxProblems {
		// One changed entry fails every later receipt: say so once.
		pl.Problems = append(pl.Problems[:maxProblems], fmt.Sprintf("and %d more", n-maxProblems))
	}
	slices.SortStableFunc(goods, func(a, b good) int { return cmp.Compare(a.cp.Size, b.cp.Size) })
	// Each party's receipts, smallest first, for a binary search per entry.
	byParty := map[string][]cosigned{}
	for _, g := range goods {
		for _, c := range g.cos {
			byParty[c.Party] = append(byParty[c.Party], c)
		}
	}
	parties := slices.Sorted(maps.Keys(byParty))

	for j := range rows {
		r := &rows[j]
		if r.Status == proofFailed {
			continue
		}
		idx := uint64(j)
		// The smallest checkpoint that covers the entry: prove it there.
		at, _ := slices.BinarySearchFunc(goods, idx+1, func(g good, size uint64) int { return cmp.Compare(g.cp.Size, size) })
		if at == len(goods) {
			r.Status = proofFailed
			r.Problem = "no signed checkpoint covers it"
			if slices.ContainsFunc(failedSizes, func(s uint64) bool { return s > idx }) {
				r.Problem = "not under any checkpoint that verifies: an entry of this log at or before it was changed, dropped or reordered"
			}
			continue
		}
		cp := goods[at].cp
		proof, err := tree.InclusionProof(idx, cp.Size)
		if err != nil || tlog.VerifyInclusion(idx, cp.Size, tlog.HashLeaf([]byte(lg.Entries[j].Leaf)), proof, cp.Hash) != nil {
			r.Status, r.Problem = proofFailed, fmt.Sprintf("its inclusion proof under the checkpoint at size %d does not verify", cp.Size)
			continue
		}
		for _, p := range parties {
			rs := byParty[p]
			i, _ := slices.BinarySearchFunc(rs, idx+1, func(c cosigned, size uint64) int { return cmp.Compare(c.Size, size) })
			if i < len(rs) {
				r.Cosigned = append(r.Cosigned, rs[i])
				if r.Checkpoint == 0 || rs[i].Size < r.Checkpoint {
					r.Checkpoint = rs[i].Size
				}
			}
		}
		if len(r.Cosigned) > 0 {
			r.Status = proofVerified
		} else {
			r.Status = proofUnconfirmed
			r.Problem = "under its author's checkpoint only: no other party's receipt covers it yet"
		}
	}
	return pl, rows
}

// checkEntry checks one entry on its own: its leaf, its place and its body.
// Status is left empty unless it failed; checkLog places it under the
// checkpoints.
func (k *keyring) checkEntry(e *transcript.Entry, author string, index uint64) proofEntry {
	r := proofEntry{ID: entry.ID(author, index), Log: author, Index: index, Body: bodyAbsent, Cosigned: []cosigned{}}
	fail := func(problem string) proofEntry {
		r.Status, r.Problem = proofFailed, problem
		return r
	}
	l, err := entry.Parse([]byte(e.Leaf))
	if err != nil {
		return fail("the entry is malformed: " + inert.Text(err.Error()))
	}
	r.Kind, r.Precedence, r.Written = l.Kind, l.Precedence, l.Time
	if l.Line != k.line || l.Author != author || l.Index != index {
		return fail(fmt.Sprintf("the entry says it is %s on another line or log", inert.Text(l.ID())))
	}
	if (index == 0) != (l.Kind == entry.KindCharter) {
		return fail("the charter is entry 0 of a log, and only entry 0")
	}
	if e.Body == nil && e.Salt == nil {
		return r
	}
	if !bytes.Equal(entry.Commit(e.Salt, e.Body), l.Body) {
		r.Body = bodyMismatch
		return fail("the body does not match the commitment in the entry: it was changed")
	}
	r.Body = bodyVerified
	if l.Kind == entry.KindDisplayed || l.Kind == entry.KindAck {
		if mk, err := entry.DecodeMark(e.Body, l.Kind); err == nil {
			r.Ref = mk.Message
		}
	}
	return r
}

// failureCode names the kind of a verification error for the page.
func failureCode(err error) string {
	for _, f := range []struct {
		err  error
		code string
	}{
		{transcript.ErrCharter, "charter"}, {transcript.ErrEntry, "entry"}, {transcript.ErrPlacement, "placement"},
		{transcript.ErrBody, "body"}, {transcript.ErrCheckpoint, "checkpoint"}, {transcript.ErrRoot, "root"},
		{transcript.ErrReceipt, "receipt"}, {transcript.ErrRef, "ref"}, {transcript.ErrInclusion, "inclusion"},
	} {
		if errors.Is(err, f.err) {
			return f.code
		}
	}
	return "other"
}

// receiptSize reads the size a checkpoint note claims, without verifying
// it (see trimReceipts).
func receiptSize(raw string) (uint64, bool) {
	lines := strings.SplitN(raw, "\n", 3)
	if len(lines) < 3 {
		return 0, false
	}
	n, err := strconv.ParseUint(lines[1], 10, 64)
	return n, err == nil
}
