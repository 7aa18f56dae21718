package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/cluster"
)

// Memory is the resident memory of an idle node process.
type Memory struct {
	RSS  uint64 // VmRSS once settled, bytes
	Peak uint64 // VmHWM, bytes: the most it ever held (startup included)
	// Stop is how long the process took to exit after SIGTERM.
	Stop time.Duration
}

// IdleRSS runs "bin serve --dir dir" as a child process (its log beside
// dir), waits until it serves, lets it settle (its resident size stops
// moving) and reads VmRSS from /proc. It stops the child with SIGTERM and
// times how long it takes to exit.
func IdleRSS(ctx context.Context, bin, dir string) (Memory, error) {
	p, err := cluster.StartServe(ctx, bin, dir, dir+".serve.log", "--log-level", "info")
	if err != nil {
		return Memory{}, err
	}
	m, err := settle(ctx, p.Pid())
	start := time.Now()
	if serr := p.Stop(15 * time.Second); err == nil && serr != nil {
		err = fmt.Errorf("stop serve: %w", serr)
	}
	m.Stop = time.Since(start)
	return m, err
}

// settle samples the child's resident size four times a second until it
// has moved by less than 1% over the last three seconds (or 30 s pass).
func settle(ctx context.Context, pid int) (Memory, error) {
	const window = 12 // samples: 3 s
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	var hist []uint64
	var last Memory
	for {
		select {
		case <-tick.C:
		case <-deadline:
			return last, nil
		case <-ctx.Done():
			return last, ctx.Err()
		}
		m, err := procMemory(pid)
		if err != nil {
			return last, err
		}
		last = m
		hist = append(hist, m.RSS)
		if len(hist) < window {
			continue
		}
		w := hist[len(hist)-window:]
		lo, hi := w[0], w[0]
		for _, v := range w {
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi-lo <= hi/100 {
			return last, nil
		}
	}
}

// procMemory reads VmRSS and VmHWM of a process.
func procMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	for l := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			m.RSS = kb << 10
		case "VmHWM":
			m.Peak = kb << 10
		}
	}
	if m.RSS == 0 {
		return m, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return m, nil
}
