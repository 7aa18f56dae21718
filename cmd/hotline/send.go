package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"

	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/linestate"
	"github.com/hotline-line/hotline/internal/node"
)

func init() {
	register(command{"send", "[--precedence P] [--reply-to ID] [--lang TAG] [--officer NAME [--released-by NAME]] [--despite-suspension] [--translation LANG=FILE... [--translator NAME]] [--key K] [--line L] TEXT... | - | --template ID --field NAME=VALUE...",
		"write a message; it is on disk and queued when this returns", cmdSend})
}

func cmdSend(ctx context.Context, args []string) error {
	fs := flags("send")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	prec := fs.String("precedence", "ROUTINE", "FLASH, IMMEDIATE, PRIORITY or ROUTINE")
	replyTo := fs.String("reply-to", "", "ID of the message this answers")
	lang := fs.String("lang", "", "language of the text (default: the party's first language)")
	officer := fs.String("officer", "", "the officer who wrote (drafted) the message; signed into it")
	releasedBy := fs.String("released-by", "", "the second officer who released it, where the charter requires two-person release")
	despite := fs.Bool("despite-suspension", false, "send a ROUTINE or PRIORITY message on a suspended line; the message records it")
	key := fs.String("key", "", "idempotency key: sending again with the same key writes nothing and prints the first message's ID (default: a new random key, used for this command's own retries)")
	var translations multi
	fs.Var(&translations, "translation", "LANG=FILE: attach the sender's own official translation, written with the message (repeatable)")
	translator := fs.String("translator", "", "the officer who made the attached translations (default: --officer)")
	template := fs.String("template", "", "send a formatted notice of this template (see hotline templates); the text is then optional")
	var fields multi
	fs.Var(&fields, "field", "a field of the notice, as NAME=VALUE (repeat for each field)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *translator == "" {
		*translator = *officer
	}
	attached, err := attachedTranslations(translations, *translator)
	if err != nil {
		return err
	}
	form, err := formFlags(*template, fields)
	if err != nil {
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
		if len(b) > entry.MaxTextSize {
			// Counted, not kept: the error says how big the text really is.
			rest, err := io.Copy(io.Discard, os.Stdin)
			if err != nil {
				return err
			}
			return entry.TooLong("message text", int64(len(b))+rest)
		}
		text = string(b)
	}
	if text == "" && form == nil {
		return usageError{"no text: give it as arguments, or - to read standard input"}
	}
	if *key == "" {
		*key = "cli-" + rand.Text()
	}
	req := node.SendRequest{Precedence: p, Lang: *lang, Text: text, ReplyTo: *replyTo,
		Officer: *officer, ReleasedBy: *releasedBy, Key: *key, DespiteSuspension: *despite, Form: form, Translations: attached}
	var id string
	err = onLine(ctx, *dir, *line, "sending again with key "+*key,
		"to retry without writing the message twice, run the same hotline send with --key "+*key,
		func(api control.API, l string) (err error) {
			req.Line = l
			id, err = api.Send(ctx, req)
			return err
		})
	if isNodeErr(err, linestate.ErrSuspended) {
		return withHint(err, "FLASH and IMMEDIATE go through; to send this anyway, add --despite-suspension (the message records it)")
	}
	if isNodeErr(err, node.ErrNeedsRelease) {
		return withHint(err, "hotline send --officer DRAFTER --released-by RELEASER, or release it in the console")
	}
	if isNodeErr(err, node.ErrUnknownTemplate) {
		return withHint(err, "list the line's templates and their fields with: hotline templates")
	}
	if err != nil {
		return err
	}
	fmt.Println(id)
	return nil
}
