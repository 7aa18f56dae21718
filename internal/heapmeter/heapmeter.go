// Package heapmeter measures the live heap, for the tests that bound what
// a structure holds per item (a Merkle tree per leaf, the escalation
// tracker per message owed).
package heapmeter

import "runtime"

// Live is the bytes of live objects after a full collection.
func Live() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
