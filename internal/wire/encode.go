package wire

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"sort"
	"strconv"
)

// Encode writes b in its canonical encoding: what Marshal returns.
func (b *Bundle) Encode(w io.Writer) error {
	_, err := w.Write(b.Marshal())
	return err
}

// Marshal returns b in its canonical encoding (docs/protocol.md §10): the
// bytes Go's encoding/json writes for it, and a newline. It writes them
// into one buffer of the exact size, so a bundle of tens of megabytes is
// never held twice while it is encoded.
func (b *Bundle) Marshal() []byte {
	b = b.sendable()
	var e encoder
	e.bundle(b) // measure
	e.buf = make([]byte, 0, e.n)
	e.bundle(b)
	return e.buf
}

// encoder writes a bundle twice: once to count its bytes (buf nil), once
// into buf.
type encoder struct {
	buf []byte
	n   int
}

func (e *encoder) raw(s string) {
	if e.buf == nil {
		e.n += len(s)
		return
	}
	e.buf = append(e.buf, s...)
}

func (e *encoder) str(s string) {
	if isPlain(s) {
		e.raw(`"`)
		e.raw(s)
		e.raw(`"`)
		return
	}
	q, _ := json.Marshal(s) // Go's escaping, which the parser checks against
	e.raw(string(q))
}

func (e *encoder) bytes(b []byte) {
	if b == nil {
		e.raw("null")
		return
	}
	e.raw(`"`)
	if e.buf == nil {
		e.n += base64.StdEncoding.EncodedLen(len(b))
	} else {
		e.buf = base64.StdEncoding.AppendEncode(e.buf, b)
	}
	e.raw(`"`)
}

func (e *encoder) uint(v uint64) {
	if e.buf == nil {
		e.n += len(strconv.FormatUint(v, 10))
		return
	}
	e.buf = strconv.AppendUint(e.buf, v, 10)
}

func (e *encoder) bundle(b *Bundle) {
	e.raw(`{"v":`)
	e.raw(strconv.Itoa(b.V))
	e.raw(`,"line":`)
	e.str(b.Line)
	e.raw(`,"from":`)
	e.str(b.From)
	if len(b.Segments) > 0 {
		e.raw(`,"segments":[`)
		for i := range b.Segments {
			if i > 0 {
				e.raw(",")
			}
			e.segment(&b.Segments[i])
		}
		e.raw("]")
	}
	if len(b.Cosigs) > 0 {
		e.raw(`,"cosigs":`)
		e.list(b.Cosigs)
	}
	if len(b.Have) > 0 {
		parties := make([]string, 0, len(b.Have))
		for p := range b.Have {
			parties = append(parties, p)
		}
		sort.Strings(parties)
		e.raw(`,"have":{`)
		for i, p := range parties {
			if i > 0 {
				e.raw(",")
			}
			e.str(p)
			e.raw(":")
			e.uint(b.Have[p])
		}
		e.raw("}")
	}
	if b.Pull {
		e.raw(`,"pull":true`)
	}
	if b.Error != "" {
		e.raw(`,"error":`)
		e.str(b.Error)
	}
	e.raw("}\n")
}

func (e *encoder) segment(s *Segment) {
	e.raw(`{"author":`)
	e.str(s.Author)
	e.raw(`,"checkpoint":`)
	e.bytes(s.Checkpoint)
	e.raw(`,"start":`)
	e.uint(s.Start)
	e.raw(`,"entries":`)
	if s.Entries == nil {
		e.raw("null")
	} else {
		e.raw("[")
		for i, en := range s.Entries {
			if i > 0 {
				e.raw(",")
			}
			e.raw(`{"leaf":`)
			e.bytes(en.Leaf)
			e.raw(`,"envelope":`)
			e.bytes(en.Envelope)
			e.raw("}")
		}
		e.raw("]")
	}
	if len(s.Proof) > 0 {
		e.raw(`,"proof":`)
		e.list(s.Proof)
	}
	e.raw("}")
}

func (e *encoder) list(l [][]byte) {
	e.raw("[")
	for i, b := range l {
		if i > 0 {
			e.raw(",")
		}
		e.bytes(b)
	}
	e.raw("]")
}
