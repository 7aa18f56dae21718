// Package identity holds a party's secret seed and the keys derived from it:
// the log signing key, the cosigner key, the HPKE key that opens sealed
// bodies, and the TLS key that authenticates the party on direct routes.
//
// One 32-byte seed is the only secret on disk. Every other key is derived
// from it with HKDF-SHA-256 under a distinct label, so one 0600 file backs
// up the whole identity and no two purposes ever share a key.
package identity

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"os"
	"regexp"
	"strings"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// SeedSize is the size of the secret seed in bytes.
const SeedSize = 32

// KEM is the HPKE key encapsulation mechanism every party uses: a hybrid of
// ML-KEM-768 and X25519, so that sealed bodies stay confidential against an
// adversary who records traffic today and owns a quantum computer later.
var KEM = hpke.MLKEM768X25519

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// ValidSlug reports whether s can name a party: lowercase letters, digits
// and hyphens, 1 to 32 characters, starting with a letter or digit. Slugs
// appear in key names, log origins and message IDs.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// Keys are the keys of one party, derived from its seed.
type Keys struct {
	Slug string

	logPriv    ed25519.PrivateKey
	cosignPriv ed25519.PrivateKey
	tlsPriv    ed25519.PrivateKey
	hpkePriv   hpke.PrivateKey

	LogSigner    note.Signer   // signs the party's checkpoints (C2SP signed-note Ed25519)
	CosignSigner *fnote.Signer // signs cosignatures (C2SP tlog-cosignature, cosignature/v1)
}

// Derive computes the keys of the party slug from its seed.
func Derive(slug string, seed []byte) (*Keys, error) {
	if !ValidSlug(slug) {
		return nil, fmt.Errorf("invalid party name %q: use lowercase letters, digits and hyphens", slug)
	}
	if len(seed) != SeedSize {
		return nil, fmt.Errorf("seed is %d bytes, want %d", len(seed), SeedSize)
	}
	sub := func(label string, n int) []byte {
		b, err := hkdf.Key(sha256.New, seed, nil, "hotline/v1 "+label, n)
		if err != nil {
			panic(err) // only fails for absurd lengths
		}
		return b
	}
	k := &Keys{
		Slug:       slug,
		logPriv:    ed25519.NewKeyFromSeed(sub("log", 32)),
		cosignPriv: ed25519.NewKeyFromSeed(sub("cosigner", 32)),
		tlsPriv:    ed25519.NewKeyFromSeed(sub("tls", 32)),
	}
	var err error
	if k.hpkePriv, err = KEM().DeriveKeyPair(sub("hpke", 64)); err != nil {
		return nil, fmt.Errorf("derive hpke key: %w", err)
	}
	if k.LogSigner, err = note.NewSigner(signerKey(LogKeyName(slug), k.logPriv)); err != nil {
		return nil, fmt.Errorf("log signer: %w", err)
	}
	if k.CosignSigner, err = fnote.NewSignerForCosignatureV1(signerKey(CosignerKeyName(slug), k.cosignPriv)); err != nil {
		return nil, fmt.Errorf("cosigner: %w", err)
	}
	return k, nil
}

// WithSigningSeed returns a copy of k whose log and cosigner keys are
// derived from another seed, as after a key rotation of the first
// version (protocol §32), which kept the TLS and HPKE keys. A rotation now
// derives every key from the new seed ([Derive]).
func (k *Keys) WithSigningSeed(seed []byte) (*Keys, error) {
	s, err := Derive(k.Slug, seed)
	if err != nil {
		return nil, err
	}
	c := *k
	c.logPriv, c.cosignPriv, c.LogSigner, c.CosignSigner = s.logPriv, s.cosignPriv, s.LogSigner, s.CosignSigner
	return &c, nil
}

// LogKeyName is the signed-note key name of a party's log key.
func LogKeyName(slug string) string { return "hotline/" + slug }

// CosignerKeyName is the signed-note key name of a party's cosigner key.
func CosignerKeyName(slug string) string { return "hotline/" + slug + "/cosigner" }

// RecoveryKeyName is the signed-note key name of a party's recovery key:
// an Ed25519 key made at init and kept offline, which declares the party's
// signing keys compromised (protocol §32).
func RecoveryKeyName(slug string) string { return "hotline/" + slug + "/recovery" }

