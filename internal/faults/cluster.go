// Package faults puts a real hotline line through network and process
// faults: two "hotline serve" processes and a "hotline relay serve"
// process, paired with the same commands a user runs, real SQLite files
// and real mutual TLS on loopback. Each party advertises a direct address
// that is a [faultproxy.Proxy] in this process, and the charter names the
// relay by a proxy too, so any route can be blackholed, refused, delayed or
// made lossy while the nodes run; processes are SIGKILLed and restarted;
// a data directory can sit on a small tmpfs to fill the disk.
//
// Every scenario ends with the same invariants ([Cluster.Check]): each
// message whose "hotline send" printed an ID is in the other party's inbox
// exactly once and in author order, both sides agree on the size of each
// log with nothing pending, no evidence was kept against anyone, and each
// side's exported transcript verifies with every cosignature.
//
// The fault suite (go test ./internal/faults), the soak
// ([Soak], go run ./cmd/hotline-faultsoak) and the route benchmark
// ([Bench], go run ./cmd/hotline-faultsoak -bench) are built on it.
package faults

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/faultproxy"
	"github.com/hotline-line/hotline/internal/node"
)

// Options shape a cluster.
type Options struct {
	Bin  string // the hotline binary
	Root string // a fresh directory for everything
	// Skew runs each party's clock off by this much (serve --clock-skew).
	Skew [2]time.Duration
	// TmpfsSize, if not zero, puts the second party's data directory on a
	// tmpfs of this many bytes (mount needs root); see ErrNoMount.
	TmpfsSize int64
	// RelayDebug runs the relay with --log-level debug: its log then has
	// a line for every put, fetch and acknowledgement (see RelayLog).
	RelayDebug bool
	// Logf, if set, receives a line for every process start, stop and
	// kill and every fault switched.
	Logf func(format string, args ...any)
}

// Cluster is a relay and two paired parties, with a proxy in front of each
// direct listener and one in front of the relay.
type Cluster struct {
	Bin     string
	Root    string
	Parties [2]*Party
	Relay   *Relay
	Line    string // the line's ID

	logf       func(format string, args ...any)
	mount      string // the tmpfs mount point, if any
	relayDebug bool
}

// Party is one side of the line.
type Party struct {
	c      *Cluster
	Slug   string
	Dir    string
	Listen string            // where its serve process listens
	Proxy  *faultproxy.Proxy // what its card advertises: peers dial this
	Skew   time.Duration

	mu   sync.Mutex
	proc *proc
	sent []Sent // messages whose send printed an ID, in order
	log  string
}

// Relay is the line's relay.
type Relay struct {
	c      *Cluster
	Dir    string
	Listen string
	Proxy  *faultproxy.Proxy // what the charter names
	log    string

	mu   sync.Mutex
	proc *proc
}

// Sent is a message a party wrote: send printed its ID.
type Sent struct {
	ID         string
	Index      uint64
	Text       string
	Precedence string
	At         time.Time // when send returned
}

var slugs = [2]struct{ slug, name, lang string }{
	{"seoul", "Ministry of National Defense, Seoul", "ko"},
	{"beijing", "Ministry of National Defense, Beijing", "zh"},
}

// ErrNoMount means the tmpfs for a full disk could not be mounted (not
// root, or no CAP_SYS_ADMIN): a test should skip, not fail.
var ErrNoMount = errors.New("cannot mount a tmpfs")

// NewCluster creates the relay and both parties in o.Root and pairs them;
// nothing runs yet (see Start).
func NewCluster(ctx context.Context, o Options) (_ *Cluster, err error) {
	c := &Cluster{Bin: o.Bin, Root: o.Root, logf: o.Logf, relayDebug: o.RelayDebug}
	if c.logf == nil {
		c.logf = func(string, ...any) {}
	}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	c.Relay = &Relay{c: c, Dir: filepath.Join(o.Root, "relay"), Listen: ports[2], log: filepath.Join(o.Root, "relay.log")}
	if c.Relay.Proxy, err = faultproxy.New(c.Relay.Listen); err != nil {
		return nil, err
	}
	if _, err := c.hl(ctx, "relay", "init", "--dir", c.Relay.Dir, "--listen", c.Relay.Listen); err != nil {
		return nil, err
	}
	key, err := c.hl(ctx, "relay", "key", "--dir", c.Relay.Dir)
	if err != nil {
		return nil, err
	}
	for i, s := range slugs {
		p := &Party{c: c, Slug: s.slug, Listen: ports[i], Skew: o.Skew[i], log: filepath.Join(o.Root, s.slug+".log")}
		p.Dir = filepath.Join(o.Root, s.slug)
		if i == 1 && o.TmpfsSize > 0 {
			if err := c.mountTmpfs(filepath.Join(o.Root, "tmpfs"), o.TmpfsSize); err != nil {
				return nil, err
			}
			p.Dir = filepath.Join(c.mount, s.slug)
		}
		if p.Proxy, err = faultproxy.New(p.Listen); err != nil {
			return nil, err
		}
		if _, err := c.hl(ctx, "init", "--dir", p.Dir, "--party", s.slug, "--name", s.name, "--lang", s.lang,
			"--listen", p.Listen, "--advertise", p.Proxy.Addr()); err != nil {
			return nil, err
		}
		c.Parties[i] = p
	}
	cards := [2]string{}
	for i, p := range c.Parties {
		b, err := c.hl(ctx, "card", "--dir", p.Dir)
		if err != nil {
			return nil, err
		}
		cards[i] = filepath.Join(o.Root, p.Slug+".card")
		if err := os.WriteFile(cards[i], b, 0o644); err != nil {
			return nil, err
		}
	}
	charterFile := filepath.Join(o.Root, "charter.txt")
	a, b := c.Parties[0], c.Parties[1]
	if _, err := c.hl(ctx, "line", "propose", "--dir", a.Dir, "--title", "fault suite", "--peer", cards[1],
		"--relay", c.Relay.Proxy.Addr()+"="+strings.TrimSpace(string(key)), "--out", charterFile); err != nil {
		return nil, err
	}
	for _, p := range []*Party{b, a} {
		if _, err := c.hl(ctx, "line", "accept", "--dir", p.Dir, charterFile); err != nil {
			return nil, err
		}
	}
	if _, err := c.hl(ctx, "relay", "add-line", "--dir", c.Relay.Dir, charterFile); err != nil {
		return nil, err
	}
	st, err := a.Status(ctx)
	if err != nil {
		return nil, err
	}
	c.Line = st.ID
	return c, nil
}

