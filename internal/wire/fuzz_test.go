package wire_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/hotline-line/hotline/internal/wire"
)

// FuzzParse checks that the decoders never panic, that every refusal is
// ErrMalformed, and that a bundle has one encoding: whatever is accepted
// is byte for byte what Marshal writes for it (the final newline Encode
// adds may be missing), which is also what encoding/json writes for it,
// and survives Marshal and Parse unchanged. A bundle
// taken as a request is also taken as a reply, and is the same bundle.
func FuzzParse(f *testing.F) {
	f.Add(full().Marshal())
	f.Add(request().Marshal())
	f.Add([]byte(`{"v":1,"line":"` + lineID + `","from":"a"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, reqErr := wire.Parse(data)
		b, err := wire.ParseReply(data)
		for _, e := range []error{reqErr, err} {
			if e != nil && !errors.Is(e, wire.ErrMalformed) {
				t.Fatalf("refusal is not ErrMalformed: %v", e)
			}
		}
		if reqErr == nil && (err != nil || !reflect.DeepEqual(req, b)) {
			t.Fatalf("taken as a request but not as the same reply: %v", err)
		}
		if err != nil {
			return
		}
		if reqErr != nil && b.Error == "" {
			t.Fatalf("a reply without error refused as a request: %v", reqErr)
		}
		enc := b.Marshal()
		if std, _ := json.Marshal(b); !bytes.Equal(append(std, '\n'), enc) {
			t.Fatalf("Marshal is not what encoding/json writes:\nours: %q\njson: %q", enc, std)
		}
		if !bytes.Equal(enc, data) && !bytes.Equal(enc, append(bytes.Clone(data), '\n')) {
			t.Fatalf("accepted a second encoding:\ndata: %q\nenc:  %q", data, enc)
		}
		again, err := wire.ParseReply(enc)
		if err != nil {
			t.Fatalf("ParseReply(Marshal(ParseReply(data))): %v\ndata: %q\nenc:  %q", err, data, enc)
		}
		if !reflect.DeepEqual(b, again) {
			t.Fatalf("round trip changed the bundle:\nfirst  %+v\nsecond %+v", b, again)
		}
	})
}
