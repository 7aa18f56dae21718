package wire_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/hotline-line/hotline/internal/wire"
)

// normalize treats an empty list or map as absent, as Marshal does
// (omitempty): "segments":[] and no segments are the same bundle.
func normalize(b *wire.Bundle) *wire.Bundle {
	c := *b
	if len(c.Segments) == 0 {
		c.Segments = nil
	}
	if len(c.Cosigs) == 0 {
		c.Cosigs = nil
	}
	if len(c.Have) == 0 {
		c.Have = nil
	}
	c.Segments = append([]wire.Segment(nil), c.Segments...)
	for i := range c.Segments {
		if len(c.Segments[i].Proof) == 0 {
			c.Segments[i].Proof = nil
		}
	}
	return &c
}

// FuzzParse checks that Parse never panics, that every refusal is
// ErrMalformed, and that what it accepts survives Marshal and Parse: the
// same bundle comes back, and its encoding is stable.
func FuzzParse(f *testing.F) {
	f.Add(full().Marshal())
	f.Add([]byte(`{"v":1,"line":"` + lineID + `","from":"a"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := wire.Parse(data)
		if err != nil {
			if !errors.Is(err, wire.ErrMalformed) {
				t.Fatalf("refusal is not ErrMalformed: %v", err)
			}
			return
		}
		enc := b.Marshal()
		again, err := wire.Parse(enc)
		if err != nil {
			t.Fatalf("Parse(Marshal(Parse(data))): %v\ndata: %q\nenc:  %q", err, data, enc)
		}
		if !reflect.DeepEqual(normalize(b), normalize(again)) {
			t.Fatalf("round trip changed the bundle:\nfirst  %+v\nsecond %+v", b, again)
		}
		if enc2 := again.Marshal(); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable:\n%q\n%q", enc, enc2)
		}
	})
}
