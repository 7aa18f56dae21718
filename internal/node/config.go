package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/atomicfile"
	"github.com/hotline-line/hotline/internal/identity"
)

// Config is a node's configuration, kept in hotline.json in the data
// directory. It holds no secrets: the seed lives in party.key.
type Config struct {
	Party     string   `json:"party"`     // the party's slug, e.g. "seoul"
	Name      string   `json:"name"`      // the organization, in its own words
	Langs     []string `json:"langs"`     // languages it writes, first is the default
	Listen    string   `json:"listen"`    // host:port of the direct-route listener
	Advertise string   `json:"advertise"` // host:port peers dial; defaults to Listen
	// RecoveryKey is the verifier key of the party's recovery key, whose
	// private half was printed once at init and is kept offline. Cards
	// carry it; empty for parties made before it existed.
	RecoveryKey string `json:"recovery_key,omitempty"`
}

// Files in a data directory.
const (
	ConfigFile = "hotline.json"
	KeyFile    = "party.key"
	DBFile     = "hotline.db"
	SocketFile = "hotline.sock"
)

// Validate checks the configuration and names the field at fault.
func (c *Config) Validate() error {
	if !identity.ValidSlug(c.Party) {
		return fmt.Errorf("config: party %q: use 1-32 lowercase letters, digits and hyphens", c.Party)
	}
	if c.Name == "" {
		return fmt.Errorf("config: name is empty")
	}
	if len(c.Langs) == 0 {
		return fmt.Errorf("config: langs is empty: name at least one language, e.g. [\"ko\"]")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("config: listen %q: %v", c.Listen, err)
	}
	if c.Advertise == "" {
		c.Advertise = c.Listen
	}
	if _, _, err := net.SplitHostPort(c.Advertise); err != nil {
		return fmt.Errorf("config: advertise %q: %v", c.Advertise, err)
	}
	if c.RecoveryKey != "" {
		if v, err := note.NewVerifier(c.RecoveryKey); err != nil || v.Name() != identity.RecoveryKeyName(c.Party) {
			return fmt.Errorf("config: recovery_key: want an Ed25519 verifier key named %s", identity.RecoveryKeyName(c.Party))
		}
	}
	return nil
}

// LoadConfig reads and validates dir/hotline.json.
func LoadConfig(dir string) (*Config, error) {
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoParty)
	}
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigFile, err)
	}
	return &c, c.Validate()
}

// Save writes the configuration atomically.
func (c *Config) Save(dir string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, ConfigFile), append(b, '\n'), 0o600)
}
