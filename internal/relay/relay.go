// Package relay is the relay route: an untrusted store-and-forward mailbox.
// A relay keeps one queue per (line, recipient) of opaque blobs that the
// sending node has already sealed to the recipient; it learns sizes, times
// and who writes to whom, and nothing else.
//
// Parties reach the relay over HTTPS with mutual TLS 1.3. As on the direct
// route there is no certificate authority: the relay accepts a client only
// if its key is the TLS key of a party of one of the lines it carries (the
// lines' complete charters are stored in its directory), and clients pin
// the relay's own key.
//
//	PUT    /v1/lines/{line}/mailbox/{recipient}               body: the blob; 201 {"seq":N}
//	GET    /v1/lines/{line}/mailbox/{recipient}?after=S&wait=D 200 {"messages":[...]}
//	DELETE /v1/lines/{line}/mailbox/{recipient}?through=S      204
//	GET    /healthz                                            200 ok
//
// A put is committed to disk (SQLite, synchronous=FULL) before it is
// answered, so a blob whose put returned a sequence number survives a crash
// of the relay. Only the recipient may read or delete its mailbox.
package relay

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hotline-line/hotline/internal/atomicfile"
	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/identity"
)

// Files in a relay directory.
const (
	KeyFile    = "relay.key"  // the seed of the relay's keys, mode 0600
	ConfigFile = "relay.json" // Config
	DBFile     = "relay.db"   // the mailboxes
	LinesDir   = "lines"      // one complete charter per line: <line ID>.txt
)

// Slug is the name the relay's keys are derived under.
const Slug = "relay"

// ErrExists means the directory already holds a relay.
var ErrExists = errors.New("directory already holds a relay")

// Config is the relay's configuration file.
type Config struct {
	Listen string `json:"listen"` // host:port of the mutual-TLS listener
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("relay config: listen %q: want HOST:PORT: %v", c.Listen, err)
	}
	return nil
}

// Init creates a relay in dir: a new seed (mode 0600), the configuration and
// an empty lines directory. It refuses a directory that already holds a
// relay.
func Init(dir, listen string) error {
	cfg := Config{Listen: listen}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, LinesDir), 0o700); err != nil {
		return err
	}
	// The directory holds the seed: nobody but its owner may even list it.
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); err == nil {
		return fmt.Errorf("%s: %w", dir, ErrExists)
	}
	if err := identity.WriteSeed(filepath.Join(dir, KeyFile), identity.NewSeed()); err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, ConfigFile), append(b, '\n'), 0o644)
}

// LoadConfig reads the relay's configuration.
func LoadConfig(dir string) (*Config, error) {
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigFile, err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// LoadKeys reads the relay's seed and derives its keys.
func LoadKeys(dir string) (*identity.Keys, error) {
	seed, err := identity.ReadSeed(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	return identity.Derive(Slug, seed)
}

// KeyText is the text form of a relay's TLS key: standard base64.
func KeyText(k ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(k) }

// ParseKeyText reads a key written by KeyText.
func ParseKeyText(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("relay key: want the base64 of a 32-byte Ed25519 key")
	}
	return ed25519.PublicKey(b), nil
}

// Fingerprint is the fingerprint of a relay's TLS key, read aloud like a
// card's: card.Fingerprint of the key's text.
func Fingerprint(k ed25519.PublicKey) string { return card.Fingerprint(KeyText(k)) }

// ErrIncomplete means a charter lacks some parties' signatures.
var ErrIncomplete = errors.New("charter is not signed by every party")

// AddLine verifies a complete signed charter and stores it in the relay
// directory, where a running relay picks it up when one of the line's
// parties first connects.
func AddLine(dir string, raw []byte) (*charter.Signed, error) {
	s, err := checkCharter(raw)
	if err != nil {
		return nil, err
	}
	d := filepath.Join(dir, LinesDir)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(d, s.ID()+".txt"), s.Raw, 0o644); err != nil {
		return nil, err
	}
	return s, nil
}

func checkCharter(raw []byte) (*charter.Signed, error) {
	s, err := charter.Parse(raw)
	if err != nil {
		return nil, err
	}
	if !s.Complete() {
		return nil, fmt.Errorf("%w: missing %s", ErrIncomplete, strings.Join(s.Missing(), ", "))
	}
	seen := map[string]string{}
	for i := range s.Parties {
		p := &s.Parties[i]
		if len(p.TLSKey) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("charter: party %s has no Ed25519 TLS key", p.Party)
		}
		if o, ok := seen[string(p.TLSKey)]; ok {
			// The relay tells parties apart by their keys alone.
			return nil, fmt.Errorf("charter: parties %s and %s share a TLS key", o, p.Party)
		}
		seen[string(p.TLSKey)] = p.Party
	}
	return s, nil
}

// line is what the relay knows of one line: its parties by key.
type line struct {
	id      string
	parties map[string]bool   // slugs
	byKey   map[string]string // TLS key -> slug
}

// lineSet is an immutable snapshot of the configured lines.
type lineSet struct {
	lines map[string]*line
	keys  map[string]bool // every party key of every line
}

// party returns the slug of the party of line id with TLS key k.
func (ls *lineSet) party(id string, k ed25519.PublicKey) (l *line, slug string, ok bool) {
	l = ls.lines[id]
	if l == nil {
		return nil, "", false
	}
	slug, ok = l.byKey[string(k)]
	return l, slug, ok
}

// loadLines reads every charter in dir/lines.
func loadLines(dir string) (*lineSet, error) {
	ls := &lineSet{lines: map[string]*line{}, keys: map[string]bool{}}
	d := filepath.Join(dir, LinesDir)
	ents, err := os.ReadDir(d)
	if errors.Is(err, os.ErrNotExist) {
		return ls, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".txt") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		raw, err := os.ReadFile(filepath.Join(d, name))
		if err != nil {
			return nil, err
		}
		s, err := checkCharter(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(LinesDir, name), err)
		}
		if name != s.ID()+".txt" {
			return nil, fmt.Errorf("%s: holds line %s; name it %s.txt", filepath.Join(LinesDir, name), s.ID(), s.ID())
		}
		l := &line{id: s.ID(), parties: map[string]bool{}, byKey: map[string]string{}}
		for i := range s.Parties {
			p := &s.Parties[i]
			l.parties[p.Party] = true
			l.byKey[string(p.TLSKey)] = p.Party
			ls.keys[string(p.TLSKey)] = true
		}
		ls.lines[l.id] = l
	}
	return ls, nil
}
