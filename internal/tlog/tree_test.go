package tlog_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"

	"github.com/hotline-line/hotline/internal/heapmeter"
	"github.com/hotline-line/hotline/internal/tlog"
)

// maxSize is the largest tree the exhaustive tests build: it covers every
// shape up to 64 leaves and a few beyond a power of two.
const maxSize = 70

func leafHashes(n int, prefix string) [][]byte {
	hs := make([][]byte, n)
	for i := range hs {
		hs[i] = tlog.HashLeaf(fmt.Appendf(nil, "%s %d", prefix, i))
	}
	return hs
}

// The reference below is RFC 6962 section 2.1 written out directly: MTH,
// PATH and PROOF over a list of leaf hashes.

func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

func refRoot(d [][]byte) []byte {
	switch len(d) {
	case 0:
		h := sha256.Sum256(nil)
		return h[:]
	case 1:
		return d[0]
	}
	k := split(len(d))
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(refRoot(d[:k]))
	h.Write(refRoot(d[k:]))
	return h.Sum(nil)
}

func refPath(m int, d [][]byte) [][]byte {
	if len(d) <= 1 {
		return [][]byte{}
	}
	k := split(len(d))
	if m < k {
		return append(refPath(m, d[:k]), refRoot(d[k:]))
	}
	return append(refPath(m-k, d[k:]), refRoot(d[:k]))
}

func refProof(m int, d [][]byte) [][]byte {
	if m == 0 || m == len(d) {
		return [][]byte{}
	}
	return refSubproof(m, d, true)
}

func refSubproof(m int, d [][]byte, b bool) [][]byte {
	n := len(d)
	if m == n {
		if b {
			return [][]byte{}
		}
		return [][]byte{refRoot(d)}
	}
	k := split(n)
	if m <= k {
		return append(refSubproof(m, d[:k], b), refRoot(d[k:]))
	}
	return append(refSubproof(m-k, d[k:], false), refRoot(d[:k]))
}

