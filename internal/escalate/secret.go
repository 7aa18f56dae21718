package escalate

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// credentials and signingKey hold secrets behind a pointer, so that
// printing a Config (%+v) shows an address, never the secret.
type credentials struct{ password string }

type signingKey struct{ key []byte }

// resolve names a file relative to the data directory.
func resolve(dir, name string) string {
	if name == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}

// readSecret reads a password or key from a file that only its owner can
// read: a secret in a file anyone on the machine can read is no secret.
// Its first line is the secret.
func readSecret(dir, name string) ([]byte, error) {
	path := resolve(dir, name)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%s can be read by others (mode %04o): chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	line = bytes.TrimRight(line, "\r")
	if len(line) == 0 {
		return nil, fmt.Errorf("%s: the first line is empty", path)
	}
	return line, nil
}

// readCAs reads the certificates of a private CA to trust, or returns nil
// (the system's roots) when no file is named.
func readCAs(dir, name string) (*x509.CertPool, error) {
	if name == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(resolve(dir, name))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("no PEM certificate in " + resolve(dir, name))
	}
	return pool, nil
}
