package seal_test

import (
	"bytes"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/seal"
)

const line = "5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f"

func keys(t testing.TB, slug string) *identity.Keys {
	t.Helper()
	seed := sha256.Sum256([]byte("seal test seed " + slug))
	k, err := identity.Derive(slug, seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pub(t testing.TB, k *identity.Keys) hpke.PublicKey {
	t.Helper()
	p, err := identity.KEM().NewPublicKey(k.HPKEPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func salt(b byte) []byte { return bytes.Repeat([]byte{b}, entry.SaltSize) }

// sealed seals body to the parties and returns the envelope and the
// commitment the leaf would carry.
func sealed(t testing.TB, info, s, body []byte, to ...*identity.Keys) (*seal.Envelope, []byte) {
	t.Helper()
	rs := map[string]hpke.PublicKey{}
	for _, k := range to {
		rs[k.Slug] = pub(t, k)
	}
	e, err := seal.Seal(rs, info, s, body)
	if err != nil {
		t.Fatal(err)
	}
	return e, entry.Commit(s, body)
}

func TestSealOpenFor(t *testing.T) {
	all := []*identity.Keys{keys(t, "beijing"), keys(t, "tokyo"), keys(t, "ulaanbaatar"), keys(t, "hanoi")}
	outsider := keys(t, "outsider")
	info := seal.Info(line, "seoul")
	body := []byte(`{"lang":"ko","text":"경계 태세를 낮춥니다"}`)
	for n := 1; n <= len(all); n++ {
		to := all[:n]
		e, commit := sealed(t, info, salt(1), body, to...)
		if e.Open != nil {
			t.Fatal("sealed envelope carries an open body")
		}
		want := []string{}
		for _, k := range to {
			want = append(want, k.Slug)
		}
		if got := slices.Sorted(maps.Keys(e.Sealed)); !reflect.DeepEqual(got, slices.Sorted(slices.Values(want))) {
			t.Fatalf("%d recipients: sealed to %v", n, got)
		}
		// Through the wire encoding too.
		wire, err := seal.Parse(e.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		for _, env := range []*seal.Envelope{e, wire} {
			for _, k := range to {
				s, b, err := env.OpenFor(k.Slug, k.HPKEPrivateKey(), info, commit)
				if err != nil {
					t.Fatalf("%d recipients: %s: %v", n, k.Slug, err)
				}
				if !bytes.Equal(s, salt(1)) || !bytes.Equal(b, body) {
					t.Fatalf("%d recipients: %s opened %q", n, k.Slug, b)
				}
			}
			if _, _, err := env.OpenFor(outsider.Slug, outsider.HPKEPrivateKey(), info, commit); !errors.Is(err, seal.ErrNoBody) {
				t.Fatalf("outsider: %v, want ErrNoBody", err)
			}
			for _, k := range all[n:] {
				if _, _, err := env.OpenFor(k.Slug, k.HPKEPrivateKey(), info, commit); !errors.Is(err, seal.ErrNoBody) {
					t.Fatalf("%s, not a recipient: %v, want ErrNoBody", k.Slug, err)
				}
			}
		}
	}
}

func TestSealBodies(t *testing.T) {
	k := keys(t, "beijing")
	info := seal.Info(line, "seoul")
	for name, body := range map[string][]byte{
		"empty":   nil,
		"one":     {0},
		"binary":  {0xff, 0, 0xfe, '\n'},
		"largest": bytes.Repeat([]byte("가"), entry.MaxTextSize/3),
	} {
		e, commit := sealed(t, info, salt(2), body, k)
		s, b, err := e.OpenFor(k.Slug, k.HPKEPrivateKey(), info, commit)
		if err != nil || !bytes.Equal(s, salt(2)) || !bytes.Equal(b, body) || len(b) != len(body) {
			t.Errorf("%s: opened %d bytes, %v", name, len(b), err)
		}
	}
}

func TestSealIsRandomizedAndCopies(t *testing.T) {
	k := keys(t, "beijing")
	info := seal.Info(line, "seoul")
	s, body := salt(3), []byte("hello")
	e1, commit := sealed(t, info, s, body, k)
	e2, _ := sealed(t, info, s, body, k)
	if bytes.Equal(e1.Sealed["beijing"], e2.Sealed["beijing"]) {
		t.Fatal("two seals of the same body are equal")
	}
	// Seal and Plain keep no reference to the caller's slices.
	p := seal.Plain(s, body)
	s[0], body[0] = 0xee, 'j'
	if _, b, err := e1.OpenFor("beijing", k.HPKEPrivateKey(), info, commit); err != nil || string(b) != "hello" {
		t.Fatalf("sealed: %q, %v", b, err)
	}
	if _, b, err := p.OpenFor("anyone", nil, nil, commit); err != nil || string(b) != "hello" {
		t.Fatalf("plain: %q, %v", b, err)
	}
}

func TestOpenForWrongKey(t *testing.T) {
	a, b := keys(t, "beijing"), keys(t, "tokyo")
	info := seal.Info(line, "seoul")
	e, commit := sealed(t, info, salt(4), []byte("x"), a, b)
	// tokyo's key in beijing's slot.
	_, _, err := e.OpenFor("beijing", b.HPKEPrivateKey(), info, commit)
	if err == nil || errors.Is(err, seal.ErrNoBody) || errors.Is(err, seal.ErrCommitment) {
		t.Fatalf("wrong private key: %v", err)
	}
	// beijing's ciphertext moved into tokyo's slot.
	e.Sealed["tokyo"] = e.Sealed["beijing"]
	if _, _, err := e.OpenFor("tokyo", b.HPKEPrivateKey(), info, commit); err == nil {
		t.Fatal("tokyo opened beijing's ciphertext")
	}
}

func TestOpenForTamperedCiphertext(t *testing.T) {
	k := keys(t, "beijing")
	info := seal.Info(line, "seoul")
	e, commit := sealed(t, info, salt(5), []byte("a body of some length"), k)
	ct := e.Sealed["beijing"]
	const encSize = 1088 + 32 // ML-KEM-768 ciphertext and X25519 share
	if len(ct) <= encSize+16 {
		t.Fatalf("ciphertext of %d bytes", len(ct))
	}
	positions := []int{0, 1, 500, 1087, 1088, encSize - 1, encSize, encSize + 1, len(ct) - 17, len(ct) - 16, len(ct) - 1}
	for _, i := range positions {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(ct)
			bad[i] ^= bit
			e2 := &seal.Envelope{Sealed: map[string][]byte{"beijing": bad}}
			if _, b, err := e2.OpenFor("beijing", k.HPKEPrivateKey(), info, commit); err == nil {
				t.Errorf("flipping bit %#x of byte %d: opened %q", bit, i, b)
			}
		}
	}
	for name, bad := range map[string][]byte{
		"empty":          {},
		"nil":            nil,
		"enc only":       ct[:encSize],
		"truncated":      ct[:len(ct)-1],
		"extended":       append(bytes.Clone(ct), 0),
		"doubled":        append(bytes.Clone(ct), ct...),
		"enc of another": append(bytes.Clone(sealedCT(t, k, info)[:encSize]), ct[encSize:]...),
	} {
		e2 := &seal.Envelope{Sealed: map[string][]byte{"beijing": bad}}
		if _, _, err := e2.OpenFor("beijing", k.HPKEPrivateKey(), info, commit); err == nil {
			t.Errorf("%s ciphertext opened", name)
		}
	}
}

func sealedCT(t *testing.T, k *identity.Keys, info []byte) []byte {
	e, _ := sealed(t, info, salt(5), []byte("a body of some length"), k)
	return e.Sealed[k.Slug]
}

func TestOpenForWrongCommitment(t *testing.T) {
	k := keys(t, "beijing")
	info := seal.Info(line, "seoul")
	body := []byte("body")
	e, commit := sealed(t, info, salt(6), body, k)
	p := seal.Plain(salt(6), body)
	flipped := bytes.Clone(commit)
	flipped[31] ^= 1
	for name, c := range map[string][]byte{
		"other body":        entry.Commit(salt(6), []byte("bodz")),
		"other salt":        entry.Commit(salt(7), body),
		"flipped":           flipped,
		"nil":               nil,
		"truncated":         commit[:31],
		"plain hash":        func() []byte { h := sha256.Sum256(append(salt(6), body...)); return h[:] }(),
		"salt moved to end": entry.Commit(nil, append(bytes.Clone(body), salt(6)...)),
	} {
		for kind, env := range map[string]*seal.Envelope{"sealed": e, "plain": p} {
			s, b, err := env.OpenFor("beijing", k.HPKEPrivateKey(), info, c)
			if !errors.Is(err, seal.ErrCommitment) {
				t.Errorf("%s, %s: %v, want ErrCommitment", kind, name, err)
			}
			if s != nil || b != nil {
				t.Errorf("%s, %s: body returned with the error", kind, name)
			}
		}
	}
}

func TestOpenForInfoMismatch(t *testing.T) {
	k := keys(t, "beijing")
	info := seal.Info(line, "seoul")
	e, commit := sealed(t, info, salt(8), []byte("body"), k)
	for name, other := range map[string][]byte{
		"other line":        seal.Info("ffffffffffffffffffffffffffffffff", "seoul"),
		"other author":      seal.Info(line, "busan"),
		"author as prefix":  seal.Info(line, "seou"),
		"author extended":   seal.Info(line, "seoul-2"),
		"line and author":   seal.Info("ffffffffffffffffffffffffffffffff", "busan"),
		"empty":             {},
		"nil":               nil,
		"extended":          append(bytes.Clone(info), 0),
		"without separator": []byte("hotline body v1\x00" + line + "seoul"),
	} {
		_, _, err := e.OpenFor("beijing", k.HPKEPrivateKey(), other, commit)
		if err == nil || errors.Is(err, seal.ErrNoBody) || errors.Is(err, seal.ErrCommitment) {
			t.Errorf("%s: %v, want a decryption error", name, err)
		}
	}
}

func TestInfo(t *testing.T) {
	got := seal.Info(line, "seoul")
	want := "hotline body v1\x00" + line + "\x00seoul"
	if string(got) != want {
		t.Fatalf("Info = %q, want %q", got, want)
	}
	// Distinct lines and authors have distinct infos.
	seen := map[string]bool{}
	for _, c := range [][2]string{
		{line, "seoul"}, {line, "busan"}, {line, "seoul-1"}, {line, "seou"},
		{line[:31] + "0", "seoul"}, {"ffffffffffffffffffffffffffffffff", "seoul"},
	} {
		i := string(seal.Info(c[0], c[1]))
		if seen[i] {
			t.Errorf("%v shares info %q", c, i)
		}
		seen[i] = true
	}
}

func TestPlain(t *testing.T) {
	body := []byte("hotline charter v1\n{}\n")
	p := seal.Plain(salt(9), body)
	if p.Sealed != nil || !bytes.Equal(p.Open, append(salt(9), body...)) {
		t.Fatalf("Plain = %+v", p)
	}
	commit := entry.Commit(salt(9), body)
	s, b, err := p.OpenFor("anyone", nil, nil, commit)
	if err != nil || !bytes.Equal(s, salt(9)) || !bytes.Equal(b, body) {
		t.Fatalf("OpenFor = %q, %q, %v", s, b, err)
	}
	// Fewer bytes than a salt.
	short := &seal.Envelope{Open: make([]byte, entry.SaltSize-1)}
	if _, _, err := short.OpenFor("a", nil, nil, entry.Commit(short.Open, nil)); !errors.Is(err, seal.ErrCommitment) {
		t.Fatalf("short open body: %v", err)
	}
	// A salt and nothing else is an empty body.
	onlySalt := seal.Plain(salt(1), nil)
	if _, b, err := onlySalt.OpenFor("a", nil, nil, entry.Commit(salt(1), nil)); err != nil || len(b) != 0 {
		t.Fatalf("salt-only body: %q, %v", b, err)
	}
}

func TestMarshalParseRoundTrip(t *testing.T) {
	k1, k2 := keys(t, "beijing"), keys(t, "tokyo")
	e, _ := sealed(t, seal.Info(line, "seoul"), salt(1), []byte("x"), k1, k2)
	for name, env := range map[string]*seal.Envelope{"sealed": e, "plain": seal.Plain(salt(1), []byte("y"))} {
		b := env.Marshal()
		got, err := seal.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, env) {
			t.Fatalf("%s: Parse(Marshal(e)) = %+v", name, got)
		}
		if !bytes.Equal(got.Marshal(), b) {
			t.Fatalf("%s: encoding not stable", name)
		}
	}
	if got := string(seal.Plain([]byte{1}, []byte{2}).Marshal()); got != `{"open":"AQI="}` {
		t.Fatalf("plain envelope encodes as %s", got)
	}
	b := e.Marshal()
	if !bytes.HasPrefix(b, []byte(`{"sealed":{"beijing":"`)) || !bytes.Contains(b, []byte(`","tokyo":"`)) {
		t.Fatalf("sealed envelope encodes as %.60s...", b)
	}
}

func TestParseStrict(t *testing.T) {
	ok := base64.StdEncoding.EncodeToString(make([]byte, 40))
	tests := map[string]string{
		"empty":                 ``,
		"whitespace":            `  `,
		"null":                  `null`,
		"empty object":          `{}`,
		"array":                 `[]`,
		"string":                `"x"`,
		"number":                `1`,
		"truncated":             `{"open":"` + ok,
		"both":                  `{"open":"` + ok + `","sealed":{"a":"` + ok + `"}}`,
		"both null":             `{"open":null,"sealed":null}`,
		"empty open":            `{"open":""}`,
		"empty sealed":          `{"sealed":{}}`,
		"empty open, empty map": `{"open":"","sealed":{}}`,
		"unknown field":         `{"open":"` + ok + `","to":"a"}`,
		"unknown field only":    `{"body":"` + ok + `"}`,
		"bad base64 open":       `{"open":"!!!!"}`,
		"bad base64 sealed":     `{"sealed":{"a":"!!!!"}}`,
		"open not a string":     `{"open":5}`,
		"sealed as array":       `{"sealed":["` + ok + `"]}`,
		"sealed value a number": `{"sealed":{"a":5}}`,
		"trailing object":       `{"open":"` + ok + `"}{}`,
		"trailing garbage":      `{"open":"` + ok + `"}x`,
		"trailing brace":        `{"open":"` + ok + `"}}`,
		"trailing bracket":      `{"open":"` + ok + `"}]`,
		"two envelopes":         `{"open":"` + ok + `"}{"open":"` + ok + `"}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if e, err := seal.Parse([]byte(in)); err == nil {
				t.Fatalf("Parse(%q) = %+v", in, e)
			}
		})
	}
	for _, in := range []string{
		`{"open":"` + ok + `"}`,
		` {"open":"` + ok + "\"}\n",
		`{"sealed":{"a":"` + ok + `"}}`,
		`{"open":"` + ok + `","sealed":{}}`,
		`{"open":"` + ok + `","sealed":null}`,
		`{"open":"","sealed":{"a":"` + ok + `"}}`,
	} {
		e, err := seal.Parse([]byte(in))
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if again, err := seal.Parse(e.Marshal()); err != nil || !reflect.DeepEqual(again, e) {
			t.Errorf("Parse(%q) does not survive re-encoding: %+v, %v", in, again, err)
		}
	}
}

func TestParseSizeLimit(t *testing.T) {
	big := `{"open":"` + strings.Repeat("A", seal.MaxEnvelopeSize) + `"}`
	if _, err := seal.Parse([]byte(big)); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("oversize envelope: %v", err)
	}
}
