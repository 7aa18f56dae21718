//go:build !race

package direct_test

const raceOn = false
