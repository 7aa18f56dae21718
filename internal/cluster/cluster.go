// Package cluster runs a hotline line as real processes: it creates two
// parties with "hotline init", pairs them with the same card / line
// propose / line accept ceremony a user runs, and starts, SIGKILLs,
// restarts and stops their "hotline serve" processes; with
// [Options.FaultRoutes] it adds a "hotline relay serve" process and puts
// an in-process [faultproxy.Proxy] in front of each direct listener and of
// the relay, so that any route can be blackholed, refused, delayed or
// made lossy. State is read back only through the command line's JSON
// output (status --json, inbox --json). Nothing is mocked: real SQLite
// files, real mutual TLS on loopback, real process crashes.
//
// It is the one process harness of the module: the end-to-end tests
// (internal/e2e), the kill soak (internal/soak), the fault suite, fault
// soak and route benchmark (internal/faults), the idle-memory phase of
// internal/bench and the soak command (cmd/hotline-soak) are scenarios on
// it. The binary they run is built by internal/hotlinebin.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/faultproxy"
)

// Options shape a cluster.
type Options struct {
	Bin  string // the hotline binary
	Root string // a fresh directory for everything
	// FaultRoutes adds a relay and puts a fault proxy in front of each
	// party's direct listener and of the relay: the cards and the charter
	// name the proxies.
	FaultRoutes bool
	// RelayDebug runs the relay with --log-level debug: its log then has
	// a line for every put, fetch and acknowledgement.
	RelayDebug bool
	// Skew runs each party's clock off by this much (serve --clock-skew).
	Skew [2]time.Duration
	// Propose adds flags to hotline line propose: the charter's rules.
	Propose []string
	// TmpfsSize, if not zero, puts the second party's data directory on a
	// tmpfs of this many bytes (mount needs root); see ErrNoMount.
	TmpfsSize int64
	// Logf, if set, receives a line for every process start, stop and
	// kill and every fault switched.
	Logf func(format string, args ...any)
}

// Cluster is two paired parties and, with Options.FaultRoutes, a relay.
type Cluster struct {
	Bin     string
	Root    string
	Parties [2]*Party
	Relay   *Relay // nil without Options.FaultRoutes
	Line    string // the line's ID

	logf    func(format string, args ...any)
	propose []string // extra flags of line propose
	mount   string   // the tmpfs mount point, if any

	probMu   sync.Mutex
	problems []string // signs of a bug in the output of commands
}

// ErrNoMount means the tmpfs for a full disk could not be mounted (not
// root, or no CAP_SYS_ADMIN): a test should skip, not fail.
var ErrNoMount = errors.New("cannot mount a tmpfs")

// New creates both parties (and the relay) in o.Root and pairs them;
// nothing runs yet (see Start).
func New(ctx context.Context, o Options) (_ *Cluster, err error) {
	c := &Cluster{Bin: o.Bin, Root: o.Root, logf: o.Logf, propose: o.Propose}
	if c.logf == nil {
		c.logf = func(string, ...any) {}
	}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	ports, err := FreePorts(3)
	if err != nil {
		return nil, err
	}
	var relayArg string
	if o.FaultRoutes {
		r := &Relay{c: c, Dir: filepath.Join(o.Root, "relay"), Listen: ports[2], log: filepath.Join(o.Root, "relay.log"), debug: o.RelayDebug}
		c.Relay = r
		if r.Proxy, err = faultproxy.New(r.Listen); err != nil {
			return nil, err
		}
		if _, err := c.Run(ctx, "relay", "init", "--dir", r.Dir, "--listen", r.Listen); err != nil {
			return nil, err
		}
		key, err := c.Run(ctx, "relay", "key", "--dir", r.Dir)
		if err != nil {
			return nil, err
		}
		relayArg = r.Proxy.Addr() + "=" + strings.TrimSpace(string(key))
	}
	for i, id := range Parties {
		p := &Party{Identity: id, c: c, Listen: ports[i], skew: o.Skew[i],
			Dir: filepath.Join(o.Root, id.Slug), log: filepath.Join(o.Root, id.Slug+".log")}
		if i == 1 && o.TmpfsSize > 0 {
			if err := c.mountTmpfs(filepath.Join(o.Root, "tmpfs"), o.TmpfsSize); err != nil {
				return nil, err
			}
			p.Dir = filepath.Join(c.mount, id.Slug)
		}
		args := []string{"init", "--dir", p.Dir, "--party", id.Slug, "--name", id.Name, "--lang", id.Lang, "--listen", p.Listen}
		if o.FaultRoutes {
			if p.Proxy, err = faultproxy.New(p.Listen); err != nil {
				return nil, err
			}
			args = append(args, "--advertise", p.Proxy.Addr())
		}
		if _, err := c.Run(ctx, args...); err != nil {
			return nil, err
		}
		c.Parties[i] = p
	}
	c.Parties[0].peer, c.Parties[1].peer = c.Parties[1], c.Parties[0]
	if err := c.pair(ctx, relayArg); err != nil {
		return nil, err
	}
	return c, nil
}

