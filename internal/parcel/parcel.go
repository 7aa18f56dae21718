// Package parcel seals a bundle to one recipient for routes that carry it
// through hands nobody trusts: a relay's mailbox, a file on a USB stick.
// The carrier learns the line, the recipient and the size, nothing else;
// the recipient opens the parcel and then verifies the bundle like any
// other (signatures, proofs), so a carrier that forges a parcel gains
// nothing it could not get by dropping one.
package parcel

import (
	"bytes"
	"crypto/hpke"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hotline-line/hotline/internal/wire"
)

// Format is the first field of every parcel.
const Format = "hotline-parcel/v1"

// Parcel is a sealed bundle.
type Parcel struct {
	Format string `json:"format"`
	Line   string `json:"line"`
	To     string `json:"to"`
	Sealed []byte `json:"sealed"` // HPKE ciphertext of the bundle's JSON
}

func info(line, to string) []byte {
	return []byte("hotline parcel v1\x00" + line + "\x00" + to)
}

// Seal seals b to the recipient's HPKE key.
func Seal(b *wire.Bundle, to string, pk hpke.PublicKey) ([]byte, error) {
	ct, err := hpke.Seal(pk, hpke.HKDFSHA256(), hpke.AES256GCM(), info(b.Line, to), b.Marshal())
	if err != nil {
		return nil, fmt.Errorf("seal parcel: %w", err)
	}
	out, err := json.Marshal(&Parcel{Format: Format, Line: b.Line, To: to, Sealed: ct})
	return append(out, '\n'), err
}

// ErrNotAParcel means the data is not a hotline parcel.
var ErrNotAParcel = errors.New("not a hotline parcel")

// Open opens a parcel addressed to me and parses the bundle inside.
func Open(data []byte, me string, sk hpke.PrivateKey) (*wire.Bundle, error) {
	if len(data) > 2*wire.MaxBundleSize {
		return nil, fmt.Errorf("%w: too large", ErrNotAParcel)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Parcel
	if err := dec.Decode(&p); err != nil || p.Format != Format {
		return nil, ErrNotAParcel
	}
	if p.To != me {
		return nil, fmt.Errorf("parcel is addressed to %q, not %q", p.To, me)
	}
	pt, err := hpke.Open(sk, hpke.HKDFSHA256(), hpke.AES256GCM(), info(p.Line, p.To), p.Sealed)
	if err != nil {
		return nil, fmt.Errorf("open parcel: %w", err)
	}
	b, err := wire.Parse(pt)
	if err != nil {
		return nil, err
	}
	if b.Line != p.Line {
		return nil, fmt.Errorf("parcel for line %s holds a bundle of line %s", p.Line, b.Line)
	}
	return b, nil
}
