package verify

import "errors"

// The ways verification fails. Callers branch on them with errors.Is; each
// error that wraps one also names what is at fault.
var (
	// ErrCharter: the charter does not parse, is not signed by every
	// party, or defines another line. Nothing else can be checked.
	ErrCharter = errors.New("charter does not verify")
	// ErrEntry: a leaf does not parse (protocol §6.2).
	ErrEntry = errors.New("entry is malformed")
	// ErrPlacement: an entry, or a log, is not where it claims to be:
	// another line, author or index, a party not of the line, a charter
	// entry anywhere but index 0 or a charter of another line.
	ErrPlacement = errors.New("entry is not where it claims to be")
	// ErrBody: a body or its salt does not match the leaf's commitment,
	// or its envelope does not open.
	ErrBody = errors.New("body does not match the commitment in its entry")
	// ErrCheckpoint: a checkpoint is malformed, of another log, or lacks a
	// valid signature by its author.
	ErrCheckpoint = errors.New("checkpoint is not signed by its author")
	// ErrRoot: the entries do not hash to a signed root.
	ErrRoot = errors.New("entries do not hash to the signed checkpoint")
	// ErrReceipt: a cosignature does not verify, or a receipt carries
	// none by the party it should.
	ErrReceipt = errors.New("cosignature does not verify")
	// ErrConsistency: a consistency proof does not verify.
	ErrConsistency = errors.New("consistency proof does not verify")
	// ErrInclusion: an inclusion proof does not verify.
	ErrInclusion = errors.New("inclusion proof does not verify")
	// ErrRef: an entry refers to a checkpoint that does not match the log
	// it names.
	ErrRef = errors.New("entry refers to a checkpoint that does not match the log it names")
	// ErrRotation: a key entry is not signed by the key it replaces (or,
	// declaring a compromise, by the party's recovery key), or its
	// statement is malformed or about another place (protocol §32). The
	// keys stay as they were.
	ErrRotation = errors.New("key change is not signed by the key it replaces")
	// ErrNewKey: a key entry lacks a valid signature by the new key it
	// names, so the party has not shown it holds that key.
	ErrNewKey = errors.New("key change is not signed by the new key")
	// ErrRetiredKey: a checkpoint beyond a key entry, or a cosignature
	// dated after one, is signed by the key that entry retired. Whoever
	// signed it holds a key the party gave up: keep it as evidence.
	ErrRetiredKey = errors.New("signed by a retired key")
	// ErrUnknownKey: a receipt's cosignature is by a key of the cosigner
	// that this keyring does not know: most likely new keys whose key
	// entry has not arrived yet. Set the receipt aside rather than hold it
	// against the cosigner; it verifies once the key entry is taken in.
	ErrUnknownKey = errors.New("cosignature by a key this line does not know yet")
	// ErrNotAFork: the two checkpoints of a fork proof do not disagree.
	ErrNotAFork = errors.New("the two checkpoints do not disagree")
)
