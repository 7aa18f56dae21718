package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
)

// TestInitRecoveryKey: init prints the recovery key once, writes it only
// where --recovery-file says, and the data directory holds only its
// verifier key.
func TestInitRecoveryKey(t *testing.T) {
	root := t.TempDir()
	dir, file := filepath.Join(root, "seoul"), filepath.Join(root, "recovery.key")
	code, stdout, stderr := hotlineOut(t, "init", "--dir", dir, "--party", "seoul", "--name", "Seoul", "--lang", "ko",
		"--listen", "127.0.0.1:7441", "--recovery-file", file)
	if code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	skey := strings.TrimSpace(string(b))
	if !strings.HasPrefix(skey, "PRIVATE+KEY+hotline/seoul/recovery+") || !strings.Contains(stdout, skey) {
		t.Fatalf("recovery key %q not printed:\n%s", skey, stdout)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Fatalf("recovery file mode %v", st.Mode().Perm())
	}
	// PRIVATE+KEY+<name>+<hash>+<base64 key>: the key's base64 may hold a
	// "+" of its own, so split at the first four.
	secret := strings.SplitN(skey, "+", 5)[4]
	if len(secret) < 40 {
		t.Fatalf("recovery key %q: key data %q too short", skey, secret)
	}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, _ := os.ReadFile(path); strings.Contains(string(b), secret) {
				t.Errorf("%s holds the recovery key", path)
			}
		}
		return nil
	})
	cfg, err := node.LoadConfig(dir)
	if err != nil || !strings.HasPrefix(cfg.RecoveryKey, "hotline/seoul/recovery+") {
		t.Fatalf("config's recovery key %q, %v", cfg.RecoveryKey, err)
	}
}

// TestKeyCommands: key rotate, then key compromised with the recovery key
// from a file; status shows the key history; a wrong recovery key is
// refused and changes nothing.
func TestKeyCommands(t *testing.T) {
	root := t.TempDir()
	dirs := []string{nodetest.Create(t, root, nodetest.Default[0]), nodetest.Create(t, root, nodetest.Default[1])}
	skey := nodetest.WithRecoveryKey(t, dirs[0])
	nodes, _ := nodetest.Pair(t, dirs, node.Options{})
	for _, n := range nodes {
		n.Close()
	}
	seoul := dirs[0]
	code, stdout, stderr := hotlineOut(t, "key", "rotate", "--dir", seoul)
	if code != 0 || !strings.Contains(stdout, "new signing keys from seoul-1") {
		t.Fatalf("key rotate: %d %s\n%s", code, stderr, stdout)
	}
	wrong, _, _ := node.NewRecoveryKey("seoul")
	file := filepath.Join(root, "recovery.key")
	if err := os.WriteFile(file, []byte(wrong+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	code, _, stderr = hotlineOut(t, "key", "compromised", "--dir", seoul, "--since", since, "--recovery-key", file)
	if code != 1 || !strings.Contains(stderr, "recovery key") {
		t.Fatalf("a wrong recovery key: %d %s", code, stderr)
	}
	if err := os.WriteFile(file, []byte(skey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = hotlineOut(t, "key", "compromised", "--dir", seoul, "--since", since, "--recovery-key", file)
	if code != 0 || !strings.Contains(stdout, "new signing keys from seoul-2") || !strings.Contains(stdout, "compromised since") {
		t.Fatalf("key compromised: %d %s\n%s", code, stderr, stdout)
	}
	code, stdout, stderr = hotlineOut(t, "status", "--dir", seoul)
	if code != 0 || !strings.Contains(stdout, "signing keys:") || strings.Count(stdout, "seoul ") < 3 || !strings.Contains(stdout, "COMPROMISED since") {
		t.Fatalf("status: %d %s\n%s", code, stderr, stdout)
	}
	code, _, stderr = hotlineOut(t, "key", "compromised", "--dir", seoul, "--recovery-key", file)
	if code != 2 {
		t.Fatalf("without --since: %d %s", code, stderr)
	}
}
