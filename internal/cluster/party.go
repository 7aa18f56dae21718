package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/faultproxy"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/testload"
)

// Identity is who a party is.
type Identity struct {
	Slug, Name, Lang string
}

// Parties are the two sides: the defense ministries in Seoul and Beijing.
var Parties = [2]Identity{
	{"seoul", "대한민국 국방부 (Ministry of National Defense, Seoul)", "ko"},
	{"beijing", "中华人民共和国国防部 (Ministry of National Defense, Beijing)", "zh"},
}

// Party is one side of the line: its data directory and, when up, its
// "hotline serve" process.
type Party struct {
	Identity
	Dir    string
	Listen string            // where its serve process listens
	Proxy  *faultproxy.Proxy // with Options.FaultRoutes: what its card advertises, so peers dial this
	log    string
	c      *Cluster
	peer   *Party

	mu    sync.Mutex
	proc  *Proc // nil when down
	kills int
	skew  time.Duration
}

// Log is the path of the party's serve log: every run's output, appended.
func (p *Party) Log() string { return p.log }

// Alive reports whether the party's serve process runs. A process that
// exited when it was meant to run is a crash.
func (p *Party) Alive() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.proc != nil && p.proc.Alive()
}

// Kills is how many times the serve process was SIGKILLed.
func (p *Party) Kills() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.kills
}

// SetSkew sets the clock skew (serve --clock-skew) of the next start.
func (p *Party) SetSkew(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.skew = d
}

// Start starts "hotline serve" and waits until it serves (see
// StartServe). A start that loses the data directory's lock to a
// concurrent offline "hotline send" is retried until StartTimeout; any
// other early exit is an error.
func (p *Party) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil && p.proc.Alive() {
		return fmt.Errorf("%s: serve already running", p.Slug)
	}
	p.proc = nil
	args := []string{"--log-level", "info"}
	if p.skew != 0 {
		args = append(args, "--clock-skew", p.skew.String())
	}
	deadline := time.Now().Add(testload.Scale(StartTimeout))
	for attempt := 1; ; attempt++ {
		pr, err := StartServe(ctx, p.c.Bin, p.Dir, p.log, args...)
		if err == nil {
			p.proc = pr
			p.c.logf("%s: serve started, pid %d", p.Slug, pr.Pid())
			return nil
		}
		var lost *lockLost
		if !errors.As(err, &lost) || time.Now().After(deadline) {
			return fmt.Errorf("%s: start serve (attempt %d): %w", p.Slug, attempt, err)
		}
		p.c.logf("%s: serve lost the lock to another hotline process; retrying", p.Slug)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(10+rand.IntN(40)) * time.Millisecond):
		}
	}
}

type lockLost struct{ msg string }

func (e *lockLost) Error() string { return e.msg }

// StartServe starts "bin serve --dir dir args..." with its output
// appended to log, and waits until it answers on its control socket with
// its links running. A serve that exits first, or is not ready within
// StartTimeout, is an error (and is killed).
func StartServe(ctx context.Context, bin, dir, log string, args ...string) (*Proc, error) {
	pr, err := StartProc(bin, append([]string{"serve", "--dir", dir}, args...), log)
	if err != nil {
		return nil, err
	}
	if err := waitServing(ctx, bin, dir, pr); err != nil {
		if pr.Alive() {
			pr.Kill()
		}
		return nil, err
	}
	return pr, nil
}

