package identity_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/identity"
)

// testSeed is a fixed seed: 0x00, 0x01, ..., 0x1f.
func testSeed() []byte {
	s := make([]byte, identity.SeedSize)
	for i := range s {
		s[i] = byte(i)
	}
	return s
}

func mustDerive(t *testing.T, slug string, seed []byte) *identity.Keys {
	t.Helper()
	k, err := identity.Derive(slug, seed)
	if err != nil {
		t.Fatalf("Derive(%q): %v", slug, err)
	}
	return k
}

func TestValidSlug(t *testing.T) {
	tests := []struct {
		slug string
		ok   bool
	}{
		{"seoul", true},
		{"a", true},
		{"0", true},
		{"beijing-2", true},
		{"9-a-b", true},
		{"a-", true},
		{strings.Repeat("a", 32), true},
		{strings.Repeat("a", 33), false},
		{"", false},
		{"-seoul", false},
		{"Seoul", false},
		{"seoul ", false},
		{" seoul", false},
		{"seoul\n", false},
		{"seo_ul", false},
		{"seo.ul", false},
		{"seo/ul", false},
		{"seo+ul", false},
		{"séoul", false},
		{"서울", false},
	}
	for _, tt := range tests {
		if got := identity.ValidSlug(tt.slug); got != tt.ok {
			t.Errorf("ValidSlug(%q) = %v, want %v", tt.slug, got, tt.ok)
		}
	}
}

func TestDeriveRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		slug string
		seed []byte
	}{
		{"empty slug", "", testSeed()},
		{"uppercase slug", "Seoul", testSeed()},
		{"slug with slash", "a/b", testSeed()},
		{"slug with plus", "a+b", testSeed()},
		{"nil seed", "seoul", nil},
		{"short seed", "seoul", make([]byte, identity.SeedSize-1)},
		{"long seed", "seoul", make([]byte, identity.SeedSize+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if k, err := identity.Derive(tt.slug, tt.seed); err == nil {
				t.Fatalf("Derive succeeded: %+v", k)
			}
		})
	}
}

