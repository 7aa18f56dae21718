package e2e

import (
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/transcript"
)

// TestKeyRotation rotates Seoul's signing keys mid-line with both serve
// processes running. Both sides keep talking; exports made before and
// after verify; and a copy of Seoul's data directory taken before the
// rotation (a thief's) signs with the retired key: Beijing refuses it and
// keeps it as evidence.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	startAll(t, c)
	ctx := t.Context()
	seoul, beijing := c.Parties[0], c.Parties[1]
	run := func(args ...string) string {
		t.Helper()
		out, err := c.Run(ctx, args...)
		if err != nil {
			t.Fatalf("hotline %s: %v", strings.Join(args, " "), err)
		}
		return string(out)
	}
	talk := func(tag string) {
		t.Helper()
		for _, p := range c.Parties {
			for i := range 2 {
				if _, err := p.Send(ctx, "FLASH", tag+" "+p.Slug+" "+string(rune('a'+i))); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := c.WaitConverged(ctx, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	verifies := func(p *cluster.Party, name string) *transcript.Report {
		t.Helper()
		file := filepath.Join(t.TempDir(), name)
		run("export", "--dir", p.Dir, "--out", file)
		var rep transcript.Report
		if err := json.Unmarshal([]byte(run("verify", "--json", file)), &rep); err != nil {
			t.Fatal(err)
		}
		return &rep
	}
	talk("before")
	verifies(seoul, "before.json")

	// The thief's copy, taken while Seoul's serve is stopped.
	if err := seoul.Stop(); err != nil {
		t.Fatal(err)
	}
	stolen := filepath.Join(c.Root, "stolen")
	copyDir(t, seoul.Dir, stolen)
	if err := seoul.Start(ctx); err != nil {
		t.Fatal(err)
	}

	out := run("key", "rotate", "--dir", seoul.Dir)
	if !strings.Contains(out, "new signing keys from seoul-3") {
		t.Fatalf("key rotate printed %q", out)
	}
	talk("after")
	for _, p := range c.Parties {
		rep := verifies(p, p.Slug+"-after.json")
		if rep.Keys == nil || len(rep.Keys.History) != 3 || rep.Keys.History[1].Index != 3 || len(rep.Messages) != 8 {
			t.Fatalf("%s's export after the rotation: keys %+v, %d messages", p.Slug, rep.Keys, len(rep.Messages))
		}
	}
	st, err := beijing.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Keys) != 3 {
		t.Fatalf("beijing's status shows keys %+v", st.Keys)
	}

	// The thief writes beyond what Beijing holds of Seoul's log, with the
	// retired key, and carries it over by file.
	for range 6 {
		run("send", "--dir", stolen, "from the stolen key")
	}
	parcel := filepath.Join(c.Root, "thief.parcel")
	run("bundle", "export", "--dir", stolen, "--peer", "beijing", "--out", parcel)
	if _, err := c.Run(ctx, "bundle", "import", "--dir", beijing.Dir, parcel); err == nil || !strings.Contains(err.Error(), "retired key") {
		t.Fatalf("the retired key's bundle: %v, want a refusal naming the retired key", err)
	}
	st, err = beijing.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kept := false
	for _, e := range st.EvidenceCounts {
		kept = kept || (e.Peer == "seoul" && e.Kind == "retired_key")
	}
	if !kept {
		t.Fatalf("no retired_key evidence against seoul: %+v", st.EvidenceCounts)
	}
	// Both restart: each reads the key chain back from its own log and
	// its copy of the other's.
	for _, p := range c.Parties {
		if err := p.Stop(); err != nil {
			t.Fatal(err)
		}
		if err := p.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	talk("after the thief")
}

// copyDir copies the regular files of a data directory.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		o, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(o, in); err != nil {
			o.Close()
			return err
		}
		return o.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}
