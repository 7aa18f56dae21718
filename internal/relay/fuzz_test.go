package relay_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/relay"
)

// FuzzDecodeMessages checks that the fetch-reply decoder never panics, that
// what it accepts keeps its promises (increasing numbers above after, party
// names as senders, no empty blobs), and that an accepted reply encodes and
// decodes to the same messages.
func FuzzDecodeMessages(f *testing.F) {
	f.Add([]byte(`{"messages":[]}`), uint64(0))
	f.Add([]byte(`{"messages":[{"seq":1,"sender":"seoul","time":"2026-01-02T03:04:05Z","blob":"AQID"}]}`), uint64(0))
	f.Add([]byte(`{"messages":[{"seq":3,"sender":"seoul","time":"2026-01-02T03:04:05.123+09:00","blob":"AQID"},{"seq":9,"sender":"beijing","time":"2026-01-02T03:04:06Z","blob":"/w=="}]}`), uint64(2))
	f.Add([]byte(`{"messages":[{"seq":2,"sender":"seoul","time":"2026-01-02T03:04:05Z","blob":"AQID"},{"seq":2,"sender":"seoul","time":"2026-01-02T03:04:05Z","blob":"AQID"}]}`), uint64(0))
	f.Add([]byte(`{"messages":[{"seq":1,"sender":"Seoul!","time":"2026-01-02T03:04:05Z","blob":"AQID"}]}`), uint64(0))
	f.Add([]byte(`{"messages":[{"seq":1,"sender":"seoul","time":"2026-01-02T03:04:05Z","blob":""}]}`), uint64(0))
	f.Add([]byte(`{"messages":[{"seq":18446744073709551615,"sender":"seoul","time":"2026-01-02T03:04:05Z","blob":"AA=="}]}`), uint64(0))
	f.Add([]byte(`{"messages":null}`), uint64(0))
	f.Add([]byte(`{}`), uint64(0))
	f.Add([]byte(`{"messages":[]} trailing`), uint64(0))
	f.Add([]byte{}, uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, after uint64) {
		msgs, err := relay.DecodeMessages(b, after)
		if err != nil {
			if msgs != nil {
				t.Fatal("messages returned with an error")
			}
			return
		}
		last := after
		for _, m := range msgs {
			if m.Seq <= last {
				t.Fatalf("accepted sequence %d after %d", m.Seq, last)
			}
			last = m.Seq
			if !identity.ValidSlug(m.Sender) || len(m.Blob) == 0 {
				t.Fatalf("accepted %+v", m)
			}
		}
		if msgs == nil {
			msgs = []relay.Message{}
		}
		re, err := json.Marshal(map[string]any{"messages": msgs})
		if err != nil {
			return // a time outside what JSON can carry; the decoder need not refuse it
		}
		again, err := relay.DecodeMessages(re, after)
		if err != nil {
			t.Fatalf("re-encoded reply refused: %v\n%s", err, re)
		}
		if len(again) != len(msgs) {
			t.Fatalf("re-decoded %d messages, want %d", len(again), len(msgs))
		}
		for i := range again {
			a, m := again[i], msgs[i]
			if a.Seq != m.Seq || a.Sender != m.Sender || string(a.Blob) != string(m.Blob) || !a.Time.Equal(m.Time) {
				t.Fatalf("message %d changed: %+v != %+v", i, a, m)
			}
		}
	})
}

// FuzzDecodePut checks the put-reply decoder: no panics, and a number it
// accepts is positive and written in the reply.
func FuzzDecodePut(f *testing.F) {
	f.Add([]byte(`{"seq":1}`))
	f.Add([]byte("{\"seq\":18446744073709551615}\n"))
	f.Add([]byte(`{"seq":0}`))
	f.Add([]byte(`{"seq":-1}`))
	f.Add([]byte(`{"seq":1.5}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		seq, err := relay.DecodePut(b)
		if err != nil {
			if seq != 0 {
				t.Fatal("a number returned with an error")
			}
			return
		}
		if seq == 0 {
			t.Fatal("accepted sequence number 0")
		}
		var r struct{ Seq json.Number }
		if err := json.Unmarshal(b, &r); err != nil || r.Seq.String() != strconv.FormatUint(seq, 10) {
			t.Fatalf("decoded %d from %q", seq, b)
		}
	})
}
