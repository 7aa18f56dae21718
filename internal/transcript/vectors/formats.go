package vectors

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/transcript"
)

// Document is the format vectors: docs/vectors.md and the larger files it
// names, which go in docs/vectors/.
type Document struct {
	Markdown []byte
	Files    map[string][]byte // name -> contents
}

// file adds a file of docs/vectors to the document and writes its line
// (name, size, SHA-256) to w.
func (d *Document) file(w io.Writer, name string, data []byte) {
	d.Files[name] = data
	fmt.Fprintf(w, "- [`vectors/%s`](vectors/%s): %d bytes, SHA-256 `%x`\n", name, name, len(data), sha256.Sum256(data))
}

// formats writes down every format of docs/protocol.md as r produced it:
// keys, cards, the charter and line ID, a leaf and its hash, a sealed
// body, a checkpoint, a cosignature, a bundle, a parcel, a transcript, a
// disclosure and a fork proof.
func formats(r *run) (*Document, error) {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	block := func(title, text string) {
		w("%s:\n\n```\n%s\n```\n\n", title, strings.TrimSuffix(text, "\n"))
	}
	doc := &Document{Files: map[string][]byte{}}
	file := func(name string, data []byte) { doc.file(&b, name, data) }

	w("%s", header)

	w("## Keys (§3)\n\n")
	for i, n := range []struct {
		name string
		keys *identity.Keys
	}{{"seoul", r.seoul.Keys}, {"beijing", r.beijing.Keys}} {
		hp := sha256.Sum256(n.keys.HPKEPublicKey())
		block(fmt.Sprintf("`%s`, seed of 32 bytes of 0x%02x", n.name, i), fmt.Sprintf(
			"log key:        %s\ncosigner key:   %s\nTLS public key: %x (hex)\nHPKE public key, SHA-256: %x",
			n.keys.LogVerifierKey(), n.keys.CosignerVerifierKey(), []byte(n.keys.TLSPublicKey()), hp))
	}

	w("## Cards (§4)\n\n")
	for _, n := range []string{"seoul", "beijing"} {
		c := r.charter.Party(n)
		if c == nil {
			return nil, fmt.Errorf("charter has no card for %s", n)
		}
		block(fmt.Sprintf("The card of `%s` (its text, as the charter carries it; fingerprint %s)", n, c.Fingerprint()), c.Text())
	}

	w("## Charter and line ID (§5)\n\n")
	block("The charter, signed by both parties", string(r.charter.Raw))
	w("Line ID: `%s`\n\n", r.line)

	entries, err := r.seoul.Store.Entries(r.line, "seoul", 0, 1<<40)
	if err != nil {
		return nil, err
	}
	if len(entries) < 4 {
		return nil, fmt.Errorf("seoul's log has %d entries, want 4", len(entries))
	}
	m := entries[1] // seoul-1, the FLASH
	w("## Leaf and leaf hash (§6)\n\n")
	block("The leaf of `seoul-1`", string(m.Leaf))
	w("Leaf hash (SHA-256 of 0x00 ‖ leaf): `%x`\n\n", tlog.HashLeaf(m.Leaf))
	w("Salt: `%x`\n\n", m.Salt)
	block("Body (the commitment in the leaf is SHA-256(\"hotline body v1\" ‖ 0x00 ‖ salt ‖ body))", string(m.Body))

	w("## Sealed body (§7)\n\n")
	w("The envelope of `seoul-1`, sealed to `beijing` with info `hotline body v1` ‖ 0x00 ‖ line ID ‖ 0x00 ‖ `seoul`. ")
	w("Open it with beijing's HPKE key (from its seed) and compare the plaintext with salt ‖ body above.\n\n")
	block("Envelope", string(m.Envelope))

	w("## Checkpoint (§9.1)\n\n")
	block("seoul's checkpoint at size 4, signed by seoul", r.transcript.Logs[0].Checkpoint)

	w("## Cosignature and receipt note (§9.2, §9.3)\n\n")
	rs := r.transcript.Logs[0].Receipts
	if len(rs) == 0 {
		return nil, fmt.Errorf("seoul holds no receipt")
	}
	block("beijing's receipt for seoul's log: seoul's checkpoint with seoul's signature and beijing's cosignature", rs[len(rs)-1])

	w("## Bundle (§10)\n\n")
	block("The bundle seoul carried to beijing with `seoul-1`: its charter entry and the FLASH, before any exchange", string(r.bundle))

	w("## Parcel (§21)\n\n")
	w("The same bundle sealed to beijing as a parcel, in base64; open it with beijing's HPKE key.\n\n")
	block("Parcel", wrap(base64.StdEncoding.EncodeToString(r.parcel), 76))

	fork, err := forkProof(r, entries)
	if err != nil {
		return nil, err
	}
	w("## Amendment bodies (§31)\n\n")
	for _, a := range []struct {
		what, party string
		index       uint64
	}{{"proposal", "seoul", 4}, {"acceptance", "beijing", 4}} {
		n := r.seoul
		e, err := n.Store.Entry(r.line, a.party, a.index)
		if err != nil {
			return nil, fmt.Errorf("%s's amendment entry: %w", a.party, err)
		}
		block(fmt.Sprintf("The body of `%s`'s %s, entry %s-%d (kind amendment, before sealing)", a.party, a.what, a.party, a.index), string(e.Body))
	}

	w("## Transcript, disclosure and fork proof (§24)\n\n")
	w("Too long to print here; each verifies with `hotline verify`.\n\n")
	file("transcript.json", transcript.Marshal(r.transcript))
	file("disclosure.json", transcript.Marshal(r.withheld))
	file("fork-proof.json", fork)
	w("\nThe disclosure is of `%s`, as `hotline disclose` writes it by default: Beijing's reply is proven by its entry, without its text. The fork proof shows seoul's checkpoint at size 4 beside another that seoul's key signed, in which `seoul-2` has another time.\n", r.first)

	doc.Markdown = []byte(b.String())
	return doc, nil
}

