package wire_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
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
		got, err := wire.ParseReply(enc)
		if err != nil {
			t.Fatalf("Parse(Marshal(b)): %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(got, b) {
			t.Fatalf("round trip changed the bundle:\n got %+v\nwant %+v", got, b)
		}
		if std, _ := json.Marshal(b); !bytes.Equal(append(std, '\n'), enc) {
			t.Fatalf("Marshal is not what encoding/json writes:\nours: %s\njson: %s", enc, std)
		}
		var buf bytes.Buffer
		if err := b.Encode(&buf); err != nil || !bytes.Equal(buf.Bytes(), enc) {
			t.Fatalf("Encode and Marshal differ: %v", err)
		}
		if got, err := wire.DecodeReply(&buf); err != nil || !reflect.DeepEqual(got, b) {
			t.Fatalf("DecodeReply: %v", err)
		}
	}
}

// TestParseRefuses names what is wrong with each malformed bundle, always
// as ErrMalformed. A bundle has one encoding: what Marshal writes.
func TestParseRefuses(t *testing.T) {
	valid := string(full().Marshal())
	request := string(request().Marshal())
	edit := func(fn func(b *wire.Bundle)) string {
		b := full()
		fn(b)
		return string(b.Marshal())
	}
	entries := func(n int) []wire.Entry {
		e := make([]wire.Entry, n)
		for i := range e {
			e[i] = wire.Entry{Leaf: []byte("l"), Envelope: []byte("e")}
		}
		return e
	}
	notes := func(n int) [][]byte {
		c := make([][]byte, n)
		for i := range c {
			c[i] = bytes.Repeat([]byte{1}, 32)
		}
		return c
	}
	minimal := `{"v":1,"line":"` + lineID + `","from":"a"`
	cases := []struct {
		name, in, want string
		reply          bool
	}{
		{"empty", "", "unexpected EOF", false},
		{"not JSON", "hello", "invalid character", false},
		{"null", "null", `want "{", got null`, false},
		{"array", "[]", `want "{", got "["`, false},
		{"deep nesting", strings.Repeat("[", 100000), `want "{", got "["`, false},
		{"truncated", valid[:len(valid)/2], "unexpected EOF", true},
		{"trailing object", valid + "{}", "trailing data", true},
		{"trailing garbage", valid + "x", "trailing data", true},
		{"trailing bracket", strings.TrimSpace(valid) + "]", "trailing data", true},
		{"trailing brace", strings.TrimSpace(valid) + "}", "trailing data", true},
		{"two newlines", valid + "\n", "trailing data", true},
		{"second bundle", valid + valid, "trailing data", true},
		{"unknown field", strings.Replace(valid, `{"v":1`, `{"v":1,"extra":true`, 1), `unknown key "extra"`, true},
		{"case-variant key", strings.Replace(request, `{"v":1`, `{"V":1`, 1), `unknown key "V" (keys are case-sensitive: "v")`, false},
		{"case-variant key after", strings.Replace(request, `"from"`, `"From"`, 1), `unknown key "From"`, false},
		{"duplicate key", strings.Replace(request, `,"segments"`, `,"from":"beijing","segments"`, 1), `duplicate key "from"`, false},
		{"duplicate version", strings.Replace(request, `{"v":1`, `{"v":1,"v":2`, 1), `duplicate key "v"`, false},
		{"keys out of order", minimal[:1] + `"line":"` + lineID + `","v":1,"from":"a"}`, `key "v" out of order`, false},
		{"escaped key", strings.Replace(request, `"from"`, `"\u0066rom"`, 1), "not in canonical form", false},
		{"whitespace", strings.Replace(request, `"v":1,`, `"v": 1,`, 1), "not in canonical form", false},
		{"leading whitespace", " " + request, "not in canonical form", false},
		{"pretty", minimal + ",\n  \"pull\":true}", "not in canonical form", false},
		{"needless escape", strings.Replace(valid, "refused:", `refused\u003a`, 1), "not in canonical form", true},
		{"unescaped html", strings.Replace(valid, `\u003cscript\u003e`, `<script>`, 1), "not in canonical form", true},
		{"error in a request", request[:len(request)-2] + `,"error":"x"}`, "error is allowed only in a reply", false},
		{"oversized error", minimal + `,"error":"` + strings.Repeat("x", wire.MaxErrorSize+1) + `"}`, "4097 bytes, want 1 to 4096", true},
		{"empty error", minimal + `,"error":""}`, "0 bytes", true},
		{"missing from", `{"v":1,"line":"` + lineID + `"}`, `no "from"`, false},
		{"version", edit(func(b *wire.Bundle) { b.V = 2 }), "version 2, want 1", true},
		{"fractional version", strings.Replace(valid, `"v":1`, `"v":1.5`, 1), "1.5 is not an unsigned integer", true},
		{"exponent version", strings.Replace(valid, `"v":1`, `"v":1e0`, 1), "1e0 is not an unsigned integer", true},
		{"string version", strings.Replace(valid, `"v":1`, `"v":"1"`, 1), "want a number, got a string", true},
		{"short line", edit(func(b *wire.Bundle) { b.Line = "abc" }), `"abc" is not a line ID`, true},
		{"uppercase line", edit(func(b *wire.Bundle) { b.Line = strings.ToUpper(lineID) }), "is not a line ID", true},
		{"bad from", edit(func(b *wire.Bundle) { b.From = "Seoul!" }), `"Seoul!" is not a slug`, true},
		{"empty from", edit(func(b *wire.Bundle) { b.From = "" }), `from: 0 bytes`, true},
		{"bad have", edit(func(b *wire.Bundle) { b.Have["../x"] = 1 }), `"../x" is not a slug`, true},
		{"have out of order", strings.Replace(valid, `"beijing":1,"seoul":3`, `"seoul":3,"beijing":1`, 1), `"beijing" after "seoul"`, true},
		{"duplicate have", strings.Replace(valid, `"beijing":1,"seoul":3`, `"seoul":1,"seoul":3`, 1), `"seoul" after "seoul"`, true},
		{"empty have", strings.Replace(valid, `{"beijing":1,"seoul":3}`, `{}`, 1), "want a key", true},
		{"negative size", strings.Replace(valid, `"seoul":3`, `"seoul":-3`, 1), "-3 is not an unsigned integer", true},
		{"size overflow", strings.Replace(valid, `"start":1`, `"start":18446744073709551616`, 1), "not an unsigned integer", true},
		{"pull false", minimal + `,"pull":false}`, "want true", false},
		{"empty segments", minimal + `,"segments":[]}`, "empty array: leave the field out", false},
		{"null cosigs", minimal + `,"cosigs":null}`, `want "[", got null`, false},
		{"bad base64", strings.Replace(valid, `"cosigs":["`, `"cosigs":["!!`, 1), "illegal base64", true},
		{"non-canonical base64", minimal + `,"cosigs":["AB=="]}`, "illegal base64", false},
		{"base64 line break", minimal + `,"cosigs":["AAAA\nAAAA"]}`, "line break in base64", false},
		{"too many segments", edit(func(b *wire.Bundle) {
			for len(b.Segments) <= wire.MaxSegments {
				b.Segments = append(b.Segments, b.Segments[0])
			}
		}), "segments: more than 64 elements", true},
		{"too many cosigs", edit(func(b *wire.Bundle) { b.Cosigs = notes(wire.MaxCosigs + 1) }), "cosigs: more than 256 elements", true},
		{"too many haves", edit(func(b *wire.Bundle) {
			for i := range 257 {
				b.Have[fmt.Sprintf("p%d", i)] = 1
			}
		}), "more than 256 parties", true},
		{"bad author", edit(func(b *wire.Bundle) { b.Segments[0].Author = "" }), `segments[0].author: 0 bytes`, true},
		{"no entries", edit(func(b *wire.Bundle) { b.Segments[0].Entries = nil }), `entries: want "[", got null`, true},
		{"too many entries", edit(func(b *wire.Bundle) { b.Segments[0].Entries = entries(wire.MaxSegmentLength + 1) }), "entries: more than 2000 elements", true},
		{"proof too long", edit(func(b *wire.Bundle) { b.Segments[0].Proof = notes(wire.MaxProof + 1) }), "proof: more than 128 elements", true},
		{"short hash", edit(func(b *wire.Bundle) { b.Segments[0].Proof[1] = []byte("short") }), "proof[1]: 5 bytes, want 32", true},
		{"proof from zero", edit(func(b *wire.Bundle) { b.Segments[0].Start = 0 }), "a proof from size 0", true},
		{"empty leaf", edit(func(b *wire.Bundle) { b.Segments[0].Entries[1].Leaf = []byte{} }), "entries[1].leaf: 0 bytes", true},
		{"no envelope", edit(func(b *wire.Bundle) { b.Segments[0].Entries[1].Envelope = nil }), "entries[1].envelope: want a string, got null", true},
		{"oversized leaf", edit(func(b *wire.Bundle) { b.Segments[0].Entries[0].Leaf = make([]byte, 16<<10+1) }), "entries[0].leaf:", true},
		{"oversized envelope", edit(func(b *wire.Bundle) { b.Segments[0].Entries[0].Envelope = make([]byte, seal.MaxEnvelopeSize+1) }), "entries[0].envelope:", true},
		{"oversized checkpoint", edit(func(b *wire.Bundle) { b.Segments[0].Checkpoint = make([]byte, 8<<10+1) }), "checkpoint:", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parse := wire.Parse
			if c.reply {
				parse = wire.ParseReply
			}
			_, err := parse([]byte(c.in))
			if !errors.Is(err, wire.ErrMalformed) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse = %v, want ErrMalformed mentioning %q", err, c.want)
			}
		})
	}
}

