package serve_test

// Two parties of the line turned hostile, each holding its own keys, lay
// siege to a served node over real sockets: one opens thousands of
// authenticated connections whose request body never comes, and raw
// connections that never start a handshake; the other posts 34 MB bundles
// from 16 senders without pause. (One party doing both gets its bundles
// answered 503 while its held requests fill its share; two get both kinds
// of work into the node.)
// Meanwhile an honest party's FLASH is delivered and cosigned within 2 s,
// the control socket answers, and the node's memory and descriptors stay
// within the bounds docs/operations.md states.
//
// The attacker runs in a child process (this test binary again, in
// TestSiegeAttacker), so that its own sockets and memory are not counted
// as the node's.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/demo"
	"github.com/hotline-line/hotline/internal/direct"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/serve"
	"github.com/hotline-line/hotline/internal/serve/servetest"
)

// Bounds the node keeps under siege (docs/operations.md, "Limits").
const (
	siegeMaxRSS = 256 << 20
	siegeMaxFDs = 256
	flashWithin = 2 * time.Second
	siegeFor    = 10 * time.Second
)

// siegePlan is what the attacker process does.
type siegePlan struct {
	Addr, Line     string // the node's direct route, the line
	Holder, Sender string // the data directories of the two attacking parties
	Conns          int    // authenticated connections, each with a request whose body never comes
	Raw            int    // TCP connections that never start a handshake
	Senders        int    // goroutines posting oversized bundles without pause
	BundleSize     int    // bytes of each bundle
}

const attackerEnv = "HOTLINE_SIEGE_ATTACKER"

// siegeConns is the number of held connections: a few thousand, so the
// test runs in CI in under a minute; HOTLINE_SIEGE_CONNS=20000 is the
// full-size attack (the shell needs ulimit -n above it).
func siegeConns(t *testing.T) int {
	v := os.Getenv("HOTLINE_SIEGE_CONNS")
	if v == "" {
		return 2000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("HOTLINE_SIEGE_CONNS=%q: want a number of connections", v)
	}
	return n
}

func TestSiege(t *testing.T) {
	if testing.Short() {
		t.Skip("the siege takes half a minute")
	}
	ctx := context.Background()
	parties := append(append([]demo.Party(nil), demo.Parties...),
		demo.Party{Slug: "tokyo", Name: "Tokyo", Lang: "ja"}, demo.Party{Slug: "moscow", Name: "Moscow", Lang: "ru"})
	dirs, signed, err := demo.Pair(t.TempDir(), "siege", parties)
	if err != nil {
		t.Fatal(err)
	}
	line := signed.ID()
	seoul, beijing := servetest.Start(t, dirs[0]), servetest.Start(t, dirs[1])
	for _, s := range []*serve.Server{seoul, beijing} {
		if err := s.Node.Install(ctx, signed); err != nil {
			t.Fatal(err)
		}
	}
	// Before the siege: the honest line works, and its connection is up.
	flash(t, beijing, seoul, line, 20*time.Second)
	before := sample()
	t.Logf("before the siege: %s", before)

	plan := siegePlan{Addr: seoul.DirectAddr.String(), Line: line, Holder: dirs[2], Sender: dirs[3],
		Conns: siegeConns(t), Raw: 500, Senders: 16, BundleSize: 34_000_000}
	if raceOn {
		plan.Conns, plan.Raw, plan.Senders = 200, 50, 4
	}
	attacker := startAttacker(t, plan)
	peak := watch(t)

	// FLASHes one after the other for siegeFor, each within flashWithin.
	var slowest time.Duration
	n := 0
	within := flashWithin
	if raceOn {
		within *= 10
	}
	for begin := time.Now(); time.Since(begin) < siegeFor; n++ {
		slowest = max(slowest, flash(t, beijing, seoul, line, within))
	}
	t.Logf("%d FLASHes under siege, each delivered and cosigned within %v", n, slowest)
	cl, err := control.Dial(dirs[0])
	if err != nil {
		t.Fatalf("control socket under siege: %v", err)
	}
	cctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	start := time.Now()
	if _, err := cl.Status(cctx, line); err != nil {
		t.Fatalf("hotline status under siege: %v", err)
	}
	if _, err := cl.Send(cctx, node.SendRequest{Line: line, Text: "still here", Key: "siege"}); err != nil {
		t.Fatalf("hotline send under siege: %v", err)
	}
	t.Logf("status and send over the control socket under siege: %v", time.Since(start))

	report := attacker.stop(t)
	p := peak()
	t.Logf("attacker: %s", report)
	t.Logf("node under siege, at most: %s", p)
	if raceOn {
		return // the race detector's own memory and time are not the node's
	}
	if p.rss > siegeMaxRSS {
		t.Errorf("resident memory reached %d MB, bound %d MB", p.rss>>20, siegeMaxRSS>>20)
	}
	if p.fds > siegeMaxFDs {
		t.Errorf("descriptors reached %d, bound %d", p.fds, siegeMaxFDs)
	}
}

