//go:build race

package serve_test

// raceOn: the race detector multiplies memory and time several times, so
// the siege is smaller under it and its bounds are not checked.
const raceOn = true