// request is full without its error: a bundle a node may be sent.
func request() *wire.Bundle {
	b := full()
	b.Error = ""
	return b
}

// TestErrorOnlyInReplies: error is refused in a bundle sent to a node and
// taken in a reply; Marshal never writes an error a parser refuses.
func TestErrorOnlyInReplies(t *testing.T) {
	if _, err := wire.Parse(request().Marshal()); err != nil {
		t.Fatalf("Parse of a request: %v", err)
	}
	if _, err := wire.Parse(full().Marshal()); !errors.Is(err, wire.ErrMalformed) {
		t.Fatalf("Parse of a bundle with an error = %v, want ErrMalformed", err)
	}
	b := request()
	b.Error = strings.Repeat("é", wire.MaxErrorSize) + "\xff"
	got, err := wire.ParseReply(b.Marshal())
	if err != nil {
		t.Fatalf("ParseReply of a long error: %v", err)
	}
	if len(got.Error) > wire.MaxErrorSize || !strings.HasPrefix(b.Error, got.Error) {
		t.Fatalf("error of %d bytes not cut at %d on a rune boundary", len(got.Error), wire.MaxErrorSize)
	}
	b.Error = "bad \xff byte"
	if got, err := wire.ParseReply(b.Marshal()); err != nil || got.Error != "bad \uFFFD byte" {
		t.Fatalf("ParseReply of invalid UTF-8 = %q, %v", got.Error, err)
	}
}

