package escalate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Describe writes the chain for people: each step, whom it notifies and how
// long it waits, then the servers. It never shows a secret.
func (c *Config) Describe(w io.Writer) {
	src := c.Path
	if src == "" {
		src = "no " + File + ": the default chain"
	}
	repeat := ""
	if c.Repeat {
		repeat = ", repeating"
	}
	fmt.Fprintf(w, "%s\n%d step(s)%s:\n", src, len(c.Steps), repeat)
	for i, s := range c.Steps {
		var to []string
		if s.Console {
			to = append(to, "console alarm")
		}
		for _, a := range s.Email {
			to = append(to, "email "+a)
		}
		for _, u := range s.Webhook {
			to = append(to, "webhook "+u)
		}
		then := "stays at this step until the alert closes or is silenced"
		switch {
		case i < len(c.Steps)-1:
			then = "after " + s.Wait.String() + ", the next step"
		case c.Repeat:
			then = "after " + s.Wait.String() + ", starts over at step 1"
		}
		fmt.Fprintf(w, "  %d. %s: %s; %s\n", i+1, s.Name, strings.Join(to, ", "), then)
	}
	if s := c.SMTP; s != nil {
		sec := "STARTTLS when offered"
		switch {
		case s.TLS:
			sec = "TLS"
		case s.RequireTLS:
			sec = "STARTTLS required"
		}
		auth := "no login"
		if s.Username != "" {
			auth = "login " + s.Username + ", password from " + s.PasswordFrom
		}
		fmt.Fprintf(w, "smtp: %s (%s), from %s, %s, timeout %s\n", s.Addr, sec, s.From, auth, s.Timeout)
	}
	if c.Webhook.SecretFile != "" {
		fmt.Fprintf(w, "webhooks: signed (%s) with the key in %s, timeout %s\n", SignatureHeader, c.Webhook.SecretFile, c.Webhook.Timeout)
	}
}

// TestResult is how one test notice went.
type TestResult struct {
	Step     int // index in the chain
	StepName string
	Channel  string // "console", "email" or "webhook"
	To       string
	Err      error
	Note     string // for the console, which has nothing to send
}

// Test sends a test notice through every channel of every step, one after
// another, and reports each result. party names this node.
func (c *Config) Test(ctx context.Context, party string, now time.Time) []TestResult {
	var out []TestResult
	for i, s := range c.Steps {
		a := Alert{ID: "test:" + s.Name, Kind: "test", Party: party,
			Summary: fmt.Sprintf("Test of escalation step %d of %d (%s) from the Hotline node of %s", i+1, len(c.Steps), s.Name, party),
			Detail:  "This is a test: nothing is owed and nothing is overdue.", Opened: now}
		n := Notice{Event: EventTest, Node: party, Step: i, StepName: s.Name, Steps: len(c.Steps), Sent: now.UTC(), Alert: cleanAlert(a)}
		if s.Console {
			out = append(out, TestResult{Step: i, StepName: s.Name, Channel: "console",
				Note: "the console shows the alarm while the node serves: nothing to send"})
		}
		for _, to := range s.Email {
			msg := emailMessage(c.SMTP.From, to, party, now, []mailNotice{{Notice: n}})
			out = append(out, TestResult{Step: i, StepName: s.Name, Channel: "email", To: to,
				Err: c.SMTP.send(ctx, []string{to}, msg)})
		}
		for _, u := range s.Webhook {
			body, _ := json.Marshal(n)
			out = append(out, TestResult{Step: i, StepName: s.Name, Channel: "webhook", To: u,
				Err: c.Webhook.post(ctx, u, EventTest, body)})
		}
	}
	return out
}
