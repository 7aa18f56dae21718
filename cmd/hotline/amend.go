package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/amend"
	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/transcript"
)

// Charter amendments: hotline line amend proposes one, accept-amendment
// and refuse-amendment answer one, amendments lists them.

// lineAmend proposes a change to the charter in force.
func lineAmend(ctx context.Context, args []string) error {
	fs := flags("line amend")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	officer := fs.String("officer", "", "the officer who proposes it; signed into the proposal")
	reason := fs.String("reason", "", "why, such as the diplomatic note it follows; signed into the proposal")
	ch := &entry.Changes{}
	var relaysAdd, relaysRemove, addrs, deadlines multi
	fs.Var(&relaysAdd, "relay-add", "add a relay, as HOST:PORT=KEY with the key printed by 'hotline relay key' (repeatable)")
	fs.Var(&relaysRemove, "relay-remove", "stop using the relay at HOST:PORT (repeatable)")
	fs.Var(&addrs, "addr", "a party's new direct-route address, as PARTY=HOST:PORT (repeatable)")
	fs.Var(&deadlines, "deadline", "a precedence's deadlines, as PRECEDENCE=ACK/REPLY such as FLASH=5m/30m (repeatable)")
	fs.Func("name", "the line's new short name (empty to remove it)", func(s string) error { ch.Name = &s; return nil })
	rollCall := fs.String("roll-call", "", "ask for roll-call this often, such as 4h, or off")
	rollCallAnswer := fs.Duration("roll-call-answer", 15*time.Minute, "time to answer each roll-call (with --roll-call)")
	twoPersonList := fs.String("two-person", "", "precedences that need two-person release from now on, such as FLASH,IMMEDIATE, or none")
	linkTests := fs.Duration("link-tests", 0, "test every route this often from now on, such as 30m")
	templates := fs.String("templates", "", "replace the notice templates: starter, none, or a JSON file of templates")
	addParty := fs.String("add-party", "", "add the party whose signed card (hotline card) is in this file; an amendment of its own")
	fs.StringVar(&ch.RemoveParty, "remove-party", "", "remove this party from the line (this party itself: leave it); an amendment of its own")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *officer == "" || *reason == "" {
		return usageError{"line amend takes --officer NAME, --reason TEXT, at least one change and no arguments"}
	}
	for _, r := range relaysAdd {
		addr, key, err := relayFlag("--relay-add", r)
		if err != nil {
			return err
		}
		ch.RelaysAdd = append(ch.RelaysAdd, entry.RelayAddr{Addr: addr, TLSKey: key})
	}
	ch.RelaysRemove = relaysRemove
	for _, a := range addrs {
		party, addr, ok := strings.Cut(a, "=")
		if !ok {
			return usageError{fmt.Sprintf("--addr %q: want PARTY=HOST:PORT", a)}
		}
		if ch.Addrs == nil {
			ch.Addrs = map[string]string{}
		}
		ch.Addrs[party] = addr
	}
	for _, d := range deadlines {
		p, spans, ok1 := strings.Cut(d, "=")
		ack, reply, ok2 := strings.Cut(spans, "/")
		prec, err := entry.ParsePrecedence(p)
		a, err1 := time.ParseDuration(ack)
		r, err2 := time.ParseDuration(reply)
		if !ok1 || !ok2 || err != nil || err1 != nil || err2 != nil {
			return usageError{fmt.Sprintf("--deadline %q: want PRECEDENCE=ACK/REPLY, such as FLASH=5m/30m", d)}
		}
		if ch.Deadlines == nil {
			ch.Deadlines = map[entry.Precedence]entry.DeadlineOf{}
		}
		ch.Deadlines[prec] = entry.DeadlineOf{Ack: entry.Duration(a), Reply: entry.Duration(r)}
	}
	switch *rollCall {
	case "":
	case "off", "none":
		ch.RollCall = &entry.RollCallOf{}
	default:
		rule, err := rollCallRule(*rollCall, *rollCallAnswer)
		if err != nil {
			return err
		}
		ch.RollCall = &entry.RollCallOf{Every: rule.Every, Answer: rule.Answer}
	}
	if *twoPersonList != "" {
		list := []entry.Precedence{}
		if *twoPersonList != "none" {
			var err error
			if list, err = twoPerson(*twoPersonList); err != nil {
				return err
			}
		}
		ch.TwoPerson = &list
	}
	if *linkTests != 0 {
		d := entry.Duration(*linkTests)
		ch.LinkTests = &d
	}
	if *templates != "" {
		set, err := templateSet(*templates)
		if err != nil {
			return err
		}
		ch.Templates = amend.Templates(set)
	}
	if *addParty != "" {
		raw, err := os.ReadFile(*addParty)
		if err != nil {
			return err
		}
		k, err := card.Parse(raw)
		if err != nil {
			return withHint(fmt.Errorf("--add-party %s: %w", *addParty, err), "the file holds what hotline card prints on the joining party's node, unchanged")
		}
		fmt.Fprintf(os.Stderr, "adding %s (%s), card fingerprint %s: read it back to that party by phone before anyone accepts\n",
			k.Party, inert.Text(k.Name), k.Fingerprint())
		ch.AddParty = raw
	}
	if err := ch.Validate(); err != nil {
		return usageError{err.Error()}
	}
	return amendStep(ctx, *dir, *line, node.AmendRequest{Act: entry.AmendPropose, Changes: ch, Reason: *reason, Officer: *officer})
}

