package card_test

import (
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/identity"
)

// TestRecoveryKey: a card may name a recovery key; one that does not
// keeps its bytes; a recovery key of another name is refused.
func TestRecoveryKey(t *testing.T) {
	k := keys(t, "seoul")
	plain := testCard(t, k)
	if strings.Contains(plain.Text(), "recovery") {
		t.Fatalf("a card without a recovery key mentions one:\n%s", plain.Text())
	}
	_, vkey, err := identity.NewRecoveryKey("seoul")
	if err != nil {
		t.Fatal(err)
	}
	c := testCard(t, k)
	c.RecoveryKey = vkey
	b, err := c.Sign(k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := card.Parse(b)
	if err != nil || got.RecoveryKey != vkey {
		t.Fatalf("parsed %+v, %v", got, err)
	}
	if v, err := got.RecoveryVerifier(); err != nil || v.Name() != "hotline/seoul/recovery" {
		t.Fatalf("recovery verifier %v, %v", v, err)
	}
	for name, bad := range map[string]string{
		"another party's": mustRecovery(t, "beijing"),
		"the log key":     k.LogVerifierKey(),
		"not a key":       "hotline/seoul/recovery+00000000+AAAA",
	} {
		c.RecoveryKey = bad
		if err := c.Validate(); err == nil {
			t.Errorf("%s accepted as the recovery key", name)
		}
	}
}

func mustRecovery(t *testing.T, slug string) string {
	t.Helper()
	_, vkey, err := identity.NewRecoveryKey(slug)
	if err != nil {
		t.Fatal(err)
	}
	return vkey
}