// sameProof compares proofs, treating nil and empty alike.
func sameProof(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func newTree(hs [][]byte) *tlog.Tree {
	t := &tlog.Tree{}
	t.Append(hs...)
	return t
}

func TestHashLeaf(t *testing.T) {
	want := sha256.Sum256([]byte("\x00hotline"))
	if got := tlog.HashLeaf([]byte("hotline")); !bytes.Equal(got, want[:]) {
		t.Fatalf("HashLeaf = %x, want %x", got, want)
	}
	if !bytes.Equal(tlog.HashLeaf(nil), rfc6962.DefaultHasher.HashLeaf(nil)) {
		t.Fatal("HashLeaf is not the RFC 6962 leaf hash")
	}
}

func TestEmptyTree(t *testing.T) {
	var tr tlog.Tree
	if tr.Size() != 0 {
		t.Fatalf("Size = %d", tr.Size())
	}
	root, err := tr.Root(0)
	if err != nil {
		t.Fatal(err)
	}
	if empty := sha256.Sum256(nil); !bytes.Equal(root, empty[:]) || !bytes.Equal(root, testonly.EmptyRootHash()) {
		t.Fatalf("empty root = %x", root)
	}
	if _, err := tr.Root(1); err == nil {
		t.Fatal("Root(1) of an empty tree")
	}
	if _, err := tr.InclusionProof(0, 0); err == nil {
		t.Fatal("inclusion proof in an empty tree")
	}
	p, err := tr.ConsistencyProof(0, 0)
	if err != nil || len(p) != 0 {
		t.Fatalf("ConsistencyProof(0, 0) = %x, %v", p, err)
	}
}

// TestKnownVectors checks the tree against the RFC 6962 vectors that
// transparency-dev/merkle ships.
func TestKnownVectors(t *testing.T) {
	var tr tlog.Tree
	inputs := testonly.LeafInputs()
	roots := testonly.RootHashes()
	nodes := testonly.NodeHashes()
	for i, in := range inputs {
		tr.Append(tlog.HashLeaf(in))
		if got := tr.LeafHash(uint64(i)); !bytes.Equal(got, nodes[0][i]) {
			t.Errorf("leaf %d: hash %x, want %x", i, got, nodes[0][i])
		}
		root, err := tr.Root(uint64(i + 1))
		if err != nil {
			t.Fatal(err)
		}
		// RootHashes()[n] is the root of the first n inputs.
		if !bytes.Equal(root, roots[i+1]) {
			t.Errorf("size %d: root %x, want %x", i+1, root, roots[i+1])
		}
	}
}

func TestRootsAndProofsAgainstReferences(t *testing.T) {
	hs := leafHashes(maxSize, "leaf")
	tr := newTree(hs)
	ref := testonly.New(rfc6962.DefaultHasher)
	ref.Append(hs...)
	if tr.Size() != maxSize {
		t.Fatalf("Size = %d", tr.Size())
	}

	roots := make([][]byte, maxSize+1)
	for size := 0; size <= maxSize; size++ {
		root, err := tr.Root(uint64(size))
		if err != nil {
			t.Fatalf("Root(%d): %v", size, err)
		}
		if want := refRoot(hs[:size]); !bytes.Equal(root, want) {
			t.Fatalf("Root(%d) = %x, RFC 6962 says %x", size, root, want)
		}
		if want := ref.HashAt(uint64(size)); !bytes.Equal(root, want) {
			t.Fatalf("Root(%d) = %x, testonly says %x", size, root, want)
		}
		roots[size] = root
	}
	for i := range hs {
		if !bytes.Equal(tr.LeafHash(uint64(i)), hs[i]) {
			t.Fatalf("LeafHash(%d)", i)
		}
	}

	for size := 1; size <= maxSize; size++ {
		for index := 0; index < size; index++ {
			p, err := tr.InclusionProof(uint64(index), uint64(size))
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", index, size, err)
			}
			if want := refPath(index, hs[:size]); !sameProof(p, want) {
				t.Fatalf("InclusionProof(%d, %d) differs from RFC 6962 PATH", index, size)
			}
			if want, _ := ref.InclusionProof(uint64(index), uint64(size)); !sameProof(p, want) {
				t.Fatalf("InclusionProof(%d, %d) differs from testonly", index, size)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(index), uint64(size), hs[index], p, roots[size]); err != nil {
				t.Fatalf("proof.VerifyInclusion(%d, %d): %v", index, size, err)
			}
			if err := tlog.VerifyInclusion(uint64(index), uint64(size), hs[index], p, roots[size]); err != nil {
				t.Fatalf("tlog.VerifyInclusion(%d, %d): %v", index, size, err)
			}
		}
	}

	for size2 := 0; size2 <= maxSize; size2++ {
		for size1 := 0; size1 <= size2; size1++ {
			p, err := tr.ConsistencyProof(uint64(size1), uint64(size2))
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", size1, size2, err)
			}
			if want := refProof(size1, hs[:size2]); !sameProof(p, want) {
				t.Fatalf("ConsistencyProof(%d, %d) differs from RFC 6962 PROOF", size1, size2)
			}
			if want, _ := ref.ConsistencyProof(uint64(size1), uint64(size2)); !sameProof(p, want) {
				t.Fatalf("ConsistencyProof(%d, %d) differs from testonly", size1, size2)
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(size1), uint64(size2), p, roots[size1], roots[size2]); err != nil {
				t.Fatalf("proof.VerifyConsistency(%d, %d): %v", size1, size2, err)
			}
			if err := tlog.VerifyConsistency(uint64(size1), uint64(size2), p, roots[size1], roots[size2]); err != nil {
				t.Fatalf("tlog.VerifyConsistency(%d, %d): %v", size1, size2, err)
			}
		}
	}
}