// pair runs the ceremony: each party exports its card and reads its
// fingerprint to the other by phone; Seoul proposes, Beijing signs, Seoul
// signs; the relay, if any, learns the line.
func (c *Cluster) pair(ctx context.Context, relay string) error {
	fingerprints := map[string]string{}
	var cards [2]string
	for i, p := range c.Parties {
		out, errOut, err := c.run(ctx, CommandTimeout, "card", "--dir", p.Dir)
		if err != nil {
			return err
		}
		cards[i] = filepath.Join(c.Root, p.Slug+".card")
		if err := os.WriteFile(cards[i], out, 0o644); err != nil {
			return err
		}
		fp := between(string(errOut), "fingerprint: ", "\n")
		if fp == "" {
			return fmt.Errorf("hotline card printed no fingerprint:\n%s", errOut)
		}
		fingerprints[p.Slug] = fp
	}
	charter := filepath.Join(c.Root, "charter.txt")
	args := []string{"line", "propose", "--dir", c.Parties[0].Dir, "--title", "Seoul–Beijing defense hotline",
		"--peer", cards[1], "--out", charter}
	if relay != "" {
		args = append(args, "--relay", relay)
	}
	args = append(args, c.propose...)
	_, errOut, err := c.run(ctx, CommandTimeout, args...)
	if err != nil {
		return err
	}
	if fp := fingerprints[c.Parties[1].Slug]; !strings.Contains(string(errOut), fp) {
		return fmt.Errorf("line propose shows another fingerprint for %s than its card (%s):\n%s", c.Parties[1].Slug, fp, errOut)
	}
	for _, p := range []*Party{c.Parties[1], c.Parties[0]} {
		_, errOut, err := c.run(ctx, CommandTimeout, "line", "accept", "--dir", p.Dir, charter)
		if err != nil {
			return err
		}
		for slug, fp := range fingerprints {
			if !strings.Contains(string(errOut), fp) {
				return fmt.Errorf("line accept on %s does not show %s's fingerprint %s:\n%s", p.Slug, slug, fp, errOut)
			}
		}
	}
	if c.Relay != nil {
		if _, err := c.Run(ctx, "relay", "add-line", "--dir", c.Relay.Dir, charter); err != nil {
			return err
		}
	}
	for _, p := range c.Parties {
		st, err := p.Status(ctx)
		if err != nil {
			return err
		}
		if c.Line == "" {
			c.Line = st.ID
		}
		if st.ID != c.Line || st.Me != p.Slug || st.State != "open" || len(st.Parties) != 2 {
			return fmt.Errorf("%s after pairing: line %s %s, me %s, %d parties (want line %s open, 2 parties)",
				p.Slug, st.ID, st.State, st.Me, len(st.Parties), c.Line)
		}
	}
	return nil
}

func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return strings.TrimSpace(v)
}

func (c *Cluster) mountTmpfs(dir string, size int64) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w on %s: %v: %s", ErrNoMount, dir, err, strings.TrimSpace(string(out)))
	}
	c.mount = dir
	return nil
}

// Run runs the hotline binary with args, for at most CommandTimeout, and
// returns its standard output.
func (c *Cluster) Run(ctx context.Context, args ...string) ([]byte, error) {
	out, _, err := c.run(ctx, CommandTimeout, args...)
	return out, err
}

