// Package soak drives real hotline processes: it builds the hotline
// binary, creates two parties with "hotline init", pairs them with the same
// card / line propose / line accept ceremony a user runs, starts and
// SIGKILLs "hotline serve" processes, sends with "hotline send", and reads
// state back only through the command line's JSON output (inbox --json,
// inbox --outbox --json, status --json). Nothing is mocked: real SQLite
// files, real mutual TLS on loopback, real process crashes.
//
// The end-to-end tests in internal/e2e and the soak command
// (go run ./cmd/hotline-soak) are built on it.
package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hotline-line/hotline/internal/node"
)

// Party is one side of the line.
type Party struct {
	Slug, Name, Lang string
}

// Parties are the two sides: the defense ministries in Seoul and Beijing.
var Parties = [2]Party{
	{"seoul", "대한민국 국방부 (Ministry of National Defense, Seoul)", "ko"},
	{"beijing", "中华人民共和国国防部 (Ministry of National Defense, Beijing)", "zh"},
}

// Cluster is two paired parties, each with its own data directory and, when
// up, its own "hotline serve" process.
type Cluster struct {
	Bin   string
	Root  string
	Nodes [2]*Node
	Line  string // the line's ID

	// Logf, if set, receives a line for every start, stop and kill.
	Logf func(format string, args ...any)

	probMu   sync.Mutex
	problems []string // signs of a bug in the output of CLI commands
}

// Node is one party's data directory and serve process.
type Node struct {
	Party
	Dir  string
	Addr string // the direct-route listener
	Log  string // stderr of every serve run, appended
	c    *Cluster
	peer *Node

	mu     sync.Mutex
	proc   *process // nil when down
	starts int
	kills  int
}

type process struct {
	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has exited and been reaped
	err    error         // Wait's result, set before done is closed
	offset int64         // where this run's stderr starts in the log
}

// Timeouts for single CLI invocations, for a listing of messages (whose
// cost grows with the log), and for a serve to come up and to stop.
var (
	CommandTimeout = 60 * time.Second
	ListTimeout    = 10 * time.Minute
	StartTimeout   = 60 * time.Second
	StopTimeout    = 60 * time.Second
)

func (c *Cluster) logf(format string, args ...any) {
	if c.Logf != nil {
		c.Logf(format, args...)
	}
}

// NewCluster creates both parties under root with "hotline init" and pairs
// them with "hotline card", "hotline line propose" and "hotline line
// accept". No serve is running when it returns.
func NewCluster(ctx context.Context, bin, root string) (*Cluster, error) {
	c := &Cluster{Bin: bin, Root: root}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	for i, p := range Parties {
		n := &Node{Party: p, c: c,
			Dir:  filepath.Join(root, p.Slug),
			Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[i])),
			Log:  filepath.Join(root, p.Slug+".serve.log")}
		if _, err := c.Run(ctx, "init", "--dir", n.Dir, "--party", p.Slug, "--name", p.Name,
			"--lang", p.Lang, "--listen", n.Addr); err != nil {
			return nil, err
		}
		c.Nodes[i] = n
	}
	c.Nodes[0].peer, c.Nodes[1].peer = c.Nodes[1], c.Nodes[0]
	// The ceremony: each party exports its card and reads its fingerprint
	// to the other by phone; Seoul proposes, Beijing signs, Seoul signs.
	fingerprints := map[string]string{}
	for _, n := range c.Nodes {
		out, errOut, err := c.run(ctx, CommandTimeout, "card", "--dir", n.Dir)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(root, n.Slug+".card"), out, 0o644); err != nil {
			return nil, err
		}
		fp := between(string(errOut), "fingerprint: ", "\n")
		if fp == "" {
			return nil, fmt.Errorf("hotline card printed no fingerprint:\n%s", errOut)
		}
		fingerprints[n.Slug] = fp
	}
	charterFile := filepath.Join(root, "charter.txt")
	_, errOut, err := c.run(ctx, CommandTimeout, "line", "propose", "--dir", c.Nodes[0].Dir,
		"--title", "Seoul–Beijing defense hotline", "--peer", filepath.Join(root, c.Nodes[1].Slug+".card"),
		"--out", charterFile)
	if err != nil {
		return nil, err
	}
	if fp := fingerprints[c.Nodes[1].Slug]; !strings.Contains(string(errOut), fp) {
		return nil, fmt.Errorf("line propose shows another fingerprint for %s than its card (%s):\n%s", c.Nodes[1].Slug, fp, errOut)
	}
	for _, n := range []*Node{c.Nodes[1], c.Nodes[0]} {
		_, errOut, err := c.run(ctx, CommandTimeout, "line", "accept", "--dir", n.Dir, charterFile)
		if err != nil {
			return nil, err
		}
		for slug, fp := range fingerprints {
			if !strings.Contains(string(errOut), fp) {
				return nil, fmt.Errorf("line accept on %s does not show %s's fingerprint %s:\n%s", n.Slug, slug, fp, errOut)
			}
		}
	}
	for _, n := range c.Nodes {
		st, err := n.Status(ctx)
		if err != nil {
			return nil, err
		}
		if c.Line == "" {
			c.Line = st.ID
		}
		if st.ID != c.Line || st.Me != n.Slug || st.State != "open" || len(st.Parties) != 2 {
			return nil, fmt.Errorf("%s after pairing: line %s %s, me %s, %d parties (want line %s open, 2 parties)",
				n.Slug, st.ID, st.State, st.Me, len(st.Parties), c.Line)
		}
	}
	return c, nil
}