func flip(p [][]byte, i, bit int) [][]byte {
	q := make([][]byte, len(p))
	for j := range p {
		q[j] = bytes.Clone(p[j])
	}
	q[i][bit/8] ^= 1 << (bit % 8)
	return q
}

func TestInclusionTampered(t *testing.T) {
	hs := leafHashes(maxSize, "leaf")
	tr := newTree(hs)
	other := tlog.HashLeaf([]byte("not in the log"))
	for size := 1; size <= maxSize; size++ {
		root, _ := tr.Root(uint64(size))
		for index := 0; index < size; index++ {
			p, _ := tr.InclusionProof(uint64(index), uint64(size))
			verify := func(index, size uint64, leaf []byte, p [][]byte, root []byte) bool {
				return tlog.VerifyInclusion(index, size, leaf, p, root) == nil
			}
			if verify(uint64(index), uint64(size), other, p, root) {
				t.Fatalf("(%d, %d): wrong leaf verified", index, size)
			}
			if index+1 < size && verify(uint64(index+1), uint64(size), hs[index], p, root) {
				t.Fatalf("(%d, %d): verified at the next index", index, size)
			}
			if size < maxSize {
				next, _ := tr.Root(uint64(size + 1))
				if verify(uint64(index), uint64(size), hs[index], p, next) {
					t.Fatalf("(%d, %d): verified under the root of size %d", index, size, size+1)
				}
			}
			for i := range p {
				for _, bit := range []int{0, 255} {
					if verify(uint64(index), uint64(size), hs[index], flip(p, i, bit), root) {
						t.Fatalf("(%d, %d): proof with element %d modified verified", index, size, i)
					}
				}
			}
			if verify(uint64(index), uint64(size), hs[index], append(p, hs[0]), root) {
				t.Fatalf("(%d, %d): proof with an extra element verified", index, size)
			}
			if len(p) > 0 && verify(uint64(index), uint64(size), hs[index], p[:len(p)-1], root) {
				t.Fatalf("(%d, %d): truncated proof verified", index, size)
			}
		}
	}
}

func TestConsistencyTampered(t *testing.T) {
	hs := leafHashes(maxSize, "leaf")
	tr := newTree(hs)
	forked := newTree(append(leafHashes(maxSize, "leaf")[:maxSize/2], leafHashes(maxSize, "fork")[maxSize/2:]...))
	verify := func(size1, size2 int, p [][]byte, r1, r2 []byte) bool {
		return tlog.VerifyConsistency(uint64(size1), uint64(size2), p, r1, r2) == nil
	}
	for size2 := 1; size2 <= maxSize; size2++ {
		r2, _ := tr.Root(uint64(size2))
		for size1 := 1; size1 < size2; size1++ {
			r1, _ := tr.Root(uint64(size1))
			p, _ := tr.ConsistencyProof(uint64(size1), uint64(size2))
			for i := range p {
				for _, bit := range []int{0, 100} {
					if verify(size1, size2, flip(p, i, bit), r1, r2) {
						t.Fatalf("(%d, %d): proof with element %d modified verified", size1, size2, i)
					}
				}
			}
			if verify(size1, size2, p, r2, r1) {
				t.Fatalf("(%d, %d): swapped roots verified", size1, size2)
			}
			if verify(size1, size2, append(p, r1), r1, r2) {
				t.Fatalf("(%d, %d): proof with an extra element verified", size1, size2)
			}
			if verify(size1, size2, p[:len(p)-1], r1, r2) {
				t.Fatalf("(%d, %d): truncated proof verified", size1, size2)
			}
			// A fork that shares the first maxSize/2 leaves is consistent
			// up to there and inconsistent after.
			f2, _ := forked.Root(uint64(size2))
			if size2 > maxSize/2 && verify(size1, size2, p, r1, f2) {
				t.Fatalf("(%d, %d): fork verified", size1, size2)
			}
			if size2 > maxSize/2 {
				fp, _ := forked.ConsistencyProof(uint64(size1), uint64(size2))
				if size1 <= maxSize/2 && !verify(size1, size2, fp, r1, f2) {
					t.Fatalf("(%d, %d): the fork's honest proof from a shared prefix failed", size1, size2)
				}
				if size1 > maxSize/2 && verify(size1, size2, fp, r1, f2) {
					t.Fatalf("(%d, %d): the fork proved consistent with the original", size1, size2)
				}
			}
		}
	}
}

