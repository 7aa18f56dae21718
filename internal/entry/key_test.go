package entry_test

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
)

const keyLine = "5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f"

func keyChange(t testing.TB) (*entry.KeyChange, []byte) {
	t.Helper()
	seed := sha256.Sum256([]byte("key test"))
	next, err := identity.Derive("seoul", seed[:])
	if err != nil {
		t.Fatal(err)
	}
	c := entry.NewKeyChange(keyLine, 5, next)
	b, err := c.Sign(next.LogSigner)
	if err != nil {
		t.Fatal(err)
	}
	return c, b
}

func TestKeyChangeRoundTrip(t *testing.T) {
	c, b := keyChange(t)
	got, err := entry.DecodeKeyChange(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text() != c.Text() || got.Party != "seoul" || got.Index != 5 || got.Compromised != nil {
		t.Fatalf("decoded %+v", got)
	}
	since := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c.Compromised = &since
	got, err = entry.DecodeKeyChange([]byte(c.Text() + "\n"))
	if err != nil || !got.Compromised.Equal(since) {
		t.Fatalf("compromised statement: %+v, %v", got, err)
	}
	l := &entry.Leaf{Line: keyLine, Author: "seoul", Index: 5, Kind: entry.KindKey}
	if err := got.Check(l); err != nil {
		t.Fatal(err)
	}
	l.Index = 6
	if err := got.Check(l); err == nil {
		t.Fatal("a statement for index 5 fits the entry at 6")
	}
}

func TestDecodeKeyChangeRefuses(t *testing.T) {
	c, b := keyChange(t)
	text := c.Text()
	tests := map[string]string{
		"no header":        strings.TrimPrefix(string(b), "hotline key v1\n"),
		"other header":     strings.Replace(string(b), "key v1", "key v2", 1),
		"unknown field":    strings.Replace(text, `{"line"`, `{"x":1,"line"`, 1) + "\n",
		"fields reordered": strings.Replace(text, `"line":"`+keyLine+`","party":"seoul"`, `"party":"seoul","line":"`+keyLine+`"`, 1) + "\n",
		"index 0":          strings.Replace(text, `"index":5`, `"index":0`, 1) + "\n",
		"bad line":         strings.Replace(text, keyLine, "nope", 1) + "\n",
		"bad party":        strings.Replace(text, `"party":"seoul"`, `"party":"Seoul"`, 1) + "\n",
		"no log key":       strings.Replace(text, c.LogKey, "", 1) + "\n",
		"two lines":        strings.Replace(text, `,"party"`, "\n,\"party\"", 1) + "\n",
		"not UTC":          strings.Replace(text, `}`, `,"compromised":"2026-03-01T12:00:00+01:00"}`, 1) + "\n",
		"trailing data":    strings.Replace(text, "}\n", "} 1\n", 1) + "\n",
		"too large":        text + strings.Repeat("x", entry.MaxKeyBody),
		"empty":            "",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if k, err := entry.DecodeKeyChange([]byte(in)); err == nil {
				t.Fatalf("accepted %+v", k)
			}
		})
	}
}

// TestKeyChangeHPKEAndTLSKeys checks that a statement carries the new HPKE
// and TLS keys, that one without them keeps the bytes of a signing-keys-only
// statement, and that a key of the wrong size is refused with its own error.
func TestKeyChangeHPKEAndTLSKeys(t *testing.T) {
	c, _ := keyChange(t)
	if len(c.HPKEKey) != entry.HPKEKeySize || len(c.TLSKey) != 32 {
		t.Fatalf("statement carries an HPKE key of %d bytes and a TLS key of %d", len(c.HPKEKey), len(c.TLSKey))
	}
	got, err := entry.DecodeKeyChange([]byte(c.Text() + "\n"))
	if err != nil || string(got.HPKEKey) != string(c.HPKEKey) || string(got.TLSKey) != string(c.TLSKey) {
		t.Fatalf("decoded %v, %v", got, err)
	}
	old := *c
	old.HPKEKey, old.TLSKey = nil, nil
	if strings.Contains(old.Text(), "hpke_key") || strings.Contains(old.Text(), "tls_key") {
		t.Fatalf("a signing-keys-only statement names HPKE or TLS keys: %s", old.Text())
	}
	if _, err := entry.DecodeKeyChange([]byte(old.Text() + "\n")); err != nil {
		t.Fatalf("signing-keys-only statement: %v", err)
	}
	for name, mut := range map[string]func(k *entry.KeyChange){
		"short hpke key": func(k *entry.KeyChange) { k.HPKEKey = k.HPKEKey[:32] },
		"long tls key":   func(k *entry.KeyChange) { k.TLSKey = append(k.TLSKey, 0) },
		"hpke alone":     func(k *entry.KeyChange) { k.TLSKey = nil },
		"tls alone":      func(k *entry.KeyChange) { k.HPKEKey = nil },
	} {
		t.Run(name, func(t *testing.T) {
			bad := *c
			mut(&bad)
			if _, err := entry.DecodeKeyChange([]byte(bad.Text() + "\n")); !errors.Is(err, entry.ErrKeyStatementKey) {
				t.Fatalf("got %v, want ErrKeyStatementKey", err)
			}
		})
	}
}
