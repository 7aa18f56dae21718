package card_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/fuzzseed"
)

// FuzzParse checks that Parse never panics, and that a card it accepts is
// valid and is exactly the text its signature covers.
func FuzzParse(f *testing.F) {
	k := keys(f, "seoul")
	c := testCard(f, k)
	good := sign(f, k, c)
	f.Add(good)
	f.Add(sign(f, k, card.New(k, "서울", []string{"ko"}, nil)))
	f.Add(signText(f, k, c.Text()+"\nextra\n"))
	f.Add(signText(f, k, strings.Replace(c.Text(), `"party":"seoul"`, `"party": "seoul"`, 1)))
	f.Add(bytes.Replace(good, []byte("Ministry"), []byte("Ministrx"), 1))
	f.Add([]byte("hotline card v1\n{}\n\n— hotline/seoul AAAA\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := card.Parse(b)
		if err != nil {
			if c != nil {
				t.Fatal("card returned with an error")
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted an invalid card: %v", err)
		}
		if !bytes.HasPrefix(b, []byte(c.Text()+"\n")) {
			t.Fatalf("accepted card text %q is not the start of the note %q", c.Text(), b)
		}
		if strings.Count(c.Text(), "\n") != 2 {
			t.Fatalf("card text %q is not two lines", c.Text())
		}
		if !fingerprintRE.MatchString(c.Fingerprint()) {
			t.Fatalf("fingerprint %q", c.Fingerprint())
		}
	})
}

// TestCorpusSeeds keeps the committed corpus meaningful: the valid seeds
// must still parse under the current format and keys, the others must not.
func TestCorpusSeeds(t *testing.T) {
	for _, name := range []string{"valid", "valid-korean"} {
		if _, err := card.Parse(fuzzseed.Read(t, "FuzzParse", name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"signed-text-extended", "non-canonical-space", "unknown-field", "tampered-name", "other-party-key", "empty-object", "header-only"} {
		if _, err := card.Parse(fuzzseed.Read(t, "FuzzParse", name)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
