package bench

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuMark is a point in time for CPU accounting: this process's CPU time
// and the machine's busy time, so that a phase can report what it cost and
// how much of the machine other processes took meanwhile.
type cpuMark struct {
	wall    time.Time
	self    time.Duration // user + system time of this process
	busy    time.Duration // all CPUs, all processes; 0 if unknown
	hasBusy bool
}

func markCPU() cpuMark {
	m := cpuMark{wall: time.Now()}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		m.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	m.busy, m.hasBusy = machineBusy()
	return m
}

// machineBusy reads the busy time of all CPUs from /proc/stat.
func machineBusy() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, false
	}
	var busy uint64
	for i, s := range f[1:] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, false
		}
		// user nice system idle iowait irq softirq steal guest guest_nice;
		// guest time is already counted in user.
		if i == 3 || i == 4 || i >= 8 {
			continue
		}
		busy += v
	}
	return time.Duration(busy) * time.Second / 100, true // USER_HZ is 100 on Linux
}

// CPU is what a phase cost in CPU time.
type CPU struct {
	Seconds    float64 `json:"cpu_seconds"`               // this process (both in-process nodes)
	OtherCores float64 `json:"other_load_cores"`          // average cores other processes kept busy meanwhile
	PerItemUs  float64 `json:"cpu_us_per_item,omitempty"` // CPU time per message or entry
}

func (m cpuMark) since(items int) CPU {
	now := markCPU()
	wall := now.wall.Sub(m.wall)
	c := CPU{Seconds: (now.self - m.self).Seconds()}
	if items > 0 {
		c.PerItemUs = float64(now.self-m.self) / float64(time.Microsecond) / float64(items)
	}
	if m.hasBusy && now.hasBusy && wall > 0 {
		c.OtherCores = max(0, (now.busy-m.busy-(now.self-m.self)).Seconds()/wall.Seconds())
	}
	return c
}
