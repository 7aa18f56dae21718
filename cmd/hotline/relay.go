package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/relay"
)

func init() {
	register(command{"relay", "[init|key|add-line|serve] [--dir DIR] ...",
		"run an untrusted store-and-forward relay for lines", cmdRelay})
}

func cmdRelay(ctx context.Context, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return relayServe(ctx, args)
	}
	switch args[0] {
	case "init":
		return relayInit(args[1:])
	case "key":
		return relayKey(args[1:])
	case "add-line":
		return relayAddLine(args[1:])
	case "serve":
		return relayServe(ctx, args[1:])
	}
	return usageError{fmt.Sprintf("unknown relay subcommand %q: use init, key, add-line or serve", args[0])}
}

// relayDirFlag adds the --dir flag of the relay commands.
func relayDirFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("HOTLINE_RELAY_DIR")
	if def == "" {
		def = "hotline-relay"
	}
	return fs.String("dir", def, "the relay's data directory (env HOTLINE_RELAY_DIR)")
}

func relayInit(args []string) error {
	fs := flags("relay init")
	dir := relayDirFlag(fs)
	listen := fs.String("listen", "", "host:port of the relay's mutual-TLS listener")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *listen == "" || fs.NArg() != 0 {
		return usageError{"relay init takes --listen HOST:PORT and no arguments"}
	}
	if err := relay.Init(*dir, *listen); err != nil {
		return err
	}
	k, err := relay.LoadKeys(*dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "relay created in %s, listening on %s\nkey:         %s\nfingerprint: %s\nAdd each line it carries with 'hotline relay add-line', then run 'hotline relay serve'.\n",
		*dir, *listen, relay.KeyText(k.TLSPublicKey()), relay.Fingerprint(k.TLSPublicKey()))
	return nil
}

func relayKey(args []string) error {
	fs := flags("relay key")
	dir := relayDirFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"relay key takes no arguments"}
	}
	k, err := relay.LoadKeys(*dir)
	if err != nil {
		return err
	}
	fmt.Println(relay.KeyText(k.TLSPublicKey()))
	fmt.Fprintf(os.Stderr, "fingerprint: %s\nThe parties name this key for the relay in their charter; read them the fingerprint by phone.\n",
		relay.Fingerprint(k.TLSPublicKey()))
	return nil
}

func relayAddLine(args []string) error {
	fs := flags("relay add-line")
	dir := relayDirFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"relay add-line takes one charter file"}
	}
	in := fs.Arg(0)
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	if _, err := relay.LoadKeys(*dir); err != nil {
		return withHint(err, "create the relay first with 'hotline relay init'")
	}
	s, err := relay.AddLine(*dir, raw)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	fmt.Fprintf(os.Stderr, "line %s: %q\n", s.ID(), inert.Text(s.Title))
	for i := range s.Parties {
		p := &s.Parties[i]
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", p.Party, inert.Text(p.Name))
	}
	fmt.Fprintln(os.Stderr, "added; a running relay serves it from its parties' next connection")
	return nil
}

func relayServe(ctx context.Context, args []string) error {
	fs := flags("relay serve")
	dir := relayDirFlag(fs)
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"relay serve takes no arguments"}
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return usageError{err.Error()}
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	s, err := relay.Start(*dir, log)
	if errors.Is(err, os.ErrNotExist) {
		return withHint(err, "create the relay first: hotline relay init --dir "+*dir+" --listen HOST:PORT")
	}
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Close(sctx)
}
