package verify_test

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzVerify feeds arbitrary bytes to the entry points that read what a
// peer or an exporter wrote: a leaf, a checkpoint and a receipt. Each must
// refuse with one of the sentinels or accept something that holds up.
func FuzzVerify(f *testing.F) {
	l := newLine(f)
	cp := l.checkpoint(f, 3)
	f.Add(l.leaves[1], cp)
	f.Add(l.leaves[0], cosign(f, cp, l.beijing))
	f.Add(l.leaves[2], forgeLast(f, cosign(f, cp, l.beijing)))
	f.Add([]byte("hotline entry v1\n"), []byte("\n\n— x AAAAAAAA\n"))
	f.Fuzz(func(t *testing.T, leaf, note []byte) {
		for i := range uint64(3) {
			lf, err := l.k.Leaf(leaf, "seoul", i)
			if err != nil {
				known(t, err)
				continue
			}
			if lf.Index != i || lf.Author != "seoul" || lf.Line != l.id || !bytes.Equal(lf.Marshal(), leaf) {
				t.Fatalf("accepted leaf %+v at %d", lf, i)
			}
		}
		if c, err := l.k.Checkpoint(note, "seoul"); err != nil {
			known(t, err)
		} else if c.Author != "seoul" || len(c.Root) != 32 || !bytes.Equal(c.Note, note) {
			t.Fatalf("accepted checkpoint %+v", c)
		}
		if c, err := l.k.Receipt(note, "seoul", "beijing"); err != nil {
			known(t, err)
		} else if _, ok := c.CosignedBy("beijing"); !ok {
			t.Fatalf("accepted receipt without beijing's cosignature: %+v", c)
		}
	})
}

func known(t *testing.T, err error) {
	t.Helper()
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error wraps no sentinel: %v", err)
}

// FuzzKeyEntry feeds arbitrary statements to KeyEntry, at the place of a
// key entry of seoul's log: each is refused with a sentinel, or is a
// statement of this place signed by the old key and the new one it names.
func FuzzKeyEntry(f *testing.F) {
	l, _, r := rotated(f)
	f.Add(l.bodies[3])
	f.Add(bytes.Replace(l.bodies[3], []byte(`"index":3`), []byte(`"index":4`), 1))
	f.Add([]byte("hotline key v1\n{}\n\n"))
	lf, err := l.k.Leaf(l.leaves[3], "seoul", 3)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := l.k.KeyEntry(lf, body)
		if err != nil {
			known(t, err)
			return
		}
		if got.Party != "seoul" || got.Index != 3 || got.Change.LogKey != r.Change.LogKey {
			t.Fatalf("accepted %+v", got.Change)
		}
	})
}
