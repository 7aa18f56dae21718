package wire_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/hotline-line/hotline/internal/memroute"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/seal"
	"github.com/hotline-line/hotline/internal/wire"
)

var update = flag.Bool("update", false, "rewrite the FuzzParse seed corpus in testdata")

const lineID = "0123456789abcdef0123456789abcdef"

// full is a bundle with every field set.
func full() *wire.Bundle {
	return &wire.Bundle{
		V: wire.Version, Line: lineID, From: "seoul",
		Segments: []wire.Segment{{
			Author: "seoul", Checkpoint: []byte("hotline/x/seoul\n3\nroot\n\n— sig\n"), Start: 1,
			Entries: []wire.Entry{{Leaf: []byte("leaf 1"), Envelope: []byte(`{"sealed":{}}`)}, {Leaf: []byte("leaf 2"), Envelope: []byte("e")}},
			Proof:   [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)},
		}},
		Cosigs: [][]byte{[]byte("cosig")},
		Have:   map[string]uint64{"seoul": 3, "beijing": 1},
		Pull:   true,
		Error:  "refused: <script>&",
	}
}

func TestRoundTrip(t *testing.T) {
	for _, b := range []*wire.Bundle{full(), {V: wire.Version, Line: lineID, From: "a"}} {
		enc := b.Marshal()
		got, err := wire.Parse(enc)
		if err != nil {
			t.Fatalf("Parse(Marshal(b)): %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(got, b) {
			t.Fatalf("round trip changed the bundle:\n got %+v\nwant %+v", got, b)
		}
		var buf bytes.Buffer
		if err := b.Encode(&buf); err != nil || !bytes.Equal(buf.Bytes(), enc) {
			t.Fatalf("Encode and Marshal differ: %v", err)
		}
		if got, err := wire.Decode(&buf); err != nil || !reflect.DeepEqual(got, b) {
			t.Fatalf("Decode: %v", err)
		}
	}
}

// TestParseRefuses names what is wrong with each malformed bundle, always
// as ErrMalformed.
func TestParseRefuses(t *testing.T) {
	valid := string(full().Marshal())
	edit := func(fn func(b *wire.Bundle)) string {
		b := full()
		fn(b)
		return string(b.Marshal())
	}
	entries := func(n int) []wire.Entry {
		e := make([]wire.Entry, n)
		for i := range e {
			e[i] = wire.Entry{Leaf: []byte("l")}
		}
		return e
	}
	cases := []struct{ name, in, want string }{
		{"empty", "", "EOF"},
		{"not JSON", "hello", "invalid character"},
		{"null", "null", "version 0"},
		{"array", "[]", "cannot unmarshal array"},
		{"truncated", valid[:len(valid)/2], "unexpected EOF"},
		{"trailing object", valid + "{}", "trailing data"},
		{"trailing garbage", valid + "x", "trailing data"},
		{"trailing bracket", strings.TrimSpace(valid) + "]", "trailing data"},
		{"trailing brace", strings.TrimSpace(valid) + "}", "trailing data"},
		{"second bundle", valid + valid, "trailing data"},
		{"unknown field", strings.Replace(valid, `{"v":1`, `{"v":1,"extra":true`, 1), `unknown field "extra"`},
		{"version", edit(func(b *wire.Bundle) { b.V = 2 }), "version 2, want 1"},
		{"fractional version", strings.Replace(valid, `"v":1`, `"v":1.5`, 1), "cannot unmarshal number 1.5"},
		{"short line", edit(func(b *wire.Bundle) { b.Line = "abc" }), `line "abc"`},
		{"bad from", edit(func(b *wire.Bundle) { b.From = "Seoul!" }), `from "Seoul!"`},
		{"empty from", edit(func(b *wire.Bundle) { b.From = "" }), `from ""`},
		{"bad have", edit(func(b *wire.Bundle) { b.Have["../x"] = 1 }), `have "../x"`},
		{"negative size", strings.Replace(valid, `"seoul":3`, `"seoul":-3`, 1), "cannot unmarshal number -3"},
		{"size overflow", strings.Replace(valid, `"start":1`, `"start":18446744073709551616`, 1), "cannot unmarshal number"},
		{"bad base64", strings.Replace(valid, `"cosigs":["`, `"cosigs":["!!`, 1), "illegal base64"},
		{"too many segments", edit(func(b *wire.Bundle) {
			for len(b.Segments) <= wire.MaxSegments {
				b.Segments = append(b.Segments, b.Segments[0])
			}
		}), "too many parts"},
		{"too many cosigs", edit(func(b *wire.Bundle) { b.Cosigs = make([][]byte, wire.MaxCosigs+1) }), "too many parts"},
		{"too many haves", edit(func(b *wire.Bundle) {
			for i := range 257 {
				b.Have[fmt.Sprintf("p%d", i)] = 1
			}
		}), "too many parts"},
		{"bad author", edit(func(b *wire.Bundle) { b.Segments[0].Author = "" }), `segment 0: author ""`},
		{"no entries", edit(func(b *wire.Bundle) { b.Segments[0].Entries = nil }), "segment 0: 0 entries"},
		{"too many entries", edit(func(b *wire.Bundle) { b.Segments[0].Entries = entries(wire.MaxSegmentLength + 1) }), "2001 entries"},
		{"proof too long", edit(func(b *wire.Bundle) { b.Segments[0].Proof = make([][]byte, 129) }), "proof too long"},
		{"empty leaf", edit(func(b *wire.Bundle) { b.Segments[0].Entries[1].Leaf = nil }), "segment 0 entry 1: empty leaf"},
		{"oversized envelope", edit(func(b *wire.Bundle) { b.Segments[0].Entries[0].Envelope = make([]byte, seal.MaxEnvelopeSize+1) }), "oversized envelope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := wire.Parse([]byte(c.in))
			if !errors.Is(err, wire.ErrMalformed) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse = %v, want ErrMalformed mentioning %q", err, c.want)
			}
			_ = b
		})
	}
}