// waitServing polls until the serve process answers on its control
// socket and reports the line with its links running, or exits, or
// StartTimeout passes.
func waitServing(ctx context.Context, bin, dir string, pr *Proc) error {
	sock := filepath.Join(dir, node.SocketFile)
	return Poll(ctx, StartTimeout, "serve in "+dir+" to be ready", func() (bool, error) {
		if !pr.Alive() {
			out := pr.Output()
			if strings.Contains(out, node.ErrLocked.Error()) {
				return false, &lockLost{msg: strings.TrimSpace(out)}
			}
			return false, fmt.Errorf("serve exited (%v) before it was ready:\n%s", pr.err, Tail(out, 40))
		}
		conn, err := net.DialTimeout("unix", sock, time.Second)
		if err != nil {
			return false, nil
		}
		conn.Close()
		// The socket answers, so hotline status talks to this serve (it
		// never opens the node itself while the socket answers).
		st, err := status(ctx, bin, dir)
		return err == nil && served(st), nil
	})
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

// Kill SIGKILLs the serve process and waits until it is gone. It is an
// error if none was meant to run, or if it had exited by itself.
func (p *Party) Kill() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr := p.proc
	if pr == nil {
		return fmt.Errorf("%s: serve is not running", p.Slug)
	}
	p.proc = nil
	p.kills++
	if !pr.Alive() {
		return fmt.Errorf("%s: serve %w", p.Slug, pr.Exited())
	}
	pr.Kill()
	p.c.logf("%s: serve killed", p.Slug)
	return nil
}

// Stop asks serve to stop (SIGTERM) and waits for a clean exit; see
// Proc.Stop.
func (p *Party) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr := p.proc
	if pr == nil {
		return nil
	}
	p.proc = nil
	if !pr.Alive() {
		return fmt.Errorf("%s: serve %w", p.Slug, pr.Exited())
	}
	if err := pr.Stop(testload.Scale(StopTimeout)); err != nil {
		return fmt.Errorf("%s: serve %w", p.Slug, err)
	}
	p.c.logf("%s: serve stopped", p.Slug)
	return nil
}

// Send runs "hotline send" (with --precedence unless precedence is "")
// and returns the ID it printed. The message is accepted (on disk,
// queued) if and only if err is nil.
func (p *Party) Send(ctx context.Context, precedence, text string) (string, error) {
	args := []string{"send", "--dir", p.Dir}
	if precedence != "" {
		args = append(args, "--precedence", precedence)
	}
	out, err := p.c.Run(ctx, append(args, text)...)
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(string(out))
	if author, _, err := entry.ParseID(id); err != nil || author != p.Slug {
		return "", fmt.Errorf("hotline send printed %q, not a message ID of %s", out, p.Slug)
	}
	return id, nil
}

// Inbox lists up to limit messages received from the peer, newest first.
func (p *Party) Inbox(ctx context.Context, limit int) ([]node.Message, error) {
	return p.messages(ctx, false, limit)
}

// Outbox lists up to limit of this party's messages, newest first.
func (p *Party) Outbox(ctx context.Context, limit int) ([]node.Message, error) {
	return p.messages(ctx, true, limit)
}

func (p *Party) messages(ctx context.Context, outbox bool, limit int) ([]node.Message, error) {
	args := []string{"inbox", "--dir", p.Dir, "--json", "--limit", strconv.Itoa(limit)}
	if outbox {
		args = append(args, "--outbox")
	}
	out, _, err := p.c.run(ctx, ListTimeout, args...)
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
func (p *Party) Status(ctx context.Context) (*node.LineStatus, error) {
	out, err := p.c.Run(ctx, "status", "--dir", p.Dir, "--json")
	if err != nil {
		return nil, err
	}
	return decodeStatus(out)
}

func status(ctx context.Context, bin, dir string) (*node.LineStatus, error) {
	out, _, err := Run(ctx, bin, CommandTimeout, nil, "status", "--dir", dir, "--json")
	if err != nil {
		return nil, err
	}
	return decodeStatus(out)
}

func decodeStatus(out []byte) (*node.LineStatus, error) {
	var st node.LineStatus
	if err := json.Unmarshal(out, &st); err != nil {
		return nil, fmt.Errorf("hotline status --json: %w", err)
	}
	return &st, nil
}

// Mine returns the party's own entry and its peer's in a status.
func (p *Party) Mine(st *node.LineStatus) (mine, peer *node.PartyStatus) {
	for i := range st.Parties {
		switch st.Parties[i].Party {
		case p.Slug:
			mine = &st.Parties[i]
		case p.peer.Slug:
			peer = &st.Parties[i]
		}
	}
	return mine, peer
}

// Skew is the clock skew of the next start.
func (p *Party) Skew() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.skew
}