func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return strings.TrimSpace(v)
}

// freePorts returns n distinct loopback ports that are free now. They come
// from below the usual ephemeral range (32768 and up), so that outgoing
// connections of other programs on the machine do not take them while a
// node is down between a kill and its restart.
func freePorts(n int) ([]int, error) {
	var ports []int
	seen := map[int]bool{}
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			return nil, errors.New("no free loopback port in 20000-32000")
		}
		p := 20000 + rand.IntN(12000)
		if seen[p] {
			continue
		}
		seen[p] = true
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		l.Close()
		ports = append(ports, p)
	}
	return ports, nil
}

// env is the environment of every hotline process. A race-enabled binary
// would otherwise sleep a second at every exit.
func env() []string {
	e := os.Environ()
	g := os.Getenv("GORACE")
	if !strings.Contains(g, "atexit_sleep_ms") {
		g = strings.TrimSpace(g + " atexit_sleep_ms=0")
	}
	return append(e, "GORACE="+g, "HOTLINE_DIR=")
}

// CommandError is a hotline command that failed.
type CommandError struct {
	Args   []string
	Err    error
	Stderr string
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("hotline %s: %v: %s", strings.Join(e.Args, " "), e.Err, strings.TrimSpace(e.Stderr))
}

func (e *CommandError) Unwrap() error { return e.Err }

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

func (c *Cluster) runEnv(ctx context.Context, timeout time.Duration, extra []string, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Bin, args...)
	cmd.Env = append(env(), extra...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	c.scan("hotline "+strings.Join(args, " "), e.String())
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", err, context.Cause(ctx))
		}
		return o.Bytes(), e.Bytes(), &CommandError{Args: args, Err: err, Stderr: e.String()}
	}
	return o.Bytes(), e.Bytes(), nil
}

// Up reports whether the node's serve process is running.
func (n *Node) Up() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.proc != nil
}

// Kills is how many times the node was SIGKILLed.
func (n *Node) Kills() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.kills
}

