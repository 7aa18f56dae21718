package transcript

import (
	"bytes"
	"fmt"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/tlog"
)

// VerifyTranscript checks a transcript completely and reports what it proves.
func VerifyTranscript(t *Transcript) (*Report, error) {
	k, err := openCharter(t.Charter, t.Line)
	if err != nil {
		return nil, err
	}
	rep := newReport("transcript", k)
	trees := map[string]*tlog.Tree{}
	leaves := map[string][]*entry.Leaf{}
	msgs := map[string]*MessageReport{}
	var order []*MessageReport
	index := map[*MessageReport]uint64{}
	for i := range t.Logs {
		lg := &t.Logs[i]
		if err := k.party(lg.Author); err != nil {
			return nil, err
		}
		if trees[lg.Author] != nil {
			return nil, fmt.Errorf("%w: log %s appears twice", ErrPlacement, lg.Author)
		}
		tree := &tlog.Tree{}
		for j := range lg.Entries {
			l, err := k.checkEntry(&lg.Entries[j], lg.Author, uint64(j))
			if err != nil {
				return nil, err
			}
			tree.Append(tlog.HashLeaf([]byte(lg.Entries[j].Leaf)))
			leaves[lg.Author] = append(leaves[lg.Author], l)
			switch l.Kind {
			case entry.KindMessage:
				m := messageReport(l, &lg.Entries[j])
				msgs[m.ID] = &m
				order = append(order, &m)
				index[&m] = l.Index
			case entry.KindRollCall:
				rep.RollCalls = append(rep.RollCalls, rollCallReport(l, &lg.Entries[j]))
			}
		}
		trees[lg.Author] = tree
		size := uint64(len(lg.Entries))
		lr := LogReport{Author: lg.Author, Size: size, HeldBy: map[string]uint64{}}
		if size > 0 || lg.Checkpoint != "" {
			cp, cos, err := k.checkpoint(lg.Checkpoint, lg.Author)
			if err != nil {
				return nil, err
			}
			if cp.Size != size {
				return nil, fmt.Errorf("%w: log %s has %d entries but its checkpoint says %d", ErrRoot, lg.Author, size, cp.Size)
			}
			if err := matchRoot(tree, cp, lg.Author, "checkpoint"); err != nil {
				return nil, err
			}
			for _, c := range cos {
				lr.HeldBy[c.Party] = max(lr.HeldBy[c.Party], cp.Size)
			}
		}
		var receipts []receipt
		for n, raw := range lg.Receipts {
			cp, cos, err := k.checkpoint(raw, lg.Author)
			if err != nil {
				return nil, fmt.Errorf("receipt %d of log %s: %w", n, lg.Author, err)
			}
			if len(cos) == 0 {
				return nil, fmt.Errorf("%w: receipt %d of log %s carries no other party's cosignature", ErrReceipt, n, lg.Author)
			}
			if cp.Size > size {
				return nil, fmt.Errorf("%w: receipt %d of log %s covers %d entries, the transcript holds %d", ErrRoot, n, lg.Author, cp.Size, size)
			}
			if err := matchRoot(tree, cp, lg.Author, fmt.Sprintf("receipt %d", n)); err != nil {
				return nil, err
			}
			for _, c := range cos {
				lr.HeldBy[c.Party] = max(lr.HeldBy[c.Party], cp.Size)
			}
			receipts = append(receipts, receipt{cp, cos})
		}
		var mine []*MessageReport
		for _, m := range order {
			if m.Author == lg.Author {
				mine = append(mine, m)
			}
		}
		firstHolder(mine, func(m *MessageReport) uint64 { return index[m] }, receipts)
		rep.Logs = append(rep.Logs, lr)
	}
	// Cross-check: every checkpoint an author says it had seen must be the
	// log the transcript holds, so no log can be edited without the others
	// showing it.
	for author, ls := range leaves {
		for _, l := range ls {
			for _, ref := range l.Refs {
				tree := trees[ref.Party]
				if tree == nil || ref.Size > tree.Size() {
					continue // the exporter does not hold that much of it
				}
				root, _ := tree.Root(ref.Size)
				if !bytes.Equal(root, ref.Root) {
					return nil, fmt.Errorf("%w: %s saw %s's log at size %d with another root", ErrRef, entry.ID(author, l.Index), ref.Party, ref.Size)
				}
			}
		}
	}
	for i := range t.Logs {
		lg := &t.Logs[i]
		for j := range lg.Entries {
			mark(msgs, leaves[lg.Author][j], &lg.Entries[j])
		}
	}
	for _, m := range order {
		rep.Messages = append(rep.Messages, *m)
	}
	reportLineState(rep, t)
	return rep, nil
}