// TestLimitsWhileReading: a body that breaks a limit is refused when the
// part that breaks it arrives, not after the whole body is read.
func TestLimitsWhileReading(t *testing.T) {
	entry := `{"leaf":"AA==","envelope":"AA=="}`
	cases := []struct {
		name string
		body io.Reader
		want string
		max  int64 // bytes the decoder may read before it refuses
	}{
		{"a million entries", io.MultiReader(
			strings.NewReader(`{"v":1,"line":"`+lineID+`","from":"a","segments":[{"author":"a","checkpoint":"AA==","start":0,"entries":[`+entry),
			repeat(","+entry)), "more than 2000 elements", 2100 * int64(len(entry)+1)},
		{"an endless error", io.MultiReader(strings.NewReader(`{"v":1,"line":"`+lineID+`","from":"a","error":"`), neverEnding('x')),
			"error is allowed only in a reply", 1 << 20},
		{"an endless envelope", io.MultiReader(
			strings.NewReader(`{"v":1,"line":"`+lineID+`","from":"a","segments":[{"author":"a","checkpoint":"AA==","start":0,"entries":[{"leaf":"AA==","envelope":"`),
			neverEnding('A')), "a token longer than", 12 << 20},
		// encoding/json rescans buffered whitespace on every read: the
		// guard stops a run long before a token's limit.
		{"endless whitespace", io.MultiReader(strings.NewReader(`{"v":1,"line":`), neverEnding(' ')), "whitespace: not in canonical form", 64 << 10},
		{"endless whitespace between tokens", io.MultiReader(strings.NewReader(`{"v":1,"line":"`+lineID+`"`), repeat(" \t\r\n")), "whitespace: not in canonical form", 64 << 10},
		{"an endless number", io.MultiReader(strings.NewReader(`{"v":1`), neverEnding('1')), "a token longer than", 12 << 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &counting{r: c.body}
			_, err := wire.Decode(r)
			if !errors.Is(err, wire.ErrMalformed) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Decode = %v, want ErrMalformed mentioning %q", err, c.want)
			}
			if r.n > c.max {
				t.Fatalf("read %d bytes before refusing, want at most %d", r.n, c.max)
			}
		})
	}
}

