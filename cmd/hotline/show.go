package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
)

func init() {
	register(command{"show", "[--json] [--line L] [--lang TAG] ID", "show a message and its receipt ladder, then record that a received one was displayed", cmdShow})
	register(command{"ack", "--officer NAME [--line L] ID", "acknowledge a received message as a named officer", cmdAck})
}

func cmdShow(ctx context.Context, args []string) error {
	fs := flags("show")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	asJSON := fs.Bool("json", false, "print JSON")
	lang := fs.String("lang", "", "the language of a notice's labels (default: the party's first language)")
	if err := parse(fs, args); err != nil {
		return err
	}
	labels, err := readerLang(*dir, *lang)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"show takes one message ID"}
	}
	var m *node.Message
	err = onLine(ctx, *dir, *line, "showing it again", "run the same hotline show again",
		func(api control.API, l string) (err error) {
			m, err = api.Show(ctx, l, fs.Arg(0))
			return err
		})
	if err != nil {
		return err
	}
	if *asJSON {
		err = json.NewEncoder(os.Stdout).Encode(m)
	} else {
		printMessage(m, labels)
	}
	if err != nil {
		return err
	}
	// Reading wrote nothing; now that the message is in front of a
	// person, say so. Our own messages are not displayed to us.
	err = onLine(ctx, *dir, *line, "recording it again", "run the same hotline show again: a message is recorded as displayed once",
		func(api control.API, l string) error {
			if err := api.MarkDisplayed(ctx, l, m.ID); err != nil && !isNodeErr(err, node.ErrNotAPeerMessage) {
				return err
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("shown, but not recorded as displayed: %w", err)
	}
	return nil
}

func printMessage(m *node.Message, labels string) {
	fmt.Printf("%s  %s  from %s  written %s UTC\n", m.ID, m.Precedence, m.Author, m.Written.Format(time.DateTime))
	if m.ReplyTo != "" {
		fmt.Printf("in reply to %s\n", m.ReplyTo)
	}
	if by := messageOfficers(*m); by != "" {
		fmt.Printf("written by officer %s\n", by)
	}
	if m.Disputed != "" {
		fmt.Printf("DISPUTED: %s; the signature verifies, but it may not be %s's word\n", m.Disputed, m.Author)
	}
	switch {
	case m.BeforeJoining:
		fmt.Printf("\n(written before this party joined the line: its body is sealed to the parties of the time)\n\n")
	case m.BodyError != "":
		fmt.Printf("\n(unreadable body: %s)\n\n", m.BodyError)
	default:
		fmt.Printf("language %s (the original)\n\n", inert.Text(m.Lang))
		if m.Form != nil {
			printForm(os.Stdout, m, labels)
			fmt.Println()
		}
		if m.Text != "" || m.Form == nil {
			fmt.Printf("%s\n\n", inert.Text(m.Text))
		}
	}
	printTranslations(m)
	for _, r := range m.Ladder {
		fmt.Printf("at %s: %s\n", r.Party, r.State)
		rung := func(name string, t time.Time, extra string) {
			if !t.IsZero() {
				fmt.Printf("  %-13s %s UTC %s\n", name, t.Format(time.DateTime), extra)
			}
		}
		rung("queued", r.Queued, "")
		rung("sent", r.Sent, "")
		rung("delivered", r.Delivered, "(cosigned)")
		rung("displayed", r.Displayed, "")
		rung("acknowledged", r.Acknowledged, "by "+inert.Text(r.AckedBy))
		rung("replied", r.Replied, r.Reply)
		if r.Acknowledged.IsZero() {
			rung("ack due", r.AckBy, "")
		}
		if r.Replied.IsZero() {
			rung("reply due", r.ReplyBy, "")
		}
	}
}

func cmdAck(ctx context.Context, args []string) error {
	fs := flags("ack")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	officer := fs.String("officer", "", "the name of the officer acknowledging")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *officer == "" {
		return usageError{"ack takes one message ID and --officer"}
	}
	var wrote bool
	err := onLine(ctx, *dir, *line, "acknowledging again", "run the same hotline ack again: a message is acknowledged once however often it runs",
		func(api control.API, l string) (err error) {
			wrote, err = api.Ack(ctx, l, fs.Arg(0), *officer)
			return err
		})
	if err != nil {
		return err
	}
	if !wrote {
		fmt.Fprintf(os.Stderr, "%s was already acknowledged\n", fs.Arg(0))
		return nil
	}
	fmt.Fprintf(os.Stderr, "acknowledged %s as %s\n", fs.Arg(0), *officer)
	return nil
}