func TestParseSizeLimit(t *testing.T) {
	// Valid JSON that is too large: the limit holds before any decoding.
	big := []byte(`{"v":1,"line":"` + lineID + `","from":"a","error":"` + strings.Repeat("x", wire.MaxBundleSize) + `"}`)
	if _, err := wire.Parse(big); !errors.Is(err, wire.ErrMalformed) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("Parse of %d bytes = %v", len(big), err)
	}
	if _, err := wire.Decode(bytes.NewReader(big)); !errors.Is(err, wire.ErrMalformed) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("Decode of %d bytes = %v", len(big), err)
	}
	// Decode reads no further than the limit: an endless stream ends.
	endless := io.MultiReader(strings.NewReader(`{"v":1,"error":"`), neverEnding('x'))
	if _, err := wire.Decode(endless); !errors.Is(err, wire.ErrMalformed) {
		t.Fatalf("Decode of an endless stream = %v", err)
	}
	// A read error is malformed input too.
	if _, err := wire.Decode(iotest.ErrReader(errors.New("cable cut"))); !errors.Is(err, wire.ErrMalformed) || !strings.Contains(err.Error(), "cable cut") {
		t.Fatalf("Decode of a failing reader = %v", err)
	}
}

type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// recorder is a route that keeps a copy of every bundle it carries.
type recorder struct {
	node.Route
	mu  sync.Mutex
	got []*wire.Bundle
}

func (r *recorder) Exchange(ctx context.Context, line, peer string, b *wire.Bundle) (*wire.Bundle, error) {
	c, err := wire.Parse(b.Marshal())
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.got = append(r.got, c)
	r.mu.Unlock()
	return r.Route.Exchange(ctx, line, peer, b)
}

