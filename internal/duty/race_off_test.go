//go:build !race

package duty_test

const raceOn = false
