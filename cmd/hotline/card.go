package main

import (
	"context"
	"fmt"
	"os"

	"github.com/hotline-line/hotline/internal/node"
)

func init() {
	register(command{"card", "[--dir DIR]", "print this party's signed card; its fingerprint goes to stderr", cmdCard})
}

func cmdCard(_ context.Context, args []string) error {
	fs := flags("card")
	dir := dirFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, k, err := node.LoadIdentity(*dir)
	if err != nil {
		return noNode(*dir, err)
	}
	c, raw, err := node.MakeCard(cfg, k)
	if err != nil {
		return err
	}
	os.Stdout.Write(raw)
	fmt.Fprintf(os.Stderr, "party %s (%s), languages %v\nfingerprint: %s\nRead the fingerprint to the other party by phone; they must see the same digits.\n",
		c.Party, c.Name, c.Langs, c.Fingerprint())
	return nil
}
