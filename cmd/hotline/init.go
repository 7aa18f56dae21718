package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/hotline-line/hotline/internal/node"
)

func init() {
	register(command{"init", "--party NAME --name ORG --lang TAG --listen HOST:PORT [--dir DIR]",
		"create a party: its keys and configuration", cmdInit})
}

func cmdInit(_ context.Context, args []string) error {
	fs := flags("init")
	dir := dirFlag(fs)
	party := fs.String("party", "", "short name of the party: lowercase letters, digits, hyphens (e.g. seoul)")
	name := fs.String("name", "", "the organization's name, in its own language")
	langs := fs.String("lang", "", "languages the party writes, comma-separated; the first is the default")
	listen := fs.String("listen", "127.0.0.1:7441", "host:port of the direct-route listener")
	advertise := fs.String("advertise", "", "host:port peers dial (default: --listen)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *party == "" || *name == "" || *langs == "" {
		return usageError{"--party, --name and --lang are required"}
	}
	cfg := node.Config{Party: *party, Name: *name, Langs: strings.Split(*langs, ","), Listen: *listen, Advertise: *advertise}
	if err := node.Init(*dir, cfg); err != nil {
		return err
	}
	fmt.Printf("created party %s in %s\nnext: hotline card --dir %s > %s.card, and send the card to the other party\n", *party, *dir, *dir, *party)
	return nil
}
