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
	register(command{"send", "[--precedence P] [--reply-to ID] [--lang TAG] [--line L] TEXT... | -",
		"write a message; it is on disk and queued when this returns", cmdSend})
}

func cmdSend(ctx context.Context, args []string) error {
	fs := flags("send")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line (default: the node's only line)")
	prec := fs.String("precedence", "ROUTINE", "FLASH, IMMEDIATE, PRIORITY or ROUTINE")
	replyTo := fs.String("reply-to", "", "ID of the message this answers")
	lang := fs.String("lang", "", "language of the text (default: the party's first language)")
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
	id, err := api.Send(ctx, node.SendRequest{Line: l, Precedence: p, Lang: *lang, Text: text, ReplyTo: *replyTo})
	if err != nil {
		return err
	}
	fmt.Println(id)
	return nil
}
