package seal_test

import (
	"bytes"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/seal"
)

var t0 = time.Date(2026, 12, 2, 3, 12, 0, 0, time.UTC)

// authorLog is a sender's log as far as sealing goes: the envelopes and the
// leaf hashes of its entries, index 0 being the charter.
type authorLog struct {
	t       testing.TB
	s       seal.Sender
	to      map[string]hpke.PublicKey
	policy  seal.Policy
	envs    [][]byte
	leaves  [][]byte
	salts   [][]byte
	bodies  [][]byte
	commits [][]byte
}

func newAuthorLog(t testing.TB, p seal.Policy, to ...*identity.Keys) *authorLog {
	l := &authorLog{t: t, s: seal.Sender{Line: line, Author: "seoul"}, to: map[string]hpke.PublicKey{}, policy: p}
	for _, k := range to {
		l.to[k.Slug] = pub(t, k)
	}
	l.append(nil, nil, []byte("charter"), nil)
	return l
}

func (l *authorLog) append(env *seal.Envelope, s, body, commit []byte) {
	n := len(l.envs)
	h := sha256.Sum256(fmt.Appendf(nil, "leaf %d %x", n, commit))
	var raw []byte
	if env != nil {
		raw = env.Marshal()
	}
	l.envs, l.leaves = append(l.envs, raw), append(l.leaves, h[:])
	l.salts, l.bodies, l.commits = append(l.salts, s), append(l.bodies, body), append(l.commits, commit)
}

func (l *authorLog) slot(now time.Time) seal.Slot {
	n := uint64(len(l.envs))
	h := sha256.Sum256(fmt.Appendf(nil, "leaf %d pending", n))
	return seal.Slot{Index: n, LeafHash: h[:], Now: now, Held: func(i uint64) []byte {
		if i >= uint64(len(l.leaves)) {
			return nil
		}
		return l.leaves[i]
	}}
}

// send seals a message at the next index and appends it.
func (l *authorLog) send(now time.Time, text string) *seal.Envelope {
	l.t.Helper()
	s := salt(byte(len(l.envs)))
	body := []byte(text)
	at := l.slot(now)
	env, err := l.s.Seal(l.to, l.policy, at, s, body)
	if err != nil {
		l.t.Fatal(err)
	}
	l.envs = append(l.envs, env.Marshal())
	l.leaves = append(l.leaves, at.LeafHash)
	l.salts, l.bodies, l.commits = append(l.salts, s), append(l.bodies, body), append(l.commits, entry.Commit(s, body))
	return env
}

func (l *authorLog) place(i uint64) *seal.Place {
	return &seal.Place{Line: line, Author: "seoul", Index: i, Commitment: l.commits[i], Carrier: func(c uint64) ([]byte, error) {
		if c >= uint64(len(l.envs)) {
			return nil, seal.ErrEpochMissing
		}
		return l.envs[c], nil
	}}
}

// open opens entry i of the log for k, through the wire encoding.
func (l *authorLog) open(k *identity.Keys, cache *seal.Epochs, i uint64) ([]byte, error) {
	return l.openAs(k.Slug, k, cache, i)
}

