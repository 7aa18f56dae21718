package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/node"
)

func init() {
	register(command{"key", "rotate | compromised --since TIME --recovery-key FILE|-",
		"replace this party's keys (signing, HPKE, TLS), or declare them stolen with the recovery key", cmdKey})
}

func cmdKey(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"key needs a subcommand: rotate or compromised"}
	}
	switch args[0] {
	case "rotate":
		return keyRotate(ctx, args[1:], false)
	case "compromised":
		return keyRotate(ctx, args[1:], true)
	}
	return usageError{fmt.Sprintf("unknown key subcommand %q", args[0])}
}

// keyRotate writes a key entry on every open line: a plain rotation signed
// by the old key, or a compromise declaration signed by the recovery key.
func keyRotate(ctx context.Context, args []string, compromised bool) error {
	name := "key rotate"
	if compromised {
		name = "key compromised"
	}
	fs := flags(name)
	dir := dirFlag(fs)
	var since, recovery *string
	if compromised {
		since = fs.String("since", "", "when the keys may have been stolen, e.g. 2026-03-01T09:00Z: what they signed from then on is disputed")
		recovery = fs.String("recovery-key", "", "the file holding the recovery key printed at init, or - to read it from standard input")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	var req node.RotateRequest
	if compromised {
		if *since == "" || *recovery == "" {
			return usageError{"--since and --recovery-key are required"}
		}
		t, err := parseTime("since", *since)
		if err != nil {
			return err
		}
		req.Compromised = &t
		if req.RecoveryKey, err = readRecoveryKey(*recovery); err != nil {
			return err
		}
	}
	api, done, err := openAPI(ctx, *dir)
	if err != nil {
		return err
	}
	defer done()
	ids, err := api.RotateKeys(ctx, req)
	if err != nil {
		return err
	}
	for _, line := range slices.Sorted(maps.Keys(ids)) {
		fmt.Printf("line %s: new signing keys from %s\n", line, ids[line])
	}
	if compromised {
		fmt.Printf("declared the old keys compromised since %s: every node shows what they signed since as disputed\n", req.Compromised.Format(time.RFC3339))
	}
	fmt.Println("next: hotline card > new.card, and give the new card to each peer's operator; lines already open follow the key entries on their own")
	return nil
}

// readRecoveryKey reads the recovery key from a file or, for "-", stdin.
func readRecoveryKey(path string) (string, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(os.Stdin, 4096))
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("read the recovery key: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// keyHistoryText prints the parties' signing keys over time, for status.
func keyHistoryText(w io.Writer, h []node.KeyChange) {
	fmt.Fprintln(w, "  signing keys:")
	for _, c := range h {
		if c.Index == 0 {
			fmt.Fprintf(w, "    %-10s %s (charter)\n", c.Party, c.LogKey)
			continue
		}
		fmt.Fprintf(w, "    %-10s %s from %s-%d (%s UTC)", c.Party, c.LogKey, c.Party, c.Index, c.Time.UTC().Format(time.DateTime))
		if c.Compromised != nil {
			fmt.Fprintf(w, "; keys before it declared COMPROMISED since %s UTC: what they signed since is disputed", c.Compromised.UTC().Format(time.DateTime))
		}
		fmt.Fprintln(w)
	}
}