// Start starts "hotline serve" and waits until it answers on its control
// socket with its links running. A start that loses the data directory's
// lock to a concurrent offline "hotline send" is retried until
// StartTimeout; any other early exit is an error.
func (n *Node) Start(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc != nil {
		return fmt.Errorf("%s: serve already running", n.Slug)
	}
	deadline := time.Now().Add(StartTimeout)
	for attempt := 1; ; attempt++ {
		p, err := n.spawn()
		if err != nil {
			return err
		}
		err = n.waitReady(ctx, p, deadline)
		if err == nil {
			n.proc = p
			return nil
		}
		if p.running() {
			p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
		var lost *lockLost
		if !errors.As(err, &lost) || time.Now().After(deadline) {
			return fmt.Errorf("%s: start serve (attempt %d): %w", n.Slug, attempt, err)
		}
		n.c.logf("%s: serve lost the lock to another hotline process; retrying", n.Slug)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(10+rand.IntN(40)) * time.Millisecond):
		}
	}
}

type lockLost struct{ msg string }

func (e *lockLost) Error() string { return e.msg }

func (n *Node) spawn() (*process, error) {
	f, err := os.OpenFile(n.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n.starts++
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(n.c.Bin, "serve", "--dir", n.Dir, "--log-level", "info")
	cmd.Env = env()
	cmd.Stdout, cmd.Stderr = f, f
	fmt.Fprintf(f, "=== soak: serve start #%d at %s\n", n.starts, time.Now().UTC().Format(time.RFC3339Nano))
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{}), offset: fi.Size()}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	n.c.logf("%s: serve started, pid %d", n.Slug, cmd.Process.Pid)
	return p, nil
}

