package console_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The console benchmark shares the machine with whatever else runs on it:
// each phase reports how many cores other processes kept busy meanwhile,
// so that a number taken on a busy machine can be told apart.

// cpuMark is the machine's busy time and this process tree's (the test,
// both nodes, Chromium) at one moment.
type cpuMark struct {
	wall       time.Time
	busy, tree time.Duration
}

func markCPU() cpuMark {
	return cpuMark{wall: time.Now(), busy: machineBusy(), tree: treeCPU(os.Getpid())}
}

// others is the average number of cores other processes used since m.
func (m cpuMark) others() float64 {
	now := markCPU()
	wall := now.wall.Sub(m.wall).Seconds()
	if wall <= 0 || m.busy == 0 {
		return 0
	}
	return max(0, ((now.busy-m.busy)-(now.tree-m.tree)).Seconds()/wall)
}

const userHZ = 100 // clock ticks per second in /proc on Linux

// machineBusy is the busy time of all CPUs, from /proc/stat.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var busy uint64
	for i, s := range f[1:] {
		v, _ := strconv.ParseUint(s, 10, 64)
		// user nice system idle iowait irq softirq steal guest guest_nice;
		// guest time is already in user.
		if i == 3 || i == 4 || i >= 8 {
			continue
		}
		busy += v
	}
	return time.Duration(busy) * time.Second / userHZ
}

// treeCPU is the CPU time of process root and its live descendants.
func treeCPU(root int) time.Duration {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	parent := map[int]int{}
	cpu := map[int]uint64{}
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... utime stime: fields 14 and 15, counted
		// after the command, which may hold spaces.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		pid, _ := strconv.Atoi(strings.Fields(s[:strings.IndexByte(s, '(')])[0])
		f := strings.Fields(s[i+1:])
		if len(f) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		ut, _ := strconv.ParseUint(f[11], 10, 64)
		st, _ := strconv.ParseUint(f[12], 10, 64)
		parent[pid], cpu[pid] = ppid, ut+st
	}
	var total uint64
	for pid, c := range cpu {
		for p := pid; p > 1; p = parent[p] {
			if p == root {
				total += c
				break
			}
		}
	}
	return time.Duration(total) * time.Second / userHZ
}
