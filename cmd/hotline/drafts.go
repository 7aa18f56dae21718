package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/twoperson"
)

func init() {
	register(command{"drafts", "[--json] [--state pending|releasing|released|rejected|all] [--line L]",
		"list the drafts waiting for two-person release", cmdDrafts})
	register(command{"release", "DRAFT --officer NAME [--line L]",
		"release another officer's draft: the node writes it, signed with both names", cmdRelease})
	register(command{"reject", "DRAFT --officer NAME --reason R [--line L]",
		"reject a draft instead of releasing it, with a reason its drafter sees", cmdReject})
}

func cmdDrafts(ctx context.Context, args []string) error {
	fs := flags("drafts")
	dir := dirFlag(fs)
	line := fs.String("line", "", "only this line's drafts (default: every line's)")
	state := fs.String("state", "pending", "pending, releasing, released, rejected or all")
	limit := fs.Int("limit", 100, "at most this many, newest first")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"drafts takes no arguments"}
	}
	st, err := officer.ParseDraftState(*state)
	if err != nil {
		return usageError{err.Error()}
	}
	if *limit < 1 || *limit > 1000 {
		return usageError{"--limit must be 1 to 1000"}
	}
	api, done, err := openDesk(ctx, *dir)
	if err != nil {
		return err
	}
	defer done()
	list, err := api.Drafts(ctx, officer.DraftQuery{Line: *line, State: st, Limit: *limit})
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(list)
	}
	if len(list) == 0 {
		if st == "" {
			fmt.Fprintln(os.Stderr, "hotline: no drafts")
		} else {
			fmt.Fprintf(os.Stderr, "hotline: no %s drafts\n", st)
		}
		return nil
	}
	for _, d := range list {
		printDraft(d)
	}
	return nil
}

// printDraft shows a draft whole: a releaser must see exactly what it
// releases, invisible characters made visible.
func printDraft(d officer.Draft) {
	fmt.Printf("draft %d  %s  %s  drafted by %s at %s UTC  (line %s)\n", d.ID, d.Precedence, d.State,
		d.Drafter, d.Created.Format(time.DateTime), d.Line)
	if d.ReplyTo != "" {
		fmt.Printf("  in reply to %s\n", d.ReplyTo)
	}
	switch d.State {
	case officer.DraftReleased:
		fmt.Printf("  released by %s at %s UTC as %s\n", d.DecidedBy, d.DecidedAt.Format(time.DateTime), d.Message)
	case officer.DraftReleasing:
		fmt.Printf("  being released by %s\n", d.DecidedBy)
	case officer.DraftRejected:
		fmt.Printf("  rejected by %s at %s UTC: %s\n", d.DecidedBy, d.DecidedAt.Format(time.DateTime), inert.Text(d.Reason))
	}
	fmt.Printf("  text (%s): %s\n\n", inert.Text(d.Lang), inert.Text(d.Text))
}

// draftArgs parses the flags of release and reject and the one draft ID.
func draftArgs(name string, args []string, reason *string) (dir, line, by string, id int64, err error) {
	fs := flags(name)
	dirF := dirFlag(fs)
	lineF := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	byF := fs.String("officer", "", "the officer deciding: an account with the releaser or admin role, not the drafter")
	if reason != nil {
		fs.StringVar(reason, "reason", "", "why, for the drafter")
	}
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return "", "", "", 0, err
	}
	if len(pos) != 1 || *byF == "" {
		return "", "", "", 0, usageError{name + " takes one draft ID and --officer"}
	}
	id, perr := strconv.ParseInt(pos[0], 10, 64)
	if perr != nil || id < 1 {
		return "", "", "", 0, usageError{fmt.Sprintf("draft ID %q: a draft ID is a positive number (list them with hotline drafts)", pos[0])}
	}
	if reason != nil && (*reason == "" || len(*reason) > officer.MaxReason) {
		return "", "", "", 0, usageError{fmt.Sprintf("give --reason, of 1 to %d bytes", officer.MaxReason)}
	}
	return *dirF, *lineF, *byF, id, nil
}

func cmdRelease(ctx context.Context, args []string) error { return decideDraft(ctx, "release", args) }
func cmdReject(ctx context.Context, args []string) error  { return decideDraft(ctx, "reject", args) }

// decideDraft releases or rejects the draft args name.
func decideDraft(ctx context.Context, name string, args []string) error {
	var reason *string
	if name == "reject" {
		reason = new(string)
	}
	dir, lineFlag, by, id, err := draftArgs(name, args, reason)
	if err != nil {
		return err
	}
	api, done, err := openDesk(ctx, dir)
	if err != nil {
		return err
	}
	defer done()
	line, err := lineOf(ctx, api, lineFlag)
	if err != nil {
		return err
	}
	if reason != nil {
		d, err := api.Reject(ctx, line, id, by, *reason)
		if err != nil {
			return draftHint(err)
		}
		fmt.Fprintf(os.Stderr, "hotline: rejected draft %d by %s; nothing was sent\n", id, d.Drafter)
		return nil
	}
	rel, err := api.Release(ctx, line, id, by)
	if err != nil {
		return draftHint(err)
	}
	fmt.Println(rel.Message)
	fmt.Fprintf(os.Stderr, "hotline: released draft %d by %s as %s, signed by %s and %s\n", id, rel.Draft.Drafter, rel.Message, rel.Draft.Drafter, by)
	return nil
}

// draftHint adds what to do to the errors of release and reject. The
// errors may have come over the control socket as text, so they are
// matched as isNodeErr does.
func draftHint(err error) error {
	switch {
	case isNodeErr(err, officer.ErrOwnDraft):
		return withHint(err, "another officer must release it")
	case isNodeErr(err, twoperson.ErrNotReleaser):
		return withHint(err, "an administrator gives the role with: hotline officer role NAME --role releaser")
	case isNodeErr(err, officer.ErrNoOfficer):
		return withHint(err, "list the accounts with: hotline officer list")
	case isNodeErr(err, officer.ErrNoDraft):
		return withHint(err, "list the drafts with: hotline drafts")
	case isNodeErr(err, officer.ErrDecided):
		return withHint(err, "see how it was decided with: hotline drafts --state all")
	}
	return err
}
