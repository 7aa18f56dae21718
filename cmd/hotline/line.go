package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/atomicfile"
	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
)

func init() {
	register(command{"line", "propose|accept|suspend|reopen|close|amend|accept-amendment|refuse-amendment|amendments|invite|join ...", "propose a line's charter, sign and install one, change its state by signed notice, amend its charter, or let a party added by amendment join", cmdLine})
}

func cmdLine(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"line needs a subcommand: propose, accept, suspend, reopen, close, amend, accept-amendment, refuse-amendment, amendments, invite or join"}
	}
	switch args[0] {
	case "propose":
		return linepropose(args[1:])
	case "accept":
		return lineAccept(ctx, args[1:])
	case "suspend", "reopen", "close":
		return lineNotice(ctx, args[0], args[1:])
	case "amend":
		return lineAmend(ctx, args[1:])
	case "accept-amendment", "refuse-amendment":
		return lineAnswerAmendment(ctx, args[0], args[1:])
	case "amendments":
		return lineAmendments(ctx, args[1:])
	case "invite":
		return lineInvite(ctx, args[1:])
	case "join":
		return lineJoin(ctx, args[1:])
	}
	return usageError{fmt.Sprintf("unknown line subcommand %q", args[0])}
}

type multi []string

func (m *multi) String() string     { return fmt.Sprint(*m) }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func linepropose(args []string) error {
	fs := flags("line propose")
	dir := dirFlag(fs)
	title := fs.String("title", "", "the line's title")
	name := fs.String("name", "", "the line's short name, such as navy: what --line takes (lowercase letters, digits, dashes)")
	out := fs.String("out", "charter.txt", "where to write the charter, signed by this party")
	var peers, relays multi
	fs.Var(&peers, "peer", "a peer's card file (repeat for each peer)")
	fs.Var(&relays, "relay", "a relay the line may use, as HOST:PORT=KEY with the key printed by 'hotline relay key' (repeatable)")
	linkTests := fs.Duration("link-tests", time.Hour, "how often each node tests every route")
	rollCall := fs.String("roll-call", "", "ask each party's officer on duty to confirm presence this often, e.g. 4h (default: no roll-call)")
	rollCallAnswer := fs.Duration("roll-call-answer", 15*time.Minute, "time to answer each roll-call (at most --roll-call)")
	twoPersonList := fs.String("two-person", "", "precedences that need two-person release, comma-separated, e.g. FLASH,IMMEDIATE")
	clockTolerance := fs.Duration("clock-tolerance", 0, "how far an entry may be dated ahead of the receiver's clock, and clocks differ before an alert (default 10m)")
	templates := fs.String("templates", "starter", "the notice templates: starter (the starter set), none, or a JSON file of templates")
	if err := parse(fs, args); err != nil {
		return err
	}
	rule, err := rollCallRule(*rollCall, *rollCallAnswer)
	if err != nil {
		return err
	}
	released, err := twoPerson(*twoPersonList)
	if err != nil {
		return err
	}
	if *title == "" || len(peers) == 0 {
		return usageError{"--title and at least one --peer are required"}
	}
	cfg, k, err := node.LoadIdentity(*dir)
	if err != nil {
		return noNode(*dir, err)
	}
	mine, _, err := node.MakeCard(cfg, k)
	if err != nil {
		return err
	}
	cards := []*card.Card{mine}
	for _, p := range peers {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		c, err := card.Parse(b)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		fmt.Fprintf(os.Stderr, "peer %s (%s): fingerprint %s\n", c.Party, inert.Text(c.Name), c.Fingerprint())
		cards = append(cards, c)
	}
	ch := charter.New(*title, time.Now(), cards)
	ch.Name = *name
	ch.LinkTests = charter.Duration(*linkTests)
	ch.RollCall, ch.TwoPerson = rule, released
	ch.ClockTolerance = charter.Duration(*clockTolerance)
	if ch.Templates, err = templateSet(*templates); err != nil {
		return err
	}
	for _, r := range relays {
		addr, key, err := relayFlag("--relay", r)
		if err != nil {
			return err
		}
		ch.Relays = append(ch.Relays, charter.Relay{Addr: addr, TLSKey: key})
	}
	if err := ch.Validate(); err != nil {
		return err
	}
	printRules(os.Stderr, ch)
	s, err := charter.Sign(ch, nil, k)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*out, s.Raw, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "Check each fingerprint above with that party by phone.\nwrote %s (line %s), signed by this party.\n"+
		"next: send %s to %s; each runs: hotline line accept --dir DIR %s, which adds its signature to the file in place,\n"+
		"and sends the file back; once every party has signed, run here: %s line accept --dir %s %s\n",
		*out, ch.ID(), *out, strings.Join(s.Missing(), ", "), *out, self(), *dir, *out)
	return nil
}

func lineAccept(ctx context.Context, args []string) error {
	fs := flags("line accept")
	dir := dirFlag(fs)
	out := fs.String("out", "", "where to write the charter with this party's signature (default: replace the input)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"line accept takes one charter file"}
	}
	in := fs.Arg(0)
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	s, err := charter.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	cfg, k, err := node.LoadIdentity(*dir)
	if err != nil {
		return noNode(*dir, err)
	}
	if s.Party(cfg.Party) == nil {
		return errors.New("the charter does not name this party (" + cfg.Party + ")")
	}
	fmt.Fprintf(os.Stderr, "line %s: %q\n", s.ID(), inert.Text(s.Title))
	if s.Name != "" {
		fmt.Fprintf(os.Stderr, "  name %s\n", s.Name)
	}
	for i := range s.Parties {
		p := &s.Parties[i]
		fmt.Fprintf(os.Stderr, "  %-10s %-40s fingerprint %s\n", p.Party, inert.Text(p.Name), p.Fingerprint())
	}
	printRules(os.Stderr, s.Charter)
	mine, _, err := node.MakeCard(cfg, k)
	if err != nil {
		return err
	}
	if s.Party(cfg.Party).Text() != mine.Text() {
		return withHint(errors.New("the charter carries another card for this party (keys, name or routes differ): refusing to sign"),
			"ask the proposer to use the card printed by: hotline card --dir "+*dir)
	}
	if !slices.Contains(s.SignedBy, cfg.Party) {
		if s, err = charter.Sign(s.Charter, raw, k); err != nil {
			return err
		}
	}
	dst := *out
	if dst == "" {
		dst = in
	}
	if err := atomicfile.Write(dst, s.Raw, 0o644); err != nil {
		return err
	}
	if !s.Complete() {
		fmt.Fprintf(os.Stderr, "signed; wrote %s. Still to sign: %v\nnext: send %s (it now carries this signature) to %s; each runs: hotline line accept --dir DIR %s\n",
			dst, s.Missing(), dst, strings.Join(s.Missing(), ", "), dst)
		return nil
	}
	api, done, err := openAPI(ctx, *dir)
	if err != nil {
		return err
	}
	defer done()
	if err := api.Install(ctx, s.Raw); err != nil {
		return err
	}
	var others []string
	for _, p := range s.Parties {
		if p.Party != cfg.Party {
			others = append(others, p.Party)
		}
	}
	fmt.Fprintf(os.Stderr, "line %s is open on this node; wrote %s, signed by every party.\n"+
		"next: send %s to %s; each that has not yet opened the line runs: hotline line accept --dir DIR %s\n"+
		"then start this node: %s serve --dir %s\n", s.ID(), dst, dst, strings.Join(others, ", "), dst, self(), *dir)
	return nil
}
