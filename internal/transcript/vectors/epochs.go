package vectors

import (
	"bytes"
	"crypto/hpke"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/seal"
)

// EpochDoc is where the vectors of envelope version 2 go: a file of their
// own, so that those of version 1 (docs/vectors.md, from a real exchange
// of nodes that seal version 1) stay as they were.
const EpochDoc = FormatDir + "/epochs.md"

// epochs seals three message bodies from seoul to beijing on r's line in
// envelope version 2 (protocol §7.3), in epochs of two messages, as
// entries 1 to 3 of seoul's log, and writes each step down: the epoch
// secret, each message key, each envelope. It checks that beijing opens
// each one, through the wire encoding, with its key alone.
func epochs(r *run) ([]byte, error) {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	block := func(title, text string) {
		w("%s:\n\n```\n%s\n```\n\n", title, strings.TrimSuffix(text, "\n"))
	}
	w("%s", epochHeader)
	w("Line ID: `%s`; author `seoul` (seed of 32 bytes of 0x00), recipient `beijing` (seed of 32 bytes of 0x01).\n\n", r.line)

	bj, err := identity.KEM().NewPublicKey(r.beijing.Keys.HPKEPublicKey())
	if err != nil {
		return nil, err
	}
	to := map[string]hpke.PublicKey{"beijing": bj}
	s := seal.Sender{Line: r.line, Author: "seoul"}
	policy := seal.Policy{Messages: 2, Time: time.Hour}
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	bodies := []string{
		`{"lang":"ko","text":"첫째: 06:00 훈련."}`,
		`{"lang":"ko","text":"둘째: 훈련 연기."}`,
		`{"lang":"ko","text":"셋째: 새 일정 추후 통보."}`,
	}
	envs := map[uint64][]byte{}
	held := map[uint64][]byte{}
	var secret []byte
	for i, text := range bodies {
		index := uint64(i + 1)
		salt := make([]byte, entry.SaltSize)
		rand.Read(salt)
		body := []byte(text)
		commit := entry.Commit(salt, body)
		leafHash := bytes.Repeat([]byte{byte(index)}, 32) // stands for the leaf: only the sender looks at it
		env, err := s.Seal(to, policy, seal.Slot{Index: index, LeafHash: leafHash, Now: start,
			Held: func(j uint64) []byte { return held[j] }}, salt, body)
		if err != nil {
			return nil, err
		}
		held[index] = leafHash
		raw := env.Marshal()
		envs[index] = raw
		sh := env.Epochs["beijing"]

		w("## Entry seoul-%d\n\n", index)
		w("Salt: `%x`\n\n", salt)
		block("Body", text)
		w("Commitment (the leaf's `body`): `%x`\n\n", commit)
		if sh.Enc != nil {
			if secret, err = seal.OpenEpoch(sh.Enc, r.beijing.Keys.HPKEPrivateKey(), r.line, "seoul", "beijing"); err != nil {
				return nil, err
			}
			w("This entry opens an epoch with beijing (`epoch` is its own index, %d) and carries its encapsulation. ", index)
			w("Beijing's epoch secret, `Export(\"hotline epoch secret\", 32)` of the HPKE context: `%x`\n\n", secret)
		} else {
			w("This entry is sealed in the epoch entry %d opened, and carries no encapsulation.\n\n", sh.Epoch)
		}
		key, err := seal.MessageKey(secret, r.line, "seoul", "beijing", sh.Epoch, commit)
		if err != nil {
			return nil, err
		}
		w("Message key: `%x`\n\n", key)
		block("Envelope", wrap(string(raw), 76))

		at := &seal.Place{Line: r.line, Author: "seoul", Index: index, Commitment: commit,
			Carrier: func(j uint64) ([]byte, error) { return envs[j], nil }}
		parsed, err := seal.Parse(raw)
		if err != nil {
			return nil, err
		}
		if _, got, err := parsed.OpenAt("beijing", r.beijing.Keys.HPKEPrivateKey(), nil, at); err != nil || !bytes.Equal(got, body) {
			return nil, fmt.Errorf("beijing cannot open seoul-%d of version 2: %v", index, err)
		}
	}
	return []byte(b.String()), nil
}

const epochHeader = `# Test vectors: envelope version 2 (epochs)

Bodies sealed in epochs ([protocol](../protocol.md) §7.3), for the parties
of [the other vectors](../vectors.md) and on their line: seoul seals three
message bodies to beijing as entries 1 to 3 of its log, in epochs of two
messages (` + "`key_epoch`" + ` ` + "`messages`" + ` 2), so entry 1 opens an epoch,
entry 2 names it, and entry 3 opens the next. Generated with the other
vectors (` + "`go test ./internal/transcript/vectors -update`" + `), after them,
from the same deterministic random source; the salts and encapsulations
cannot be drawn again by another implementation, which checks each step
from the encapsulation on: decapsulate with beijing's key, export the
epoch secret, derive the message key, open the ciphertext (AES-256-GCM,
12 zero bytes of nonce, no AAD), and compare with salt ‖ body.

`
