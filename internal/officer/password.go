package officer

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters of a password hash.
type Params struct {
	Time    uint32 // passes over memory
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultParams are RFC 9106's second recommended option (t=3, 64 MiB,
// p=4): about 0.2 s of one core per login on a small server. The
// parameters are stored in each hash, so raising them later leaves the
// existing hashes valid.
var DefaultParams = Params{Time: 3, Memory: 64 * 1024, Threads: 4}

const (
	saltLen = 16
	keyLen  = 32

	// MinPassword and MaxPassword bound a password's length in bytes.
	MinPassword = 10
	MaxPassword = 1024
)

// hashSlots bounds the argon2id computations running at once: each holds
// Params.Memory, so a burst of logins cannot exhaust the node's memory.
var hashSlots = make(chan struct{}, 2)

// hashBudget bounds argon2id work per second for the whole node, whatever
// the number of cores: password checks never take more than a known share
// of the machine from the line itself. Work is counted in computations at
// DefaultParams (memory × passes), so cheaper parameters cost less.
var hashBudget = newBucket(hashesPerSecond, hashesPerSecond)

// hashesPerSecond is the node's argon2id budget: ample for a watch logging
// in, and about two cores' worth at DefaultParams.
const hashesPerSecond = 8

// cost is the work of one computation with p, in DefaultParams units.
func (p Params) cost() float64 {
	return float64(p.Memory) * float64(p.Time) / (float64(DefaultParams.Memory) * float64(DefaultParams.Time))
}

// hashes counts argon2id computations, for tests and metrics.
var hashes atomic.Int64

// Hashes returns how many argon2id computations this process has run.
func Hashes() int64 { return hashes.Load() }

// CheckPassword says what is wrong with a new password, or nil.
func CheckPassword(pw string) error {
	switch {
	case len(pw) < MinPassword:
		return fmt.Errorf("password is too short: use at least %d characters", MinPassword)
	case len(pw) > MaxPassword:
		return fmt.Errorf("password is longer than %d bytes", MaxPassword)
	case !utf8.ValidString(pw):
		return errors.New("password is not valid UTF-8")
	}
	return nil
}

// HashPassword returns pw hashed with argon2id and a fresh random salt, in
// the PHC string format: $argon2id$v=19$m=65536,t=3,p=4$SALT$HASH.
func HashPassword(pw string, p Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := derive(pw, salt, p, keyLen)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the encoded hash. It takes the
// same time whether or not it matches.
func VerifyPassword(pw, encoded string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got, err := derive(pw, salt, p, uint32(len(key)))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// ErrBusy means the node's password-hashing budget is spent for the next
// few seconds: try again shortly (the console answers 503 with
// Retry-After).
var ErrBusy = errors.New("too many password checks at once: try again in a few seconds")

func derive(pw string, salt []byte, p Params, n uint32) ([]byte, error) {
	if err := hashBudget.take(p.cost()); err != nil {
		return nil, err
	}
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	hashes.Add(1)
	return argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, n), nil
}

// errBadHash means a stored hash is not one this package wrote.
var errBadHash = errors.New("stored password hash is not argon2id in PHC format")

func decodeHash(s string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errBadHash
	}
	// Refuse parameters that would let a tampered row make every login
	// cost gigabytes or hours.
	if p.Time < 1 || p.Time > 16 || p.Memory < 8*uint32(p.Threads) || p.Memory > 1<<20 || p.Threads < 1 {
		return p, nil, nil, errBadHash
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, errBadHash
	}
	key, err := enc.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}
