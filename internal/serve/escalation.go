package serve

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hotline-line/hotline/internal/duty"
	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/node"
)

// newEscalation builds the escalation engine of node n on the chain in its
// escalation.json (the console alarm alone without it), with the node's
// alerts as its source, evaluated at their deadlines too, and its state
// beside the node's database.
func newEscalation(n *node.Node, chain *escalate.Config, log *slog.Logger, now func() time.Time) (*escalate.Engine, error) {
	src := duty.New(n)
	return escalate.New(chain, src.Alerts, escalate.Options{Now: now, Logger: log, StateDir: n.Dir, Party: n.Me(), Next: src.Next})
}

// runEscalation runs the engine until ctx ends. A commit that may open or
// close an alert at once (a peer's FLASH, an acknowledgement) wakes it, so
// that the alarm opens when the FLASH arrives; everyday traffic does not,
// and costs escalation nothing on the path of a message (its deadlines
// reach the engine at its next evaluation).
func (s *Server) runEscalation(ctx context.Context, log *slog.Logger) {
	n, e := s.Node, s.Alerts
	if path := e.Config().Path; path != "" {
		log.Info("escalation", "chain", path, "steps", len(e.Config().Steps))
	} else {
		log.Info("escalation", "chain", "none: the console alarm only (see "+escalate.File+")")
	}
	s.alertsDone = make(chan struct{})
	go func() {
		defer close(s.alertsDone)
		e.Run(ctx)
	}()
	go func() {
		for {
			// Taken before waiting: a commit between two waits still
			// closes the channel taken here.
			ch := n.Alarming()
			select {
			case <-ctx.Done():
				return
			case <-ch:
				e.Wake()
			}
		}
	}()
}

// escalationStopWait bounds how long closing waits for the engine: its
// reads stop with the serving context, so it returns at once unless
// something is badly wrong, and then a node asked to stop must still stop
// within the two seconds an operator (or a service manager) is promised.
const escalationStopWait = time.Second

// closeEscalation waits for the engine to stop (the serving context has
// ended) and closes its state. An engine that does not stop in time is
// left running: its state holds what it last saved, and the process is
// going away.
func (s *Server) closeEscalation() error {
	if s.alertsDone != nil {
		t := time.NewTimer(escalationStopWait)
		defer t.Stop()
		select {
		case <-s.alertsDone:
		case <-t.C:
			return fmt.Errorf("escalation: the engine did not stop within %v; its state is as last saved", escalationStopWait)
		}
	}
	return s.Alerts.Close()
}
