package charter_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/fuzzseed"
)

// FuzzParse checks that Parse never panics, and that a charter it accepts
// is valid, is exactly the text its signatures cover, and is signed only by
// its own parties.
func FuzzParse(f *testing.F) {
	a, b := keys(f, "a"), keys(f, "b")
	c := draft(f, a, b)
	one := mustSign(f, c, nil, a).Raw
	both := mustSign(f, c, one, b).Raw
	f.Add(one)
	f.Add(both)
	f.Add(signText(f, c.Text()+"\nextra\n", a))
	f.Add(signText(f, strings.Replace(c.Text(), `"ack":"10m0s"`, `"ack":"10m"`, 1), a))
	f.Add(signText(f, c.Text(), a, keys(f, "outsider")))
	f.Add(bytes.Replace(both, []byte("defense"), []byte("defence"), 1))
	f.Add([]byte("hotline charter v1\n{}\n\n— hotline/a AAAA\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := charter.Parse(raw)
		if err != nil {
			if s != nil {
				t.Fatal("charter returned with an error")
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("accepted an invalid charter: %v", err)
		}
		if !bytes.HasPrefix(raw, []byte(s.Text()+"\n")) || !bytes.Equal(s.Raw, raw) {
			t.Fatal("accepted charter is not the start of the note")
		}
		if len(s.SignedBy) == 0 {
			t.Fatal("accepted a charter nobody signed")
		}
		for _, p := range s.SignedBy {
			if s.Party(p) == nil {
				t.Fatalf("signed by %s, not a party", p)
			}
		}
		if len(s.SignedBy)+len(s.Missing()) != len(s.Parties) {
			t.Fatalf("SignedBy %v and Missing %v do not add up to the parties %v", s.SignedBy, s.Missing(), s.Slugs())
		}
		if uniq := slices.Compact(slices.Sorted(slices.Values(s.SignedBy))); len(uniq) != len(s.SignedBy) {
			t.Fatalf("a party is counted twice: %v", s.SignedBy)
		}
		if !idRE.MatchString(s.ID()) {
			t.Fatalf("ID %q", s.ID())
		}
	})
}

// TestCorpusSeeds keeps the committed corpus meaningful: the valid seeds
// must still parse under the current format and keys, the others must not.
func TestCorpusSeeds(t *testing.T) {
	s, err := charter.Parse(fuzzseed.Read(t, "FuzzParse", "complete"))
	if err != nil || !s.Complete() {
		t.Errorf("complete: %v", err)
	}
	s, err = charter.Parse(fuzzseed.Read(t, "FuzzParse", "signed-by-one"))
	if err != nil || s.Complete() || len(s.SignedBy) != 1 {
		t.Errorf("signed-by-one: %v", err)
	}
	for _, name := range []string{"signed-text-extended", "non-canonical-duration", "outsider-signature", "tampered-title", "zero-ack", "empty-object"} {
		if _, err := charter.Parse(fuzzseed.Read(t, "FuzzParse", name)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
