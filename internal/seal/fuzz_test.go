package seal_test

import (
	"bytes"
	"reflect"
	"testing"
	"time"

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
	l := newAuthorLog(f, seal.Policy{Messages: 2, Time: time.Hour}, k)
	for range 3 {
		l.send(t0, "body")
	}
	f.Add(l.envs[1]) // opens an epoch
	f.Add(l.envs[2]) // names it
	f.Add([]byte(`{"epochs":{"a":{"epoch":1,"enc":"AAAA","ct":"AAAA"}}}`))
	f.Add([]byte(`{"epochs":{"a":{"epoch":18446744073709551615,"ct":"AAAA"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := seal.Parse(b)
		if err != nil {
			if e != nil {
				t.Fatal("envelope returned with an error")
			}
			return
		}
		if n := len(e.Open) + len(e.Sealed) + len(e.Epochs); n == 0 || n != len(e.Open) && n != len(e.Sealed) && n != len(e.Epochs) {
			t.Fatalf("accepted %+v", e)
		}
		for p, sh := range e.Epochs {
			if sh.Enc != nil && len(sh.Enc) != seal.EncSize || len(sh.CT) < entry.SaltSize+16 {
				t.Fatalf("accepted a share for %s with %d bytes of enc and %d of ciphertext", p, len(sh.Enc), len(sh.CT))
			}
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
		// Nor with its epoch looked up in a log that holds it, or this
		// very envelope, at every place.
		for _, index := range []uint64{0, 1, 2, 3, 1 << 63} {
			at := l.place(min(index, 3))
			at.Index = index
			_, _, _ = e.OpenAt("beijing", k.HPKEPrivateKey(), nil, at)
			at.Carrier = func(uint64) ([]byte, error) { return b, nil }
			_, _, _ = e.OpenAt("beijing", k.HPKEPrivateKey(), nil, at)
		}
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
	// Version 2: an entry that opens beijing's epoch (entry 1 of seoul's
	// log) and one that names it (entry 2), each sealing "body" with
	// salt(i); they open together, the second only with the first.
	opens, err := seal.Parse(fuzzseed.Read(t, "FuzzParse", "epoch-opens"))
	if err != nil {
		t.Fatal(err)
	}
	names, err := seal.Parse(fuzzseed.Read(t, "FuzzParse", "epoch-names"))
	if err != nil {
		t.Fatal(err)
	}
	k := keys(t, "beijing")
	for i, e := range []*seal.Envelope{opens, names} {
		at := &seal.Place{Line: line, Author: "seoul", Index: uint64(i + 1), Commitment: entry.Commit(salt(byte(i+1)), []byte("body")),
			Carrier: func(uint64) ([]byte, error) { return opens.Marshal(), nil }}
		if _, b, err := e.OpenAt("beijing", k.HPKEPrivateKey(), nil, at); err != nil || string(b) != "body" {
			t.Errorf("epoch seed %d: %q, %v", i+1, b, err)
		}
	}
	for _, name := range []string{"trailing-brace", "open-null", "empty-object", "both"} {
		if _, err := seal.Parse(fuzzseed.Read(t, "FuzzParse", name)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
