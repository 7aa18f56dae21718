package seal_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/fuzzseed"
	"github.com/hotline-line/hotline/internal/seal"
)

// FuzzParse checks that Parse never panics and that an envelope it accepts
// survives re-encoding unchanged and holds exactly one kind of body.
func FuzzParse(f *testing.F) {
	k := keys(f, "beijing")
	e, _ := sealed(f, seal.Info(line, "seoul"), salt(1), []byte("body"), k)
	f.Add(e.Marshal())
	f.Add(seal.Plain(salt(2), []byte("charter")).Marshal())
	f.Add([]byte(`{"sealed":{"a":"AAAA","b":"AQID"}}`))
	f.Add([]byte(`{"open":"","sealed":{"a":"AAAA"}}`))
	f.Add([]byte(`{"open":"AAAA"}}`))
	f.Add([]byte(`{"open":null}`))
	f.Add([]byte(`{}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := seal.Parse(b)
		if err != nil {
			if e != nil {
				t.Fatal("envelope returned with an error")
			}
			return
		}
		if (len(e.Open) == 0) == (len(e.Sealed) == 0) {
			t.Fatalf("accepted %+v", e)
		}
		wire := e.Marshal()
		again, err := seal.Parse(wire)
		if err != nil {
			t.Fatalf("Parse(Marshal(Parse(%q))): %v", b, err)
		}
		if !reflect.DeepEqual(again, e) || !bytes.Equal(again.Marshal(), wire) {
			t.Fatalf("re-encoding changed %+v into %+v", e, again)
		}
		// Opening must fail cleanly, never panic, whatever the envelope holds.
		_, _, _ = e.OpenFor("a", k.HPKEPrivateKey(), nil, nil)
	})
}

// TestCorpusSeeds keeps the committed corpus meaningful: the sealed seed
// must still open for its recipients, the malformed ones must not parse.
func TestCorpusSeeds(t *testing.T) {
	e, err := seal.Parse(fuzzseed.Read(t, "FuzzParse", "sealed-two"))
	if err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"beijing", "tokyo"} {
		k := keys(t, slug)
		_, b, err := e.OpenFor(slug, k.HPKEPrivateKey(), seal.Info(line, "seoul"), entry.Commit(salt(1), []byte("body")))
		if err != nil || string(b) != "body" {
			t.Errorf("sealed-two for %s: %q, %v", slug, b, err)
		}
	}
	p, err := seal.Parse(fuzzseed.Read(t, "FuzzParse", "plain"))
	if err != nil {
		t.Fatal(err)
	}
	if _, b, err := p.OpenFor("x", nil, nil, entry.Commit(salt(2), []byte("charter"))); err != nil || string(b) != "charter" {
		t.Errorf("plain: %q, %v", b, err)
	}
	for _, name := range []string{"trailing-brace", "open-null", "empty-object", "both"} {
		if _, err := seal.Parse(fuzzseed.Read(t, "FuzzParse", name)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
