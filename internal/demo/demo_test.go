package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/officer"
)

// TestOfficersHaveTheirRoles starts the demo and logs in to each console
// with each login it prints: the console gives each officer the role the
// printout names, in the words of the console's own header, and each side
// has a watch officer, as the demo's commands and docs say.
func TestOfficersHaveTheirRoles(t *testing.T) {
	ctx := context.Background()
	line, err := Start(ctx, t.TempDir(), slog.New(slog.DiscardHandler), func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		line.Close(ctx)
	})
	printout := line.ConsoleLogins()
	watch := map[string]bool{}
	for _, l := range line.Logins {
		body, _ := json.Marshal(map[string]string{"name": l.Officer, "password": l.Password})
		resp, err := http.Post(l.URL+"api/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var me struct {
			Role, Party string
		}
		json.NewDecoder(resp.Body).Decode(&me)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || me.Role != string(l.Role) || me.Party != l.Party {
			t.Errorf("%s logs in to %s as %d %+v, want %s of %s", l.Officer, l.URL, resp.StatusCode, me, l.Role, l.Party)
		}
		found := false
		for _, row := range strings.Split(printout, "\n") {
			if strings.Contains(row, `"`+l.Officer+`"`) {
				found = strings.Contains(row, RoleName(l.Role)) && strings.Contains(row, l.Password)
			}
		}
		if !found {
			t.Errorf("the printout does not give %s as %s with its password:\n%s", l.Officer, RoleName(l.Role), printout)
		}
		if l.Role == officer.Watch {
			watch[l.Party] = true
		}
	}
	if !watch["seoul"] || !watch["beijing"] {
		t.Errorf("each side needs a watch officer: %v", watch)
	}
	if RoleName(officer.Watch) != "watch officer" || RoleName(officer.Admin) != "administrator" {
		t.Errorf("role names %q, %q: the console's English words changed", RoleName(officer.Watch), RoleName(officer.Admin))
	}
	t.Logf("\n%s", printout)
}