func TestTreeRangeErrors(t *testing.T) {
	tr := newTree(leafHashes(10, "leaf"))
	if _, err := tr.Root(11); err == nil {
		t.Error("Root beyond the tree")
	}
	for _, c := range [][2]uint64{{0, 0}, {10, 10}, {11, 10}, {0, 11}, {10, 11}, {5, 3}} {
		if _, err := tr.InclusionProof(c[0], c[1]); err == nil {
			t.Errorf("InclusionProof(%d, %d) succeeded", c[0], c[1])
		}
	}
	for _, c := range [][2]uint64{{5, 4}, {0, 11}, {11, 11}, {10, 11}, {11, 10}} {
		if _, err := tr.ConsistencyProof(c[0], c[1]); err == nil {
			t.Errorf("ConsistencyProof(%d, %d) succeeded", c[0], c[1])
		}
	}
	if p, err := tr.ConsistencyProof(10, 10); err != nil || len(p) != 0 {
		t.Errorf("ConsistencyProof(10, 10) = %x, %v", p, err)
	}
	if p, err := tr.ConsistencyProof(0, 10); err != nil || len(p) != 0 {
		t.Errorf("ConsistencyProof(0, 10) = %x, %v", p, err)
	}
}

// allRoots returns the roots of every size of the tree.
func allRoots(t *testing.T, tr *tlog.Tree) [][]byte {
	t.Helper()
	var roots [][]byte
	for s := uint64(0); s <= tr.Size(); s++ {
		r, err := tr.Root(s)
		if err != nil {
			t.Fatal(err)
		}
		roots = append(roots, r)
	}
	return roots
}

func TestTruncate(t *testing.T) {
	hs := leafHashes(maxSize, "leaf")
	want := allRoots(t, newTree(hs))
	for k := 0; k <= maxSize; k++ {
		tr := newTree(hs)
		tr.Truncate(uint64(k))
		if tr.Size() != uint64(k) {
			t.Fatalf("Truncate(%d): Size = %d", k, tr.Size())
		}
		if got := allRoots(t, tr); !reflect.DeepEqual(got, want[:k+1]) {
			t.Fatalf("Truncate(%d): roots changed", k)
		}
		if _, err := tr.Root(uint64(k + 1)); err == nil {
			t.Fatalf("Truncate(%d): Root(%d) still answers", k, k+1)
		}
		if k > 0 {
			if _, err := tr.InclusionProof(uint64(k-1), uint64(k+1)); err == nil {
				t.Fatalf("Truncate(%d): proof beyond the tree", k)
			}
		}
		tr.Truncate(uint64(k)) // idempotent
		tr.Truncate(uint64(k + 3))
		if tr.Size() != uint64(k) {
			t.Fatalf("Truncate beyond the size changed it to %d", tr.Size())
		}

		// Appending the same leaves again gives the same tree.
		tr.Append(hs[k:]...)
		if got := allRoots(t, tr); !reflect.DeepEqual(got, want) {
			t.Fatalf("Truncate(%d) and re-append: roots differ", k)
		}
		for _, size := range []int{k, maxSize} {
			for index := 0; index < size; index++ {
				p, err := tr.InclusionProof(uint64(index), uint64(size))
				if err != nil {
					t.Fatal(err)
				}
				if err := tlog.VerifyInclusion(uint64(index), uint64(size), hs[index], p, want[size]); err != nil {
					t.Fatalf("Truncate(%d), re-append: inclusion (%d, %d): %v", k, index, size, err)
				}
			}
		}

		// Appending other leaves gives the tree of those leaves.
		tr.Truncate(uint64(k))
		other := append(append([][]byte{}, hs[:k]...), leafHashes(maxSize-k, "other")...)
		tr.Append(other[k:]...)
		if got, want := allRoots(t, tr), allRoots(t, newTree(other)); !reflect.DeepEqual(got, want) {
			t.Fatalf("Truncate(%d) and append others: roots differ from a fresh tree", k)
		}
		for size1 := 0; size1 <= maxSize; size1 += 7 {
			p, err := tr.ConsistencyProof(uint64(size1), maxSize)
			if err != nil {
				t.Fatal(err)
			}
			r1, _ := tr.Root(uint64(size1))
			r2, _ := tr.Root(maxSize)
			if err := tlog.VerifyConsistency(uint64(size1), maxSize, p, r1, r2); err != nil {
				t.Fatalf("Truncate(%d), append others: consistency %d: %v", k, size1, err)
			}
		}
	}
}

