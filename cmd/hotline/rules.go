package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/relay"
)

// The charter's rules on people, as the line commands write and show them:
// roll-call and two-person release.

// rollCallRule reads --roll-call and --roll-call-answer. An empty every
// means no roll-call; the answer time is cut to every, since a slot's
// roll-call cannot outlast the slot.
func rollCallRule(every string, answer time.Duration) (*charter.RollCallRule, error) {
	if every == "" {
		return nil, nil
	}
	e, err := time.ParseDuration(every)
	if err != nil || e < time.Minute {
		return nil, usageError{fmt.Sprintf("--roll-call %q: want a duration of at least 1m, such as 4h", every)}
	}
	if answer <= 0 {
		return nil, usageError{fmt.Sprintf("--roll-call-answer %v: want a positive duration, such as 15m", answer)}
	}
	return &charter.RollCallRule{Every: charter.Duration(e), Answer: charter.Duration(min(answer, e))}, nil
}

// twoPerson reads --two-person: a comma-separated list of precedences, in
// any case, written to the charter most urgent first.
func twoPerson(list string) ([]entry.Precedence, error) {
	var out []entry.Precedence
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := entry.ParsePrecedence(s)
		if err != nil {
			return nil, usageError{"--two-person: " + err.Error()}
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b entry.Precedence) int {
		return a.Rank() - b.Rank()
	})
	return out, nil
}

// printRules shows the rules a party is about to sign.
func printRules(w io.Writer, c *charter.Charter) {
	if r := c.RollCall; r != nil {
		fmt.Fprintf(w, "roll-call: every %v, answered within %v (slots from %s)\n",
			time.Duration(r.Every), time.Duration(r.Answer), c.Created.UTC().Format(time.DateTime+" UTC"))
	}
	if len(c.TwoPerson) > 0 {
		var s []string
		for _, p := range c.TwoPerson {
			s = append(s, string(p))
		}
		fmt.Fprintf(w, "two-person release: %s (one officer drafts, another releases)\n", strings.Join(s, ", "))
	}
	if c.ClockTolerance != 0 {
		fmt.Fprintf(w, "clock tolerance: %v (entries dated further ahead of the receiver's clock are refused)\n", c.Tolerance())
	}
	if len(c.Templates) > 0 {
		fmt.Fprintf(w, "notice templates: %s\n", strings.Join(c.Templates.IDs(), ", "))
	}
}

// rollCallText is one party's roll-call for people: who answered last,
// and what is pending or missed.
func rollCallText(v node.RollCallView, now time.Time) string {
	var s []string
	if v.Last.IsZero() {
		s = append(s, "person present: no roll-call answered yet")
	} else {
		s = append(s, fmt.Sprintf("person present: last %s by %s", dayTime(v.Last, now), inert.Text(v.Officer)))
	}
	if v.Pending {
		s = append(s, "roll-call PENDING until "+dayTime(v.AnswerBy, now))
	}
	if v.Missed {
		s = append(s, "MISSED roll-call of "+dayTime(v.MissedSlot, now))
	}
	return strings.Join(s, "; ")
}

// dayTime formats t as a time of day, with the date when it is not today.
func dayTime(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.Format(time.DateOnly) == now.Format(time.DateOnly) {
		return t.Format("15:04 UTC")
	}
	return t.Format("2006-01-02 15:04 UTC")
}

// isNodeErr reports whether err is target, also when it came over the control
// socket, which carries errors as text.
func isNodeErr(err, target error) bool {
	return errors.Is(err, target) || err != nil && strings.Contains(err.Error(), target.Error())
}

// relayFlag reads a relay given as HOST:PORT=KEY, the key as 'hotline
// relay key' prints it, and shows its fingerprint to be checked.
func relayFlag(flag, s string) (addr string, key []byte, err error) {
	addr, keyText, ok := strings.Cut(s, "=")
	k, err := relay.ParseKeyText(keyText)
	if !ok || err != nil {
		return "", nil, usageError{fmt.Sprintf("%s %q: want HOST:PORT=KEY", flag, s)}
	}
	fmt.Fprintf(os.Stderr, "relay %s: fingerprint %s\n", addr, relay.Fingerprint(k))
	return addr, k, nil
}