// lineAnswerAmendment accepts or refuses a proposal.
func lineAnswerAmendment(ctx context.Context, verb string, args []string) error {
	fs := flags("line " + verb)
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	officer := fs.String("officer", "", "the officer who answers for this party; signed into the answer")
	reason := fs.String("reason", "", "why (required to refuse); signed into the answer")
	if err := parse(fs, args); err != nil {
		return err
	}
	act := entry.AmendAccept
	if verb == "refuse-amendment" {
		act = entry.AmendRefuse
	}
	if fs.NArg() != 1 || *officer == "" || act == entry.AmendRefuse && *reason == "" {
		return usageError{"line " + verb + " takes the amendment's ID (hotline line amendments lists them), --officer NAME and --reason TEXT (to refuse)"}
	}
	return amendStep(ctx, *dir, *line, node.AmendRequest{Act: act, Proposal: fs.Arg(0), Reason: *reason, Officer: *officer})
}

// amendStep writes a step and says what happens next.
func amendStep(ctx context.Context, dir, lineFlag string, req node.AmendRequest) error {
	api, l, done, err := openLine(ctx, dir, lineFlag)
	if err != nil {
		return err
	}
	defer done()
	req.Line = l
	id, err := api.Amend(ctx, req)
	switch {
	case isNodeErr(err, amend.ErrCompeting):
		return withHint(err, "one amendment of a version at a time: refuse the other, or ask the party that proposed it to let it be refused")
	case isNodeErr(err, amend.ErrNoSuchAmendment):
		return withHint(err, "hotline line amendments lists the line's amendments and their IDs")
	case isNodeErr(err, amend.ErrPartyPresent):
		return withHint(err, "a party's name is its own for the whole life of the line: the joining party chooses another at hotline init")
	case isNodeErr(err, amend.ErrNoSuchParty):
		return withHint(err, "hotline status lists the parties in force")
	case isNodeErr(err, amend.ErrLastParty):
		return withHint(err, "to end a line of two, close it: hotline line close --reason TEXT")
	case isNodeErr(err, amend.ErrOwnAmendment):
		return withHint(err, "the other parties answer it; hotline line amendments shows whom it waits for")
	case err != nil:
		return err
	}
	switch req.Act {
	case entry.AmendPropose:
		fmt.Fprintf(os.Stderr, "amendment %s proposed on line %s and queued for every party; it is in force once every other party has accepted it\n", id, l)
		if req.Changes.AddParty != nil {
			fmt.Fprintf(os.Stderr, "next: once it is in force, write the new party's invitation: %s line invite --dir DIR --party PARTY --out join.txt\n", self())
		}
	case entry.AmendAccept:
		fmt.Fprintf(os.Stderr, "acceptance %s of %s is on disk and queued for every party; hotline line amendments shows when it is in force\n", id, req.Proposal)
	default:
		fmt.Fprintf(os.Stderr, "refusal %s of %s is on disk and queued for every party; the amendment will not take effect\n", id, req.Proposal)
	}
	fmt.Println(id)
	return nil
}

// lineAmendments lists a line's amendments with their state.
func lineAmendments(ctx context.Context, args []string) error {
	fs := flags("line amendments")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"line amendments takes no arguments"}
	}
	api, l, done, err := openLine(ctx, *dir, *line)
	if err != nil {
		return err
	}
	defer done()
	v, err := api.Amendments(ctx, l)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(v)
	}
	transcript.WriteAmendments(os.Stdout, v.Versions, v.Amendments, v.Refused)
	return nil
}
