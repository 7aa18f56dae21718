package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
)

func init() {
	register(command{"send", "[--precedence P] [--reply-to ID] [--lang TAG] [--officer NAME [--released-by NAME]] [--line L] TEXT... | -",
		"write a message; it is on disk and queued when this returns", cmdSend})
}

func cmdSend(ctx context.Context, args []string) error {
	fs := flags("send")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line (default: the node's only line)")
	prec := fs.String("precedence", "ROUTINE", "FLASH, IMMEDIATE, PRIORITY or ROUTINE")
	replyTo := fs.String("reply-to", "", "ID of the message this answers")
	lang := fs.String("lang", "", "language of the text (default: the party's first language)")
	officer := fs.String("officer", "", "the officer who wrote (drafted) the message; signed into it")
	releasedBy := fs.String("released-by", "", "the second officer who released it, where the charter requires two-person release")
	if err := parse(fs, args); err != nil {
		return err
	}
	p, err := entry.ParsePrecedence(*prec)
	if err != nil {
		return usageError{err.Error()}
	}
	text := joinArgs(fs)
	if text == "-" {
		b, err := io.ReadAll(io.LimitReader(os.Stdin, entry.MaxTextSize+1))
		if err != nil {
			return err
		}
		text = string(b)
	}
	if text == "" {
		return usageError{"no text: give it as arguments, or - to read standard input"}
	}
	api, done, err := openAPI(*dir)
	if err != nil {
		return err
	}
	defer done()
	l, err := lineOf(ctx, api, *line)
	if err != nil {
		return err
	}
	id, err := api.Send(ctx, node.SendRequest{Line: l, Precedence: p, Lang: *lang, Text: text, ReplyTo: *replyTo,
		Officer: *officer, ReleasedBy: *releasedBy})
	if isNodeErr(err, node.ErrNeedsRelease) {
		return withHint(err, "hotline send --officer DRAFTER --released-by RELEASER, or release it in the console")
	}
	if err != nil {
		return err
	}
	fmt.Println(id)
	return nil
}