// hkdfSub is an independent statement of the derivation rule in the package
// comment: HKDF-SHA-256 of the seed, no salt, info "hotline/v1 <label>".
func hkdfSub(t *testing.T, seed []byte, label string, n int) []byte {
	t.Helper()
	b, err := hkdf.Key(sha256.New, seed, nil, "hotline/v1 "+label, n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeriveMatchesSpecification(t *testing.T) {
	seed := testSeed()
	k := mustDerive(t, "seoul", seed)

	logPub := ed25519.NewKeyFromSeed(hkdfSub(t, seed, "log", 32)).Public().(ed25519.PublicKey)
	wantLog, err := note.NewEd25519VerifierKey("hotline/seoul", logPub)
	if err != nil {
		t.Fatal(err)
	}
	if got := k.LogVerifierKey(); got != wantLog {
		t.Errorf("LogVerifierKey = %q, want %q", got, wantLog)
	}

	cosPub := ed25519.NewKeyFromSeed(hkdfSub(t, seed, "cosigner", 32)).Public().(ed25519.PublicKey)
	v, err := note.NewEd25519VerifierKey("hotline/seoul/cosigner", cosPub)
	if err != nil {
		t.Fatal(err)
	}
	wantCos, err := fnote.VKeyToCosignatureV1(v)
	if err != nil {
		t.Fatal(err)
	}
	if got := k.CosignerVerifierKey(); got != wantCos {
		t.Errorf("CosignerVerifierKey = %q, want %q", got, wantCos)
	}

	tlsPub := ed25519.NewKeyFromSeed(hkdfSub(t, seed, "tls", 32)).Public().(ed25519.PublicKey)
	if !bytes.Equal(k.TLSPublicKey(), tlsPub) {
		t.Errorf("TLSPublicKey = %x, want %x", k.TLSPublicKey(), tlsPub)
	}

	hpkePriv, err := hpke.MLKEM768X25519().DeriveKeyPair(hkdfSub(t, seed, "hpke", 64))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.HPKEPublicKey(), hpkePriv.PublicKey().Bytes()) {
		t.Error("HPKEPublicKey does not match the specified derivation")
	}
}

// TestDeriveGolden pins the keys of a fixed seed, so that a change to the
// derivation (which would silently change every party's identity) fails.
func TestDeriveGolden(t *testing.T) {
	k := mustDerive(t, "seoul", testSeed())
	h := sha256.Sum256(k.HPKEPublicKey())
	got := map[string]string{
		"log":      k.LogVerifierKey(),
		"cosigner": k.CosignerVerifierKey(),
		"tls":      hex.EncodeToString(k.TLSPublicKey()),
		"hpke":     hex.EncodeToString(h[:]),
	}
	want := map[string]string{
		"log":      "hotline/seoul+9e46c32e+Ad1xLzXroP0htcnEBXsn32FFRSPj16lomTYQ3DZmrtK1",
		"cosigner": "hotline/seoul/cosigner+69a44493+BFxe8F8a3L10VEKtMi/HZd8va1uH50lO7qzmanORDm72",
		"tls":      "673ae598a5caa2a39e3e68f4ebc8bfc10b5a91a68160b08563046802e7f0e903",
		"hpke":     "8dd4d6d9fb3783602d701912968f7349d25a5ffcb06c2b18650800fc6a53dd2d",
	}
	for name := range want {
		if got[name] != want[name] {
			t.Errorf("%s key of the fixed seed = %q, want %q", name, got[name], want[name])
		}
	}
}

// TestDeriveManySeeds derives the keys of many seeds and checks that each
// signer works with the verifier key published for it. About half of all
// seeds give a verifier key whose base64 holds a '+', the separator of the
// signed-note key format; Derive once failed on exactly those.
func TestDeriveManySeeds(t *testing.T) {
	plus := 0
	for i := range 256 {
		seed := sha256.Sum256([]byte{byte(i)})
		k, err := identity.Derive("seoul", seed[:])
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		if strings.Count(k.LogVerifierKey(), "+") > 2 || strings.Count(k.CosignerVerifierKey(), "+") > 2 {
			plus++
		}
		lv, err := note.NewVerifier(k.LogVerifierKey())
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		cv, err := fnote.NewVerifierForCosignatureV1(k.CosignerVerifierKey())
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		text := "hotline/l/seoul\n1\n" + base64.StdEncoding.EncodeToString(seed[:]) + "\n"
		msg, err := note.Sign(&note.Note{Text: text}, k.LogSigner, k.CosignSigner)
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		n, err := note.Open(msg, note.VerifierList(lv, cv))
		if err != nil || len(n.Sigs) != 2 {
			t.Fatalf("seed %d: signatures do not verify under the published keys: %v", i, err)
		}
	}
	if plus == 0 {
		t.Fatal("no seed gave a verifier key with '+' in its base64; the test lost its point")
	}
}

func TestDeriveDeterministicAndSeparated(t *testing.T) {
	a1 := mustDerive(t, "seoul", testSeed())
	a2 := mustDerive(t, "seoul", testSeed())
	if a1.LogVerifierKey() != a2.LogVerifierKey() ||
		a1.CosignerVerifierKey() != a2.CosignerVerifierKey() ||
		!bytes.Equal(a1.HPKEPublicKey(), a2.HPKEPublicKey()) ||
		!bytes.Equal(a1.TLSPublicKey(), a2.TLSPublicKey()) {
		t.Fatal("Derive is not deterministic")
	}

	other := testSeed()
	other[31] ^= 1
	b := mustDerive(t, "seoul", other)
	if a1.LogVerifierKey() == b.LogVerifierKey() ||
		a1.CosignerVerifierKey() == b.CosignerVerifierKey() ||
		bytes.Equal(a1.HPKEPublicKey(), b.HPKEPublicKey()) ||
		bytes.Equal(a1.TLSPublicKey(), b.TLSPublicKey()) {
		t.Fatal("seeds differing in one bit share a key")
	}

	// No two purposes share a key: compare the raw Ed25519 public keys.
	raw := func(vkey string) []byte {
		_, rest, _ := strings.Cut(vkey, "+")
		_, b64, _ := strings.Cut(rest, "+")
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(b) != 33 {
			t.Fatalf("verifier key %q: %v", vkey, err)
		}
		return b[1:]
	}
	keys := [][]byte{raw(a1.LogVerifierKey()), raw(a1.CosignerVerifierKey()), a1.TLSPublicKey()}
	for i := range keys {
		for j := range i {
			if bytes.Equal(keys[i], keys[j]) {
				t.Errorf("purposes %d and %d share a key", i, j)
			}
		}
	}

	// The slug names the keys but does not change them.
	c := mustDerive(t, "busan", testSeed())
	if !bytes.Equal(c.TLSPublicKey(), a1.TLSPublicKey()) {
		t.Error("the slug changed the TLS key")
	}
	if !strings.HasPrefix(c.LogVerifierKey(), "hotline/busan+") {
		t.Errorf("LogVerifierKey = %q, want the name hotline/busan", c.LogVerifierKey())
	}
}

func TestKeyNames(t *testing.T) {
	if got := identity.LogKeyName("seoul"); got != "hotline/seoul" {
		t.Errorf("LogKeyName = %q", got)
	}
	if got := identity.CosignerKeyName("seoul"); got != "hotline/seoul/cosigner" {
		t.Errorf("CosignerKeyName = %q", got)
	}
	k := mustDerive(t, "seoul", testSeed())
	if k.Slug != "seoul" {
		t.Errorf("Slug = %q", k.Slug)
	}
	if got := k.LogSigner.Name(); got != "hotline/seoul" {
		t.Errorf("LogSigner.Name = %q", got)
	}
	if got := k.CosignSigner.Name(); got != "hotline/seoul/cosigner" {
		t.Errorf("CosignSigner.Name = %q", got)
	}
}

func TestLogSignerVerifies(t *testing.T) {
	k := mustDerive(t, "seoul", testSeed())
	msg, err := note.Sign(&note.Note{Text: "hello\n"}, k.LogSigner)
	if err != nil {
		t.Fatal(err)
	}
	// Both the standard library and transparency-dev accept the key.
	v1, err := note.NewVerifier(k.LogVerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	v2, err := fnote.NewVerifier(k.LogVerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []note.Verifier{v1, v2} {
		n, err := note.Open(msg, note.VerifierList(v))
		if err != nil {
			t.Fatalf("open with %T: %v", v, err)
		}
		if n.Text != "hello\n" || len(n.Sigs) != 1 {
			t.Fatalf("opened %+v", n)
		}
	}
	// Another seed's key with the same name does not verify.
	other := testSeed()
	other[0] ^= 0xff
	vo, err := note.NewVerifier(mustDerive(t, "seoul", other).LogVerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(vo)); err == nil {
		t.Fatal("another key verified the note")
	}
}

func TestCosignSignerVerifies(t *testing.T) {
	k := mustDerive(t, "seoul", testSeed())
	text := "hotline/line/beijing\n3\n" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n"
	msg, err := note.Sign(&note.Note{Text: text}, k.CosignSigner)
	if err != nil {
		t.Fatal(err)
	}
	v, err := fnote.NewVerifierForCosignatureV1(k.CosignerVerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	if v.Name() != k.CosignSigner.Name() || v.KeyHash() != k.CosignSigner.KeyHash() {
		t.Fatalf("verifier %s/%08x does not match signer %s/%08x", v.Name(), v.KeyHash(), k.CosignSigner.Name(), k.CosignSigner.KeyHash())
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fnote.CoSigV1Timestamp(n.Sigs[0]); err != nil {
		t.Fatal(err)
	}
	// The cosigner key is not the log key: a plain Ed25519 verifier for the
	// log key cannot open the cosignature.
	lv, err := note.NewVerifier(k.LogVerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(lv)); err == nil {
		t.Fatal("log key verified a cosignature")
	}
}

func TestHPKEKeyPair(t *testing.T) {
	k := mustDerive(t, "seoul", testSeed())
	pub, err := identity.KEM().NewPublicKey(k.HPKEPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	kdf, aead := hpke.HKDFSHA256(), hpke.AES256GCM()
	ct, err := hpke.Seal(pub, kdf, aead, []byte("info"), []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := hpke.Open(k.HPKEPrivateKey(), kdf, aead, []byte("info"), ct)
	if err != nil || string(pt) != "secret" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	other := testSeed()
	other[5] ^= 1
	if _, err := hpke.Open(mustDerive(t, "seoul", other).HPKEPrivateKey(), kdf, aead, []byte("info"), ct); err == nil {
		t.Fatal("another party's key opened the ciphertext")
	}
}

func TestTLSCertificate(t *testing.T) {
	k := mustDerive(t, "seoul", testSeed())
	tc, err := k.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	if len(tc.Certificate) != 1 {
		t.Fatalf("chain of %d certificates", len(tc.Certificate))
	}
	cert, err := x509.ParseCertificate(tc.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := cert.PublicKey.(ed25519.PublicKey)
	if !ok || !pub.Equal(k.TLSPublicKey()) {
		t.Fatalf("certificate key %T %x, want %x", cert.PublicKey, cert.PublicKey, k.TLSPublicKey())
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Fatalf("not self-signed: %v", err)
	}
	priv, ok := tc.PrivateKey.(ed25519.PrivateKey)
	if !ok || !priv.Public().(ed25519.PublicKey).Equal(k.TLSPublicKey()) {
		t.Fatal("private key does not match the certificate")
	}
	if cert.Subject.CommonName != "seoul" {
		t.Errorf("CommonName = %q", cert.Subject.CommonName)
	}
}

func TestNewSeed(t *testing.T) {
	a, b := identity.NewSeed(), identity.NewSeed()
	if len(a) != identity.SeedSize || len(b) != identity.SeedSize {
		t.Fatalf("seed sizes %d, %d", len(a), len(b))
	}
	if bytes.Equal(a, b) {
		t.Fatal("two fresh seeds are equal")
	}
	if _, err := identity.Derive("seoul", a); err != nil {
		t.Fatal(err)
	}
}

func TestSeedFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seed")
	seed := identity.NewSeed()
	if err := identity.WriteSeed(path, seed); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 || perm&0o600 != 0o600 {
		t.Fatalf("seed file mode %v, want 0600", perm)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "hotline-seed-v1 " + base64.StdEncoding.EncodeToString(seed) + "\n"; string(b) != want {
		t.Fatalf("seed file holds %q, want %q", b, want)
	}
	got, err := identity.ReadSeed(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, seed) {
		t.Fatalf("ReadSeed = %x, want %x", got, seed)
	}
}

func TestWriteSeedRefusesToReplace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seed")
	first := identity.NewSeed()
	if err := identity.WriteSeed(path, first); err != nil {
		t.Fatal(err)
	}
	err := identity.WriteSeed(path, identity.NewSeed())
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second WriteSeed: %v, want fs.ErrExist", err)
	}
	got, err := identity.ReadSeed(path)
	if err != nil || !bytes.Equal(got, first) {
		t.Fatalf("the first seed was replaced: %x, %v", got, err)
	}
}

func TestWriteSeedRefusesBadSeed(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, identity.SeedSize - 1, identity.SeedSize + 1} {
		path := filepath.Join(dir, "seed")
		if err := identity.WriteSeed(path, make([]byte, n)); err == nil {
			t.Errorf("WriteSeed of a %d-byte seed succeeded", n)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("WriteSeed of a %d-byte seed left a file behind: %v", n, err)
		}
	}
}

func TestWriteSeedMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "seed")
	if err := identity.WriteSeed(path, identity.NewSeed()); err == nil {
		t.Fatal("WriteSeed into a missing directory succeeded")
	}
}

func TestReadSeedPermissions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		mode os.FileMode
		ok   bool
	}{
		{0o600, true},
		{0o400, true},
		{0o700, true},
		{0o200, true}, // unreadable for a normal user, but no one else can read it either
		{0o640, false},
		{0o604, false},
		{0o644, false},
		{0o660, false},
		{0o606, false},
		{0o610, false},
		{0o601, false},
		{0o620, false},
		{0o602, false},
		{0o666, false},
		{0o777, false},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			path := filepath.Join(dir, "seed-"+tt.mode.String())
			seed := identity.NewSeed()
			if err := identity.WriteSeed(path, seed); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			got, err := identity.ReadSeed(path)
			if !tt.ok {
				if !errors.Is(err, identity.ErrKeyPermissions) {
					t.Fatalf("ReadSeed of mode %v: %v, want ErrKeyPermissions", tt.mode, err)
				}
				if got != nil {
					t.Fatal("ReadSeed returned a seed with its error")
				}
				if !strings.Contains(err.Error(), "chmod 600") {
					t.Errorf("error %q gives no hint", err)
				}
				return
			}
			if err != nil {
				// Mode 0200 is unreadable unless the test runs as root.
				if tt.mode&0o400 == 0 && errors.Is(err, fs.ErrPermission) {
					return
				}
				t.Fatalf("ReadSeed of mode %v: %v", tt.mode, err)
			}
			if !bytes.Equal(got, seed) {
				t.Fatal("ReadSeed returned another seed")
			}
		})
	}
}

