package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
)

func init() {
	register(command{"alerts", "[--json] | silence ID --officer NAME",
		"list the open escalation alerts and where each chain stands; silence one a party owes", cmdAlerts})
}

func cmdAlerts(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "silence" {
		return cmdAlertsSilence(ctx, args[1:])
	}
	fs := flags("alerts")
	dir := dirFlag(fs)
	asJSON := fs.Bool("json", false, `print JSON: {"serving": BOOL, "alerts": [...]}`)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{fmt.Sprintf("alerts takes no arguments (unknown subcommand %q: use silence)", fs.Arg(0))}
	}
	api, done, err := openAPI(ctx, *dir)
	if err != nil {
		return err
	}
	defer done()
	v, err := api.Alerts(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(v)
	}
	printAlerts(os.Stdout, v, time.Now())
	return nil
}

func cmdAlertsSilence(ctx context.Context, args []string) error {
	fs := flags("alerts silence")
	dir := dirFlag(fs)
	officer := fs.String("officer", "", "the name of the officer who silences the alert")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || strings.TrimSpace(*officer) == "" {
		return usageError{"alerts silence takes one alert ID and --officer"}
	}
	id := fs.Arg(0)
	if _, err := os.Stat(filepath.Join(*dir, node.ConfigFile)); err != nil {
		return withHint(errors.New("no hotline node in "+*dir), "create one with: hotline init --dir "+*dir+" --party NAME ...")
	}
	// The chain runs in hotline serve; without it there is nothing to
	// silence, and opening the node here would change nothing.
	c, err := control.Dial(*dir)
	if err != nil {
		return withHint(errors.New("the node in "+*dir+" is not serving: no escalation chain runs, so there is nothing to silence"),
			"start it with: hotline serve --dir "+*dir)
	}
	err = c.Silence(ctx, id, *officer)
	switch {
	case isNodeErr(err, escalate.ErrOwed):
		return withHint(err, "acknowledge or reply to close it: hotline ack --officer NAME MESSAGE-ID, or hotline send --reply-to MESSAGE-ID TEXT; a roll-call closes with hotline rollcall --officer NAME")
	case isNodeErr(err, escalate.ErrNoAlert):
		return withHint(fmt.Errorf("no such open alert: %s", inert.Text(id)), "it may have closed; list the open alerts with: hotline alerts --dir "+*dir)
	case isNodeErr(err, control.ErrNotServing):
		return withHint(err, "start it with: hotline serve --dir "+*dir)
	case err != nil:
		return err
	}
	fmt.Fprintf(os.Stderr, "alert %s silenced by %s: its chain stops; it stays listed until it closes\n", inert.Text(id), inert.Text(*officer))
	return nil
}

// cell makes text from another party safe to print in one cell: inert, and
// on one line.
func cell(s string) string {
	return strings.NewReplacer("\n", " ", "\t", " ").Replace(inert.Text(s))
}

// printAlerts writes the alerts of v, most urgent first, one block each.
func printAlerts(w io.Writer, v *control.AlertsView, now time.Time) {
	if !v.Serving {
		fmt.Fprintln(w, "the node is not serving: no escalation chain is running and nobody is being notified; these are the conditions open now (start hotline serve to run the chain)")
	}
	if len(v.Alerts) == 0 {
		fmt.Fprintln(w, "no open alerts")
		return
	}
	fmt.Fprintf(w, "%d open alert(s), most urgent first\n", len(v.Alerts))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, st := range v.Alerts {
		a := st.Alert
		fmt.Fprintf(tw, "\n%s\n", cell(a.ID))
		kind := string(a.Kind)
		if a.Owed {
			kind += " (owed: closes when our people act)"
		} else {
			kind += " (can be silenced)"
		}
		row := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
		row("kind", cell(kind))
		row("precedence", orDash(cell(string(a.Precedence))))
		row("line", fmt.Sprintf("%s %q", cell(a.Line), cell(a.LineTitle)))
		row("summary", cell(a.Summary))
		row("detail", orDash(cell(a.Detail)))
		if v.Serving {
			row("step", stepText(st, now))
		}
		if a.Deadline.IsZero() {
			row("deadline", "-")
		} else {
			row("deadline", dayTime(a.Deadline, now))
		}
		if !v.Serving {
			continue
		}
		if len(st.Sent) == 0 {
			row("notices", "none sent")
		}
		for i, d := range st.Sent {
			k := ""
			if i == 0 {
				k = "notices"
			}
			row(k, noticeText(d, now))
		}
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stepText says where the chain stands on an alert.
func stepText(st escalate.AlertState, now time.Time) string {
	s := fmt.Sprintf("%d. %s since %s", st.Step+1, orDash(cell(st.StepName)), dayTime(st.StepAt, now))
	if st.Cycle > 0 {
		s += fmt.Sprintf(" (round %d)", st.Cycle+1)
	}
	if st.SilencedBy != "" {
		return s + fmt.Sprintf("; silenced by %s at %s", cell(st.SilencedBy), dayTime(st.SilencedAt, now))
	}
	if st.Console {
		s += "; console alarm on"
	}
	if !st.NextStepAt.IsZero() {
		s += "; next step " + dayTime(st.NextStepAt, now)
	}
	return s
}

// noticeText says what became of one notice.
func noticeText(d escalate.Delivery, now time.Time) string {
	s := fmt.Sprintf("%s %s %s (step %d): ", cell(d.Event), cell(d.Channel), cell(d.To), d.Step+1)
	switch {
	case d.OK:
		s += "sent " + dayTime(d.Last, now)
	case d.GaveUp && d.Attempts == 0:
		s += orDash(cell(d.Error))
	case d.GaveUp:
		s += fmt.Sprintf("gave up after %d attempt(s): %s", d.Attempts, orDash(cell(d.Error)))
	case d.Attempts > 0:
		s += fmt.Sprintf("FAILED %d attempt(s): %s", d.Attempts, cell(d.Error))
		if !d.Next.IsZero() {
			s += "; next try " + dayTime(d.Next, now)
		}
	default:
		s += "queued " + dayTime(d.Queued, now)
	}
	return s
}