// RunEnv runs the hotline binary with args and the extra environment
// variables extra, for at most CommandTimeout, and returns its standard
// output and standard error. If it failed, err is a *CommandError whose
// Err is the *exec.ExitError.
func (c *Cluster) RunEnv(ctx context.Context, extra []string, args ...string) (stdout, stderr []byte, err error) {
	return c.runEnv(ctx, CommandTimeout, extra, args...)
}

func (c *Cluster) run(ctx context.Context, timeout time.Duration, args ...string) (stdout, stderr []byte, err error) {
	return c.runEnv(ctx, timeout, nil, args...)
}

// runEnv is RunEnv with a timeout. It records signs of a bug in the
// command's standard error: an offline "hotline send" runs the whole node,
// so it can race or panic too.
func (c *Cluster) runEnv(ctx context.Context, timeout time.Duration, extra []string, args ...string) (stdout, stderr []byte, err error) {
	stdout, stderr, err = Run(ctx, c.Bin, timeout, extra, args...)
	if found := problemLines(string(stderr)); len(found) > 0 {
		c.probMu.Lock()
		for _, l := range found {
			c.problems = append(c.problems, "hotline "+strings.Join(args, " ")+": "+l)
		}
		c.probMu.Unlock()
	}
	return stdout, stderr, err
}

// Start starts the relay, if any, and both parties, and waits until they
// serve.
func (c *Cluster) Start(ctx context.Context) error {
	if c.Relay != nil {
		if err := c.Relay.Start(ctx); err != nil {
			return err
		}
	}
	for _, p := range c.Parties {
		if err := p.Start(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close kills every process, closes the proxies and unmounts the tmpfs.
func (c *Cluster) Close() {
	for _, p := range c.Parties {
		if p == nil {
			continue
		}
		p.Kill()
		if p.Proxy != nil {
			p.Proxy.Close()
		}
	}
	if r := c.Relay; r != nil {
		r.Kill()
		if r.Proxy != nil {
			r.Proxy.Close()
		}
	}
	if c.mount != "" {
		if out, err := exec.Command("umount", c.mount).CombinedOutput(); err != nil {
			c.logf("umount %s: %v: %s", c.mount, err, out)
		}
		c.mount = ""
	}
}

// SetDirect switches both direct proxies to m.
func (c *Cluster) SetDirect(m faultproxy.Mode) {
	c.logf("direct route: %s", m)
	for _, p := range c.Parties {
		p.Proxy.SetMode(m)
	}
}

// SetRelay switches the relay's proxy to m.
func (c *Cluster) SetRelay(m faultproxy.Mode) {
	c.logf("relay route: %s", m)
	c.Relay.Proxy.SetMode(m)
}

// Heal puts every proxy back to Pass with no delay and no loss.
func (c *Cluster) Heal() {
	c.logf("heal: every route passes")
	for _, px := range []*faultproxy.Proxy{c.Parties[0].Proxy, c.Parties[1].Proxy, c.Relay.Proxy} {
		px.SetLoss(0)
		px.SetDelay(0)
		px.SetMode(faultproxy.Pass)
	}
}

// logs are the log files of every process, by name.
func (c *Cluster) logs() [][2]string {
	var out [][2]string
	for _, p := range c.Parties {
		if p != nil {
			out = append(out, [2]string{p.Slug + " serve", p.log})
		}
	}
	if c.Relay != nil {
		out = append(out, [2]string{"relay", c.Relay.log})
	}
	return out
}

// LogProblems returns the signs of a bug found in every process log and
// in the output of every command run so far.
func (c *Cluster) LogProblems() []string {
	var out []string
	for _, l := range c.logs() {
		b, err := os.ReadFile(l[1])
		if err != nil {
			continue
		}
		for _, line := range problemLines(string(b)) {
			out = append(out, l[0]+": "+line)
		}
	}
	c.probMu.Lock()
	defer c.probMu.Unlock()
	return append(out, c.problems...)
}

// Tails returns the last lines of every process log, for a failure
// report.
func (c *Cluster) Tails(lines int) string {
	var b strings.Builder
	for _, l := range c.logs() {
		fmt.Fprintf(&b, "--- last %d lines of %s ---\n%s\n", lines, l[1], TailFile(l[1], lines))
	}
	return b.String()
}

// KeepLogs copies every process log into dir.
func (c *Cluster) KeepLogs(dir string) error {
	for _, l := range c.logs() {
		b, err := os.ReadFile(l[1])
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(l[1])), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