func (p *process) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// waitReady polls until the serve process answers on its control socket
// and reports the line with its links running, or exits, or the deadline
// passes.
func (n *Node) waitReady(ctx context.Context, p *process, deadline time.Time) error {
	sock := filepath.Join(n.Dir, node.SocketFile)
	for {
		if !p.running() {
			out := n.logSince(p.offset)
			if strings.Contains(out, node.ErrLocked.Error()) {
				return &lockLost{msg: strings.TrimSpace(out)}
			}
			return fmt.Errorf("serve exited (%v) before it was ready:\n%s", p.err, out)
		}
		if conn, err := net.DialTimeout("unix", sock, time.Second); err == nil {
			conn.Close()
			// The socket answers, so hotline status talks to this serve
			// (it never opens the node itself while the socket answers).
			st, err := n.Status(ctx)
			if err == nil && served(st) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("serve not ready after %v:\n%s", StartTimeout, n.logSince(p.offset))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// served reports whether a status comes from a node whose links run: only
// then does it carry route health.
func served(st *node.LineStatus) bool {
	for _, p := range st.Parties {
		if p.Party != st.Me && len(p.Routes) == 0 {
			return false
		}
	}
	return true
}

func (n *Node) logSince(offset int64) string {
	b, err := os.ReadFile(n.Log)
	if err != nil || offset > int64(len(b)) {
		return ""
	}
	return string(b[offset:])
}

// Kill SIGKILLs the serve process and waits until it is gone.
func (n *Node) Kill() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc == nil {
		return fmt.Errorf("%s: serve is not running", n.Slug)
	}
	p := n.proc
	n.proc = nil
	n.kills++
	if !p.running() {
		return fmt.Errorf("%s: serve had exited by itself (%v):\n%s", n.Slug, p.err, n.logSince(p.offset))
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	n.c.logf("%s: serve killed", n.Slug)
	return nil
}

// Stop asks serve to stop (SIGTERM) and waits for a clean exit. A serve
// that does not stop within StopTimeout is killed and reported as hung.
func (n *Node) Stop() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.proc
	if p == nil {
		return nil
	}
	n.proc = nil
	if !p.running() {
		return fmt.Errorf("%s: serve had exited by itself (%v):\n%s", n.Slug, p.err, n.logSince(p.offset))
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(StopTimeout):
		p.cmd.Process.Signal(syscall.SIGQUIT) // a goroutine dump into the log
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
		return fmt.Errorf("%s: serve did not stop within %v of SIGTERM; its goroutines:\n%s", n.Slug, StopTimeout, ownStacks(n.logSince(p.offset)))
	}
	n.c.logf("%s: serve stopped", n.Slug)
	if p.err != nil {
		return fmt.Errorf("%s: serve exited with %v after SIGTERM:\n%s", n.Slug, p.err, tail(n.logSince(p.offset), 40))
	}
	return nil
}

// Close kills whatever still runs.
func (c *Cluster) Close() {
	for _, n := range c.Nodes {
		if n != nil && n.Up() {
			n.Kill()
		}
	}
}

// Send runs "hotline send" and returns the ID it printed. The message is
// accepted (on disk, queued) if and only if err is nil.
func (n *Node) Send(ctx context.Context, text string) (string, error) {
	out, err := n.c.Run(ctx, "send", "--dir", n.Dir, text)
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(string(out))
	if !strings.HasPrefix(id, n.Slug+"-") || strings.ContainsAny(id, " \n") {
		return "", fmt.Errorf("hotline send printed %q, not a message ID", out)
	}
	return id, nil
}

// Inbox lists up to limit messages received from the peer, newest first.
func (n *Node) Inbox(ctx context.Context, limit int) ([]node.Message, error) {
	return n.messages(ctx, false, limit)
}

// Outbox lists up to limit of this party's messages, newest first.
func (n *Node) Outbox(ctx context.Context, limit int) ([]node.Message, error) {
	return n.messages(ctx, true, limit)
}

func (n *Node) messages(ctx context.Context, outbox bool, limit int) ([]node.Message, error) {
	args := []string{"inbox", "--dir", n.Dir, "--json", "--limit", strconv.Itoa(limit)}
	if outbox {
		args = append(args, "--outbox")
	}
	out, _, err := n.c.run(ctx, ListTimeout, args...)
	if err != nil {
		return nil, err
	}
	var msgs []node.Message
	if err := json.Unmarshal(out, &msgs); err != nil {
		return nil, fmt.Errorf("hotline %s: %w", strings.Join(args, " "), err)
	}
	return msgs, nil
}

// Status runs "hotline status --json".
func (n *Node) Status(ctx context.Context) (*node.LineStatus, error) {
	out, err := n.c.Run(ctx, "status", "--dir", n.Dir, "--json")
	if err != nil {
		return nil, err
	}
	var st node.LineStatus
	if err := json.Unmarshal(out, &st); err != nil {
		return nil, fmt.Errorf("hotline status --json: %w", err)
	}
	return &st, nil
}

// party returns slug's entry in a status.
func party(st *node.LineStatus, slug string) *node.PartyStatus {
	for i := range st.Parties {
		if st.Parties[i].Party == slug {
			return &st.Parties[i]
		}
	}
	return nil
}

// Sizes is where the line stands, read from both nodes' status.
type Sizes struct {
	Log      [2]uint64 // each party's own log size
	Held     [2]uint64 // how much of the other party's log each holds
	Receipt  [2]uint64 // how much of its own log each holds a cosignature for
	Pending  [2]uint64
	Statuses [2]*node.LineStatus
}

// Converged reports whether each party holds all of the other's log and
// holds the other's cosignature on all of its own.
func (s *Sizes) Converged() bool {
	for i := range 2 {
		if s.Receipt[i] != s.Log[i] || s.Pending[i] != 0 || s.Held[1-i] != s.Log[i] {
			return false
		}
	}
	return true
}

func (s *Sizes) String() string {
	return fmt.Sprintf("%s log %d (cosigned %d, pending %d), held by %s %d; %s log %d (cosigned %d, pending %d), held by %s %d",
		Parties[0].Slug, s.Log[0], s.Receipt[0], s.Pending[0], Parties[1].Slug, s.Held[1],
		Parties[1].Slug, s.Log[1], s.Receipt[1], s.Pending[1], Parties[0].Slug, s.Held[0])
}

// Sizes reads both nodes' status.
func (c *Cluster) Sizes(ctx context.Context) (*Sizes, error) {
	var s Sizes
	for i, n := range c.Nodes {
		st, err := n.Status(ctx)
		if err != nil {
			return nil, err
		}
		me, peer := party(st, n.Slug), party(st, n.peer.Slug)
		if me == nil || peer == nil {
			return nil, fmt.Errorf("%s: status lacks a party: %+v", n.Slug, st)
		}
		s.Log[i], s.Held[i], s.Receipt[i], s.Pending[i] = me.LogSize, peer.LogSize, peer.Receipt, peer.Pending
		s.Statuses[i] = st
	}
	return &s, nil
}

// WaitConverged polls both nodes' status until the line has converged:
// every entry of each log is held and cosigned by the other party. Both
// serves must be up.
func (c *Cluster) WaitConverged(ctx context.Context, timeout time.Duration) (*Sizes, error) {
	deadline := time.Now().Add(timeout)
	for {
		s, err := c.Sizes(ctx)
		if err == nil && s.Converged() {
			return s, nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return nil, fmt.Errorf("not converged after %v: %w", timeout, err)
			}
			return s, fmt.Errorf("not converged after %v: %s", timeout, s)
		}
		for _, n := range c.Nodes {
			if !n.Up() {
				return nil, fmt.Errorf("waiting for convergence: %s is not serving", n.Slug)
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Signs of a bug in a hotline process's output: a data race (when the
// binary is built with -race), a panic, a fatal runtime error, input from
// the peer refused as evidence of misbehaviour, a failed commit.
var bugSigns = []string{"WARNING: DATA RACE", "panic:", "fatal error:", "refused input from peer", "commit failed"}

func problemLines(out string) []string {
	var found []string
	for _, line := range strings.Split(out, "\n") {
		for _, sign := range bugSigns {
			if strings.Contains(line, sign) {
				found = append(found, line)
				break
			}
		}
	}
	return found
}

// scan records signs of a bug in the standard error of a CLI command: an
// offline "hotline send" runs the whole node, so it can race or panic too.
func (c *Cluster) scan(what, stderr string) {
	found := problemLines(stderr)
	if len(found) == 0 {
		return
	}
	c.probMu.Lock()
	defer c.probMu.Unlock()
	for _, l := range found {
		c.problems = append(c.problems, what+": "+l)
	}
}

// LogProblems returns the signs of a bug found in every serve log and in
// the output of every CLI command run so far.
func (c *Cluster) LogProblems() []string {
	var out []string
	for _, n := range c.Nodes {
		b, err := os.ReadFile(n.Log)
		if err != nil {
			continue
		}
		for _, l := range problemLines(string(b)) {
			out = append(out, n.Slug+" serve: "+l)
		}
	}
	c.probMu.Lock()
	defer c.probMu.Unlock()
	return append(out, c.problems...)
}

// Tails returns the last lines of every serve log, for a failure report.
func (c *Cluster) Tails(lines int) string {
	var b strings.Builder
	for _, n := range c.Nodes {
		if n == nil {
			continue
		}
		log, _ := os.ReadFile(n.Log)
		fmt.Fprintf(&b, "--- last %d lines of %s ---\n%s\n", lines, n.Log, tail(string(log), lines))
	}
	return b.String()
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// ownStacks returns the goroutines of a Go traceback that run hotline
// code, leaving out the runtime's own.
func ownStacks(out string) string {
	var keep []string
	for _, block := range strings.Split(out, "\n\n") {
		if strings.HasPrefix(block, "goroutine ") && strings.Contains(block, "hotline-line/hotline") {
			keep = append(keep, block)
		}
	}
	if len(keep) == 0 {
		return tail(out, 100)
	}
	return strings.Join(keep, "\n\n")
}

// KeepLogs copies every serve log into dir.
func (c *Cluster) KeepLogs(dir string) error {
	for _, n := range c.Nodes {
		if n == nil {
			continue
		}
		b, err := os.ReadFile(n.Log)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(n.Log)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
