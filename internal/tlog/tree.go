// Package tlog holds a party's Merkle log: the tree of leaf hashes (RFC 6962
// hashing), its checkpoints as C2SP tlog-checkpoint signed notes, and the
// C2SP tlog-cosignatures by which other parties acknowledge holding it.
//
// Proof shapes and verification come from github.com/transparency-dev/merkle;
// note signing and parsing from golang.org/x/mod/sumdb/note and
// github.com/transparency-dev/formats. This package only keeps the node
// hashes and ties the pieces to hotline's naming.
package tlog

import (
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// Hasher is the RFC 6962 SHA-256 hasher used by every log.
var Hasher = rfc6962.DefaultHasher

// HashLeaf returns the RFC 6962 leaf hash of a leaf text.
func HashLeaf(leaf []byte) []byte { return Hasher.HashLeaf(leaf) }

// Tree is an in-memory Merkle tree that keeps every complete subtree hash,
// so roots and proofs for any size up to the current one cost O(log n).
// It is safe for concurrent use; one writer appends.
type Tree struct {
	mu sync.RWMutex
	// levels[0] holds leaf hashes, levels[k] perfect subtrees of 2^k
	// leaves. Arrays, not slices: a slice of its own per hash took 56
	// bytes and an allocation for each 32-byte hash, 17 MB for a log of
	// 121,000 entries.
	levels [][]hash
}

// hash is a SHA-256 node hash.
type hash = [sha256.Size]byte

// Size is the number of leaves.
func (t *Tree) Size() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.size()
}

func (t *Tree) size() uint64 {
	if len(t.levels) == 0 {
		return 0
	}
	return uint64(len(t.levels[0]))
}

// Append adds leaf hashes to the tree.
func (t *Tree) Append(hashes ...[]byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, h := range hashes {
		t.append(0, h)
	}
}

func (t *Tree) append(level int, h []byte) {
	if len(h) != sha256.Size {
		panic(fmt.Sprintf("tlog: a hash of %d bytes", len(h)))
	}
	if level == len(t.levels) {
		t.levels = append(t.levels, nil)
	}
	t.levels[level] = append(t.levels[level], hash(h))
	if n := len(t.levels[level]); n%2 == 0 {
		t.append(level+1, Hasher.HashChildren(t.levels[level][n-2][:], t.levels[level][n-1][:]))
	}
}

// LeafHash returns the hash of leaf i.
func (t *Tree) LeafHash(i uint64) []byte {
	t.mu.RLock()
	defer t.mu.RUnlock()
	h := t.levels[0][i] // a copy: the caller may keep or change it
	return h[:]
}

func (t *Tree) node(id compact.NodeID) ([]byte, error) {
	if int(id.Level) >= len(t.levels) || id.Index >= uint64(len(t.levels[id.Level])) {
		return nil, fmt.Errorf("tlog: node %d/%d not in tree of size %d", id.Level, id.Index, t.size())
	}
	h := t.levels[id.Level][id.Index]
	return h[:], nil
}

func (t *Tree) nodes(ids []compact.NodeID) ([][]byte, error) {
	hs := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := t.node(id)
		if err != nil {
			return nil, err
		}
		hs[i] = h
	}
	return hs, nil
}

// Root returns the root hash of the first size leaves.
func (t *Tree) Root(size uint64) ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if size > t.size() {
		return nil, fmt.Errorf("tlog: root of size %d, tree has %d", size, t.size())
	}
	if size == 0 {
		return Hasher.EmptyRoot(), nil
	}
	hs, err := t.nodes(compact.RangeNodes(0, size, nil))
	if err != nil {
		return nil, err
	}
	rf := compact.RangeFactory{Hash: Hasher.HashChildren}
	r, err := rf.NewRange(0, size, hs)
	if err != nil {
		return nil, err
	}
	return r.GetRootHash(nil)
}

// InclusionProof proves leaf index in the tree of the given size.
func (t *Tree) InclusionProof(index, size uint64) ([][]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if index >= size || size > t.size() {
		return nil, fmt.Errorf("tlog: inclusion of %d in %d, tree has %d", index, size, t.size())
	}
	n, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return t.rehash(n)
}

// ConsistencyProof proves that the tree of size1 is a prefix of the tree of size2.
func (t *Tree) ConsistencyProof(size1, size2 uint64) ([][]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if size1 > size2 || size2 > t.size() {
		return nil, fmt.Errorf("tlog: consistency %d to %d, tree has %d", size1, size2, t.size())
	}
	n, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return t.rehash(n)
}

func (t *Tree) rehash(n proof.Nodes) ([][]byte, error) {
	hs, err := t.nodes(n.IDs)
	if err != nil {
		return nil, err
	}
	return n.Rehash(hs, Hasher.HashChildren)
}

// VerifyConsistency checks a consistency proof between two roots.
func VerifyConsistency(size1, size2 uint64, p [][]byte, root1, root2 []byte) error {
	return proof.VerifyConsistency(Hasher, size1, size2, p, root1, root2)
}

// VerifyInclusion checks an inclusion proof of a leaf hash under a root.
func VerifyInclusion(index, size uint64, leafHash []byte, p [][]byte, root []byte) error {
	return proof.VerifyInclusion(Hasher, index, size, leafHash, p, root)
}

// Truncate drops leaves beyond size. The writer uses it to undo appends
// whose transaction did not commit, so the tree never runs ahead of disk.
func (t *Tree) Truncate(size uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k := range t.levels {
		n := size >> uint(k)
		if uint64(len(t.levels[k])) > n {
			t.levels[k] = t.levels[k][:n]
		}
	}
}
