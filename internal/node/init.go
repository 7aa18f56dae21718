package node

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/store"
)

// ErrExists means the data directory already holds a party.
var ErrExists = errors.New("data directory already holds a party")

// Init creates a party in dir: its configuration, a new seed (mode 0600)
// and an empty database.
func Init(dir string, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// The directory holds the seed and, in the database, every plaintext:
	// nobody but its owner may even list it.
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); err == nil {
		return fmt.Errorf("%s: %w", dir, ErrExists)
	}
	// A key written by a failed init (a full disk) must not stay behind:
	// it would be empty or unused, and would make every retry fail with
	// ErrExists. The seed is new and no card was made from it yet.
	keyFile := filepath.Join(dir, KeyFile)
	if err := identity.WriteSeed(keyFile, identity.NewSeed()); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			os.Remove(keyFile)
		}
		return fmt.Errorf("write key: %w", store.Classify(err))
	}
	if err := cfg.Save(dir); err != nil {
		os.Remove(keyFile)
		return fmt.Errorf("write config: %w", store.Classify(err))
	}
	st, err := store.Open(filepath.Join(dir, DBFile))
	if err != nil {
		os.Remove(keyFile)
		return err
	}
	return st.Close()
}

// Card returns this party's card and its signed encoding.
func (n *Node) Card() (*card.Card, []byte, error) { return MakeCard(n.Cfg, n.Keys) }

// MakeCard builds and signs the card of a party.
func MakeCard(cfg *Config, k *identity.Keys) (*card.Card, []byte, error) {
	c := card.New(k, cfg.Name, cfg.Langs, []card.Route{{Kind: "direct", Addr: cfg.Advertise}})
	b, err := c.Sign(k)
	return c, b, err
}

// LoadIdentity reads a party's configuration and keys without opening its
// database, so it works while hotline serve runs.
func LoadIdentity(dir string) (*Config, *identity.Keys, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("load config: %w", err)
	}
	seed, err := identity.ReadSeed(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, nil, fmt.Errorf("read key: %w", err)
	}
	k, err := identity.Derive(cfg.Party, seed)
	return cfg, k, err
}

// PeerRoute returns the direct-route address and pinned TLS key of a peer
// on a line, from the line's charter.
func (n *Node) PeerRoute(line, peer string) (string, ed25519.PublicKey, error) {
	ls, err := n.line(line)
	if err != nil {
		return "", nil, err
	}
	c := ls.charter.Party(peer)
	if c == nil || peer == ls.me {
		return "", nil, fmt.Errorf("%s is not a peer on line %s", peer, line)
	}
	for _, r := range c.Routes {
		if r.Kind == "direct" {
			return r.Addr, ed25519.PublicKey(c.TLSKey), nil
		}
	}
	return "", nil, fmt.Errorf("%s has no direct route in the charter", peer)
}

// PartyForTLSKey returns the party of any line whose TLS key is key.
func (n *Node) PartyForTLSKey(key ed25519.PublicKey) (string, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, ls := range n.lines {
		for i := range ls.charter.Parties {
			c := &ls.charter.Parties[i]
			if c.Party != ls.me && key.Equal(ed25519.PublicKey(c.TLSKey)) {
				return c.Party, true
			}
		}
	}
	return "", false
}