// flash sends a FLASH from one served node to another and waits until the
// recipient holds it and the sender holds the recipient's cosignature.
func flash(t *testing.T, from, to *serve.Server, line string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	id, err := from.Node.Send(context.Background(), node.SendRequest{Line: line, Precedence: entry.Flash, Text: "FLASH " + start.Format(time.StampMilli)})
	if err != nil {
		t.Fatal(err)
	}
	index, err := strconv.ParseUint(id[strings.LastIndexByte(id, '-')+1:], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, within, "the FLASH "+id+" delivered and cosigned", func() bool {
		_, held := to.Node.Message(line, id)
		cosigned, _ := from.Node.Receipt(line, to.Node.Me())
		return held == nil && cosigned > index
	})
	return time.Since(start)
}

// usage is what this process (the served nodes) holds.
type usage struct {
	rss int64 // resident bytes
	fds int   // open descriptors
}

func (u usage) String() string {
	return fmt.Sprintf("%d MB resident, %d descriptors", u.rss>>20, u.fds)
}

func sample() usage {
	var u usage
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		u.fds = len(ents)
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				u.rss = kb << 10
			}
		}
	}
	return u
}

// watch samples usage every 20 ms until the returned function is called,
// which gives the highest values seen.
func watch(t *testing.T) func() usage {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc: cannot measure the node")
	}
	done, out := make(chan struct{}), make(chan usage)
	go func() {
		var p usage
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			u := sample()
			p.rss, p.fds = max(p.rss, u.rss), max(p.fds, u.fds)
			select {
			case <-tick.C:
			case <-done:
				out <- p
				return
			}
		}
	}()
	var once sync.Once
	var p usage
	stop := func() usage {
		once.Do(func() { close(done); p = <-out })
		return p
	}
	t.Cleanup(func() { stop() })
	return stop
}

// attackerProc is the running attacker.
type attackerProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *bytes.Buffer
}

// startAttacker runs TestSiegeAttacker in a child process and waits until
// its connections are open.
func startAttacker(t *testing.T, plan siegePlan) *attackerProc {
	t.Helper()
	js, _ := json.Marshal(plan)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSiegeAttacker$", "-test.v")
	cmd.Env = append(os.Environ(), attackerEnv+"="+string(js))
	a := &attackerProc{cmd: cmd, stderr: &bytes.Buffer{}}
	var err error
	if a.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = a.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.stop(t) })
	readyLine := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l, ok := strings.CutPrefix(sc.Text(), "siege: ready "); ok {
				readyLine <- l
			}
		}
		close(readyLine)
	}()
	// Opening the connections takes a few seconds per thousand.
	ready := 30*time.Second + time.Duration(plan.Conns+plan.Raw)*5*time.Millisecond
	select {
	case l, ok := <-readyLine:
		if !ok {
			t.Fatalf("the attacker stopped before it was ready:\n%s", a.stderr)
		}
		t.Logf("attacker ready: %s", l)
	case <-time.After(ready):
		t.Fatalf("the attacker was not ready after %v", ready)
	}
	return a
}

// stop ends the attacker and returns what it reported.
func (a *attackerProc) stop(t *testing.T) string {
	if a.stdin != nil {
		a.stdin.Close()
		a.stdin = nil
		done := make(chan error, 1)
		go func() { done <- a.cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("attacker: %v\n%s", err, a.stderr)
			}
		case <-time.After(30 * time.Second):
			a.cmd.Process.Kill()
			<-done
			t.Errorf("the attacker did not stop")
		}
	}
	return strings.TrimSpace(a.stderr.String())
}

