package parcel_test

import (
	"bytes"
	"crypto/hpke"
	"errors"
	"testing"

	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/parcel"
	"github.com/hotline-line/hotline/internal/wire"
)

func keys(t testing.TB, slug string, b byte) *identity.Keys {
	seed := bytes.Repeat([]byte{b}, identity.SeedSize)
	k, err := identity.Derive(slug, seed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pub(t testing.TB, k *identity.Keys) hpke.PublicKey {
	pk, err := identity.KEM().NewPublicKey(k.HPKEPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

const line = "0123456789abcdef0123456789abcdef"

func TestRoundTrip(t *testing.T) {
	bj, sl := keys(t, "beijing", 1), keys(t, "seoul", 2)
	b := &wire.Bundle{V: wire.Version, Line: line, From: "seoul", Have: map[string]uint64{"seoul": 3}}
	data, err := parcel.Seal(b, "beijing", pub(t, bj))
	if err != nil {
		t.Fatal(err)
	}
	got, err := parcel.Open(data, "beijing", bj.HPKEPrivateKey())
	if err != nil {
		t.Fatal(err)
	}
	if got.From != "seoul" || got.Have["seoul"] != 3 {
		t.Fatalf("got %+v", got)
	}
	if bytes.Contains(data, []byte(`"have"`)) {
		t.Fatal("the bundle is visible to the carrier")
	}
	if _, err := parcel.Open(data, "seoul", sl.HPKEPrivateKey()); err == nil {
		t.Fatal("opened a parcel addressed to another party")
	}
	// Readdressing the parcel breaks the seal: the recipient is bound in.
	re := bytes.Replace(data, []byte(`"to":"beijing"`), []byte(`"to":"seoul"`), 1)
	if _, err := parcel.Open(re, "seoul", sl.HPKEPrivateKey()); err == nil {
		t.Fatal("readdressed parcel opened")
	}
	flipped := bytes.Clone(data)
	flipped[len(flipped)-10] ^= 1
	if _, err := parcel.Open(flipped, "beijing", bj.HPKEPrivateKey()); err == nil {
		t.Fatal("tampered parcel opened")
	}
	if _, err := parcel.Open([]byte("garbage"), "beijing", bj.HPKEPrivateKey()); !errors.Is(err, parcel.ErrNotAParcel) {
		t.Fatalf("garbage: %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	bj := keys(f, "beijing", 1)
	b := &wire.Bundle{V: wire.Version, Line: line, From: "seoul"}
	data, err := parcel.Seal(b, "beijing", pub(f, bj))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"format":"hotline-parcel/v1","line":"x","to":"beijing","sealed":"AAAA"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if b, err := parcel.Open(data, "beijing", bj.HPKEPrivateKey()); err == nil && b == nil {
			t.Fatal("no error and no bundle")
		}
	})
}
