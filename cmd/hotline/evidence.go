package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hotline-line/hotline/internal/atomicfile"
	"github.com/hotline-line/hotline/internal/inert"
)

func init() {
	register(command{"evidence", "[--out DIR] [--limit N]", "list input this node refused; write it out (fork proofs verify with hotline verify)", cmdEvidence})
}

func cmdEvidence(_ context.Context, args []string) error {
	fs := flags("evidence")
	dir := dirFlag(fs)
	out := fs.String("out", "", "write each piece of evidence to a file in this directory")
	limit := fs.Int("limit", 50, "how many, newest first")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, done, err := openStore(*dir)
	if err != nil {
		return err
	}
	defer done()
	ev, err := st.EvidenceList(*limit)
	if err != nil {
		return err
	}
	if len(ev) == 0 {
		fmt.Fprintln(os.Stderr, "no evidence: this node has refused nothing")
		return nil
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o700); err != nil {
			return err
		}
	}
	for _, e := range ev {
		fmt.Printf("%d  %s  from %s  %s\n", e.ID, time.UnixMilli(e.Time).UTC().Format(time.DateTime), e.Peer, inert.Text(e.Reason))
		if *out != "" {
			p := filepath.Join(*out, fmt.Sprintf("evidence-%d.json", e.ID))
			if err := atomicfile.Write(p, e.Data, 0o600); err != nil {
				return err
			}
			fmt.Printf("    wrote %s\n", p)
		}
	}
	return nil
}