type counting struct {
	r io.Reader
	n int64
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// repeat is s over and over.
func repeat(s string) io.Reader { return &repeater{s: s} }

type repeater struct {
	s   string
	off int
}

func (r *repeater) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.off:])
		n += c
		r.off = (r.off + c) % len(r.s)
	}
	return n, nil
}

func TestParseSizeLimit(t *testing.T) {
	// Every part within its limit, the whole too large: refused at the
	// limit, before decoding further. The body is written straight into
	// one buffer of its final size: under the race detector, growing and
	// copying 78 MB cost more than parsing it.
	env := base64.StdEncoding.EncodeToString(make([]byte, seal.MaxEnvelopeSize))
	head := `{"v":1,"line":"` + lineID + `","from":"a","segments":[{"author":"a","checkpoint":"AA==","start":0,"entries":[`
	const n = 7
	big := make([]byte, 0, len(head)+n*(len(env)+len(`,{"leaf":"AA==","envelope":""}`))+len(`]}]}`))
	big = append(big, head...)
	for i := range n {
		if i > 0 {
			big = append(big, ',')
		}
		big = append(big, `{"leaf":"AA==","envelope":"`...)
		big = append(big, env...)
		big = append(big, `"}`...)
	}
	big = append(big, `]}]}`...)
	if _, err := wire.Parse(big); !errors.Is(err, wire.ErrMalformed) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("Parse of %d bytes = %v", len(big), err)
	}
	// A read error is malformed input too, and the caller can tell it.
	cut := errors.New("cable cut")
	if _, err := wire.Decode(iotest.ErrReader(cut)); !errors.Is(err, wire.ErrMalformed) || !errors.Is(err, cut) {
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
	if std, _ := json.Marshal(b); !bytes.Equal(append(std, '\n'), enc) {
		t.Fatal("Marshal of a real bundle is not what encoding/json writes")
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
		"duplicate-from":   `{"v":1,"line":"` + lineID + `","from":"a","from":"b"}`,
		"request-error":    `{"v":1,"line":"` + lineID + `","from":"a","error":"x"}`,
		"whitespace":       `{ "v":1,"line":"` + lineID + `","from":"a"}`,
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
