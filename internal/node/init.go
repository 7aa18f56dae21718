package node

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/hotline-line/hotline/internal/atomicfile"
	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/store"
)

// ErrExists means the data directory already holds a party.
var ErrExists = errors.New("data directory already holds a party")

// ErrNoParty means the data directory holds no party: it has no
// hotline.json, which init writes last.
var ErrNoParty = errors.New("no hotline party here (no hotline.json; hotline init creates it, and finishes an interrupted init when run again)")

// ErrStray means the data directory holds a party's key or database but no
// configuration, and no sign of an interrupted init: it may be a party
// whose hotline.json was lost, so init will not overwrite it.
var ErrStray = errors.New("data directory holds a key or database but no hotline.json")

// PartialFile marks a data directory whose init has not finished. Init
// writes it before anything else and removes it last, so that the files of
// an init that was killed, or failed on a full disk, are known to be its
// own: the next init discards them (nothing can have used them, as no
// command opens a directory without hotline.json) and starts over.
const PartialFile = "hotline.partial"

// InitSteps names the points of Init after which a crash leaves a
// different directory, in order; AfterInitStep is called at each.
var InitSteps = []string{"locked", "marked", "key", "database", "config"}

// AfterInitStep, if set, is called by Init after each of InitSteps. Tests
// kill the process there to check that every interrupted init can be
// finished by running it again.
var AfterInitStep func(step string)

func initStep(step string) {
	if AfterInitStep != nil {
		AfterInitStep(step)
	}
}

// Init creates a party in dir: its configuration, a new seed (mode 0600)
// and an empty database. hotline.json is written last, atomically: a
// directory without it holds no party yet, whatever else it holds. An init
// that was interrupted is finished by running init again.
func Init(dir string, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", store.Classify(err))
	}
	// The directory holds the seed and, in the database, every plaintext:
	// nobody but its owner may even list it.
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	if err := refuseParty(dir); err != nil {
		return err
	}
	// Two inits of one directory at once would each discard the other's
	// files as leftovers.
	lock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := refuseParty(dir); err != nil { // made while we took the lock
		return err
	}
	initStep("locked")
	if err := startInit(dir); err != nil {
		return err
	}
	initStep("marked")
	if err := identity.WriteSeed(filepath.Join(dir, KeyFile), identity.NewSeed()); err != nil {
		return fmt.Errorf("write key: %w", store.Classify(err))
	}
	initStep("key")
	st, err := store.Open(filepath.Join(dir, DBFile))
	if err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	initStep("database")
	// The commit: Save fsyncs the file and then the directory, which also
	// makes the key's and the database's names durable.
	if err := cfg.Save(dir); err != nil {
		return fmt.Errorf("write config: %w", store.Classify(err))
	}
	initStep("config")
	// The party is complete; a marker left by a crash here is only clutter.
	if err := os.Remove(filepath.Join(dir, PartialFile)); err != nil {
		return fmt.Errorf("remove %s: %w", PartialFile, err)
	}
	return syncDir(dir)
}

// refuseParty returns ErrExists if dir holds a party.
func refuseParty(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, ConfigFile)); err == nil {
		// A mark beside hotline.json was left by an init killed after
		// its commit: the party is complete and the mark mere clutter.
		os.Remove(filepath.Join(dir, PartialFile))
		return fmt.Errorf("%s: %w", dir, ErrExists)
	}
	return nil
}

// leftovers are the files an unfinished init may have written: the key,
// the database and SQLite's files beside it, and the temporary file of an
// interrupted configuration write.
var leftovers = []string{KeyFile, DBFile, DBFile + "-wal", DBFile + "-shm", DBFile + "-journal", "." + ConfigFile + ".tmp*"}

// startInit marks dir as being initialized, or, if an earlier init left
// its mark, removes what that init wrote. Without the mark, a key or a
// database is not init's to remove.
func startInit(dir string) error {
	marker := filepath.Join(dir, PartialFile)
	if _, err := os.Stat(marker); err == nil {
		for _, pattern := range leftovers {
			names, _ := filepath.Glob(filepath.Join(dir, pattern))
			for _, name := range names {
				if err := os.Remove(name); err != nil {
					return fmt.Errorf("remove what an interrupted init left: %w", err)
				}
			}
		}
		return syncDir(dir)
	}
	for _, name := range []string{KeyFile, DBFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return fmt.Errorf("%s: %w", dir, ErrStray)
		}
	}
	f, err := os.OpenFile(marker, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("mark init: %w", store.Classify(err))
	}
	f.Close()
	// The mark must be on disk before the key is: after a crash, a key
	// without it would be taken for one that matters.
	return syncDir(dir)
}

// syncDir makes the creations and removals of names in dir durable.
func syncDir(dir string) error {
	if err := atomicfile.SyncDir(dir); err != nil {
		return fmt.Errorf("sync %s: %w", dir, store.Classify(err))
	}
	return nil
}

// Card returns this party's card and its signed encoding.
func (n *Node) Card() (*card.Card, []byte, error) { return MakeCard(n.Cfg, n.current()) }

// MakeCard builds and signs the card of a party.
func MakeCard(cfg *Config, k *identity.Keys) (*card.Card, []byte, error) {
	c := card.New(k, cfg.Name, cfg.Langs, []card.Route{{Kind: "direct", Addr: cfg.Advertise}})
	c.RecoveryKey = cfg.RecoveryKey
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
	if err != nil {
		return nil, nil, err
	}
	// After a key rotation the card names the newest keys.
	seeds, err := readSeeds(filepath.Join(dir, SigningFile))
	if err != nil || len(seeds) == 0 {
		return cfg, k, err
	}
	k, err = seeds[len(seeds)-1].keys(k)
	return cfg, k, err
}

// PeerRoute returns the direct-route address and pinned TLS key of a peer
// on a line, from the line's charter.
func (n *Node) PeerRoute(line, peer string) (string, ed25519.PublicKey, error) {
	ls, err := n.line(line)
	if err != nil {
		return "", nil, err
	}
	c := ls.rules().Party(peer)
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

// PartyForTLSKey returns the party of any line whose TLS key is key: its
// card's, or one its key entries put in place, unless a compromise
// declaration retired it (verify.Keyring.TLSKeys).
func (n *Node) PartyForTLSKey(key ed25519.PublicKey) (string, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	// The parties in force only: a party removed from a line reaches us
	// no more (parties.go).
	for _, ls := range n.lines {
		rules := ls.rules()
		for i := range rules.Parties {
			c := &rules.Parties[i]
			if c.Party == ls.me {
				continue
			}
			if slices.ContainsFunc(ls.keys.TLSKeys(c.Party), func(k ed25519.PublicKey) bool { return key.Equal(k) }) {
				return c.Party, true
			}
		}
	}
	return "", false
}