// NewRecoveryKey makes a party's recovery key: the signer key (its only
// copy goes on paper) and the verifier key its card carries.
func NewRecoveryKey(slug string) (skey, vkey string, err error) {
	if !ValidSlug(slug) {
		return "", "", fmt.Errorf("invalid party name %q", slug)
	}
	return note.GenerateKey(rand.Reader, RecoveryKeyName(slug))
}

// signerKey encodes an Ed25519 private key as a signed-note signer key
// ("PRIVATE+KEY+name+hash+base64(0x01||seed)"), the form both note
// libraries accept.
func signerKey(name string, priv ed25519.PrivateKey) string {
	vkey, err := note.NewEd25519VerifierKey(name, priv.Public().(ed25519.PublicKey))
	if err != nil {
		panic(err) // names are validated slugs
	}
	// vkey is name+hash+base64; the name holds no '+', the base64 may.
	_, rest, _ := strings.Cut(vkey, "+")
	hash, _, _ := strings.Cut(rest, "+")
	return "PRIVATE+KEY+" + name + "+" + hash + "+" +
		base64.StdEncoding.EncodeToString(append([]byte{1}, priv.Seed()...))
}

// LogVerifierKey is the signed-note verifier key of the log key.
func (k *Keys) LogVerifierKey() string {
	v, _ := note.NewEd25519VerifierKey(LogKeyName(k.Slug), k.logPriv.Public().(ed25519.PublicKey))
	return v
}

// CosignerVerifierKey is the cosignature/v1 verifier key (algorithm 0x04).
func (k *Keys) CosignerVerifierKey() string {
	v, _ := note.NewEd25519VerifierKey(CosignerKeyName(k.Slug), k.cosignPriv.Public().(ed25519.PublicKey))
	c, err := fnote.VKeyToCosignatureV1(v)
	if err != nil {
		panic(err)
	}
	return c
}

// HPKEPublicKey is the serialized HPKE public key that peers seal bodies to.
func (k *Keys) HPKEPublicKey() []byte { return k.hpkePriv.PublicKey().Bytes() }

// HPKEPrivateKey opens bodies sealed to this party.
func (k *Keys) HPKEPrivateKey() hpke.PrivateKey { return k.hpkePriv }

// TLSPublicKey is the Ed25519 key pinned by peers for direct routes.
func (k *Keys) TLSPublicKey() ed25519.PublicKey { return k.tlsPriv.Public().(ed25519.PublicKey) }

// TLSCertificate returns a self-signed certificate for the TLS key. Peers
// never check the certificate's name, issuer or dates: they pin the key.
func (k *Keys) TLSCertificate() (tls.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: k.Slug},
		DNSNames:     []string{k.Slug},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.TLSPublicKey(), k.tlsPriv)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("self-signed certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k.tlsPriv}, nil
}

// NewSeed returns a fresh random seed.
func NewSeed() []byte {
	s := make([]byte, SeedSize)
	rand.Read(s)
	return s
}

// WriteSeed writes a seed to path with mode 0600, refusing to replace an
// existing file so that an identity is never overwritten by accident.
func WriteSeed(path string, seed []byte) error {
	if len(seed) != SeedSize {
		// ReadSeed would refuse the file: never write an identity that cannot be read back.
		return fmt.Errorf("seed is %d bytes, want %d", len(seed), SeedSize)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString("hotline-seed-v1 " + base64.StdEncoding.EncodeToString(seed) + "\n")
	if err == nil {
		err = f.Sync() // the key must survive a crash that follows init
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ErrKeyPermissions means a key file is readable by others than its owner.
var ErrKeyPermissions = errors.New("key file is readable by group or others")

// ReadSeed reads a seed written by WriteSeed. It refuses a file that group
// or others can read: a leaked seed is every key of the party.
func ReadSeed(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s: %w (mode %v; run chmod 600)", path, ErrKeyPermissions, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "hotline-seed-v1 ")
	seed, err := base64.StdEncoding.DecodeString(s)
	if !ok || err != nil || len(seed) != SeedSize {
		return nil, fmt.Errorf("%s: not a hotline key file", path)
	}
	return seed, nil
}
