package escalate

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Tick evaluates the source once at the engine's clock: it opens the new
// alerts at the first step, moves open ones along the chain as their waits
// end, closes those whose condition is over, and starts the notices due.
// The state is saved before any notice leaves, so that a crash repeats a
// notice at worst, never loses one. Notices go out in the background; how
// they went shows in Active, and Changed fires.
func (e *Engine) Tick(ctx context.Context) error {
	now := e.now()
	alerts, srcErr := e.source(ctx, now)
	e.mu.Lock()
	dirty := map[string]bool{}
	if srcErr == nil {
		seen := make(map[string]bool, len(alerts))
		for _, a := range alerts {
			a = cleanAlert(a)
			if a.ID == "" || seen[a.ID] {
				continue
			}
			seen[a.ID] = true
			st := e.alerts[a.ID]
			switch {
			case st == nil || !st.Closed.IsZero():
				st = &AlertState{Alert: a, Since: now}
				e.alerts[a.ID] = st
				e.enter(st, 0, 0, now, now)
				e.log.Warn("escalation: alert", "id", a.ID, "kind", a.Kind, "summary", a.Summary, "step", st.StepName)
			case !sameAlert(st.Alert, a):
				st.Alert = a
			default:
				continue
			}
			dirty[a.ID] = true
		}
		for id, st := range e.alerts {
			if st.Closed.IsZero() && !seen[id] {
				e.close(st, now)
				dirty[id] = true
				e.log.Info("escalation: alert resolved", "id", id, "kind", st.Alert.Kind)
			}
		}
	}
	for id, st := range e.alerts {
		if e.advance(st, now) {
			dirty[id] = true
			e.log.Warn("escalation: next step", "id", id, "step", st.StepName, "cycle", st.Cycle)
		}
	}
	put, del := e.collect(dirty)
	jobs := e.due(now)
	var changed func()
	if len(dirty) > 0 {
		changed = e.notify
	}
	e.unlockSave(put, del, changed)
	e.dispatch(jobs)
	return srcErr
}

// collect returns the states to save and the finished ones to forget.
// Called with e.mu held.
func (e *Engine) collect(dirty map[string]bool) (put []AlertState, del []string) {
	for id := range dirty {
		st := e.alerts[id]
		if st == nil {
			continue
		}
		if !st.Closed.IsZero() && !slices.ContainsFunc(st.Sent, func(d Delivery) bool { return d.pending() }) {
			delete(e.alerts, id)
			del = append(del, id)
			continue
		}
		put = append(put, st.clone())
	}
	return put, del
}

// enter puts st at step of the chain, as of at, and queues its notices.
func (e *Engine) enter(st *AlertState, step, cycle int, at, now time.Time) {
	giveUp(st, EventAlert, "the chain moved to the next step")
	s := e.cfg.Steps[step]
	st.Step, st.StepName, st.Cycle, st.StepAt = step, s.Name, cycle, at
	if s.Console {
		st.Console = true
	}
	for _, to := range s.Email {
		e.queue(st, EventAlert, "email", to, now)
	}
	for _, to := range s.Webhook {
		e.queue(st, EventAlert, "webhook", to, now)
	}
	st.NextStepAt = e.nextStepAt(st)
	st.prune()
}

// nextStepAt is when st leaves its step: zero at the last step without
// repeat, and once silenced or closed.
func (e *Engine) nextStepAt(st *AlertState) time.Time {
	if st.SilencedBy != "" || !st.Closed.IsZero() || st.Step == len(e.cfg.Steps)-1 && !e.cfg.Repeat {
		return time.Time{}
	}
	return st.StepAt.Add(e.cfg.Steps[st.Step].Wait)
}

// advance moves st to the step it should be at by now. After a long stop
// of the node only that step is notified, not each one passed over.
func (e *Engine) advance(st *AlertState, now time.Time) bool {
	if st.NextStepAt.IsZero() || now.Before(st.NextStepAt) {
		return false
	}
	steps := e.cfg.Steps
	step, cycle, at := st.Step, st.Cycle, st.NextStepAt
	for range 1000 {
		step++
		if step == len(steps) {
			step, cycle = 0, cycle+1
		}
		if step == len(steps)-1 && !e.cfg.Repeat {
			break
		}
		end := at.Add(steps[step].Wait)
		if now.Before(end) {
			break
		}
		at = end
	}
	e.enter(st, step, cycle, at, now)
	return true
}

// close ends st: no more steps, the console alarm off, and a resolved
// notice to every target that took one about it.
func (e *Engine) close(st *AlertState, now time.Time) {
	st.Closed, st.Console, st.NextStepAt = now, false, time.Time{}
	giveUp(st, EventAlert, "the alert resolved")
	for _, t := range st.Notified {
		channel, to, _ := strings.Cut(t, ":")
		e.queue(st, EventResolved, channel, to, now)
	}
	st.prune()
}

func (e *Engine) queue(st *AlertState, event, channel, to string, now time.Time) {
	e.seq++
	st.Sent = append(st.Sent, Delivery{ID: e.seq, Event: event, Step: st.Step, StepName: st.StepName, Cycle: st.Cycle,
		Channel: channel, To: to, Queued: now, Next: now})
}

// giveUp stops the retries of st's pending notices of event.
func giveUp(st *AlertState, event, why string) {
	for i := range st.Sent {
		d := &st.Sent[i]
		if d.Event == event && d.pending() {
			d.GaveUp, d.Next = true, time.Time{}
			if d.Error == "" {
				d.Error = "not sent: " + why
			}
		}
	}
}

func target(channel, to string) string { return channel + ":" + to }

// sameAlert reports whether a and b say the same, so that an unchanged
// alert is not saved again on every tick.
func sameAlert(a, b Alert) bool {
	fa, fb := a.Facts, b.Facts
	if a.ID != b.ID || a.Kind != b.Kind || a.Owed != b.Owed || a.Line != b.Line || a.LineTitle != b.LineTitle ||
		a.Party != b.Party || a.Message != b.Message || a.Precedence != b.Precedence || a.Summary != b.Summary ||
		a.Detail != b.Detail || !a.Deadline.Equal(b.Deadline) || !a.Opened.Equal(b.Opened) {
		return false
	}
	if !fa.Queued.Equal(fb.Queued) || !fa.Sent.Equal(fb.Sent) || !fa.Delivered.Equal(fb.Delivered) ||
		fa.DeliveryProof != fb.DeliveryProof || !fa.Displayed.Equal(fb.Displayed) || !fa.Acknowledged.Equal(fb.Acknowledged) ||
		fa.AckedBy != fb.AckedBy || !fa.Replied.Equal(fb.Replied) || fa.Reply != fb.Reply || !fa.LastLinkTest.Equal(fb.LastLinkTest) ||
		len(fa.Routes) != len(fb.Routes) {
		return false
	}
	for i, r := range fa.Routes {
		o := fb.Routes[i]
		if r.Name != o.Name || !r.LastSuccess.Equal(o.LastSuccess) || !r.LastFailure.Equal(o.LastFailure) ||
			r.LastError != o.LastError || r.Failures != o.Failures {
			return false
		}
	}
	return true
}
