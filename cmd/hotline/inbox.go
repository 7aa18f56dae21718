package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
)

func init() {
	register(command{"inbox", "[--outbox] [--limit N] [--json] [--line L]", "list received (or, with --outbox, sent) messages", cmdInbox})
}

func cmdInbox(ctx context.Context, args []string) error {
	fs := flags("inbox")
	dir := dirFlag(fs)
	line := fs.String("line", "", "only this line, by name or ID (default: every line)")
	outbox := fs.Bool("outbox", false, "list this party's messages with their receipt ladder")
	limit := fs.Int("limit", 20, "how many, newest first")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
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
	if *line != "" {
		l, err := api.ResolveLine(ctx, *line)
		if err != nil {
			return err
		}
		lines = slices.DeleteFunc(lines, func(i node.LineInfo) bool { return i.ID != l })
	}
	var msgs []node.Message
	names := map[string]string{}
	for _, l := range lines {
		names[l.ID] = l.Name
		if names[l.ID] == "" {
			names[l.ID] = l.ID[:8]
		}
		m, err := api.Messages(ctx, l.ID, *outbox, *limit)
		if err != nil {
			return err
		}
		msgs = append(msgs, m...)
	}
	// Newest first across lines, as each line's list is.
	slices.SortStableFunc(msgs, func(a, b node.Message) int { return b.Received.Compare(a.Received) })
	if *limit > 0 {
		msgs = msgs[:min(len(msgs), *limit)]
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(msgs)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "LINE\tID\tPRECEDENCE\tWRITTEN (UTC)\tSTATE\tOFFICER\tTEXT")
	for _, m := range msgs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", names[m.Line], m.ID, m.Precedence, m.Written.Format(time.DateTime),
			states(m), messageOfficers(m), preview(m))
	}
	return w.Flush()
}

func states(m node.Message) string {
	var s []string
	for _, r := range m.Ladder {
		s = append(s, r.Party+":"+r.State)
	}
	return strings.Join(s, " ")
}

// messageOfficers names who wrote a message and, under two-person release, who
// released it, as the author's node signed them.
func messageOfficers(m node.Message) string {
	s := inert.Text(m.Officer)
	if m.ReleasedBy != "" {
		s += ", released by " + inert.Text(m.ReleasedBy)
	}
	return s
}

func preview(m node.Message) string {
	if m.Disputed != "" {
		return "(DISPUTED: " + m.Disputed + ") " + previewBody(m)
	}
	return previewBody(m)
}

func previewBody(m node.Message) string {
	if m.BeforeJoining {
		return "(written before this party joined the line: sealed to the parties of the time)"
	}
	if m.BodyError != "" {
		return "(unreadable: " + m.BodyError + ")"
	}
	if m.Form != nil && m.Text == "" {
		return "(notice " + inert.Text(m.Form.Template) + ")"
	}
	t := inert.Text(strings.ReplaceAll(m.Text, "\n", " "))
	if r := []rune(t); len(r) > 60 {
		t = string(r[:60]) + "…"
	}
	return t
}
