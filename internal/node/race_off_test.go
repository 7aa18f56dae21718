//go:build !race

package node_test

const raceOn = false
