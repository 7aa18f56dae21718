package amend

import (
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
)

// Describe lists the changes in words, one a line, for people: the command
// line and a transcript's report say the same. Text from the other party
// (names, addresses) is the caller's to make inert.
func Describe(ch *entry.Changes) []string {
	if ch == nil {
		return nil
	}
	var out []string
	if ch.Name != nil {
		if *ch.Name == "" {
			out = append(out, "the line's name: none")
		} else {
			out = append(out, "the line's name: "+*ch.Name)
		}
	}
	for _, r := range ch.RelaysAdd {
		out = append(out, fmt.Sprintf("relay added: %s (key %s)", r.Addr, base64.StdEncoding.EncodeToString(r.TLSKey)))
	}
	for _, a := range ch.RelaysRemove {
		out = append(out, "relay removed: "+a)
	}
	for _, p := range slices.Sorted(maps.Keys(ch.Addrs)) {
		out = append(out, fmt.Sprintf("%s's direct address: %s", p, ch.Addrs[p]))
	}
	for _, p := range entry.Precedences {
		if d, ok := ch.Deadlines[p]; ok {
			out = append(out, fmt.Sprintf("%s deadlines: acknowledge within %v, reply within %v", p, time.Duration(d.Ack), time.Duration(d.Reply)))
		}
	}
	if r := ch.RollCall; r != nil {
		if r.Every == 0 {
			out = append(out, "roll-call: none")
		} else {
			out = append(out, fmt.Sprintf("roll-call: every %v, answered within %v", time.Duration(r.Every), time.Duration(r.Answer)))
		}
	}
	if ch.TwoPerson != nil {
		var ps []string
		for _, p := range *ch.TwoPerson {
			ps = append(ps, string(p))
		}
		if len(ps) == 0 {
			ps = []string{"none"}
		}
		out = append(out, "two-person release: "+strings.Join(ps, ", "))
	}
	if ch.LinkTests != nil {
		out = append(out, fmt.Sprintf("link tests: every %v", time.Duration(*ch.LinkTests)))
	}
	if ch.Templates != nil {
		out = append(out, fmt.Sprintf("notice templates replaced (%d bytes)", len(ch.Templates)))
	}
	if ch.AddParty != nil {
		if k := Added(ch); k != nil {
			out = append(out, fmt.Sprintf("party added: %s (%s), card fingerprint %s", k.Party, k.Name, k.Fingerprint()))
		} else {
			out = append(out, "party added: a card that does not verify")
		}
	}
	if ch.RemoveParty != "" {
		out = append(out, "party removed: "+ch.RemoveParty)
	}
	return out
}

// Rules lists, in the words of Describe, the rules of charter c that
// amendments can change: what a charter in force says.
func Rules(c *charter.Charter) []string {
	name := c.Name
	two := slices.Clone(c.TwoPerson)
	if two == nil {
		two = []entry.Precedence{}
	}
	lt := entry.Duration(c.LinkTestEvery())
	ch := &entry.Changes{Name: &name, Addrs: map[string]string{}, Deadlines: map[entry.Precedence]entry.DeadlineOf{},
		RollCall: &entry.RollCallOf{}, TwoPerson: &two, LinkTests: &lt}
	for _, r := range c.Relays {
		ch.RelaysAdd = append(ch.RelaysAdd, entry.RelayAddr{Addr: r.Addr, TLSKey: r.TLSKey})
	}
	for i := range c.Parties {
		for _, r := range c.Parties[i].Routes {
			if r.Kind == "direct" {
				ch.Addrs[c.Parties[i].Party] = r.Addr
			}
		}
	}
	for p, d := range c.Deadlines {
		ch.Deadlines[p] = entry.DeadlineOf{Ack: d.Ack, Reply: d.Reply}
	}
	if r := c.RollCall; r != nil {
		ch.RollCall = &entry.RollCallOf{Every: r.Every, Answer: r.Answer}
	}
	out := Describe(ch)
	for i, s := range out {
		out[i] = strings.Replace(s, "relay added: ", "relay: ", 1)
	}
	if len(c.Relays) == 0 {
		out = append(out, "relays: none")
	}
	if len(c.Templates) > 0 {
		out = append(out, "notice templates: "+strings.Join(c.Templates.IDs(), ", "))
	}
	return out
}