// realBundle returns a bundle two paired nodes really exchanged: a segment
// with its consistency proof, a cosignature and the sizes held.
func realBundle(t *testing.T) *wire.Bundle {
	dirs := nodetest.Dirs(t)
	nodes, line := nodetest.Pair(t, dirs, node.Options{})
	seoul, beijing := nodes[0], nodes[1]
	net := memroute.New()
	net.Add(seoul)
	net.Add(beijing)
	rec := &recorder{Route: net.Route(seoul.Me())}
	seoul.Start(rec)
	beijing.Start(net.Route(beijing.Me()))
	ctx := context.Background()
	send := func(n *node.Node, text string) {
		if _, err := n.Send(ctx, node.SendRequest{Line: line, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	// synced waits until each side has cosigned the other's log in full.
	synced := func(seoulSize, beijingSize uint64) func() bool {
		return func() bool {
			a, _ := seoul.Receipt(line, beijing.Me())
			b, _ := beijing.Receipt(line, seoul.Me())
			return a == seoulSize && b == beijingSize
		}
	}
	send(seoul, "통신 점검")
	send(beijing, "通信检查")
	nodetest.Wait(t, 20*time.Second, "first exchange", synced(2, 2))
	send(seoul, "수신 확인")
	nodetest.Wait(t, 20*time.Second, "second exchange", synced(3, 2))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, b := range rec.got {
		if len(b.Segments) == 1 && b.Segments[0].Start > 0 && len(b.Segments[0].Proof) > 0 && len(b.Cosigs) == 1 && len(b.Have) == 2 {
			return b
		}
	}
	t.Fatalf("no bundle with a proof and a cosignature among %d recorded", len(rec.got))
	return nil
}

func TestRealBundleRoundTrip(t *testing.T) {
	b := realBundle(t)
	enc := b.Marshal()
	got, err := wire.Parse(enc)
	if err != nil || !reflect.DeepEqual(got, b) {
		t.Fatalf("real bundle does not round trip: %v", err)
	}
}

// corpusDir is the seed corpus of FuzzParse.
var corpusDir = filepath.Join("testdata", "fuzz", "FuzzParse")

// handSeeds are the hand-made seeds of the corpus, by file name.
func handSeeds() map[string]string {
	valid := string(full().Marshal())
	return map[string]string{
		"minimal":          `{"v":1,"line":"` + lineID + `","from":"a"}`,
		"full":             valid,
		"trailing-bracket": strings.TrimSpace(valid) + "]",
		"unknown-field":    `{"v":1,"line":"` + lineID + `","from":"a","x":1}`,
		"case-folded-keys": `{"V":1,"LINE":"` + lineID + `","From":"a","HAVE":{"a":1}}`,
		"empty-parts":      `{"v":1,"line":"` + lineID + `","from":"a","segments":[],"cosigs":[],"have":{}}`,
		"null-parts":       `{"v":1,"line":"` + lineID + `","from":"a","segments":null,"cosigs":[null],"have":null}`,
		"empty-envelope":   `{"v":1,"line":"` + lineID + `","from":"a","segments":[{"author":"a","checkpoint":null,"start":18446744073709551615,"entries":[{"leaf":"AA==","envelope":""}],"proof":[]}]}`,
		"invalid-utf8":     "{\"v\":1,\"line\":\"" + lineID + "\",\"from\":\"a\",\"error\":\"\xff\xfe\"}",
		"deep-nesting":     strings.Repeat("[", 10000),
		"not-json":         "\x00\x01garbage",
	}
}

func writeSeed(t *testing.T, name string, data []byte) {
	t.Helper()
	body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"
	if err := os.WriteFile(filepath.Join(corpusDir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readSeed reads a corpus file of one []byte value.
func readSeed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatal(err)
	}
	head, rest, ok := strings.Cut(string(b), "\n")
	if !ok || head != "go test fuzz v1" {
		t.Fatalf("%s: not a fuzz corpus file", name)
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(rest), "[]byte(")
	v, ok2 := strings.CutSuffix(v, ")")
	s, err := strconv.Unquote(v)
	if !ok || !ok2 || err != nil {
		t.Fatalf("%s: want one []byte value: %v", name, err)
	}
	return []byte(s)
}

// TestSeedCorpus checks the FuzzParse seed corpus, and with -update
// rewrites it, with a bundle two real nodes exchanged.
func TestSeedCorpus(t *testing.T) {
	if *update {
		if err := os.MkdirAll(corpusDir, 0o755); err != nil {
			t.Fatal(err)
		}
		writeSeed(t, "real-bundle", realBundle(t).Marshal())
		for name, s := range handSeeds() {
			writeSeed(t, name, []byte(s))
		}
	}
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 1+len(handSeeds()) {
		t.Fatalf("seed corpus has %d files; run go test -run TestSeedCorpus -update", len(entries))
	}
	for _, e := range entries {
		readSeed(t, e.Name())
	}
	real, err := wire.Parse(readSeed(t, "real-bundle"))
	if err != nil {
		t.Fatalf("the real bundle of the corpus no longer parses: %v", err)
	}
	if len(real.Segments) != 1 || len(real.Segments[0].Proof) == 0 || len(real.Cosigs) != 1 {
		t.Fatalf("the real bundle lost its parts: %+v", real)
	}
	for name, s := range handSeeds() {
		if got := readSeed(t, name); !bytes.Equal(got, []byte(s)) {
			t.Fatalf("seed %s is stale; run go test -run TestSeedCorpus -update", name)
		}
	}
}
