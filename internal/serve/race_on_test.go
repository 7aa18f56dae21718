//go:build race

package serve_test

// raceOn: the race detector slows SQLite (compiled from C to Go) tenfold,
// so the tests that write large logs write smaller ones under it.
const raceOn = true
