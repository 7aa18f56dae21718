package tlog_test

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/hotline-line/hotline/internal/fuzzseed"
	"github.com/hotline-line/hotline/internal/tlog"
)

// The fuzz targets open notes for this log and cosigner. Their keys derive
// from fixed seeds, so the corpus files in testdata stay valid.
var (
	fuzzOrigin = tlog.Origin(line, "seoul")
	fuzzR64    = base64.StdEncoding.EncodeToString(root("r"))
)

// FuzzOpen checks that Open never panics, and that a checkpoint it accepts
// is the canonical text of what it returns, signed.
func FuzzOpen(f *testing.F) {
	k, peer := keys(f, "seoul"), keys(f, "beijing")
	c := signCheckpoint(f, k, fuzzOrigin, 42, root("r"))
	f.Add(c.Note)
	f.Add(signCheckpoint(f, k, fuzzOrigin, 0, tlog.Hasher.EmptyRoot()).Note)
	f.Add(signText(f, c.Text()+"extension\n", k.LogSigner))
	f.Add(signText(f, fuzzOrigin+"\n042\n"+fuzzR64+"\n", k.LogSigner))
	f.Add(mustCosign(f, c, peer))
	f.Add(bytes.Replace(c.Note, []byte("\n42\n"), []byte("\n43\n"), 1))
	f.Add([]byte{})
	v := logVerifier(f, k)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := tlog.Open(b, fuzzOrigin, v)
		if err != nil {
			if c != nil {
				t.Fatal("checkpoint returned with an error")
			}
			return
		}
		if c.Origin != fuzzOrigin || len(c.Root) != 32 || !bytes.Equal(c.Note, b) {
			t.Fatalf("accepted %+v", c)
		}
		if !bytes.HasPrefix(b, []byte(c.Text()+"\n")) {
			t.Fatalf("accepted checkpoint text %q is not the start of the note %q", c.Text(), b)
		}
	})
}

// FuzzOpenCosignature checks that OpenCosignature never panics, and that a
// cosignature it accepts covers the canonical text of what it returns.
func FuzzOpenCosignature(f *testing.F) {
	k, peer := keys(f, "seoul"), keys(f, "beijing")
	c := signCheckpoint(f, k, fuzzOrigin, 42, root("r"))
	b := mustCosign(f, c, peer)
	f.Add(b)
	f.Add(mustCosign(f, signCheckpoint(f, k, fuzzOrigin, 1<<40, root("s")), peer))
	f.Add(signText(f, c.Text()+"ext\n", peer.CosignSigner))
	f.Add(signText(f, fuzzOrigin+"\n042\n"+fuzzR64+"\n", peer.CosignSigner))
	f.Add(c.Note)
	f.Add(bytes.Replace(b, []byte("\n42\n"), []byte("\n43\n"), 1))
	f.Add([]byte{})
	v := cosignerVerifier(f, peer)
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := tlog.OpenCosignature(b, fuzzOrigin, "beijing", v)
		if err != nil {
			if cs != nil {
				t.Fatal("cosignature returned with an error")
			}
			return
		}
		if cs.Origin != fuzzOrigin || cs.Cosigner != "beijing" || len(cs.Root) != 32 || !bytes.Equal(cs.Note, b) {
			t.Fatalf("accepted %+v", cs)
		}
		if !bytes.HasPrefix(b, []byte(cs.Text()+"\n")) {
			t.Fatalf("accepted cosignature text %q is not the start of the note %q", cs.Text(), b)
		}
	})
}

// TestCorpusSeeds keeps the committed corpus meaningful: the valid seeds
// must still open under the current format and keys, the others must not.
func TestCorpusSeeds(t *testing.T) {
	k, peer := keys(t, "seoul"), keys(t, "beijing")
	for _, name := range []string{"valid", "valid-empty"} {
		if _, err := tlog.Open(fuzzseed.Read(t, "FuzzOpen", name), fuzzOrigin, logVerifier(t, k)); err != nil {
			t.Errorf("FuzzOpen/%s: %v", name, err)
		}
	}
	for _, name := range []string{"extension-line", "size-leading-zero", "cosignature-only", "size-tampered", "wrong-origin"} {
		if _, err := tlog.Open(fuzzseed.Read(t, "FuzzOpen", name), fuzzOrigin, logVerifier(t, k)); err == nil {
			t.Errorf("FuzzOpen/%s: accepted", name)
		}
	}
	for _, name := range []string{"valid", "valid-large", "witnessed"} {
		if _, err := tlog.OpenCosignature(fuzzseed.Read(t, "FuzzOpenCosignature", name), fuzzOrigin, "beijing", cosignerVerifier(t, peer)); err != nil {
			t.Errorf("FuzzOpenCosignature/%s: %v", name, err)
		}
	}
	for _, name := range []string{"extension-line", "size-leading-zero", "log-signature-only", "size-tampered"} {
		if _, err := tlog.OpenCosignature(fuzzseed.Read(t, "FuzzOpenCosignature", name), fuzzOrigin, "beijing", cosignerVerifier(t, peer)); err == nil {
			t.Errorf("FuzzOpenCosignature/%s: accepted", name)
		}
	}
}
