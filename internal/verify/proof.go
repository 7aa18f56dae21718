package verify

import (
	"bytes"
	"fmt"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/tlog"
)

// Match checks that tree, recomputed from the entries of the checkpoint's
// log, has the checkpoint's root at its size.
func (c *Checkpoint) Match(tree *tlog.Tree) error {
	if c.Size > tree.Size() {
		return fmt.Errorf("%w: log %s: the checkpoint covers %d entries, %d are held", ErrRoot, c.Author, c.Size, tree.Size())
	}
	root, err := tree.Root(c.Size)
	if err != nil || !bytes.Equal(root, c.Root) {
		return fmt.Errorf("%w: log %s at size %d: an entry before index %d was changed, dropped or reordered", ErrRoot, c.Author, c.Size, c.Size)
	}
	return nil
}

// Consistency checks a proof that the log at size from, with root
// fromRoot, is a prefix of the checkpoint's log. From size 0 there is
// nothing to prove and the proof must be empty.
func (c *Checkpoint) Consistency(from uint64, fromRoot []byte, proof [][]byte) error {
	if from == 0 {
		if len(proof) != 0 {
			return fmt.Errorf("%w: log %s: a proof from size 0 must be empty", ErrConsistency, c.Author)
		}
		return nil
	}
	if err := tlog.VerifyConsistency(from, c.Size, proof, fromRoot, c.Root); err != nil {
		return fmt.Errorf("%w: log %s, %d to %d: %v", ErrConsistency, c.Author, from, c.Size, err)
	}
	return nil
}

// Inclusion checks that the leaf hash sits at index in the checkpoint's
// log, by an inclusion proof.
func (c *Checkpoint) Inclusion(index uint64, leafHash []byte, proof [][]byte) error {
	if err := tlog.VerifyInclusion(index, c.Size, leafHash, proof, c.Root); err != nil {
		return fmt.Errorf("%w: %s under %s's checkpoint at size %d: %v", ErrInclusion, entry.ID(c.Author, index), c.Author, c.Size, err)
	}
	return nil
}
