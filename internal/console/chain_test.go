package console

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
)

// TestCharterChainInAPI: Seoul proposes an amendment with a hostile
// reason and Beijing accepts it; Beijing's console then shows version 2
// in force, the amendment in force with its proposer, officer, reason
// (made visible), changes in words and Beijing's acceptance, and every
// party's signing keys from the charter. A line it does not know is 404.
func TestCharterChainInAPI(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	watch := f.session(t, "Li Na", officer.Watch)
	reason := "more time\u202e for FLASH"
	id, err := f.seoul.Amend(ctx, node.AmendRequest{Line: f.line, Act: entry.AmendPropose, Officer: "Gen. Kim",
		Reason: reason, Changes: &entry.Changes{LinkTests: new(entry.Duration(2 * time.Hour))}})
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		Party, Officer, Reason string
		Time                   time.Time
	}
	var v struct {
		Version  uint64 `json:"version"`
		Versions []struct {
			Number    uint64
			Amendment string
		} `json:"versions"`
		Amendments []struct {
			ID, Proposer, Officer, Reason, State string
			Version                              uint64
			Since                                time.Time
			Accepted                             []answer
			Described                            []string
		} `json:"amendments"`
		Keys []struct {
			Party  string
			Index  uint64
			LogKey string `json:"log_key"`
		} `json:"keys"`
	}
	path := "/api/lines/" + f.line + "/charter"
	waitFor(t, f.beijing, 20*time.Second, "the proposal in Beijing", func() bool {
		return f.get(t, path, &watch, &v) == http.StatusOK && len(v.Amendments) == 1
	})
	if a := v.Amendments[0]; a.ID != id || a.State != "proposed" || a.Proposer != "seoul" || v.Version != 1 {
		t.Fatalf("the proposal: version %d, %+v", v.Version, a)
	}
	if _, err := f.beijing.Amend(ctx, node.AmendRequest{Line: f.line, Act: entry.AmendAccept, Proposal: id, Officer: "Col. Zhang"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, f.beijing, 20*time.Second, "the amendment in force in Beijing", func() bool {
		return f.get(t, path, &watch, &v) == http.StatusOK && v.Version == 2
	})
	a := v.Amendments[0]
	if a.State != "in force" || a.Version != 2 || a.Since.IsZero() || a.Officer != "Gen. Kim" {
		t.Fatalf("the amendment in force: %+v", a)
	}
	if strings.ContainsRune(a.Reason, '\u202e') || !strings.Contains(a.Reason, "for FLASH") {
		t.Fatalf("the reason is not made visible: %q", a.Reason)
	}
	if len(a.Accepted) != 1 || a.Accepted[0].Party != "beijing" || a.Accepted[0].Officer != "Col. Zhang" || a.Accepted[0].Time.IsZero() {
		t.Fatalf("the acceptance: %+v", a.Accepted)
	}
	if len(a.Described) != 1 || !strings.Contains(a.Described[0], "2h") {
		t.Fatalf("the changes in words: %q", a.Described)
	}
	if len(v.Versions) != 2 || v.Versions[1].Amendment != id {
		t.Fatalf("the versions: %+v", v.Versions)
	}
	parties := map[string]bool{}
	for _, k := range v.Keys {
		if k.Index == 0 && k.LogKey != "" {
			parties[k.Party] = true
		}
	}
	if !parties["seoul"] || !parties["beijing"] {
		t.Fatalf("the charter's keys: %+v", v.Keys)
	}
	if code, _ := f.do(t, f.request(t, "GET", "/api/lines/nope/charter", &watch, "", nil)); code != http.StatusNotFound {
		t.Fatalf("an unknown line: %d", code)
	}
}
