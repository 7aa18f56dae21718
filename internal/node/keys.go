package node

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/hpke"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/atomicfile"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/seal"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/verify"
	"github.com/hotline-line/hotline/internal/wire"
)

// SigningFile holds the seeds of the keys this party took on by key
// rotation (protocol §32), oldest first, mode 0600, one line each:
// "hotline-keys-v1 <base64>" for a seed every key of the party is derived
// from (signing, HPKE and TLS keys), or "hotline-seed-v1 <base64>" for a
// seed of a rotation that replaced only the signing keys (the TLS and HPKE
// keys of party.key stayed). The first keys come from party.key.
//
// Retired seeds stay in the file: a peer that lags behind a key entry must
// be sent checkpoints below it, which only the retired key may sign, and
// bodies sealed to a retired HPKE key (in flight, or stored) must still
// open. A retired key never signs at or beyond its key entry: the signer
// for a size is chosen by the line's key chain ([Node.logSigner]).
const SigningFile = "signing.keys"

// Prefixes of the lines of SigningFile.
const (
	seedAllPrefix     = "hotline-keys-v1 "
	seedSigningPrefix = "hotline-seed-v1 "
)

// rotationSeed is one line of SigningFile.
type rotationSeed struct {
	seed []byte
	all  bool // every key derives from seed, not only the signing keys
}

// keys derives the keys seed gives the party whose first keys are base.
func (s rotationSeed) keys(base *identity.Keys) (*identity.Keys, error) {
	if s.all {
		return identity.Derive(base.Slug, s.seed)
	}
	return base.WithSigningSeed(s.seed)
}

// line is s as SigningFile holds it.
func (s rotationSeed) line() string {
	prefix := seedSigningPrefix
	if s.all {
		prefix = seedAllPrefix
	}
	return prefix + base64.StdEncoding.EncodeToString(s.seed) + "\n"
}

// signers are the keys this node holds, oldest first: n.Keys, then one per
// seed of SigningFile.
type signers struct {
	mu    sync.RWMutex
	all   []*identity.Keys
	seeds []rotationSeed // of all[1:]
	certs sync.Map       // string(TLS public key) -> *tls.Certificate (tlskeys.go)
}

// loadSigners reads SigningFile, if any, and takes as current the newest
// keys in force on some line: a seed written by a rotation that crashed
// before its key entries committed was never used, and is dropped.
func (n *Node) loadSigners() error {
	n.signers.all = []*identity.Keys{n.Keys}
	seeds, err := readSeeds(filepath.Join(n.Dir, SigningFile))
	if err != nil {
		return err
	}
	inForce := map[string]bool{}
	for _, ls := range n.lines {
		for _, c := range ls.keys.History() {
			if c.Party == ls.me {
				inForce[c.LogKey] = true
			}
		}
	}
	for i, s := range seeds {
		k, err := s.keys(n.Keys)
		if err != nil {
			return fmt.Errorf("%s: %w", SigningFile, err)
		}
		if i == len(seeds)-1 && !inForce[k.LogVerifierKey()] {
			n.log.Warn("dropping a signing key that no key entry put in force (a rotation was interrupted)")
			break
		}
		n.signers.all = append(n.signers.all, k)
		n.signers.seeds = append(n.signers.seeds, s)
	}
	return nil
}

// readSeeds reads a file of seed lines; a missing file holds none.
func readSeeds(path string) ([]rotationSeed, error) {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s: %w (mode %v; run chmod 600)", path, identity.ErrKeyPermissions, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var seeds []rotationSeed
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		v, all := strings.CutPrefix(sc.Text(), seedAllPrefix)
		ok := all
		if !all {
			v, ok = strings.CutPrefix(v, seedSigningPrefix)
		}
		s, err := base64.StdEncoding.DecodeString(v)
		if !ok || err != nil || len(s) != identity.SeedSize {
			return nil, fmt.Errorf("%s: line %d is not a hotline-keys-v1 or hotline-seed-v1 seed", path, len(seeds)+1)
		}
		seeds = append(seeds, rotationSeed{seed: s, all: all})
	}
	return seeds, nil
}

