package main

import (
	"context"
	"fmt"
	"os"

	"github.com/hotline-line/hotline/internal/atomicfile"
)

func init() {
	register(command{"bundle", "export --peer P --out FILE | import FILE...",
		"carry the line by file: export what a peer lacks, import what a peer sent", cmdBundle})
}

func cmdBundle(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"bundle needs a subcommand: export or import"}
	}
	switch args[0] {
	case "export":
		return bundleExport(ctx, args[1:])
	case "import":
		return bundleImport(ctx, args[1:])
	}
	return usageError{fmt.Sprintf("unknown bundle subcommand %q", args[0])}
}

func bundleExport(ctx context.Context, args []string) error {
	fs := flags("bundle export")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	peer := fs.String("peer", "", "the party the file is for")
	out := fs.String("out", "", "the file to write")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *peer == "" || *out == "" {
		return usageError{"--peer and --out are required"}
	}
	api, l, done, err := openLine(ctx, *dir, *line)
	if err != nil {
		return err
	}
	defer done()
	data, err := api.ExportParcel(ctx, l, *peer)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*out, data, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s (%d bytes, sealed to %s); on their side: hotline bundle import %s\n", *out, len(data), *peer, *out)
	return nil
}

func bundleImport(ctx context.Context, args []string) error {
	fs := flags("bundle import")
	dir := dirFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"bundle import takes one or more files"}
	}
	api, done, err := openAPI(ctx, *dir)
	if err != nil {
		return err
	}
	defer done()
	for _, f := range fs.Args() {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		what, err := api.ImportParcel(ctx, data)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		fmt.Fprintf(os.Stderr, "%s: %s\n", f, what)
	}
	return nil
}
