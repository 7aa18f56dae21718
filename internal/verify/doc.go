// Package verify holds the checks a line's proofs rest on, once, for every
// party that checks them: the node taking in a peer's log, `hotline verify`
// reading a transcript, disclosure or fork proof, and the console's proof
// page. Two verifiers are two chances for one to accept what the other
// refuses; there is one.
//
// # Keys
//
// A [Keyring] holds the keys of a line, taken from a charter that parses,
// is signed by every party and defines the line ([OpenCharter],
// [NewKeyring]). Nothing is checked against any other key but those the
// line's key entries bring.
//
// A party changes its signing keys by a key entry in its own log
// (protocol §32). [Keyring.KeyEntry] checks one against the keys in force
// at its place: signed by the key it replaces (or, declaring a compromise,
// by the party's recovery key) and by the new key. [Keyring.Rotate] puts
// it in force; from then on a checkpoint that covers the entry needs the
// new key, and one by the retired key fails with [ErrRetiredKey], as does
// a cosignature by a retired cosigner key dated after its key entry.
// [Keyring.Disputed] names the entries signed by keys their party later
// declared stolen.
//
// # Entries
//
// [Keyring.Leaf] parses a leaf strictly and checks its place: this line,
// the log's author, its index, and the charter rule: entry 0 of every log
// is the charter and no other entry is. [Keyring.Body] and
// [Keyring.OpenBody] check a body against the commitment in its leaf; the
// body of a charter entry must be a charter of this line.
//
// # Signatures
//
// [Keyring.Checkpoint] and [Keyring.Receipt] open a signed note with every
// key of the line. Every signature line by one of those keys must verify,
// a repeated one too (golang.org/x/mod/sumdb/note alone checks only the
// first signature of a key); signatures by keys the line does not know are
// ignored, as a witness's would be. A checkpoint needs its author's
// signature, a receipt the cosigner's cosignature.
//
// # Proofs
//
// [Checkpoint.Match] checks a recomputed tree against a checkpoint's root;
// [Checkpoint.Consistency] and [Checkpoint.Inclusion] check RFC 9162
// proofs.
//
// # Errors
//
// Every error wraps exactly one of the sentinels below and names the entry,
// log or signature at fault. This package reads no database: the deps test
// keeps it free of internal/store and SQLite, so that an offline verifier
// carries none of the node.
package verify
