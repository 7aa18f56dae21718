package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/linestate"
)

func init() {
	register(command{"lines", "[--json]", "list the node's lines: name, title, parties and state", cmdLines})
}

func cmdLines(ctx context.Context, args []string) error {
	fs := flags("lines")
	dir := dirFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"lines takes no arguments"}
	}
	api, done, err := openAPI(ctx, *dir)
	if err != nil {
		return err
	}
	defer done()
	lines, err := api.LineInfos(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(lines)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tID\tTITLE\tPARTIES\tSTATE")
	for _, l := range lines {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", orDash(l.Name), l.ID, inert.Text(l.Title), strings.Join(l.Parties, ","), stateText(l.Status))
	}
	return w.Flush()
}

// stateText is a line's state on one line: who set it, when and why.
func stateText(s linestate.Status) string {
	if s.Notice == "" {
		return string(s.State)
	}
	t := fmt.Sprintf("%s by %s (%s) at %s UTC", s.State, s.By, inert.Text(s.Officer), s.Since.Format(time.DateTime))
	if s.Reason != "" {
		t += ": " + inert.Text(s.Reason)
	}
	return t
}

// printLineState prints a line's name, the notice that set its state, and
// the notices that were refused.
func printLineState(w io.Writer, name string, s *linestate.Status, refused []linestate.Refusal) {
	if name != "" {
		fmt.Fprintf(w, "  name %s\n", name)
	}
	if s != nil {
		fmt.Fprintf(w, "  %s in %s\n", stateText(*s), s.Notice)
	}
	for _, r := range refused {
		fmt.Fprintf(w, "  REFUSED notice %s by %s: %s\n", r.Notice, r.Author, inert.Text(r.Error))
	}
}

// lineNotice writes a suspend, reopen or close notice.
func lineNotice(ctx context.Context, verb string, args []string) error {
	fs := flags("line " + verb)
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	officer := fs.String("officer", "", "the officer who gives the notice; signed into it")
	reason := fs.String("reason", "", "why (required to suspend or close); signed into the notice")
	if err := parse(fs, args); err != nil {
		return err
	}
	state := map[string]entry.LineState{"suspend": entry.LineSuspended, "reopen": entry.LineOpen, "close": entry.LineClosed}[verb]
	if fs.NArg() != 0 || *officer == "" || (state != entry.LineOpen && *reason == "") {
		return usageError{"line " + verb + " takes --officer NAME, --reason TEXT (to suspend or close) and no arguments"}
	}
	api, l, done, err := openLine(ctx, *dir, *line)
	if err != nil {
		return err
	}
	defer done()
	id, err := api.SetLineState(ctx, l, state, *reason, *officer)
	switch {
	case isNodeErr(err, linestate.ErrNotSuspender):
		return withHint(err, "ask the party that suspended the line to reopen it, or close the line")
	case isNodeErr(err, linestate.ErrClosed):
		return withHint(err, "a closed line stays closed; propose a new line")
	case err != nil:
		return err
	}
	fmt.Fprintf(os.Stderr, "line %s is %s: notice %s is on disk and queued for every party\n", l, state, id)
	fmt.Println(id)
	return nil
}
