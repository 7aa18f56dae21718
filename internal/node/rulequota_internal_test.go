package node

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/store"
)

// TestRuleQuota: a party's notices and amendment steps on a line stop at
// maxRuleEntries, counted per author, kind and line, so a reader that folds
// maxNotices or maxAmendments always folds all of them. Other kinds, other
// authors and other lines do not count.
func TestRuleQuota(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "quota.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e := func(line, author string, i int, kind entry.Kind) *store.Entry {
		return &store.Entry{Line: line, Author: author, Index: uint64(i), Kind: kind, Leaf: []byte{byte(i)}, Envelope: []byte{}}
	}
	err = s.Write(context.Background(), func(tx *store.Tx) error {
		for i := range perParty[entry.KindAmendment] {
			x := e("line", "beijing", i+1, entry.KindAmendment)
			if err := checkRuleQuota(tx, x); err != nil {
				return err
			}
			if err := tx.InsertEntry(x); err != nil {
				return err
			}
		}
		next := perParty[entry.KindAmendment] + 1
		if err := checkRuleQuota(tx, e("line", "beijing", next, entry.KindAmendment)); !errors.Is(err, ErrTooManyRuleEntries) {
			t.Errorf("amendment step %d: %v, want ErrTooManyRuleEntries", next, err)
		}
		for _, ok := range []*store.Entry{
			e("line", "beijing", next, entry.KindNotice),
			e("line", "beijing", next, entry.KindMessage),
			e("line", "seoul", 1, entry.KindAmendment),
			e("other", "beijing", 1, entry.KindAmendment),
		} {
			if err := checkRuleQuota(tx, ok); err != nil {
				t.Errorf("%s %s on %s: %v", ok.Kind, ok.Author, ok.Line, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for kind, read := range map[entry.Kind]int{entry.KindAmendment: maxAmendments, entry.KindNotice: maxNotices, entry.KindAgenda: maxAgendaEntries} {
		if read < charter.MaxParties*perParty[kind] {
			t.Errorf("readers fold %d %s entries, fewer than a line of %d parties may hold", read, kind, charter.MaxParties)
		}
	}
}
