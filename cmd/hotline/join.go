package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/hotline-line/hotline/internal/atomicfile"
	"github.com/hotline-line/hotline/internal/node"
)

// Parties joining a line: hotline line invite writes, on a node of the
// line, the invitation of a party an amendment in force added; hotline
// line join opens the line from it on the new party's node.

// maxInvite bounds an invitation file: a charter and a card.
const maxInvite = 2 << 20

func lineInvite(ctx context.Context, args []string) error {
	fs := flags("line invite")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	party := fs.String("party", "", "the party an amendment in force added")
	out := fs.String("out", "", "the file to write the invitation to")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *party == "" || *out == "" {
		return usageError{"line invite takes --party NAME and --out FILE"}
	}
	api, l, done, err := openLine(ctx, *dir, *line)
	if err != nil {
		return err
	}
	defer done()
	inv, err := api.Invite(ctx, l, *party)
	if isNodeErr(err, node.ErrNotAdded) {
		return withHint(err, "propose it with hotline line amend --add-party CARDFILE; hotline line amendments shows whom it waits for")
	}
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s: the invitation of %s to line %s (added by %s)\nnext: send it to %s, which runs: %s line join --dir DIR %s, then serve\n",
		*out, *party, l, inv.Amendment, *party, self(), *out)
	return nil
}

func lineJoin(ctx context.Context, args []string) error {
	fs := flags("line join")
	dir := dirFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"line join takes one invitation file (written by hotline line invite)"}
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	var inv node.Invite
	dec := json.NewDecoder(&limited{f, maxInvite})
	dec.DisallowUnknownFields()
	if err := dec.Decode(&inv); err != nil {
		return fmt.Errorf("%s: not an invitation: %w", fs.Arg(0), err)
	}
	api, done, err := openAPI(ctx, *dir)
	if err != nil {
		return err
	}
	defer done()
	err = api.Join(ctx, inv)
	if isNodeErr(err, node.ErrBadInvite) {
		return withHint(err, "ask the party that wrote it for a new one: hotline line invite --party NAME --out FILE")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "line %s is open on this node as the party amendment %s added; the other parties send it their logs from the start.\n"+
		"Messages written before it joined show as such: they are sealed to the parties of the time.\nnext: start this node: %s serve --dir %s\n",
		inv.Line, inv.Amendment, self(), *dir)
	return nil
}

// limited is a reader that fails, rather than stops, past its limit.
type limited struct {
	f interface{ Read([]byte) (int, error) }
	n int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("the file is larger than an invitation can be")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.f.Read(p)
	l.n -= int64(k)
	return k, err
}