func TestTruncateSeveralTimes(t *testing.T) {
	hs := leafHashes(maxSize, "leaf")
	want := allRoots(t, newTree(hs))
	tr := newTree(hs[:50])
	for _, k := range []uint64{49, 33, 32, 31, 17, 16, 1, 0} {
		tr.Truncate(k)
		if got := allRoots(t, tr); !reflect.DeepEqual(got, want[:k+1]) {
			t.Fatalf("Truncate(%d): roots changed", k)
		}
	}
	for i, h := range hs {
		tr.Append(h)
		if r, err := tr.Root(uint64(i + 1)); err != nil || !bytes.Equal(r, want[i+1]) {
			t.Fatalf("append %d after truncating to zero: %x, %v", i, r, err)
		}
	}
}

// TestConcurrentReaders runs readers against one appending writer; under
// -race it checks the locking, and every answer must match the reference
// whatever the interleaving.
func TestConcurrentReaders(t *testing.T) {
	hs := leafHashes(maxSize, "leaf")
	want := allRoots(t, newTree(hs))
	var tr tlog.Tree
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for r := range 4 {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				size := tr.Size()
				s := size * uint64((i+50*r)%201) / 200 // some size up to the current one
				root, err := tr.Root(s)
				if err != nil || !bytes.Equal(root, want[s]) {
					errs <- fmt.Errorf("reader %d: Root(%d) = %x, %v", r, s, root, err)
					return
				}
				if s > 0 {
					p, err := tr.InclusionProof(s-1, s)
					if err == nil {
						err = tlog.VerifyInclusion(s-1, s, tr.LeafHash(s-1), p, want[s])
					}
					if err != nil {
						errs <- fmt.Errorf("reader %d: inclusion in %d: %v", r, s, err)
						return
					}
				}
			}
		})
	}
	for _, h := range hs {
		tr.Append(h)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestTreeMemory: a tree keeps each node hash in 32 bytes, about 64 per
// leaf with the subtrees above it; a slice of its own per hash took 56
// bytes each, 17 MB of a node's heap over a log of 121,000 entries.
func TestTreeMemory(t *testing.T) {
	const n = 100_000
	before := heapmeter.Live()
	tr := &tlog.Tree{}
	for i := range n {
		// As a node loads its logs: the hash of each leaf, handed over.
		tr.Append(tlog.HashLeaf([]byte{byte(i), byte(i >> 8), byte(i >> 16)}))
	}
	held := heapmeter.Live() - before
	runtime.KeepAlive(tr)
	per := held / n
	t.Logf("%d leaves: %d bytes, %d per leaf", n, held, per)
	if per > 80 { // 64, and the slack of slices that grow by doubling
		t.Errorf("%d bytes per leaf, want at most 80", per)
	}
}
