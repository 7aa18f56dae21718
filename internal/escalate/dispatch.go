package escalate

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// job is one notice to send: a delivery of the state, with what it says.
type job struct {
	alert    string // the alert's ID
	delivery Delivery
	notice   mailNotice
}

// Retry timing of a failed notice: 15 s, 30 s, 1 min, ... up to 5 min,
// until the chain moves on. A resolved notice gives up after
// maxResolvedAttempts.
const (
	firstRetry          = 15 * time.Second
	maxRetry            = 5 * time.Minute
	maxResolvedAttempts = 10
)

func backoff(attempts int) time.Duration {
	d := firstRetry
	for i := 1; i < attempts && d < maxRetry; i++ {
		d *= 2
	}
	return min(d, maxRetry)
}

// due marks the notices due by now as under way and returns them. Called
// with e.mu held.
func (e *Engine) due(now time.Time) []job {
	var jobs []job
	for id, st := range e.alerts {
		for _, d := range st.Sent {
			if !d.pending() || e.inflight[d.ID] || d.Next.After(now) {
				continue
			}
			e.inflight[d.ID] = true
			jobs = append(jobs, job{alert: id, delivery: d, notice: mailNotice{
				Notice: Notice{Event: d.Event, Node: e.opts.Party, Step: d.Step, StepName: d.StepName,
					Steps: len(e.cfg.Steps), Cycle: d.Cycle, SilencedBy: st.SilencedBy, Alert: st.Alert},
				Closed: st.Closed,
			}})
		}
	}
	return jobs
}

// dispatch sends the jobs in the background. Mail to one address is one
// message however many alerts it carries, so that a node with a backlog
// does not send a storm; the notices to one webhook go one after another.
func (e *Engine) dispatch(jobs []job) {
	groups := map[string][]job{}
	for _, j := range jobs {
		key := j.delivery.Channel + "\x00" + j.delivery.To
		if j.delivery.Channel == "email" {
			key += "\x00" + j.delivery.Event
		}
		groups[key] = append(groups[key], j)
	}
	for _, g := range groups {
		e.sends.Add(1)
		go func() {
			defer e.sends.Done()
			if g[0].delivery.Channel == "email" {
				e.sendMail(g)
			} else {
				for _, j := range g {
					e.record([]job{j}, e.postWebhook(j))
				}
			}
		}()
	}
}

func (e *Engine) sendMail(g []job) {
	if e.cfg.SMTP == nil {
		e.record(g, fmt.Errorf("no smtp server configured"))
		return
	}
	// Most urgent first, then the oldest: the subject names the first.
	slices.SortFunc(g, func(a, b job) int {
		x, y := a.notice.Alert, b.notice.Alert
		if r := x.Precedence.Rank() - y.Precedence.Rank(); r != 0 {
			return r
		}
		if c := x.Opened.Compare(y.Opened); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	now := e.now()
	notices := make([]mailNotice, len(g))
	for i, j := range g {
		notices[i] = j.notice
		notices[i].Sent = now
	}
	msg := emailMessage(e.cfg.SMTP.From, g[0].delivery.To, e.opts.Party, now, notices)
	e.record(g, e.cfg.SMTP.send(e.ctx, []string{g[0].delivery.To}, msg))
}

func (e *Engine) postWebhook(j job) error {
	n := j.notice.Notice
	n.Sent = e.now().UTC()
	body, err := json.Marshal(n)
	if err != nil {
		return err
	}
	return e.cfg.Webhook.post(e.ctx, j.delivery.To, n.Event, body)
}

// record notes how sending the jobs went: a success adds the target to
// those who will hear the alert resolve; a failure is logged and retried.
func (e *Engine) record(jobs []job, err error) {
	now := e.now()
	e.mu.Lock()
	dirty := map[string]bool{}
	for _, j := range jobs {
		delete(e.inflight, j.delivery.ID)
		st := e.alerts[j.alert]
		if st == nil {
			continue
		}
		var d *Delivery
		for i := range st.Sent {
			if st.Sent[i].ID == j.delivery.ID {
				d = &st.Sent[i]
			}
		}
		if d == nil {
			continue
		}
		dirty[j.alert] = true
		d.Attempts++
		d.Last = now
		if err == nil {
			d.OK, d.Next, d.Error = true, time.Time{}, ""
			if t := target(d.Channel, d.To); d.Event == EventAlert && !slices.Contains(st.Notified, t) {
				st.Notified = append(st.Notified, t)
			}
			e.log.Info("escalation: notice sent", "id", j.alert, "event", d.Event, "channel", d.Channel, "to", d.To, "step", d.StepName)
			continue
		}
		d.Error = clean(err.Error(), 300)
		switch {
		case d.GaveUp:
		case d.Event == EventResolved && d.Attempts >= maxResolvedAttempts:
			d.GaveUp, d.Next = true, time.Time{}
		default:
			d.Next = now.Add(backoff(d.Attempts))
		}
		e.log.Error("escalation: notice failed", "id", j.alert, "event", d.Event, "channel", d.Channel, "to", d.To,
			"step", d.StepName, "attempt", d.Attempts, "retry", d.Next, "err", err)
	}
	put, del := e.collect(dirty)
	e.unlockSave(put, del, nil)
	e.notify()
}
