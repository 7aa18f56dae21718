//go:build race

package direct_test

// raceOn: the race detector makes reading a 64 MiB body take minutes, so
// the tests that stream one are left out under it.
const raceOn = true
