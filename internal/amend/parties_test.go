package amend_test

import (
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/amend"
	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
)

// signedCard is the signed card of party, as a proposal to add it carries.
func signedCard(t testing.TB, party string) []byte {
	t.Helper()
	seed := sha256.Sum256([]byte("amend test " + party))
	k, err := identity.Derive(party, seed[:])
	if err != nil {
		t.Fatal(err)
	}
	b, err := card.New(k, "Party "+party, []string{"ja"}, []card.Route{{Kind: "direct", Addr: party + ".example:8443"}}).Sign(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func addParty(t testing.TB, party string) *entry.Changes {
	return &entry.Changes{AddParty: signedCard(t, party)}
}

func removeParty(party string) *entry.Changes { return &entry.Changes{RemoveParty: party} }

// TestPartiesJoinAndLeave: who must accept a party added or removed, and
// each hostile change refused with its own error.
func TestPartiesJoinAndLeave(t *testing.T) {
	tests := []struct {
		name    string
		parties []string
		acts    []amend.Act
		want    []string          // the parties in force at the end
		states  map[string]string // amendment -> state
		refused []error
	}{
		{"an add accepted by the other party", nil, []amend.Act{
			propose("seoul", 2, 1, 1, addParty(t, "tokyo")), accept("beijing", 3, 2, "seoul-2")},
			[]string{"seoul", "beijing", "tokyo"}, map[string]string{"seoul-2": "in force"}, nil},
		{"an add waits for every party in force", []string{"seoul", "beijing", "tokyo"}, []amend.Act{
			propose("seoul", 2, 1, 1, addParty(t, "hanoi")), accept("beijing", 3, 2, "seoul-2")},
			[]string{"seoul", "beijing", "tokyo"}, map[string]string{"seoul-2": "proposed"}, nil},
		{"the joiner does not answer its own add", nil, []amend.Act{
			propose("seoul", 2, 1, 1, addParty(t, "tokyo")), accept("tokyo", 1, 2, "seoul-2")},
			[]string{"seoul", "beijing"}, map[string]string{"seoul-2": "proposed"}, []error{amend.ErrOwnAmendment}},
		{"a removal needs every party but the one removed", []string{"seoul", "beijing", "tokyo"}, []amend.Act{
			propose("seoul", 2, 1, 1, removeParty("tokyo")), accept("beijing", 3, 2, "seoul-2")},
			[]string{"seoul", "beijing"}, map[string]string{"seoul-2": "in force"}, nil},
		{"the party removed cannot refuse it", []string{"seoul", "beijing", "tokyo"}, []amend.Act{
			propose("seoul", 2, 1, 1, removeParty("tokyo")), refuse("tokyo", 3, 2, "seoul-2"), accept("beijing", 3, 3, "seoul-2")},
			[]string{"seoul", "beijing"}, map[string]string{"seoul-2": "in force"}, []error{amend.ErrRemovedAnswers}},
		{"leaving: a party proposes its own removal", []string{"seoul", "beijing", "tokyo"}, []amend.Act{
			propose("tokyo", 2, 1, 1, removeParty("tokyo")), accept("beijing", 3, 2, "tokyo-2"), accept("seoul", 3, 3, "tokyo-2")},
			[]string{"seoul", "beijing"}, map[string]string{"tokyo-2": "in force"}, nil},
		{"removing the last other party", nil, []amend.Act{
			propose("seoul", 2, 1, 1, removeParty("beijing")), accept("beijing", 3, 2, "seoul-2")},
			[]string{"seoul", "beijing"}, map[string]string{"seoul-2": "refused"}, []error{amend.ErrLastParty, amend.ErrRemovedAnswers}},
		{"adding a party present", nil, []amend.Act{
			propose("seoul", 2, 1, 1, addParty(t, "beijing")), accept("beijing", 3, 2, "seoul-2")},
			[]string{"seoul", "beijing"}, map[string]string{"seoul-2": "refused"}, []error{amend.ErrPartyPresent, amend.ErrOwnAmendment}},
		{"removing an unknown party", nil, []amend.Act{
			propose("seoul", 2, 1, 1, removeParty("hanoi")), accept("beijing", 3, 2, "seoul-2")},
			[]string{"seoul", "beijing"}, map[string]string{"seoul-2": "refused"}, []error{amend.ErrNoSuchParty}},
		{"adding back a party removed", []string{"seoul", "beijing", "tokyo"}, []amend.Act{
			propose("seoul", 2, 1, 1, removeParty("tokyo")), accept("beijing", 3, 2, "seoul-2"),
			propose("seoul", 4, 3, 2, addParty(t, "tokyo")), accept("beijing", 5, 4, "seoul-4")},
			[]string{"seoul", "beijing"}, map[string]string{"seoul-2": "in force", "seoul-4": "refused"}, []error{amend.ErrPartyPresent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parties := tt.parties
			if parties == nil {
				parties = []string{"seoul", "beijing"}
			}
			ch := amend.Fold(base(t, parties...), tt.acts)
			if got := ch.Current().Charter.Slugs(); !slices.Equal(got, tt.want) {
				t.Fatalf("parties in force %v, want %v", got, tt.want)
			}
			checkChain(t, ch, tt.states, tt.refused)
		})
	}
}

// TestJoined: when a party came into force, the point before which
// bodies are not sealed to it.
func TestJoined(t *testing.T) {
	ch := amend.Fold(base(t, "seoul", "beijing"), []amend.Act{
		propose("seoul", 2, 1, 1, addParty(t, "tokyo")), accept("beijing", 3, 5, "seoul-2")})
	since, v, ok := ch.Joined("tokyo")
	if !ok || v != 2 || !since.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("tokyo joined %v at version %d (%v), want +5m at 2", since, v, ok)
	}
	if since, v, ok := ch.Joined("seoul"); !ok || v != 1 || !since.IsZero() {
		t.Fatalf("seoul joined %v at version %d", since, v)
	}
	if _, _, ok := ch.Joined("hanoi"); ok {
		t.Fatal("hanoi never joined")
	}
	if got := len(ch.Cards()); got != 3 {
		t.Fatalf("%d cards, want 3", got)
	}
	if d := amend.Describe(addParty(t, "tokyo")); len(d) != 1 || d[0][:18] != "party added: tokyo" {
		t.Fatalf("Describe = %q", d)
	}
}

// TestAddCardMustVerify: a card whose signature does not verify is refused.
func TestAddCardMustVerify(t *testing.T) {
	b := signedCard(t, "tokyo")
	b[len(b)-5] ^= 1
	_, err := amend.Apply(base(t, "seoul", "beijing"), &entry.Changes{AddParty: b})
	if !errors.Is(err, amend.ErrBadCard) {
		t.Fatalf("a forged card: %v, want ErrBadCard", err)
	}
}
