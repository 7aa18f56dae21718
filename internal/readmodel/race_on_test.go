//go:build race

package readmodel_test

// raceOn: the race detector slows SQLite (compiled from C to Go) tenfold,
// so the tests that measure build smaller data under it.
const raceOn = true
