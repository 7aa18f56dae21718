//go:build race

package node_test

// raceOn: the race detector slows SQLite and the signatures tenfold, so
// the flood tests send less under it.
const raceOn = true