// matchRoot checks a checkpoint's root against the tree recomputed from
// the entries.
func matchRoot(tree *tlog.Tree, cp *tlog.Checkpoint, author, what string) error {
	root, err := tree.Root(cp.Size)
	if err != nil || !bytes.Equal(root, cp.Root) {
		return fmt.Errorf("%w: log %s, %s at size %d: an entry before index %d was changed, dropped or reordered", ErrRoot, author, what, cp.Size, cp.Size)
	}
	return nil
}

// VerifyDisclosure checks a one-message disclosure.
func VerifyDisclosure(d *Disclosure) (*Report, error) {
	k, err := openCharter(d.Charter, d.Line)
	if err != nil {
		return nil, err
	}
	rep := newReport("disclosure", k)
	l, cos, err := k.proven(&d.Message)
	if err != nil {
		return nil, fmt.Errorf("message: %w", err)
	}
	if l.Kind != entry.KindMessage || d.Message.Body == nil {
		return nil, fmt.Errorf("%w: the disclosed entry is a %s without its text", ErrPlacement, l.Kind)
	}
	m := messageReport(l, &d.Message.Entry)
	for _, c := range cos {
		m.Held[c.Party] = c.Time
	}
	msgs := map[string]*MessageReport{m.ID: &m}
	for i := range d.Marks {
		ml, _, err := k.proven(&d.Marks[i])
		if err != nil {
			return nil, fmt.Errorf("mark %d: %w", i, err)
		}
		if d.Marks[i].Body == nil {
			return nil, fmt.Errorf("%w: mark %d has no body", ErrBody, i)
		}
		mark(msgs, ml, &d.Marks[i].Entry)
	}
	rep.Messages = []MessageReport{m}
	return rep, nil
}

// proven verifies an entry with its inclusion proof under a checkpoint.
func (k *keyring) proven(p *Proven) (*entry.Leaf, []Cosigned, error) {
	if err := k.party(p.Author); err != nil {
		return nil, nil, err
	}
	if p.Body == nil || p.Salt == nil {
		return nil, nil, fmt.Errorf("%w: %s: body not included", ErrBody, entry.ID(p.Author, p.Index))
	}
	l, err := k.checkEntry(&p.Entry, p.Author, p.Index)
	if err != nil {
		return nil, nil, err
	}
	cp, cos, err := k.checkpoint(p.Checkpoint, p.Author)
	if err != nil {
		return nil, nil, err
	}
	if cp.Size != p.Size {
		return nil, nil, fmt.Errorf("%w: %s: proof is for size %d, checkpoint is %d", ErrInclusion, l.ID(), p.Size, cp.Size)
	}
	if err := tlog.VerifyInclusion(p.Index, cp.Size, tlog.HashLeaf([]byte(p.Leaf)), p.Inclusion, cp.Root); err != nil {
		return nil, nil, fmt.Errorf("%w: %s under %s's checkpoint at size %d: %v", ErrInclusion, l.ID(), p.Author, cp.Size, err)
	}
	return l, cos, nil
}

// VerifyFork checks a fork proof.
func VerifyFork(f *ForkProof) (*Report, error) {
	k, err := openCharter(f.Charter, f.Line)
	if err != nil {
		return nil, err
	}
	if err := k.party(f.Author); err != nil {
		return nil, err
	}
	var sizes [2]uint64
	for i, b := range []*Branch{&f.A, &f.B} {
		cp, _, err := k.checkpoint(b.Checkpoint, f.Author)
		if err != nil {
			return nil, fmt.Errorf("branch %c: %w", 'a'+i, err)
		}
		if err := tlog.VerifyInclusion(f.Index, cp.Size, b.LeafHash, b.Inclusion, cp.Root); err != nil {
			return nil, fmt.Errorf("branch %c: %w: %v", 'a'+i, ErrInclusion, err)
		}
		sizes[i] = cp.Size
	}
	if bytes.Equal(f.A.LeafHash, f.B.LeafHash) {
		return nil, fmt.Errorf("%w: both hold the same entry at index %d", ErrNotAFork, f.Index)
	}
	rep := newReport("fork proof", k)
	rep.Fork = &ForkReport{Author: f.Author, Index: f.Index, SizeA: sizes[0], SizeB: sizes[1]}
	return rep, nil
}

// Verify decodes and verifies any of the three documents.
func Verify(data []byte) (*Report, error) {
	t, d, f, err := Decode(data)
	switch {
	case err != nil:
		return nil, err
	case t != nil:
		return VerifyTranscript(t)
	case d != nil:
		return VerifyDisclosure(d)
	}
	return VerifyFork(f)
}
