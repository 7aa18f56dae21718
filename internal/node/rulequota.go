package node

import (
	"errors"
	"fmt"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/store"
)

// perParty bounds, by kind, the entries one party may write on a line of
// the kinds a reader folds whole: state notices (linestate), amendment
// steps (amend) and agenda steps (agenda). A line sees a handful of the
// first two in its life and a few a week of the last. The bound is what
// lets every reader fold all of them (foldLimit): without it a party could
// write so many that a reader's window no longer held the step that put a
// charter version in force or an event's confirmation, and the line would
// silently fall back to older rules or an older agenda.
var perParty = map[entry.Kind]int{
	entry.KindNotice:    1_000,
	entry.KindAmendment: 1_000,
	entry.KindAgenda:    1_500,
}

// foldLimit is how many entries of kind a line can hold at most: what a
// reader folding them must read.
func foldLimit(kind entry.Kind) int { return charter.MaxParties * perParty[kind] }

// ErrTooManyRuleEntries refuses a party's entry beyond its kind's bound.
var ErrTooManyRuleEntries = errors.New("too many entries of a kind every reader folds whole")

// checkRuleQuota refuses e if it is an entry of a folded kind beyond its
// author's bound on its line. It runs in the writer's transaction, before
// e is stored, for our own entries and a peer's alike.
func checkRuleQuota(tx *store.Tx, e *store.Entry) error {
	limit, ok := perParty[e.Kind]
	if !ok {
		return nil
	}
	held, err := tx.CountByKind(e.Line, e.Author, e.Kind)
	if err != nil {
		return err
	}
	if held >= limit {
		return fmt.Errorf("%w: %s already wrote %d %s entries on this line, the most a party may", ErrTooManyRuleEntries, e.Author, held, e.Kind)
	}
	return nil
}
