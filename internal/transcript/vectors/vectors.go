// Package vectors generates tamper test vectors for transcripts and
// disclosures: a real two-party exchange, exported, and then altered one
// field at a time. Each vector names the error verification must give.
package vectors

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/memroute"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/notice"
	"github.com/hotline-line/hotline/internal/transcript"
)

// Vector is one case of the manifest.
type Vector struct {
	Name string `json:"name"`
	File string `json:"file"`
	Want string `json:"want"` // "ok" or the name of a transcript error, e.g. "ErrBody"
}

// Errors maps the names used in manifests to the sentinel errors.
var Errors = map[string]error{
	"ErrCharter": transcript.ErrCharter, "ErrEntry": transcript.ErrEntry, "ErrPlacement": transcript.ErrPlacement,
	"ErrBody": transcript.ErrBody, "ErrCheckpoint": transcript.ErrCheckpoint, "ErrRoot": transcript.ErrRoot,
	"ErrReceipt": transcript.ErrReceipt, "ErrRef": transcript.ErrRef, "ErrInclusion": transcript.ErrInclusion,
	"ErrNotAFork": transcript.ErrNotAFork, "ErrRotation": transcript.ErrRotation, "ErrNewKey": transcript.ErrNewKey,
	"ErrRetiredKey": transcript.ErrRetiredKey,
}

