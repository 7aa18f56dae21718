package tlog_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	flog "github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/tlog"
)

const line = "5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f"

func keys(t testing.TB, slug string) *identity.Keys {
	t.Helper()
	seed := sha256.Sum256([]byte("tlog test seed " + slug))
	k, err := identity.Derive(slug, seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func logVerifier(t testing.TB, k *identity.Keys) note.Verifier {
	t.Helper()
	v, err := note.NewVerifier(k.LogVerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func cosignerVerifier(t testing.TB, k *identity.Keys) note.Verifier {
	t.Helper()
	v, err := fnote.NewVerifierForCosignatureV1(k.CosignerVerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func root(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func signCheckpoint(t testing.TB, k *identity.Keys, origin string, size uint64, r []byte) *tlog.Checkpoint {
	t.Helper()
	c, err := tlog.Sign(k.LogSigner, origin, size, r)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// signText signs any text with the given signers.
func signText(t testing.TB, text string, signers ...note.Signer) []byte {
	t.Helper()
	b, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOrigin(t *testing.T) {
	if got := tlog.Origin(line, "seoul"); got != "hotline/"+line+"/seoul" {
		t.Fatalf("Origin = %q", got)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	k := keys(t, "seoul")
	origin := tlog.Origin(line, "seoul")
	for _, size := range []uint64{0, 1, 17, 1 << 40, 1<<64 - 1} {
		r := root("root")
		if size == 0 {
			r = tlog.Hasher.EmptyRoot()
		}
		c := signCheckpoint(t, k, origin, size, r)
		wantText := origin + "\n" + uintString(size) + "\n" + base64.StdEncoding.EncodeToString(r) + "\n"
		if c.Text() != wantText {
			t.Fatalf("Text = %q, want %q", c.Text(), wantText)
		}
		if !bytes.HasPrefix(c.Note, []byte(wantText+"\n— hotline/seoul ")) {
			t.Fatalf("Note = %q", c.Note)
		}
		got, err := tlog.Open(c.Note, origin, logVerifier(t, k))
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if got.Origin != origin || got.Size != size || !bytes.Equal(got.Root, r) || !bytes.Equal(got.Note, c.Note) {
			t.Fatalf("Open = %+v", got)
		}
	}
}

func uintString(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// TestCheckpointStandardVerifiers checks that our checkpoints are ordinary
// C2SP checkpoints: the x/mod note package and the transparency-dev parser
// open them with only the published verifier key.
func TestCheckpointStandardVerifiers(t *testing.T) {
	k := keys(t, "seoul")
	origin := tlog.Origin(line, "seoul")
	c := signCheckpoint(t, k, origin, 42, root("r"))

	v, err := note.NewVerifier(k.LogVerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(c.Note, note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	if n.Text != c.Text() || len(n.Sigs) != 1 || n.Sigs[0].Name != "hotline/seoul" {
		t.Fatalf("note.Open = %+v", n)
	}

	fv, err := fnote.NewVerifier(k.LogVerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	cp, ext, _, err := flog.ParseCheckpoint(c.Note, origin, fv)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Origin != origin || cp.Size != 42 || !bytes.Equal(cp.Hash, root("r")) || len(ext) != 0 {
		t.Fatalf("ParseCheckpoint = %+v, %q", cp, ext)
	}
}

func TestOpenRejects(t *testing.T) {
	k := keys(t, "seoul")
	other := keys(t, "beijing")
	impostor, err := identity.Derive("seoul", bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	origin := tlog.Origin(line, "seoul")
	c := signCheckpoint(t, k, origin, 42, root("r"))
	r64 := base64.StdEncoding.EncodeToString(root("r"))
	nonCanonicalRoot := r64[:len(r64)-2] + string(r64[len(r64)-2]+1) + "="
	if dec, err := base64.StdEncoding.DecodeString(nonCanonicalRoot); err != nil || !bytes.Equal(dec, root("r")) {
		t.Fatalf("nonCanonicalRoot does not decode to the root: %v", err)
	}
	flipSig := func(b []byte) []byte {
		i := bytes.LastIndexByte(b[:len(b)-1], ' ')
		raw, err := base64.StdEncoding.DecodeString(string(b[i+1 : len(b)-1]))
		if err != nil {
			t.Fatal(err)
		}
		raw[20] ^= 4
		return append(append(bytes.Clone(b[:i+1]), base64.StdEncoding.EncodeToString(raw)...), '\n')
	}
	cos, _, err := tlog.Cosign(c, k.CosignSigner)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		b      []byte
		origin string
		v      note.Verifier
	}{
		{"wrong origin requested", c.Note, tlog.Origin(line, "beijing"), logVerifier(t, k)},
		{"other line requested", c.Note, tlog.Origin(strings.Repeat("0", 32), "seoul"), logVerifier(t, k)},
		{"another party's key", c.Note, origin, logVerifier(t, other)},
		{"impostor's key with the same name", c.Note, origin, logVerifier(t, impostor)},
		{"cosigner key", c.Note, origin, cosignerVerifier(t, k)},
		{"signed by an impostor", signCheckpoint(t, impostor, origin, 42, root("r")).Note, origin, logVerifier(t, k)},
		{"signed by another party", signCheckpoint(t, other, origin, 42, root("r")).Note, origin, logVerifier(t, k)},
		{"only a cosignature", cos, origin, logVerifier(t, k)},
		{"size tampered", bytes.Replace(c.Note, []byte("\n42\n"), []byte("\n43\n"), 1), origin, logVerifier(t, k)},
		{"root tampered", bytes.Replace(c.Note, []byte(r64), []byte(base64.StdEncoding.EncodeToString(root("s"))), 1), origin, logVerifier(t, k)},
		{"origin tampered", bytes.Replace(c.Note, []byte("/seoul\n"), []byte("/seoux\n"), 1), origin, logVerifier(t, k)},
		{"signature flipped", flipSig(c.Note), origin, logVerifier(t, k)},
		{"a forged signature after a valid one", append(bytes.Clone(c.Note), lastLine(flipSig(c.Note))...), origin, logVerifier(t, k)},
		{"no signature", []byte(c.Text() + "\n"), origin, logVerifier(t, k)},
		{"text only", []byte(c.Text()), origin, logVerifier(t, k)},
		{"empty", nil, origin, logVerifier(t, k)},
		{"CRLF", bytes.ReplaceAll(c.Note, []byte("\n"), []byte("\r\n")), origin, logVerifier(t, k)},
		{"extension line", signText(t, c.Text()+"extension\n", k.LogSigner), origin, logVerifier(t, k)},
		{"blank extension line", signText(t, c.Text()+"\n", k.LogSigner), origin, logVerifier(t, k)},
		{"short root", signText(t, origin+"\n42\n"+base64.StdEncoding.EncodeToString(root("r")[:31])+"\n", k.LogSigner), origin, logVerifier(t, k)},
		{"long root", signText(t, origin+"\n42\n"+base64.StdEncoding.EncodeToString(append(root("r"), 0))+"\n", k.LogSigner), origin, logVerifier(t, k)},
		{"empty root", signText(t, origin+"\n42\n\n", k.LogSigner), origin, logVerifier(t, k)},
		{"size with leading zero", signText(t, origin+"\n042\n"+r64+"\n", k.LogSigner), origin, logVerifier(t, k)},
		{"size with plus", signText(t, origin+"\n+42\n"+r64+"\n", k.LogSigner), origin, logVerifier(t, k)},
		{"negative size", signText(t, origin+"\n-1\n"+r64+"\n", k.LogSigner), origin, logVerifier(t, k)},
		{"size overflow", signText(t, origin+"\n18446744073709551616\n"+r64+"\n", k.LogSigner), origin, logVerifier(t, k)},
		{"non-canonical root base64", signText(t, origin+"\n42\n"+nonCanonicalRoot+"\n", k.LogSigner), origin, logVerifier(t, k)},
		{"raw base64 root", signText(t, origin+"\n42\n"+strings.TrimRight(r64, "=")+"\n", k.LogSigner), origin, logVerifier(t, k)},
		{"missing root line", signText(t, origin+"\n42\n", k.LogSigner), origin, logVerifier(t, k)},
		{"oversize", append(bytes.Clone(c.Note), []byte("— "+strings.Repeat("x", tlog.MaxNoteSize)+" AAAAAAAA\n")...), origin, logVerifier(t, k)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tlog.Open(tt.b, tt.origin, tt.v)
			if err == nil {
				t.Fatalf("Open accepted %+v", got)
			}
			if !errors.Is(err, tlog.ErrBadCheckpoint) {
				t.Fatalf("Open: %v, want ErrBadCheckpoint", err)
			}
			if got != nil {
				t.Fatal("checkpoint returned with an error")
			}
		})
	}
	// The canonical text signed the same way opens: the refusals above are
	// about the text alone.
	if _, err := tlog.Open(signText(t, origin+"\n42\n"+r64+"\n", k.LogSigner), origin, logVerifier(t, k)); err != nil {
		t.Fatal(err)
	}
}

// TestOpenWitnessedCheckpoint checks that a checkpoint carrying other
// signatures besides the log's (as a witness adds them) still opens.
func TestOpenWitnessedCheckpoint(t *testing.T) {
	k, peer := keys(t, "seoul"), keys(t, "beijing")
	origin := tlog.Origin(line, "seoul")
	c := signCheckpoint(t, k, origin, 5, root("r"))
	n, err := note.Open(c.Note, note.VerifierList(logVerifier(t, k)))
	if err != nil {
		t.Fatal(err)
	}
	witnessed, err := note.Sign(n, peer.CosignSigner)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tlog.Open(witnessed, origin, logVerifier(t, k))
	if err != nil {
		t.Fatal(err)
	}
	if got.Size != 5 || !bytes.Equal(got.Note, witnessed) {
		t.Fatalf("Open = %+v", got)
	}
	cs, err := tlog.OpenCosignature(witnessed, origin, "beijing", cosignerVerifier(t, peer))
	if err != nil {
		t.Fatal(err)
	}
	if cs.Cosigner != "beijing" || cs.Size != 5 {
		t.Fatalf("OpenCosignature = %+v", cs)
	}
}

func TestCosignRoundTrip(t *testing.T) {
	k, peer := keys(t, "seoul"), keys(t, "beijing")
	origin := tlog.Origin(line, "seoul")
	c := signCheckpoint(t, k, origin, 99, root("r"))

	before := time.Now().Truncate(time.Second)
	b, when, err := tlog.Cosign(c, peer.CosignSigner)
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if when.Before(before) || when.After(after) || when.Location() != time.UTC {
		t.Fatalf("cosignature time %v not within [%v, %v] in UTC", when, before, after)
	}
	if !bytes.HasPrefix(b, []byte(c.Text()+"\n— hotline/beijing/cosigner ")) {
		t.Fatalf("cosigned note = %q", b)
	}
	cs, err := tlog.OpenCosignature(b, origin, "beijing", cosignerVerifier(t, peer))
	if err != nil {
		t.Fatal(err)
	}
	if cs.Cosigner != "beijing" || cs.Origin != origin || cs.Size != 99 || !bytes.Equal(cs.Root, root("r")) || !bytes.Equal(cs.Note, b) {
		t.Fatalf("OpenCosignature = %+v", cs)
	}
	if !cs.Time.Equal(when) || cs.Time.Location() != time.UTC {
		t.Fatalf("Time = %v, Cosign said %v", cs.Time, when)
	}
	if cs.Text() != c.Text() {
		t.Fatal("the cosignature covers another text")
	}
}

// TestCosignStandardVerifiers checks the cosignature with the libraries
// alone, as an independent witness or auditor would.
func TestCosignStandardVerifiers(t *testing.T) {
	k, peer := keys(t, "seoul"), keys(t, "beijing")
	c := signCheckpoint(t, k, tlog.Origin(line, "seoul"), 7, root("r"))
	b, when, err := tlog.Cosign(c, peer.CosignSigner)
	if err != nil {
		t.Fatal(err)
	}
	v, err := fnote.NewVerifierForCosignatureV1(peer.CosignerVerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(b, note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	if n.Text != c.Text() || len(n.Sigs) != 1 {
		t.Fatalf("note.Open = %+v", n)
	}
	ts, err := fnote.CoSigV1Timestamp(n.Sigs[0])
	if err != nil || !ts.Equal(when) {
		t.Fatalf("CoSigV1Timestamp = %v, %v; Cosign said %v", ts, err, when)
	}
	// The log's signature and the cosignature merge into one note that
	// both verifiers accept.
	merged, err := note.Sign(&note.Note{Text: c.Text(), Sigs: n.Sigs}, k.LogSigner)
	if err != nil {
		t.Fatal(err)
	}
	mn, err := note.Open(merged, note.VerifierList(v, logVerifier(t, k)))
	if err != nil || len(mn.Sigs) != 2 {
		t.Fatalf("merged note: %v", err)
	}
	if _, err := tlog.Open(merged, c.Origin, logVerifier(t, k)); err != nil {
		t.Fatal(err)
	}
	if _, err := tlog.OpenCosignature(merged, c.Origin, "beijing", v); err != nil {
		t.Fatal(err)
	}
}

func TestOpenCosignatureRejects(t *testing.T) {
	k, peer, third := keys(t, "seoul"), keys(t, "beijing"), keys(t, "tokyo")
	impostor, err := identity.Derive("beijing", bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	origin := tlog.Origin(line, "seoul")
	c := signCheckpoint(t, k, origin, 42, root("r"))
	b, _, err := tlog.Cosign(c, peer.CosignSigner)
	if err != nil {
		t.Fatal(err)
	}
	r64 := base64.StdEncoding.EncodeToString(root("r"))

	// editSig rewrites the raw cosignature (keyhash || time || signature).
	editSig := func(edit func(raw []byte) []byte) []byte {
		i := bytes.LastIndexByte(b[:len(b)-1], ' ')
		raw, err := base64.StdEncoding.DecodeString(string(b[i+1 : len(b)-1]))
		if err != nil || len(raw) != 4+8+64 {
			t.Fatalf("cosignature of %d bytes: %v", len(raw), err)
		}
		raw = edit(raw)
		return append(append(bytes.Clone(b[:i+1]), base64.StdEncoding.EncodeToString(raw)...), '\n')
	}
	cosignText := func(text string) []byte { return signText(t, text, peer.CosignSigner) }

	tests := []struct {
		name   string
		b      []byte
		origin string
		v      note.Verifier
	}{
		{"wrong cosigner key", b, origin, cosignerVerifier(t, third)},
		{"impostor's key with the same name", b, origin, cosignerVerifier(t, impostor)},
		{"cosigned by an impostor", signText(t, c.Text(), impostor.CosignSigner), origin, cosignerVerifier(t, peer)},
		{"cosigned by a third party", signText(t, c.Text(), third.CosignSigner), origin, cosignerVerifier(t, peer)},
		{"log key instead of cosigner key", b, origin, logVerifier(t, peer)},
		{"checkpoint signed by the log, not cosigned", c.Note, origin, cosignerVerifier(t, peer)},
		{"peer's log signature, not its cosignature", signText(t, c.Text(), peer.LogSigner), origin, cosignerVerifier(t, peer)},
		{"wrong origin requested", b, tlog.Origin(line, "tokyo"), cosignerVerifier(t, peer)},
		{"cosigned another origin", mustCosign(t, signCheckpoint(t, k, tlog.Origin(line, "tokyo"), 42, root("r")), peer), origin, cosignerVerifier(t, peer)},
		{"size tampered", bytes.Replace(b, []byte("\n42\n"), []byte("\n43\n"), 1), origin, cosignerVerifier(t, peer)},
		{"size tampered down", bytes.Replace(b, []byte("\n42\n"), []byte("\n41\n"), 1), origin, cosignerVerifier(t, peer)},
		{"root tampered", bytes.Replace(b, []byte(r64), []byte(base64.StdEncoding.EncodeToString(root("s"))), 1), origin, cosignerVerifier(t, peer)},
		{"timestamp tampered", editSig(func(raw []byte) []byte { raw[11]++; return raw }), origin, cosignerVerifier(t, peer)},
		{"timestamp zeroed", editSig(func(raw []byte) []byte { binary.BigEndian.PutUint64(raw[4:12], 0); return raw }), origin, cosignerVerifier(t, peer)},
		{"signature flipped", editSig(func(raw []byte) []byte { raw[40] ^= 1; return raw }), origin, cosignerVerifier(t, peer)},
		{"a forged cosignature after a valid one", append(bytes.Clone(b), lastLine(editSig(func(raw []byte) []byte { raw[40] ^= 1; return raw }))...), origin, cosignerVerifier(t, peer)},
		{"signature truncated", editSig(func(raw []byte) []byte { return raw[:len(raw)-1] }), origin, cosignerVerifier(t, peer)},
		{"timestamp removed", editSig(func(raw []byte) []byte { return append(raw[:4:4], raw[12:]...) }), origin, cosignerVerifier(t, peer)},
		{"no signature", []byte(c.Text() + "\n"), origin, cosignerVerifier(t, peer)},
		{"empty", nil, origin, cosignerVerifier(t, peer)},
		{"extension line", cosignText(c.Text() + "ext\n"), origin, cosignerVerifier(t, peer)},
		{"not a checkpoint", cosignText("hello\nworld\n"), origin, cosignerVerifier(t, peer)},
		{"two-line text", cosignText(origin + "\n42\n"), origin, cosignerVerifier(t, peer)},
		{"short root", cosignText(origin + "\n42\n" + base64.StdEncoding.EncodeToString(root("r")[:31]) + "\n"), origin, cosignerVerifier(t, peer)},
		{"size with leading zero", cosignText(origin + "\n042\n" + r64 + "\n"), origin, cosignerVerifier(t, peer)},
		{"size not a number", cosignText(origin + "\nforty\n" + r64 + "\n"), origin, cosignerVerifier(t, peer)},
		{"oversize", append(bytes.Clone(b), []byte("— "+strings.Repeat("x", tlog.MaxNoteSize)+" AAAAAAAA\n")...), origin, cosignerVerifier(t, peer)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tlog.OpenCosignature(tt.b, tt.origin, "beijing", tt.v)
			if err == nil {
				t.Fatalf("OpenCosignature accepted %+v", got)
			}
			if !errors.Is(err, tlog.ErrBadCosignature) {
				t.Fatalf("OpenCosignature: %v, want ErrBadCosignature", err)
			}
			if got != nil {
				t.Fatal("cosignature returned with an error")
			}
		})
	}
	if _, err := tlog.OpenCosignature(cosignText(origin+"\n42\n"+r64+"\n"), origin, "beijing", cosignerVerifier(t, peer)); err != nil {
		t.Fatal(err)
	}
}

// lastLine returns the last line of a note: its last signature.
func lastLine(b []byte) []byte {
	return b[bytes.LastIndexByte(b[:len(b)-1], '\n')+1:]
}

func mustCosign(t testing.TB, c *tlog.Checkpoint, k *identity.Keys) []byte {
	t.Helper()
	b, _, err := tlog.Cosign(c, k.CosignSigner)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
