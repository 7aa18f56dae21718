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
// [NewKeyring]). Nothing is checked against any other key.
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
