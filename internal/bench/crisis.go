package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/node"
)

// Silence is how long the line is quiet before each message of the
// sporadic phase: long enough for idle connections, caches and the
// writer's company-waiting to have settled, as on a real line between two
// messages.
const Silence = time.Second

// Sporadic sends n messages on A, each after Silence in which nothing was
// sent and everything before was cosigned, and returns each one's time
// from the Send call to A holding B's cosignature covering it.
func (e *Env) Sporadic(ctx context.Context, n int) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for i := range n {
		if err := e.silence(ctx); err != nil {
			return nil, err
		}
		d, err := e.sendCosign(ctx, i)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// FlashAlarm sends n FLASH messages on A, each after Silence on a quiet
// line (as a crisis breaks on a real watch), and returns for each the time from the Send call at A to the moment B's
// escalation engine holds the alarm open for it: what B's console shows
// and the first step of B's escalation chain acts on. B's duty officer
// then acknowledges it, which ends the alarm before the next.
func (e *Env) FlashAlarm(ctx context.Context, n int) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for i := range n {
		if err := e.silence(ctx); err != nil {
			return nil, err
		}
		start := time.Now()
		id, err := e.A.Node.Send(ctx, node.SendRequest{Line: e.Line, Precedence: entry.Flash,
			Text: fmt.Sprintf("FLASH %d: benchmark of the alarm path.", i)})
		if err != nil {
			return nil, err
		}
		if err := e.waitAlarm(ctx, id, true); err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
		if _, err := e.B.Node.Ack(ctx, e.Line, id, "duty officer"); err != nil {
			return nil, fmt.Errorf("acknowledge %s: %w", id, err)
		}
		if err := e.waitAlarm(ctx, id, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// waitAlarm waits, without polling, until B's engine has (open) or no
// longer has an alarm about message id.
func (e *Env) waitAlarm(ctx context.Context, id string, open bool) error {
	eng := e.B.Alerts
	for {
		ch := eng.Changed()
		if alarmed(eng.Active(), id) == open {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for the alarm about %s to be open=%v at %s: %w", id, open, e.peer(), ctx.Err())
		}
	}
}

// alarmed reports whether an open alert says that message id is owed an
// acknowledgement.
func alarmed(active []escalate.AlertState, id string) bool {
	for _, a := range active {
		if a.Alert.Message == id && a.Alert.Kind == escalate.OwedAck {
			return true
		}
	}
	return false
}

// silence waits until the line is quiet, then Silence more.
func (e *Env) silence(ctx context.Context) error {
	if err := e.quiet(ctx); err != nil {
		return err
	}
	t := time.NewTimer(Silence)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// quiet waits until each side holds the other's cosignature on its whole
// log: nothing is in flight on the line.
func (e *Env) quiet(ctx context.Context) error {
	a, b := e.A.Node, e.B.Node
	for _, side := range []struct {
		n    *node.Node
		peer string
	}{{a, Parties[1].Slug}, {b, Parties[0].Slug}} {
		size, err := ownLogSize(side.n, e.Line)
		if err != nil {
			return err
		}
		if err := waitReceipt(ctx, side.n, e.Line, side.peer, size); err != nil {
			return err
		}
	}
	return nil
}

// FanOutDist is the fan-out phase: send→every cosignature on a line of
// Parties parties.
type FanOutDist struct {
	Parties int `json:"parties"`
	Dist
}

// crisisChecks reports the sporadic phase against the latency targets (a
// message on a quiet line is what they are about), and FLASH to alarm and
// fan-out, which the specification sets no target for, against the floor.
func (r *Result) crisisChecks() []Check {
	var cs []Check
	if d := r.Sporadic; d != nil {
		cs = append(cs, r.latencyChecks(fmt.Sprintf("sporadic (after %v silence)", Silence), *d)...)
		if f := r.SporadicFloor; f != nil && f.P50 > 0 {
			cs = append(cs,
				Check{Name: fmt.Sprintf("floor after %v silence p50", Silence), Value: fmt.Sprintf("%.2f ms", f.P50),
					Target: "(none)", Ratio: r.vsFloor(f.P50, false), MeasureOnly: true},
				Check{Name: "sporadic p50 / floor after silence", Value: fmt.Sprintf("%.2f×", d.P50/f.P50),
					Target: "(none)", MeasureOnly: true})
		}
	}
	measure := func(name string, d Dist) {
		for _, q := range []struct {
			name string
			v    float64
			p99  bool
		}{{"p50", d.P50, false}, {"p99", d.P99, true}} {
			cs = append(cs, Check{Name: name + " " + q.name, Value: fmt.Sprintf("%.2f ms", q.v), Target: "(none)",
				Ratio: r.vsFloor(q.v, q.p99), MeasureOnly: true})
		}
	}
	if d := r.Flash; d != nil {
		measure("FLASH send→alarm", *d)
	}
	if f := r.FanOut; f != nil {
		measure(fmt.Sprintf("fan-out to %d, all cosigned", f.Parties-1), f.Dist)
	}
	return cs
}
