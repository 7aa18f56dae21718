// Package testload stretches the waits of tests by how busy the machine
// is. A wait that is ample on an idle machine (a serve up within a
// minute, an answer within a minute) is not when the load average is a
// hundred times the number of cores: the test then fails on timing and
// says nothing about the code. [Scale] multiplies a wait by a factor
// read at each call: HOTLINE_TEST_SLOW if it is set (a number, at least
// 1), else the one-minute load average from /proc/loadavg divided by the
// number of cores, never below 1 and never above [MaxFactor]. Only waits
// for something to happen are scaled; a bound the code must meet (a
// refusal before the body is read, a stop within its deadline) is still
// asserted, only with more time to show it.
package testload

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Env names the variable that sets the factor by hand, for a machine
// whose load the tests cannot read or a run known to be slow (the race
// detector under emulation, say).
const Env = "HOTLINE_TEST_SLOW"

// MaxFactor bounds the factor read from the load: a wait of a minute
// grows to at most ten, so a test that hangs still ends within the
// package's timeout.
const MaxFactor = 10

// Scale returns d stretched by Factor.
func Scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * Factor())
}

// Factor is how much longer than on an idle machine waits should be now:
// see the package comment. An unreadable HOTLINE_TEST_SLOW panics: a
// typo must not quietly run the tests with waits unscaled.
func Factor() float64 {
	if v := os.Getenv(Env); v != "" {
		f, err := parseFactor(v)
		if err != nil {
			panic(err)
		}
		return f
	}
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 1
	}
	return fromLoad(string(b), runtime.NumCPU())
}

func parseFactor(v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f < 1 || f > 1000 {
		return 0, fmt.Errorf("%s=%q: want a number from 1 to 1000, the factor to stretch test waits by", Env, v)
	}
	return f, nil
}

// fromLoad turns the contents of /proc/loadavg into a factor: the
// one-minute load average per core, within [1, MaxFactor].
func fromLoad(loadavg string, cores int) float64 {
	fields := strings.Fields(loadavg)
	if len(fields) == 0 || cores < 1 {
		return 1
	}
	load, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return 1
	}
	return min(max(load/float64(cores), 1), MaxFactor)
}
