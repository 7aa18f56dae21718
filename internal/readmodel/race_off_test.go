//go:build !race

package readmodel_test

const raceOn = false
