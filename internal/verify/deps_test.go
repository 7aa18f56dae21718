package verify_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoStore keeps the verifier free of the node's database: `hotline
// verify` and anyone who checks a transcript need none of it, and a
// verifier that could read state would be tempted to.
func TestNoStore(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/internal/store", "/internal/node", "database/sql", "sqlite"} {
			if strings.HasSuffix(dep, banned) || (banned == "sqlite" || banned == "database/sql") && strings.Contains(dep, banned) {
				t.Errorf("internal/verify depends on %s", dep)
			}
		}
	}
}