const header = `# Test vectors

Every format of [the protocol](protocol.md), as the code produces it, for
two parties whose keys come from fixed seeds: ` + "`seoul`" + ` (32 bytes of 0x00)
and ` + "`beijing`" + ` (32 bytes of 0x01). Seoul sends a FLASH (` + "`seoul-1`" + `) and two
ROUTINE messages; Beijing displays and acknowledges the FLASH and replies.

This file is generated, with the files in [vectors/](vectors/), by

    go test ./internal/transcript/vectors -update

and the same test, without ` + "`-update`" + `, fails when the code produces anything
else, so this document and the code cannot drift apart. Its random bytes
(salts, HPKE encapsulations) come from Go's deterministic test source
(` + "`testing/cryptotest`" + `, seed 0) and its times from a fake clock that starts
at 2000-01-01T00:00:00Z (` + "`testing/synctest`" + `); another implementation cannot
draw the same random bytes, so it checks a sealed body or a parcel by
opening it with the recipient's key, and everything else byte for byte.

`

// forkProof makes a fork proof from seoul's real key: its committed
// checkpoint, and another log of the same size in which the entry at index
// 2 has another time, signed by the same key.
func forkProof(r *run, entries []store.Entry) ([]byte, error) {
	var real, alt tlog.Tree
	const at = 2
	for i, e := range entries {
		real.Append(tlog.HashLeaf(e.Leaf))
		leaf := e.Leaf
		if i == at {
			leaf = []byte(strings.Replace(string(leaf), "\ntime ", "\ntime 1", 1))
		}
		alt.Append(tlog.HashLeaf(leaf))
	}
	size := uint64(len(entries))
	root, err := alt.Root(size)
	if err != nil {
		return nil, err
	}
	cp, err := tlog.Sign(r.seoul.Keys.LogSigner, tlog.Origin(r.line, "seoul"), size, root)
	if err != nil {
		return nil, err
	}
	pa, err := real.InclusionProof(at, size)
	if err != nil {
		return nil, err
	}
	pb, err := alt.InclusionProof(at, size)
	if err != nil {
		return nil, err
	}
	f := &transcript.ForkProof{
		Format: transcript.FormatFork, Line: r.line, Charter: string(r.charter.Raw), Author: "seoul", Index: at,
		A: transcript.Branch{Checkpoint: r.transcript.Logs[0].Checkpoint, LeafHash: real.LeafHash(at), Inclusion: pa},
		B: transcript.Branch{Checkpoint: string(cp.Note), LeafHash: alt.LeafHash(at), Inclusion: pb},
	}
	if _, err := transcript.VerifyFork(f); err != nil {
		return nil, fmt.Errorf("the fork proof does not verify: %w", err)
	}
	return transcript.Marshal(f), nil
}

func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}
