//go:build race

package serve_test

// raceOn: the race detector multiplies memory and time several times, so
// the siege and the stop test's backlog are smaller under it and the
// siege's bounds are not checked.
const raceOn = true
