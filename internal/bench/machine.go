package bench

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Machine describes where the benchmark ran.
type Machine struct {
	CPU        string  `json:"cpu"`
	Cores      int     `json:"cores"`
	MemoryGiB  float64 `json:"memory_gib,omitempty"`
	GOMAXPROCS int     `json:"gomaxprocs"`
	Go         string  `json:"go"`
	OS         string  `json:"os"`
	Kernel     string  `json:"kernel"`
	Filesystem string  `json:"filesystem"` // of the data directories: type and device
	Dir        string  `json:"dir"`
}

// Describe reports the machine, with the filesystem that holds dir.
func Describe(dir string) Machine {
	m := Machine{
		CPU:        "unknown",
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Go:         runtime.Version(),
		OS:         runtime.GOOS + "/" + runtime.GOARCH,
		Kernel:     "unknown",
		Filesystem: "unknown",
		Dir:        dir,
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for l := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for l := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSpace(v), &kb)
				m.MemoryGiB = float64(kb) / (1 << 20)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if fs := filesystem(dir); fs != "" {
		m.Filesystem = fs
	}
	return m
}

// String is the machine in one line: CPU, cores, memory, kernel, Go.
func (m Machine) String() string {
	mem := ""
	if m.MemoryGiB > 0 {
		mem = fmt.Sprintf(", %.1f GiB RAM", m.MemoryGiB)
	}
	return fmt.Sprintf("%s, %d cores%s, kernel %s, %s, %s", m.CPU, m.Cores, mem, m.Kernel, m.OS, m.Go)
}

// filesystem returns "type (device)" of the mount that holds dir, from
// /proc/self/mountinfo.
func filesystem(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	best, out := -1, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - fstype source superopts
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 2 {
			continue
		}
		mp := pf[4]
		if !within(abs, mp) || len(mp) < best {
			continue
		}
		best, out = len(mp), qf[0]+" ("+qf[1]+")"
	}
	return out
}

func within(path, mount string) bool {
	if mount == "/" {
		return true
	}
	return path == mount || strings.HasPrefix(path, mount+"/")
}
