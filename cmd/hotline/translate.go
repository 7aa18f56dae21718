package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/transcript"
)

func init() {
	register(command{"translate", "MESSAGE --lang TAG --officer NAME [--machine] [--line L] [FILE]",
		"write an attributed translation of a message (text from FILE or standard input)", cmdTranslate})
}

func cmdTranslate(ctx context.Context, args []string) error {
	fs := flags("translate")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	lang := fs.String("lang", "", "the language of the translation, a BCP 47 tag such as zh or ko")
	officer := fs.String("officer", "", "the officer who translated it (or had a machine translate it)")
	machine := fs.Bool("machine", false, "the text was translated by a machine")
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 || *lang == "" || *officer == "" {
		return usageError{"translate takes a message ID, --lang and --officer, and the text in a file or on standard input"}
	}
	file := "-"
	if len(pos) == 2 {
		file = pos[1]
	}
	text, err := readText(file)
	if err != nil {
		return err
	}
	req := node.TranslateRequest{Message: pos[0], Lang: *lang, Text: text, Officer: *officer, Machine: *machine}
	var id string
	// Once only: a translation has no idempotency key, and a retry after
	// a lost answer could write it twice.
	err = callOnce(ctx, *dir, *line, func(api control.API, l string) (err error) {
		req.Line = l
		id, err = api.Translate(ctx, req)
		return err
	})
	if err != nil {
		return withLostHint(err, "run hotline show "+pos[0]+" to see whether the translation was written")
	}
	fmt.Println(id)
	return nil
}

// readText reads a text of at most entry.MaxTextSize bytes from a file, or
// from standard input for "-".
func readText(file string) (string, error) {
	r := io.Reader(os.Stdin)
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, entry.MaxTextSize+1))
	if err != nil {
		return "", err
	}
	if len(b) > entry.MaxTextSize {
		return "", fmt.Errorf("%s: more than %d bytes", file, entry.MaxTextSize)
	}
	return strings.TrimRight(string(b), "\n"), nil
}

// withLostHint adds hint when the node may have acted without answering.
func withLostHint(err error, hint string) error {
	if isNodeErr(err, control.ErrTransport) {
		return withHint(err, hint)
	}
	return err
}

// attachedTranslations reads --translation LANG=FILE values.
func attachedTranslations(specs []string, translator string) ([]node.AttachedTranslation, error) {
	var out []node.AttachedTranslation
	for _, s := range specs {
		lang, file, ok := strings.Cut(s, "=")
		if !ok || lang == "" || file == "" {
			return nil, usageError{fmt.Sprintf("--translation %q: want LANG=FILE, like zh=message.zh.txt", s)}
		}
		if translator == "" {
			return nil, usageError{"an attached translation names its translator: give --translator or --officer"}
		}
		text, err := readText(file)
		if err != nil {
			return nil, err
		}
		out = append(out, node.AttachedTranslation{Lang: lang, Text: text, Officer: translator})
	}
	return out, nil
}

// printTranslations prints a message's translations under its original.
func printTranslations(m *node.Message) {
	for _, t := range m.Translations {
		fmt.Printf("translation %s into %s, %s, written %s UTC\n\n%s\n\n", t.ID, inert.Text(t.Lang),
			transcript.Attribution(t.Author, t.Officer, t.Machine), t.Written.Format("2006-01-02 15:04:05"), inert.Text(t.Text))
	}
}