func freePorts(n int) ([]string, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	return out, nil
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

// hl runs a hotline command to completion.
func (c *Cluster) hl(ctx context.Context, args ...string) ([]byte, error) {
	return run(ctx, c.Bin, time.Minute, args...)
}

// Start starts the relay and both parties and waits until they serve.
func (c *Cluster) Start(ctx context.Context) error {
	if err := c.Relay.Start(ctx); err != nil {
		return err
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

// Tails returns the last n lines of every process log.
func (c *Cluster) Tails(n int) string {
	var b strings.Builder
	for _, p := range c.Parties {
		if p != nil {
			fmt.Fprintf(&b, "--- %s (%s)\n%s\n", p.Slug, p.log, tail(p.log, n))
		}
	}
	if c.Relay != nil {
		fmt.Fprintf(&b, "--- relay (%s)\n%s\n", c.Relay.log, tail(c.Relay.log, n))
	}
	return b.String()
}

// Peer returns the other party.
func (c *Cluster) Peer(p *Party) *Party {
	if p == c.Parties[0] {
		return c.Parties[1]
	}
	return c.Parties[0]
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

// Start starts the party's serve process and waits until its control
// socket answers.
func (p *Party) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil && p.proc.alive() {
		return fmt.Errorf("%s is already running", p.Slug)
	}
	args := []string{"serve", "--dir", p.Dir}
	if p.Skew != 0 {
		args = append(args, "--clock-skew", p.Skew.String())
	}
	pr, err := startProc(p.c.Bin, args, p.log)
	if err != nil {
		return err
	}
	p.proc = pr
	p.c.logf("%s: started (pid %d)", p.Slug, pr.cmd.Process.Pid)
	sock := filepath.Join(p.Dir, node.SocketFile)
	return waitUntil(ctx, 30*time.Second, p.Slug+" serving", func() (bool, error) {
		if !pr.alive() {
			return false, fmt.Errorf("%s exited at start: %v\n%s", p.Slug, pr.err, tail(p.log, 20))
		}
		conn, err := net.DialTimeout("unix", sock, time.Second)
		if err != nil {
			return false, nil
		}
		conn.Close()
		return true, nil
	})
}

// Kill SIGKILLs the party's serve process, if it runs.
func (p *Party) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil && p.proc.alive() {
		p.proc.kill()
		p.c.logf("%s: killed", p.Slug)
	}
}

// Stop stops the party's serve process gracefully.
func (p *Party) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil || !p.proc.alive() {
		return nil
	}
	p.c.logf("%s: stopping", p.Slug)
	return p.proc.stop(15 * time.Second)
}

// Alive reports whether the party's serve process runs. A process that
// exited when it was meant to run is a crash.
func (p *Party) Alive() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.proc != nil && p.proc.alive()
}

// Log is the path of the party's serve log.
func (p *Party) Log() string { return p.log }

// Log is the path of the relay's log.
func (r *Relay) Log() string { return r.log }

// Start starts the relay process and waits until it accepts connections.
func (r *Relay) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc != nil && r.proc.alive() {
		return errors.New("the relay is already running")
	}
	args := []string{"relay", "serve", "--dir", r.Dir}
	if r.c.relayDebug {
		args = append(args, "--log-level", "debug")
	}
	pr, err := startProc(r.c.Bin, args, r.log)
	if err != nil {
		return err
	}
	r.proc = pr
	r.c.logf("relay: started (pid %d)", pr.cmd.Process.Pid)
	return waitUntil(ctx, 30*time.Second, "relay serving", func() (bool, error) {
		if !pr.alive() {
			return false, fmt.Errorf("relay exited at start: %v\n%s", pr.err, tail(r.log, 20))
		}
		conn, err := net.DialTimeout("tcp", r.Listen, time.Second)
		if err != nil {
			return false, nil
		}
		conn.Close()
		return true, nil
	})
}

// Kill SIGKILLs the relay process, if it runs.
func (r *Relay) Kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc != nil && r.proc.alive() {
		r.proc.kill()
		r.c.logf("relay: killed")
	}
}

// Alive reports whether the relay process runs.
func (r *Relay) Alive() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.proc != nil && r.proc.alive()
}

// waitUntil polls cond every few milliseconds until it holds, fails, or d
// passes.
func waitUntil(ctx context.Context, d time.Duration, what string, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w after %v", what, ctx.Err(), d)
		case <-tick.C:
		}
	}
}