// hpkeKeys are the HPKE private keys this node holds, newest first: a
// body sealed to a key a rotation retired (in flight when the peer took
// the key entry in, or stored) still opens.
func (n *Node) hpkeKeys() []hpke.PrivateKey {
	n.signers.mu.RLock()
	defer n.signers.mu.RUnlock()
	var out []hpke.PrivateKey
	var seen [][]byte
	for i := len(n.signers.all) - 1; i >= 0; i-- {
		k := n.signers.all[i]
		if pub := k.HPKEPublicKey(); !slices.ContainsFunc(seen, func(o []byte) bool { return bytes.Equal(o, pub) }) {
			seen = append(seen, pub)
			out = append(out, k.HPKEPrivateKey())
		}
	}
	return out
}

// openWithAny tries open with each HPKE key this node holds, newest first,
// and returns the first success, or the newest key's error: the sender
// picked one of our keys, by the key chain it held when it sealed.
func openWithAny[T any](n *Node, open func(hpke.PrivateKey) (T, error)) (T, error) {
	var first error
	for _, priv := range n.hpkeKeys() {
		v, err := open(priv)
		if err == nil {
			return v, nil
		}
		if first == nil {
			first = err
		}
	}
	var zero T
	return zero, first
}

// SigningKeys are the newest keys, signing, TLS and HPKE: what a card made
// now names, and what signs an export's checkpoint
// of our log.
func (n *Node) SigningKeys() *identity.Keys { return n.current() }

// current is the newest keys: those a card made now names.
func (n *Node) current() *identity.Keys {
	n.signers.mu.RLock()
	defer n.signers.mu.RUnlock()
	return n.signers.all[len(n.signers.all)-1]
}

// signerFor returns the signing keys whose log key is vkey.
func (n *Node) signerFor(vkey string) (*identity.Keys, error) {
	n.signers.mu.RLock()
	defer n.signers.mu.RUnlock()
	for _, k := range n.signers.all {
		if k.LogVerifierKey() == vkey {
			return k, nil
		}
	}
	return nil, fmt.Errorf("this node holds no private key for %s", vkey)
}

// logSigner signs checkpoints of our log on ls at size: the key the line's
// chain puts in force there.
func (n *Node) logSigner(ls *lineState, size uint64) (note.Signer, error) {
	k, err := n.signerFor(ls.keys.LogKeyAt(ls.me, size))
	if err != nil {
		return nil, err
	}
	return k.LogSigner, nil
}

// cosigner signs our cosignatures on ls now: the keys in force for us.
func (n *Node) cosigner(ls *lineState) (*fnote.Signer, error) {
	k, err := n.signerFor(ls.keys.LogKeyAt(ls.me, ^uint64(0)))
	if err != nil {
		return nil, err
	}
	return k.CosignSigner, nil
}

// isKeyLeaf tells a key entry's leaf without parsing it.
func isKeyLeaf(leaf []byte) bool { return bytes.Contains(leaf, []byte("\nkind key\n")) }

// loadKeyChains puts in force the key entries stored on ls, in log order.
func (n *Node) loadKeyChains(ls *lineState) error {
	rows, err := n.Store.EntriesByKind(ls.id, entry.KindKey, 1<<20)
	if err != nil {
		return err
	}
	slices.SortFunc(rows, func(a, b store.Entry) int {
		return cmp.Or(strings.Compare(a.Author, b.Author), cmp.Compare(a.Index, b.Index))
	})
	for _, e := range rows {
		l, err := ls.keys.Leaf(e.Leaf, e.Author, e.Index)
		if err != nil {
			return fmt.Errorf("line %s: stored key entry: %w", ls.id, err)
		}
		r, err := ls.keys.KeyEntry(l, e.Body)
		if err == nil {
			err = ls.keys.Rotate(r)
		}
		if err != nil {
			return fmt.Errorf("line %s: stored key entry: %w", ls.id, err)
		}
	}
	return nil
}

