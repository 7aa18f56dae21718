package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hotline-line/hotline/internal/atomicfile"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/transcript"
)

func init() {
	register(command{"export", "--out FILE [--no-plaintext] [--line L]", "write the line's transcript for offline verification", cmdExport})
	register(command{"disclose", "--message ID --out FILE [--with-reply] [--with-translations] [--line L]", "write a proof of one message for a third party", cmdDisclose})
	register(command{"verify", "[--json] FILE", "verify a transcript, disclosure or fork proof offline", cmdVerify})
}

// openStore opens a node's database for reading beside a running node.
func openStore(dir string) (*store.Store, func(), error) {
	st, err := store.Open(filepath.Join(dir, node.DBFile))
	if err != nil {
		return nil, nil, err
	}
	return st, func() { st.Close() }, nil
}

// defaultLine returns the line named by flag (its name or ID), or the
// node's only line, from the database.
func defaultLine(st *store.Store, flag string) (string, error) {
	return node.ResolveStoredLine(st, flag)
}

func cmdExport(_ context.Context, args []string) error {
	fs := flags("export")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	out := fs.String("out", "", "the transcript file to write")
	noPlain := fs.Bool("no-plaintext", false, "leave out message bodies: the transcript then proves timing and receipts only")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{"--out is required"}
	}
	_, keys, err := node.LoadIdentity(*dir)
	if err != nil {
		return err
	}
	st, done, err := openStore(*dir)
	if err != nil {
		return err
	}
	defer done()
	l, err := defaultLine(st, *line)
	if err != nil {
		return err
	}
	t, err := transcript.Export(st, keys, l, !*noPlain, time.Now())
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*out, transcript.Marshal(t), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s; check it anywhere with: hotline verify %s\n", *out, *out)
	return nil
}

func cmdDisclose(_ context.Context, args []string) error {
	fs := flags("disclose")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	id := fs.String("message", "", "the message ID, e.g. seoul-17")
	out := fs.String("out", "", "the disclosure file to write")
	withReply := fs.Bool("with-reply", false, "include the text of the other parties' replies to it (by default a reply is proven by its entry alone)")
	withTranslations := fs.Bool("with-translations", false, "include the message's translations, by any party, with their texts and attribution")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" || *id == "" {
		return usageError{"--message and --out are required"}
	}
	_, keys, err := node.LoadIdentity(*dir)
	if err != nil {
		return err
	}
	st, done, err := openStore(*dir)
	if err != nil {
		return err
	}
	defer done()
	l, err := defaultLine(st, *line)
	if err != nil {
		return err
	}
	d, err := transcript.DiscloseWith(st, keys, l, *id, transcript.DiscloseOptions{Replies: *withReply, Translations: *withTranslations})
	if err != nil {
		return err
	}
	// Checked as the third party will check it, so that what this says
	// is what the file proves.
	rep, err := transcript.VerifyDisclosure(d)
	if err != nil {
		return fmt.Errorf("the disclosure does not verify: %w", err)
	}
	if err := atomicfile.Write(*out, transcript.Marshal(d), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %s with its receipts, displays and acknowledgements.\n%s\n", *out, *id, rep.TextsSummary())
	return nil
}

func cmdVerify(_ context.Context, args []string) error {
	fs := flags("verify")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"verify takes one file"}
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	rep, err := transcript.Verify(data)
	if errors.Is(err, transcript.ErrDamaged) {
		return withHint(fmt.Errorf("%s does NOT verify: %w", fs.Arg(0), err),
			"the file was cut short or changed on its way: copy it again from its sender, who can write it again with hotline export or hotline disclose")
	}
	if err != nil {
		return fmt.Errorf("%s does NOT verify: %w", fs.Arg(0), err)
	}
	if *asJSON {
		return rep.WriteJSON(os.Stdout)
	}
	rep.WriteText(os.Stdout)
	return nil
}
