package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hotline-line/hotline/internal/atomicfile"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/store"
)

func init() {
	register(command{"evidence", "[--out DIR] [--limit N]", "list input this node refused, by party and kind; write it out (fork proofs verify with hotline verify)", cmdEvidence})
}

func cmdEvidence(_ context.Context, args []string) error {
	fs := flags("evidence")
	dir := dirFlag(fs)
	out := fs.String("out", "", "write each piece of evidence to a file in this directory")
	limit := fs.Int("limit", 50, "how many pieces, most recently seen first")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, done, err := openStore(*dir)
	if err != nil {
		return err
	}
	defer done()
	counts, err := st.EvidenceCounts("")
	if err != nil {
		return err
	}
	ev, err := st.EvidenceList(*limit)
	if err != nil {
		return err
	}
	if len(counts) == 0 && len(ev) == 0 {
		fmt.Fprintln(os.Stderr, "no evidence: this node has refused nothing")
		return nil
	}
	fmt.Println("refusals by party and kind:")
	for _, c := range counts {
		fmt.Printf("  line %s: %s\n", c.Line, evidenceCountText(c))
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o700); err != nil {
			return err
		}
	}
	fmt.Println("kept (the first and the most serious of each kind for good, the latest until the next):")
	for _, e := range ev {
		fmt.Printf("%d  %s  from %s  %s/%s", e.ID, utcMillis(e.Time), inert.Text(e.Peer), e.Kind, e.Slot)
		if e.Count > 1 {
			fmt.Printf("  seen %d times, last %s", e.Count, utcMillis(e.LastSeen))
		}
		fmt.Printf("  %s\n", inert.Text(e.Reason))
		switch {
		case len(e.Data) == 0:
			fmt.Printf("    %d bytes, not kept: over the party's budget for evidence\n", e.Size)
		case int64(len(e.Data)) < e.Size:
			fmt.Printf("    first %d of %d bytes kept\n", len(e.Data), e.Size)
		}
		if *out != "" && len(e.Data) > 0 {
			p := filepath.Join(*out, fmt.Sprintf("evidence-%d.json", e.ID))
			if err := atomicfile.Write(p, e.Data, 0o600); err != nil {
				return err
			}
			fmt.Printf("    wrote %s\n", p)
		}
	}
	return nil
}

// evidenceCountText says how often one party's input was refused for one
// kind of reason: "beijing: 1043 × bad_time, 2026-12-02 09:12:03 UTC to
// 2026-12-02 09:15:44 UTC,
// last: ...".
func evidenceCountText(c store.EvidenceCount) string {
	return fmt.Sprintf("%s: %d × %s, %s to %s, last: %s", inert.Text(c.Peer), c.Count, c.Kind, utcMillis(c.FirstSeen), utcMillis(c.LastSeen), inert.Text(c.LastReason))
}

func utcMillis(v int64) string { return time.UnixMilli(v).UTC().Format(time.DateTime) + " UTC" }