// keyEntries checks the key entries of a segment in log order and returns
// them as rotations, for its checkpoint to be verified under the keys they
// put in force.
func (n *Node) keyEntries(ls *lineState, author string, start uint64, es []wire.Entry) ([]*verify.Rotation, error) {
	var rs []*verify.Rotation
	for i, e := range es {
		if !isKeyLeaf(e.Leaf) {
			continue
		}
		l, err := ls.keys.Leaf(e.Leaf, author, start+uint64(i))
		if err != nil {
			return nil, refusal(err)
		}
		_, body, err := n.openBody(ls, l, e.Envelope, start, es)
		if err != nil {
			return nil, refusal(err)
		}
		r, err := ls.keys.KeyEntry(l, body, rs...)
		if err != nil {
			return nil, refusal(err)
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// RotateOptions say how to rotate.
type RotateOptions struct {
	// Compromised, if set, declares the signing keys stolen from this
	// time: the key entries are signed by Recovery instead of the old key,
	// and every node shows what the old keys signed since as disputed.
	Compromised *time.Time
	Recovery    note.Signer
	// SigningOnly replaces the signing keys alone and keeps the HPKE and
	// TLS keys, as rotations did before statements named those: the test
	// vectors of that form are made with it.
	SigningOnly bool
}

// RotateRequest is a key rotation as the command line asks for it.
// RecoveryKey is the signer key of the party's recovery key, needed only
// to declare a compromise: it is used for the key entries and kept nowhere.
type RotateRequest struct {
	Compromised *time.Time `json:"compromised,omitempty"`
	RecoveryKey string     `json:"recovery_key,omitempty"`
}

// Rotate rotates this party's signing keys as req asks (RotateKeys).
func (n *Node) Rotate(ctx context.Context, req RotateRequest) (map[string]string, error) {
	opts := RotateOptions{Compromised: req.Compromised}
	if req.Compromised != nil {
		s, err := note.NewSigner(strings.TrimSpace(req.RecoveryKey))
		if err != nil {
			return nil, fmt.Errorf("the recovery key does not read as a signer key (PRIVATE+KEY+%s+...): %v", identity.RecoveryKeyName(n.Me()), err)
		}
		if s.Name() != identity.RecoveryKeyName(n.Me()) {
			return nil, fmt.Errorf("the recovery key is named %s, not %s", s.Name(), identity.RecoveryKeyName(n.Me()))
		}
		if req.Compromised.After(n.now()) {
			return nil, fmt.Errorf("--since %s is in the future", req.Compromised.UTC().Format(time.RFC3339))
		}
		opts.Recovery = s
	}
	return n.RotateKeys(ctx, opts)
}

// ErrNoLines means there is no open line to rotate keys on.
var ErrNoLines = errors.New("no open line to rotate keys on")

// RotateKeys replaces this party's keys (signing, HPKE and TLS) on every
// line that is not
// closed: a new seed, then one key entry in our log on each line, signed
// by the key it replaces (or the recovery key) and by the new key, all in
// one commit. It returns the key entries' IDs by line.
//
// The seed is on disk (fsynced) before the key entries commit: a crash in
// between leaves a seed no entry names, which the next Open drops; a crash
// after leaves both.
func (n *Node) RotateKeys(ctx context.Context, opts RotateOptions) (map[string]string, error) {
	if opts.Compromised != nil && opts.Recovery == nil {
		return nil, errors.New("declaring a compromise needs the recovery key")
	}
	n.rotating.Lock()
	defer n.rotating.Unlock()
	var lines []*lineState
	n.mu.RLock()
	all := slices.Collect(maps.Values(n.lines))
	n.mu.RUnlock()
	for _, ls := range all {
		if closed, err := n.closed(ls); err != nil {
			return nil, err
		} else if !closed {
			lines = append(lines, ls)
		}
	}
	if len(lines) == 0 {
		return nil, ErrNoLines
	}
	seed := rotationSeed{seed: identity.NewSeed(), all: !opts.SigningOnly}
	next, err := seed.keys(n.Keys)
	if err != nil {
		return nil, err
	}
	n.signers.mu.RLock()
	seeds := append(slices.Clone(n.signers.seeds), seed)
	n.signers.mu.RUnlock()
	var file bytes.Buffer
	for _, s := range seeds {
		file.WriteString(s.line())
	}
	// Durable before any entry names the key: a key entry whose key was
	// lost would end our log.
	if err := atomicfile.Write(filepath.Join(n.Dir, SigningFile), file.Bytes(), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", SigningFile, store.Classify(err))
	}
	ids := map[string]string{}
	rots := map[*lineState]*verify.Rotation{}
	err = n.submit(ctx, &op{
		apply: func(tx *store.Tx) error {
			for _, ls := range lines {
				lg := ls.log(ls.me)
				index := lg.tree.Size()
				c := entry.NewKeyChange(ls.id, index, next)
				if opts.SigningOnly {
					c.HPKEKey, c.TLSKey = nil, nil
				}
				authority := opts.Recovery
				if opts.Compromised == nil {
					old, err := n.signerFor(ls.keys.LogKeyAt(ls.me, index))
					if err != nil {
						return refuse(err)
					}
					authority = old.LogSigner
				} else {
					t := opts.Compromised.UTC().Truncate(time.Second)
					c.Compromised = &t
				}
				body, err := c.Sign(authority, next.LogSigner)
				if err != nil {
					return refuse(err)
				}
				salt := newSalt()
				id, err := n.writeEntry(tx, ls, draft{kind: entry.KindKey, salt: salt, body: body, env: seal.Plain(salt, body)})
				if err != nil {
					return err
				}
				// Our own check, as a peer will make it: a statement the
				// peers would refuse must not enter our log.
				l, err := ls.keys.Leaf(lg.recent.get(index, index+1)[0].Leaf, ls.me, index)
				if err != nil {
					return refuse(err)
				}
				if rots[ls], err = ls.keys.KeyEntry(l, body); err != nil {
					return refuse(err)
				}
				ids[ls.id] = id
			}
			return nil
		},
		after: func() {
			n.signers.mu.Lock()
			n.signers.all, n.signers.seeds = append(n.signers.all, next), seeds
			n.signers.mu.Unlock()
			for ls, r := range rots {
				if err := ls.keys.Rotate(r); err != nil {
					n.log.Error("put own key entry in force", "line", ls.id, "err", err)
				}
				n.wakeLinks(ls.id)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	n.log.Info("keys rotated", "lines", len(ids), "compromised", opts.Compromised != nil)
	return ids, nil
}

// disputed says why an entry is disputed, or "" if it is not.
func (n *Node) disputed(line string, e store.Entry) string {
	ls, err := n.line(line)
	if err != nil {
		return ""
	}
	by, ok := ls.keys.Disputed(e.Author, e.Index, time.UnixMilli(e.Time))
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s declared the keys that signed it stolen (key entry %s)", e.Author, entry.ID(e.Author, by))
}

// KeyChange is one step of a party's key history (verify.KeyChange).
type KeyChange = verify.KeyChange

// NewRecoveryKey makes a party's recovery key at init: the command prints
// the signer key once, the configuration keeps the verifier key, and the
// node never holds the signer key (identity.NewRecoveryKey).
func NewRecoveryKey(party string) (skey, vkey string, err error) {
	return identity.NewRecoveryKey(party)
}

// KeyHistory is every party's signing keys on line, oldest first, and the
// key entries that changed them.
func (n *Node) KeyHistory(line string) ([]KeyChange, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	return ls.keys.History(), nil
}