// TestSiegeAttacker is the attacker's process; it runs only when TestSiege
// starts it, and lasts until its standard input closes.
func TestSiegeAttacker(t *testing.T) {
	js := os.Getenv(attackerEnv)
	if js == "" {
		t.Skip("the attacker's half of TestSiege")
	}
	var plan siegePlan
	if err := json.Unmarshal([]byte(js), &plan); err != nil {
		t.Fatal(err)
	}
	conf := as(t, plan.Holder)
	stop := make(chan struct{})
	stopCtx, cancel := context.WithCancel(context.Background())
	go func() { io.Copy(io.Discard, os.Stdin); close(stop); cancel() }()

	var held, cut, failed, rawHeld atomic.Int64
	var wg sync.WaitGroup
	// Authenticated connections, each with a request whose body never comes.
	handshaking := make(chan struct{}, 32)
	for range plan.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case handshaking <- struct{}{}:
			case <-stop:
				return
			}
			c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", plan.Addr, h1(conf))
			<-handshaking
			if err != nil {
				failed.Add(1)
				return
			}
			defer c.Close()
			held.Add(1)
			fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: hotline\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", direct.Path, plan.BundleSize)
			closed := make(chan struct{})
			go func() { io.Copy(io.Discard, c); close(closed) }()
			select {
			case <-closed:
				cut.Add(1)
			case <-stop:
			}
		}()
	}
	// Connections that never start the handshake.
	for range plan.Raw {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", plan.Addr, 10*time.Second)
			if err != nil {
				return
			}
			defer c.Close()
			rawHeld.Add(1)
			closed := make(chan struct{})
			go func() { io.Copy(io.Discard, c); close(closed) }()
			select {
			case <-closed:
			case <-stop:
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for held.Load()+failed.Load() < int64(plan.Conns) {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
		fmt.Printf("siege: ready %d connections opened, %d already cut by the node, %d failed; %d raw\n",
			held.Load(), cut.Load(), failed.Load(), rawHeld.Load())
	}()

	// Oversized bundles, half well-formed with 2000 large entries, half
	// claiming a million entries, posted over HTTP/2 without pause.
	bundles := [][]byte{wideBundle(plan), longBundle(plan)}
	tr := &http.Transport{TLSClientConfig: as(t, plan.Sender), ForceAttemptHTTP2: true}
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	var mu sync.Mutex
	statuses := map[string]int{}
	for i := range plan.Senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := bundles[i%2]
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequestWithContext(stopCtx, http.MethodPost, "https://"+plan.Addr+direct.Path, bytes.NewReader(body))
				resp, err := hc.Do(req)
				status := "error"
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = strconv.Itoa(resp.StatusCode)
				}
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			}
		}()
	}
	<-stop
	wg.Wait()
	fmt.Fprintf(os.Stderr, "%d connections held, %d of them cut by the node, %d failed, %d raw; bundle replies %v\n",
		held.Load(), cut.Load(), failed.Load(), rawHeld.Load(), statuses)
}

// as is a TLS client configuration with the keys of the party in dir.
func as(t *testing.T, dir string) *tls.Config {
	_, keys, err := node.LoadIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := keys.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}
}

// h1 is conf for HTTP/1.1, where a request's body can be left unsent.
func h1(conf *tls.Config) *tls.Config {
	c := conf.Clone()
	c.NextProtos = []string{"http/1.1"}
	return c
}

func bundleHead(plan siegePlan) string {
	return `{"v":1,"line":"` + plan.Line + `","from":"moscow","segments":[{"author":"moscow","checkpoint":"AA==","start":0,"entries":[`
}

// wideBundle is a well-formed bundle of about plan.BundleSize bytes: 2000
// entries with large envelopes.
func wideBundle(plan siegePlan) []byte {
	per := plan.BundleSize / 2000
	env := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{'e'}, per*3/4-48))
	var b bytes.Buffer
	b.WriteString(bundleHead(plan))
	for i := range 2000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"leaf":"bGVhZg==","envelope":"` + env + `"}`)
	}
	b.WriteString("]}]}\n")
	return b.Bytes()
}

// longBundle is a bundle of about plan.BundleSize bytes whose one segment
// claims a million entries.
func longBundle(plan siegePlan) []byte {
	var b bytes.Buffer
	b.WriteString(bundleHead(plan))
	for i := 0; b.Len() < plan.BundleSize; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"leaf":"bGVhZg==","envelope":"ZW52ZWxvcGU="}`)
	}
	b.WriteString("]}]}\n")
	return b.Bytes()
}