// Build runs a real exchange between two nodes in a temporary directory
// and returns every vector file it makes, by its path in the repository:
// the tamper vectors and their manifest in TamperDir, the format vectors
// in docs/vectors.md and docs/vectors/. Its output is the same from run to
// run only inside a testing/synctest bubble with a fixed
// testing/cryptotest random source, as the package's test runs it.
func Build(settle func()) (map[string][]byte, error) {
	tmp, err := os.MkdirTemp("", "hotline-vectors-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	r, err := exchange(tmp, settle)
	if err != nil {
		return nil, err
	}
	defer r.close()
	t, d := r.transcript, r.disclosure
	files := map[string][]byte{}
	var manifest []Vector
	write := func(name, want string, v any) {
		file := name + ".json"
		manifest = append(manifest, Vector{Name: name, File: file, Want: want})
		files[TamperDir+"/"+file] = transcript.Marshal(v)
	}
	write("transcript-ok", "ok", t)
	write("disclosure-ok", "ok", d)
	write("disclosure-reply-withheld-ok", "ok", r.withheld)
	for _, c := range transcriptCases() {
		tt := clone(t)
		if err := c.mutate(tt); err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		write(c.name, c.want, tt)
	}
	for _, c := range disclosureCases() {
		dd := clone(d)
		c.mutate(dd)
		write(c.name, c.want, dd)
	}
	doc, err := formats(r)
	if err != nil {
		return nil, err
	}
	// The rotation comes last: the format vectors show the log before it.
	if err := rotate(r, settle); err != nil {
		return nil, err
	}
	write("rotation-ok", "ok", r.rotated)
	for _, c := range rotationCases(r) {
		tt := clone(r.rotated)
		if err := c.mutate(tt); err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		write(c.name, c.want, tt)
	}
	// The vectors of envelope version 2 come after every other, so that
	// theirs keep the random bytes they had before version 2 existed.
	if files[EpochDoc], err = epochs(r); err != nil {
		return nil, err
	}
	// A third party joins and leaves after the rotation (it verifies
	// seoul's key entry from the log it receives), and after the vectors
	// of version 2, which keep their random bytes.
	if err := joinAndLeave(r, settle, doc); err != nil {
		return nil, err
	}
	write("parties-ok", "ok", r.joined)
	for _, c := range partyCases() {
		tt := clone(r.joined)
		if err := c.mutate(tt); err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		write(c.name, c.want, tt)
	}
	// A rotation of every key (signing, HPKE, TLS) comes after all the
	// rest, which keep their bytes.
	all, err := rotateAll(r, settle)
	if err != nil {
		return nil, err
	}
	write("rotation-all-keys-ok", "ok", all)
	b, _ := json.MarshalIndent(manifest, "", " ")
	files[TamperDir+"/manifest.json"] = append(b, '\n')
	files[FormatDoc] = doc.Markdown
	for name, data := range doc.Files {
		files[FormatDir+"/"+name] = data
	}
	return files, nil
}

// Where Build's files go, relative to the repository's root.
const (
	TamperDir = "internal/transcript/testdata/vectors"
	FormatDoc = "docs/vectors.md"
	FormatDir = "docs/vectors"
)

func clone[T any](v *T) *T {
	var c T
	b, _ := json.Marshal(v)
	json.Unmarshal(b, &c)
	return &c
}

type tcase struct {
	name, want string
	mutate     func(*transcript.Transcript) error
}

// leafField rewrites one field in the first message of seoul's log that
// has it.
func leafField(field string, edit func(string) string) func(*transcript.Transcript) error {
	return func(t *transcript.Transcript) error {
		for i := 1; i < len(t.Logs[0].Entries); i++ {
			e := &t.Logs[0].Entries[i]
			lines := strings.Split(e.Leaf, "\n")
			for j, l := range lines {
				if v, ok := strings.CutPrefix(l, field+" "); ok {
					lines[j] = field + " " + edit(v)
					e.Leaf = strings.Join(lines, "\n")
					return nil
				}
			}
		}
		return fmt.Errorf("no leaf has a %s line", field)
	}
}

// flip changes the last character of s to another valid one.
func flip(s string) string {
	last := s[len(s)-1]
	r := byte('0')
	switch {
	case last == '=':
		return flip(s[:len(s)-1]) + "="
	case last >= '0' && last <= '8', last >= 'a' && last <= 'y', last >= 'A' && last <= 'Y':
		r = last + 1
	case last == '9':
		r = '8'
	default:
		r = 'A'
	}
	return s[:len(s)-1] + string(r)
}

// flipMiddle changes a character in the middle of s, keeping base64 valid
// and canonical.
func flipMiddle(s string) string {
	i := len(s) / 2
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func transcriptCases() []tcase {
	return []tcase{
		{"entry-line", "ErrPlacement", leafField("line", func(string) string { return strings.Repeat("0", 32) })},
		{"entry-author", "ErrPlacement", leafField("author", func(string) string { return "beijing" })},
		{"entry-index", "ErrPlacement", leafField("index", flip)},
		{"entry-kind", "ErrEntry", leafField("kind", func(string) string { return "messagf" })},
		{"entry-time", "ErrRoot", leafField("time", flip)},
		{"entry-precedence", "ErrEntry", leafField("precedence", func(string) string { return "FLASI" })},
		{"entry-ref", "ErrRoot", leafField("ref", flipMiddle)},
		{"entry-commitment", "ErrBody", leafField("body", flipMiddle)},
		{"body-text", "ErrBody", func(t *transcript.Transcript) error {
			e := &t.Logs[0].Entries[1]
			e.Body = []byte(strings.Replace(string(e.Body), "03:12", "04:12", 1))
			return nil
		}},
		{"body-salt", "ErrBody", func(t *transcript.Transcript) error {
			t.Logs[0].Entries[1].Salt[0] ^= 1
			return nil
		}},
		{"dropped-entry", "ErrPlacement", func(t *transcript.Transcript) error {
			es := t.Logs[0].Entries
			t.Logs[0].Entries = append(es[:1:1], es[2:]...)
			return nil
		}},
		{"swapped-entries", "ErrPlacement", func(t *transcript.Transcript) error {
			es := t.Logs[0].Entries
			es[1], es[2] = es[2], es[1]
			return nil
		}},
		{"dropped-tail", "ErrRoot", func(t *transcript.Transcript) error {
			t.Logs[0].Entries = t.Logs[0].Entries[:len(t.Logs[0].Entries)-1]
			return nil
		}},
		{"cosignature-moved", "ErrReceipt", func(t *transcript.Transcript) error {
			rs := t.Logs[0].Receipts
			if len(rs) < 2 {
				return fmt.Errorf("need two receipts, have %d", len(rs))
			}
			// Put the cosignature line of the last receipt under the text
			// and author signature of the first.
			first, last := rs[0], rs[len(rs)-1]
			cos := last[strings.LastIndex(strings.TrimSuffix(last, "\n"), "\n")+1:]
			rs[0] = first[:strings.LastIndex(strings.TrimSuffix(first, "\n"), "\n")+1] + cos
			return nil
		}},
		{"checkpoint-wrong-key", "ErrCheckpoint", func(t *transcript.Transcript) error {
			_, priv, _ := ed25519.GenerateKey(rand.Reader)
			vkey, _ := note.NewEd25519VerifierKey(identity.LogKeyName("seoul"), priv.Public().(ed25519.PublicKey))
			parts := strings.Split(vkey, "+")
			s, err := note.NewSigner("PRIVATE+KEY+" + parts[0] + "+" + parts[1] + "+" +
				b64(append([]byte{1}, priv.Seed()...)))
			if err != nil {
				return err
			}
			text := t.Logs[0].Checkpoint[:strings.Index(t.Logs[0].Checkpoint, "\n\n")+1]
			b, err := note.Sign(&note.Note{Text: text}, s)
			t.Logs[0].Checkpoint = string(b)
			return err
		}},
		{"checkpoint-second-signature", "ErrCheckpoint", func(t *transcript.Transcript) error {
			// A valid signature by the author, then a forged one by the
			// same key: every signature must verify, not only the first.
			cp := t.Logs[0].Checkpoint
			t.Logs[0].Checkpoint = cp + Forged(cp[strings.Index(cp, "\n\n")+2:])
			return nil
		}},
		{"receipt-second-cosignature", "ErrReceipt", func(t *transcript.Transcript) error {
			r := t.Logs[0].Receipts[0]
			t.Logs[0].Receipts[0] = r + Forged(lastLine(r))
			return nil
		}},
		{"body-notice-field", "ErrBody", func(t *transcript.Transcript) error {
			for i := range t.Logs[0].Entries {
				e := &t.Logs[0].Entries[i]
				if b := string(e.Body); strings.Contains(b, `"form"`) {
					e.Body = []byte(strings.Replace(b, "Foal-Eagle", "Foal-Eaglf", 1))
					return nil
				}
			}
			return fmt.Errorf("no notice in seoul's log")
		}},
		{"amendment-changes", "ErrBody", amendmentBody(0, "relay.example", "relay.exbmple")},
		{"amendment-acceptance", "ErrBody", amendmentBody(1, `"accept"`, `"refuse"`)},
		{"amendment-acceptance-dropped", "ErrRoot", func(t *transcript.Transcript) error {
			t.Logs[1].Entries = t.Logs[1].Entries[:len(t.Logs[1].Entries)-1]
			return nil
		}},
		{"charter-title", "ErrCharter", func(t *transcript.Transcript) error {
			t.Charter = strings.Replace(t.Charter, "Seoul", "Seoux", 1)
			return nil
		}},
	}
}

// amendmentBody replaces old with new in the body of the amendment entry
// of log i: the commitment no longer matches.
func amendmentBody(i int, old, new string) func(*transcript.Transcript) error {
	return func(t *transcript.Transcript) error {
		for j := range t.Logs[i].Entries {
			e := &t.Logs[i].Entries[j]
			if l, err := entry.Parse([]byte(e.Leaf)); err == nil && l.Kind == entry.KindAmendment && strings.Contains(string(e.Body), old) {
				e.Body = []byte(strings.Replace(string(e.Body), old, new, 1))
				return nil
			}
		}
		return fmt.Errorf("no amendment with %s in log %d", old, i)
	}
}

type dcase struct {
	name, want string
	mutate     func(*transcript.Disclosure)
}

func disclosureCases() []dcase {
	return []dcase{
		{"disclosure-text", "ErrBody", func(d *transcript.Disclosure) {
			d.Message.Body = []byte(strings.Replace(string(d.Message.Body), "03:12", "04:12", 1))
		}},
		{"disclosure-truncated-proof", "ErrInclusion", func(d *transcript.Disclosure) {
			d.Message.Inclusion = d.Message.Inclusion[:len(d.Message.Inclusion)-1]
		}},
		{"disclosure-modified-proof", "ErrInclusion", func(d *transcript.Disclosure) {
			d.Message.Inclusion[0][0] ^= 1
		}},
		{"disclosure-wrong-index", "ErrPlacement", func(d *transcript.Disclosure) { d.Message.Index++ }},
		{"disclosure-second-cosignature", "ErrReceipt", func(d *transcript.Disclosure) {
			d.Message.Checkpoint += Forged(lastLine(d.Message.Checkpoint))
		}},
		{"disclosure-ack-officer", "ErrBody", func(d *transcript.Disclosure) {
			for i := range d.Marks {
				d.Marks[i].Body = []byte(strings.Replace(string(d.Marks[i].Body), "Wang Lei", "Li Wei", 1))
			}
		}},
	}
}

// charterTime is when the vectors' charter was proposed: the start of a
// testing/synctest bubble's clock, which the rest of the exchange keeps.
var charterTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// run is a finished exchange between seoul and beijing: both nodes, still
// open, and seoul's transcript and disclosure of the first message.
type run struct {
	seoul, beijing *node.Node
	charter        *charter.Signed
	line, first    string
	bundle, parcel []byte // seoul's first bundle to beijing, and as a parcel
	transcript     *transcript.Transcript
	disclosure     *transcript.Disclosure // with the reply's text
	withheld       *transcript.Disclosure // without it, as hotline disclose writes by default
	// After seoul's key rotation (rotation.go): its transcript, and the
	// signing keys the rotation retired and brought.
	rotated       *transcript.Transcript
	retired, next *identity.Keys
	// For tokyo joining and leaving (parties.go): the route and the
	// directory new nodes go in, then tokyo, and seoul's transcript.
	net    *memroute.Net
	dir    string
	tokyo  *node.Node
	joined *transcript.Transcript
}

func (r *run) close() {
	r.seoul.Close()
	r.beijing.Close()
	if r.tokyo != nil {
		r.tokyo.Close()
	}
}

// exchange pairs seoul and beijing in dir over an in-memory route, sends
// messages both ways with a display, an acknowledgement and a reply, and
// exports seoul's transcript and its disclosure of the first message. The
// caller closes the run. settle returns when both nodes have nothing left
// to do, so each step sees the same state in every run.
func exchange(dir string, settle func()) (r *run, err error) {
	ctx := context.Background()
	var nodes []*node.Node
	defer func() {
		if err != nil {
			for _, n := range nodes {
				n.Close()
			}
		}
	}()
	var cards []*card.Card
	for i, p := range [][3]string{{"seoul", "Ministry of National Defense, Seoul", "ko"}, {"beijing", "Ministry of National Defense, Beijing", "zh"}} {
		d := filepath.Join(dir, p[0])
		if err := node.Init(d, node.Config{Party: p[0], Name: p[1], Langs: []string{p[2]}, Listen: "127.0.0.1:1"}); err != nil {
			return nil, err
		}
		// The parties' keys come from fixed seeds (32 bytes of 0x00 for
		// seoul, of 0x01 for beijing), so the vectors can be reproduced.
		if err := replaceSeed(d, byte(i)); err != nil {
			return nil, err
		}
		// The nodes seal envelope version 1: the vectors of the exchange
		// predate version 2 and keep their bytes (epochs.go has version 2).
		n, err := node.Open(d, node.Options{Envelope: 1})
		if err != nil {
			return nil, err
		}
		c, _, _ := n.Card()
		nodes, cards = append(nodes, n), append(cards, c)
	}
	ch := charter.New("Seoul–Beijing defense hotline", charterTime, cards)
	// One template of the starter set, for the notice below: the whole set
	// would swell every document that carries the charter.
	ch.Templates = notice.Set{*notice.Starter().Find("exercise-notice")}
	var raw []byte
	for _, n := range nodes {
		s, err := charter.Sign(ch, raw, n.Keys)
		if err != nil {
			return nil, err
		}
		raw = s.Raw
	}
	signed, _ := charter.Parse(raw)
	net := memroute.New()
	for _, n := range nodes {
		if err := n.Install(ctx, signed); err != nil {
			return nil, err
		}
		net.Add(n)
	}
	seoul, beijing := nodes[0], nodes[1]
	line := signed.ID()
	id, err := seoul.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash, Text: "Missile launch detected at 03:12 UTC. Confirm receipt."})
	if err != nil {
		return nil, err
	}
	// The first bundle, and the parcel that carries it, before any route
	// has run: the charter entry and the FLASH.
	parcel, bundle, err := seoul.ExportParcel(line, "beijing")
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		n.Start(net.Route(n.Me()))
	}
	settle()
	if _, err := seoul.Send(ctx, node.SendRequest{Line: line, Text: "Second message."}); err != nil {
		return nil, err
	}
	settle()
	if _, err := beijing.Message(line, id); err != nil {
		return nil, fmt.Errorf("beijing did not receive %s: %w", id, err)
	}
	if err := beijing.MarkDisplayed(ctx, line, id); err != nil {
		return nil, err
	}
	settle()
	if _, err := beijing.Ack(ctx, line, id, "Wang Lei"); err != nil {
		return nil, err
	}
	settle()
	if _, err := beijing.Send(ctx, node.SendRequest{Line: line, Text: "已收到，正在核实。", ReplyTo: id}); err != nil {
		return nil, err
	}
	settle()
	if _, err := seoul.Send(ctx, node.SendRequest{Line: line, Form: &entry.Form{Template: "exercise-notice", Fields: exerciseNotice}}); err != nil {
		return nil, err
	}
	settle()
	// An amendment: seoul proposes a relay, beijing accepts it.
	prop, err := seoul.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendPropose, Officer: "Gen. Kim",
		Reason: "a second carrier, by diplomatic note 12", Changes: &entry.Changes{RelaysAdd: []entry.RelayAddr{
			{Addr: "relay.example:8443", TLSKey: bytes.Repeat([]byte{2}, 32)}}}})
	if err != nil {
		return nil, err
	}
	settle()
	if _, err := beijing.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendAccept, Proposal: prop, Officer: "Wang Lei"}); err != nil {
		return nil, err
	}
	// Each side now holds the other's whole log and its receipts.
	settle()
	a, _ := seoul.Receipt(line, "beijing")
	b, _ := beijing.Receipt(line, "seoul")
	if sa, _ := seoul.Status(line); a != 5 || b != 5 || sa.Parties[1].LogSize != 5 {
		return nil, fmt.Errorf("the exchange did not settle: receipts %d and %d", a, b)
	}
	t, err := transcript.Export(seoul.Store, seoul.Keys, line, true, time.Now())
	if err != nil {
		return nil, err
	}
	// With the reply's text, as the vectors were first made: a verifier
	// must accept a reply with its body as well as without.
	d, err := transcript.Disclose(seoul.Store, seoul.Keys, line, id, true)
	if err != nil {
		return nil, err
	}
	// What hotline disclose writes by default: the reply proven by its
	// entry alone, without its text.
	dw, err := transcript.Disclose(seoul.Store, seoul.Keys, line, id, false)
	if err != nil {
		return nil, err
	}
	return &run{seoul: seoul, beijing: beijing, charter: signed, line: line, first: id, net: net, dir: dir,
		bundle: bundle.Marshal(), parcel: parcel, transcript: t, disclosure: d, withheld: dw}, nil
}

// exerciseNotice is the fields of seoul's notice of an exercise, as its
// officer typed them; the body carries them in canonical form.
var exerciseNotice = map[string]string{"name": "Foal-Eagle", "start": "2017-03-01T00:00Z", "end": "2017-04-30T00:00Z",
	"area": "37.5N,126.9E,50km", "forces": "ROK, US", "live-fire": "yes"}

// lastLine is the last line of a signed note: its last signature.
func lastLine(note string) string {
	return note[strings.LastIndex(strings.TrimSuffix(note, "\n"), "\n")+1:]
}

// Forged is a signature line with one bit of its signature flipped: the
// same key's name and hash, a signature that does not verify.
func Forged(sigLine string) string {
	f := strings.Fields(sigLine)
	raw, _ := base64.StdEncoding.DecodeString(f[len(f)-1])
	raw[len(raw)-1] ^= 1
	f[len(f)-1] = b64(raw)
	return strings.Join(f, " ") + "\n"
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