// openAs opens entry i for party with k's key.
func (l *authorLog) openAs(party string, k *identity.Keys, cache *seal.Epochs, i uint64) ([]byte, error) {
	env, err := seal.Parse(l.envs[i])
	if err != nil {
		return nil, err
	}
	s, b, err := env.OpenAt(party, k.HPKEPrivateKey(), cache, l.place(i))
	if err == nil && !bytes.Equal(s, l.salts[i]) {
		return nil, errors.New("wrong salt")
	}
	return b, err
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func epochs(t testing.TB, raw []byte) map[string]*seal.Share {
	t.Helper()
	env, err := seal.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if env.Epochs == nil || env.Sealed != nil || env.Open != nil {
		t.Fatalf("not a version 2 envelope: %s", raw)
	}
	return env.Epochs
}

// TestEpochsByCount: an epoch ends after the policy's messages; the entry
// that opens one carries the encapsulation, later ones name it and carry
// only the ciphertext; every recipient opens every entry, with its memory
// of epochs and without.
func TestEpochsByCount(t *testing.T) {
	to := []*identity.Keys{keys(t, "beijing"), keys(t, "tokyo"), keys(t, "hanoi")}
	l := newAuthorLog(t, seal.Policy{Messages: 3, Time: time.Hour}, to...)
	for i := range 7 {
		l.send(t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("message %d", i+1))
	}
	for i := uint64(1); i <= 7; i++ {
		sh := epochs(t, l.envs[i])
		if got := slices.Sorted(maps.Keys(sh)); !slices.Equal(got, []string{"beijing", "hanoi", "tokyo"}) {
			t.Fatalf("entry %d sealed to %v", i, got)
		}
		wantEpoch := 1 + (i-1)/3*3 // 1, 1, 1, 4, 4, 4, 7
		for p, s := range sh {
			if s.Epoch != wantEpoch || (s.Enc != nil) != (i == wantEpoch) {
				t.Errorf("entry %d, %s: epoch %d, enc %d bytes; want epoch %d", i, p, s.Epoch, len(s.Enc), wantEpoch)
			}
			if s.Enc == nil && len(s.CT) != entry.SaltSize+len(l.bodies[i])+16 {
				t.Errorf("entry %d, %s: %d bytes of ciphertext for a %d-byte body", i, p, len(s.CT), len(l.bodies[i]))
			}
		}
	}
	for _, k := range to {
		var cache seal.Epochs
		for i := uint64(1); i <= 7; i++ {
			for _, c := range []*seal.Epochs{&cache, nil} {
				b, err := l.open(k, c, i)
				if err != nil || !bytes.Equal(b, l.bodies[i]) {
					t.Fatalf("%s, entry %d (cache %v): %q, %v", k.Slug, i, c != nil, b, err)
				}
			}
		}
		if cache.Len() != 3 {
			t.Errorf("%s remembers %d epochs, want 3", k.Slug, cache.Len())
		}
	}
	// Catch-up in bulk, newest first, with nothing remembered: every entry
	// finds its epoch in the log.
	var cache seal.Epochs
	for i := uint64(7); i >= 1; i-- {
		if b, err := l.open(to[0], &cache, i); err != nil || !bytes.Equal(b, l.bodies[i]) {
			t.Fatalf("entry %d, newest first: %q, %v", i, b, err)
		}
	}
	outsider := keys(t, "outsider")
	if _, err := l.open(outsider, nil, 2); !errors.Is(err, seal.ErrNoBody) {
		t.Fatalf("outsider: %v, want ErrNoBody", err)
	}
}

// TestEpochEnds: an epoch also ends after the policy's time, when the
// recipient's key changes, when its carrier is no longer in the log, when
// the recipient leaves, and on a restart (a new Sender).
func TestEpochEnds(t *testing.T) {
	bj, tk := keys(t, "beijing"), keys(t, "tokyo")
	l := newAuthorLog(t, seal.Policy{Messages: 1000, Time: time.Hour}, bj, tk)
	opened := func(i uint64) map[string]bool {
		out := map[string]bool{}
		for p, s := range epochs(t, l.envs[i]) {
			out[p] = s.Enc != nil
		}
		return out
	}
	want := func(i uint64, beijing, tokyo bool) {
		t.Helper()
		if got := opened(i); got["beijing"] != beijing || got["tokyo"] != tokyo {
			t.Fatalf("entry %d opens epochs %v, want beijing %v, tokyo %v", i, got, beijing, tokyo)
		}
	}
	l.send(t0, "1")
	want(1, true, true)
	l.send(t0.Add(59*time.Minute), "2")
	want(2, false, false)
	l.send(t0.Add(time.Hour), "3") // the hour is over
	want(3, true, true)

	// tokyo's key changes.
	tk2 := keys(t, "tokyo-new-key")
	l.to["tokyo"] = pub(t, tk2)
	l.send(t0.Add(61*time.Minute), "4")
	want(4, false, true)

	// The carrier of beijing's epoch (entry 3) was rolled back and its
	// index reused by another entry.
	l.leaves[3] = bytes.Repeat([]byte{9}, 32)
	l.send(t0.Add(62*time.Minute), "5")
	want(5, true, false)

	// tokyo leaves, then comes back: a new epoch.
	delete(l.to, "tokyo")
	l.send(t0.Add(63*time.Minute), "6")
	if got := opened(6); len(got) != 1 || got["beijing"] {
		t.Fatalf("entry 6 sealed to %v", got)
	}
	l.to["tokyo"] = pub(t, tk2)
	l.send(t0.Add(64*time.Minute), "7")
	want(7, false, true)

	// A restart: a new sender, new epochs.
	l.s = seal.Sender{Line: line, Author: "seoul"}
	l.send(t0.Add(65*time.Minute), "8")
	want(8, true, true)
	// A clock set back: a new epoch rather than one that never ends.
	l.send(t0.Add(-time.Hour), "9")
	want(9, true, true)

	for i := uint64(1); i <= 9; i++ {
		if b, err := l.open(bj, nil, i); err != nil || !bytes.Equal(b, l.bodies[i]) {
			t.Errorf("beijing, entry %d: %q, %v", i, b, err)
		}
		k := tk
		if i >= 4 {
			k = tk2
		}
		if i == 6 {
			continue
		}
		if b, err := l.openAs("tokyo", k, nil, i); err != nil || !bytes.Equal(b, l.bodies[i]) {
			t.Errorf("tokyo, entry %d: %q, %v", i, b, err)
		}
	}
}

// TestEpochHostile: what a peer (or a route that alters envelopes) may
// send in a version 2 envelope is refused with an error that says what.
func TestEpochHostile(t *testing.T) {
	bj, tk := keys(t, "beijing"), keys(t, "tokyo")
	l := newAuthorLog(t, seal.Policy{Messages: 100, Time: time.Hour}, bj, tk)
	for i := range 3 {
		l.send(t0, fmt.Sprintf("message %d", i+1))
	}
	edit := func(i uint64, party string, f func(sh *seal.Share)) *seal.Envelope {
		env, err := seal.Parse(l.envs[i])
		if err != nil {
			t.Fatal(err)
		}
		f(env.Epochs[party])
		return env
	}
	other := l.envs[1]
	cases := []struct {
		name  string
		index uint64
		env   *seal.Envelope
		log   func(c uint64) ([]byte, error)
		want  error
	}{
		{"epoch ahead", 2, edit(2, "beijing", func(sh *seal.Share) { sh.Epoch = 3 }), nil, seal.ErrEpochAhead},
		{"huge epoch", 2, edit(2, "beijing", func(sh *seal.Share) { sh.Epoch = 1<<64 - 1 }), nil, seal.ErrEpochAhead},
		{"itself without enc", 2, edit(2, "beijing", func(sh *seal.Share) { sh.Epoch = 2 }), nil, seal.ErrEpochAhead},
		{"enc on a later entry", 2, edit(2, "beijing", func(sh *seal.Share) { sh.Enc = make([]byte, seal.EncSize) }), nil, seal.ErrEpochCarrier},
		{"carrier missing", 2, edit(2, "beijing", func(*seal.Share) {}), func(uint64) ([]byte, error) { return nil, seal.ErrEpochMissing }, seal.ErrEpochMissing},
		{"carrier unreadable", 2, edit(2, "beijing", func(*seal.Share) {}), func(uint64) ([]byte, error) { return nil, errors.New("disk") }, seal.ErrEpochMissing},
		{"carrier not an envelope", 2, edit(2, "beijing", func(*seal.Share) {}), func(uint64) ([]byte, error) { return []byte("{}"), nil }, seal.ErrEpochCarrier},
		{"carrier without enc", 2, edit(2, "beijing", func(*seal.Share) {}), func(uint64) ([]byte, error) { return l.envs[2], nil }, seal.ErrEpochCarrier},
		{"carrier of version 1", 2, edit(2, "beijing", func(*seal.Share) {}), func(uint64) ([]byte, error) {
			e, _ := sealed(t, seal.Info(line, "seoul"), salt(1), []byte("x"), bj)
			return e.Marshal(), nil
		}, seal.ErrEpochCarrier},
		{"epoch 0, the charter", 2, edit(2, "beijing", func(sh *seal.Share) { sh.Epoch = 0 }), nil, seal.ErrEpochCarrier},
		{"tampered ciphertext", 2, edit(2, "beijing", func(sh *seal.Share) { sh.CT[40] ^= 1 }), nil, nil},
		{"another entry's ciphertext", 2, edit(2, "beijing", func(sh *seal.Share) { sh.CT = epochs(t, l.envs[3])["beijing"].CT }), nil, nil},
		{"tokyo's share", 2, edit(2, "beijing", func(sh *seal.Share) { sh.CT = epochs(t, l.envs[2])["tokyo"].CT }), nil, nil},
		{"tokyo's encapsulation", 1, edit(1, "beijing", func(sh *seal.Share) { sh.Enc = epochs(t, other)["tokyo"].Enc }), nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			at := l.place(c.index)
			if c.log != nil {
				at.Carrier = c.log
			}
			// Through the wire, as a peer would send it.
			env, err := seal.Parse(c.env.Marshal())
			if err != nil {
				t.Fatal(err)
			}
			s, b, err := env.OpenAt("beijing", bj.HPKEPrivateKey(), nil, at)
			if err == nil || s != nil || b != nil {
				t.Fatalf("opened %q, %v", b, err)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("%v, want %v", err, c.want)
			}
		})
	}
	// The line, the author and the commitment are bound.
	for name, at := range map[string]*seal.Place{
		"other line":   {Line: "ffffffffffffffffffffffffffffffff", Author: "seoul", Index: 1, Commitment: l.commits[1]},
		"other author": {Line: line, Author: "busan", Index: 1, Commitment: l.commits[1]},
		"other body":   {Line: line, Author: "seoul", Index: 1, Commitment: l.commits[2]},
	} {
		env, _ := seal.Parse(l.envs[1])
		if _, _, err := env.OpenAt("beijing", bj.HPKEPrivateKey(), nil, at); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

// TestEpochsRemembersOnlySoundSecrets: a forged encapsulation that fails
// to open its body is not remembered, so it cannot spoil later entries.
func TestEpochsRemembersOnlySoundSecrets(t *testing.T) {
	bj := keys(t, "beijing")
	l := newAuthorLog(t, seal.Policy{Messages: 100, Time: time.Hour}, bj)
	l.send(t0, "one")
	l.send(t0, "two")
	forged := newAuthorLog(t, seal.Policy{Messages: 100, Time: time.Hour}, bj)
	forged.send(t0, "forged")
	env, _ := seal.Parse(l.envs[1])
	env.Epochs["beijing"].Enc = epochs(t, forged.envs[1])["beijing"].Enc
	var cache seal.Epochs
	if _, _, err := env.OpenAt("beijing", bj.HPKEPrivateKey(), &cache, l.place(1)); err == nil {
		t.Fatal("forged encapsulation opened")
	}
	if cache.Len() != 0 {
		t.Fatal("a secret that opened nothing is remembered")
	}
	for i := uint64(1); i <= 2; i++ {
		if b, err := l.open(bj, &cache, i); err != nil || !bytes.Equal(b, l.bodies[i]) {
			t.Fatalf("entry %d: %q, %v", i, b, err)
		}
	}
}

// TestEpochsBounded: the receiver's memory of epochs holds MaxEpochs
// secrets at most, and still opens what fell out of it.
func TestEpochsBounded(t *testing.T) {
	bj := keys(t, "beijing")
	l := newAuthorLog(t, seal.Policy{Messages: 1, Time: time.Hour}, bj)
	n := seal.MaxEpochs + 3
	for i := range n {
		l.send(t0, fmt.Sprint(i))
	}
	var cache seal.Epochs
	for i := 1; i <= n; i++ {
		if _, err := l.open(bj, &cache, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if cache.Len() != seal.MaxEpochs {
		t.Fatalf("remembers %d epochs, want %d", cache.Len(), seal.MaxEpochs)
	}
	if b, err := l.open(bj, &cache, 1); err != nil || string(b) != "0" {
		t.Fatalf("entry 1 after it fell out: %q, %v", b, err)
	}
	cache.Erase()
	if cache.Len() != 0 {
		t.Fatalf("remembers %d epochs after Erase", cache.Len())
	}
	if b, err := l.open(bj, &cache, 2); err != nil || string(b) != "1" {
		t.Fatalf("entry 2 after Erase: %q, %v", b, err)
	}
}

// TestOpenAtVersion1: envelopes of version 1 and open ones open through
// OpenAt, and OpenFor refuses a version 2 envelope rather than guess.
func TestOpenAtVersion1(t *testing.T) {
	bj := keys(t, "beijing")
	e, commit := sealed(t, seal.Info(line, "seoul"), salt(1), []byte("v1"), bj)
	at := &seal.Place{Line: line, Author: "seoul", Index: 5, Commitment: commit}
	if _, b, err := e.OpenAt("beijing", bj.HPKEPrivateKey(), nil, at); err != nil || string(b) != "v1" {
		t.Fatalf("version 1: %q, %v", b, err)
	}
	p := seal.Plain(salt(2), []byte("charter"))
	at.Commitment = entry.Commit(salt(2), []byte("charter"))
	if _, b, err := p.OpenAt("beijing", nil, nil, at); err != nil || string(b) != "charter" {
		t.Fatalf("open: %q, %v", b, err)
	}
	l := newAuthorLog(t, seal.Policy{Messages: 100, Time: time.Hour}, bj)
	v2 := l.send(t0, "v2")
	if _, _, err := v2.OpenFor("beijing", bj.HPKEPrivateKey(), seal.Info(line, "seoul"), l.commits[1]); err == nil {
		t.Fatal("OpenFor opened a version 2 envelope")
	}
}

func TestParseVersion2(t *testing.T) {
	bj := keys(t, "beijing")
	l := newAuthorLog(t, seal.Policy{Messages: 100, Time: time.Hour}, bj)
	l.send(t0, "x")
	ct := `"` + b64(make([]byte, entry.SaltSize+16)) + `"`
	for name, in := range map[string]string{
		"enc too short":    `{"epochs":{"a":{"epoch":1,"enc":"` + b64(make([]byte, seal.EncSize-1)) + `","ct":` + ct + `}}}`,
		"enc too long":     `{"epochs":{"a":{"epoch":1,"enc":"` + b64(make([]byte, seal.EncSize+1)) + `","ct":` + ct + `}}}`,
		"no ciphertext":    `{"epochs":{"a":{"epoch":1}}}`,
		"short ciphertext": `{"epochs":{"a":{"epoch":1,"ct":"` + b64(make([]byte, entry.SaltSize+15)) + `"}}}`,
		"null share":       `{"epochs":{"a":null}}`,
		"negative epoch":   `{"epochs":{"a":{"epoch":-1,"ct":` + ct + `}}}`,
		"epoch too large":  `{"epochs":{"a":{"epoch":18446744073709551616,"ct":` + ct + `}}}`,
		"epoch a string":   `{"epochs":{"a":{"epoch":"1","ct":` + ct + `}}}`,
		"unknown field":    `{"epochs":{"a":{"epoch":1,"ct":` + ct + `,"n":2}}}`,
		"with sealed":      `{"sealed":{"a":"AAAA"},"epochs":{"a":{"epoch":1,"ct":` + ct + `}}}`,
		"with open":        `{"open":"AAAA","epochs":{"a":{"epoch":1,"ct":` + ct + `}}}`,
	} {
		if e, err := seal.Parse([]byte(in)); err == nil {
			t.Errorf("%s: accepted %+v", name, e)
		}
	}
	if _, err := seal.Parse([]byte(`{"epochs":{"a":{"epoch":1,"enc":"` + b64(make([]byte, seal.EncSize-1)) + `","ct":` + ct + `}}}`)); !errors.Is(err, seal.ErrEncSize) {
		t.Errorf("enc of the wrong size: %v, want ErrEncSize", err)
	}
	// The empty encapsulation is an absent one, as Marshal writes it.
	e, err := seal.Parse([]byte(`{"epochs":{"a":{"epoch":1,"enc":"","ct":` + ct + `}}}`))
	if err != nil || e.Epochs["a"].Enc != nil || string(e.Marshal()) != `{"epochs":{"a":{"epoch":1,"ct":`+ct+`}}}` {
		t.Fatalf("empty enc: %v", err)
	}
}