func TestReadSeedMissing(t *testing.T) {
	_, err := identity.ReadSeed(filepath.Join(t.TempDir(), "absent"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadSeed of a missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestReadSeedDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := identity.ReadSeed(dir); err == nil {
		t.Fatal("ReadSeed of a directory succeeded")
	}
}

func TestReadSeedMalformed(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(testSeed())
	short := base64.StdEncoding.EncodeToString(testSeed()[:31])
	long := base64.StdEncoding.EncodeToString(append(testSeed(), 0))
	tests := []struct {
		name    string
		content string
	}{
		{"empty", ""},
		{"only whitespace", " \n\t\n"},
		{"no prefix", good + "\n"},
		{"prefix only", "hotline-seed-v1 \n"},
		{"prefix without space", "hotline-seed-v1" + good + "\n"},
		{"other version", "hotline-seed-v2 " + good + "\n"},
		{"uppercase prefix", "HOTLINE-SEED-V1 " + good + "\n"},
		{"two spaces", "hotline-seed-v1  " + good + "\n"},
		{"tab separator", "hotline-seed-v1\t" + good + "\n"},
		{"short seed", "hotline-seed-v1 " + short + "\n"},
		{"long seed", "hotline-seed-v1 " + long + "\n"},
		{"raw base64", "hotline-seed-v1 " + strings.TrimRight(good, "=") + "\n"},
		{"url base64", "hotline-seed-v1 " + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)) + "\n"},
		{"hex seed", "hotline-seed-v1 " + hex.EncodeToString(testSeed()) + "\n"},
		{"bad base64", "hotline-seed-v1 !!!!" + good[4:] + "\n"},
		{"trailing garbage", "hotline-seed-v1 " + good + " extra\n"},
		{"two seeds", "hotline-seed-v1 " + good + "\nhotline-seed-v1 " + good + "\n"},
		{"binary seed", string(testSeed())},
		{"NUL in line", "hotline-seed-v1 " + good + "\x00\n"},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "seed"+string(rune('a'+i)))
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			seed, err := identity.ReadSeed(path)
			if err == nil {
				t.Fatalf("ReadSeed accepted %q as %x", tt.content, seed)
			}
			if !strings.Contains(err.Error(), "not a hotline key file") {
				t.Errorf("error %q does not say the file is not a key file", err)
			}
		})
	}
}

func TestReadSeedToleratesSurroundingWhitespace(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(testSeed())
	for i, content := range []string{
		"hotline-seed-v1 " + good,
		"hotline-seed-v1 " + good + "\n",
		"hotline-seed-v1 " + good + "\r\n",
		"\n  hotline-seed-v1 " + good + "  \n\n",
	} {
		path := filepath.Join(t.TempDir(), "seed")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		seed, err := identity.ReadSeed(path)
		if err != nil || !bytes.Equal(seed, testSeed()) {
			t.Errorf("case %d %q: ReadSeed = %x, %v", i, content, seed, err)
		}
	}
}
