package amend_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/amend"
	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// base is a charter between the parties.
func base(t testing.TB, parties ...string) *charter.Charter {
	t.Helper()
	var cards []*card.Card
	for _, p := range parties {
		seed := sha256.Sum256([]byte("amend test " + p))
		k, err := identity.Derive(p, seed[:])
		if err != nil {
			t.Fatal(err)
		}
		cards = append(cards, card.New(k, "Party "+p, []string{"en"}, []card.Route{{Kind: "direct", Addr: p + ".example:8443"}}))
	}
	c := charter.New("Seoul-Beijing defense line", t0.Add(-time.Hour), cards)
	c.Nonce = bytes.Repeat([]byte{0x42}, 16)
	return c
}

var relayKey = bytes.Repeat([]byte{7}, 32)

// addRelay proposes a relay at addr on version base.
func addRelay(addr string, base uint64) *entry.Changes {
	return &entry.Changes{RelaysAdd: []entry.RelayAddr{{Addr: addr, TLSKey: relayKey}}}
}

func act(author string, index uint64, min int, b *entry.Amendment) amend.Act {
	b.Officer = "officer of " + author
	return amend.Act{ID: entry.ID(author, index), Author: author, Index: index, Time: t0.Add(time.Duration(min) * time.Minute), Body: b}
}

func propose(author string, index uint64, min int, base uint64, ch *entry.Changes) amend.Act {
	return act(author, index, min, &entry.Amendment{Act: entry.AmendPropose, Base: base, Changes: ch, Reason: "note"})
}

func accept(author string, index uint64, min int, proposal string) amend.Act {
	return act(author, index, min, &entry.Amendment{Act: entry.AmendAccept, Proposal: proposal})
}

func refuse(author string, index uint64, min int, proposal string) amend.Act {
	return act(author, index, min, &entry.Amendment{Act: entry.AmendRefuse, Proposal: proposal, Reason: "no"})
}

func TestFold(t *testing.T) {
	unconfirmed := accept("beijing", 3, 2, "seoul-2")
	unconfirmed.Unconfirmed = true
	unreadable := accept("beijing", 3, 2, "seoul-2")
	unreadable.Body, unreadable.Err = nil, entry.ErrAmendOtherLine
	tests := []struct {
		name    string
		parties []string
		acts    []amend.Act
		version uint64            // the version in force at the end
		relays  int               // relays of the charter in force
		states  map[string]string // amendment -> state
		refused []error           // the entries refused, in order
	}{
		{"none", nil, nil, 1, 0, nil, nil},
		{"proposed, not answered", nil, []amend.Act{propose("seoul", 2, 1, 1, addRelay("r1:1", 1))},
			1, 0, map[string]string{"seoul-2": "proposed"}, nil},
		{"accepted by the other party", nil, []amend.Act{propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), accept("beijing", 3, 2, "seoul-2")},
			2, 1, map[string]string{"seoul-2": "in force"}, nil},
		{"accepted before it was proposed, by a clock behind", nil, []amend.Act{propose("seoul", 2, 5, 1, addRelay("r1:1", 1)), accept("beijing", 3, 2, "seoul-2")},
			2, 1, map[string]string{"seoul-2": "in force"}, nil},
		{"own acceptance not yet cosigned: not counted", nil, []amend.Act{propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), unconfirmed},
			1, 0, map[string]string{"seoul-2": "proposed"}, nil},
		{"partial acceptance of three parties", []string{"seoul", "beijing", "tokyo"}, []amend.Act{
			propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), accept("beijing", 3, 2, "seoul-2")},
			1, 0, map[string]string{"seoul-2": "proposed"}, nil},
		{"all three", []string{"seoul", "beijing", "tokyo"}, []amend.Act{
			propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), accept("beijing", 3, 2, "seoul-2"), accept("tokyo", 1, 3, "seoul-2")},
			2, 1, map[string]string{"seoul-2": "in force"}, nil},
		{"refused", nil, []amend.Act{propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), refuse("beijing", 3, 2, "seoul-2")},
			1, 0, map[string]string{"seoul-2": "refused"}, nil},
		{"accept after refusing", nil, []amend.Act{propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), refuse("beijing", 3, 2, "seoul-2"), accept("beijing", 4, 3, "seoul-2")},
			1, 0, map[string]string{"seoul-2": "refused"}, []error{amend.ErrAnswered}},
		{"acceptance of an amendment that does not exist", nil, []amend.Act{accept("beijing", 3, 2, "seoul-9")},
			1, 0, nil, []error{amend.ErrNoSuchAmendment}},
		{"response by the proposer", nil, []amend.Act{propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), accept("seoul", 3, 2, "seoul-2")},
			1, 0, map[string]string{"seoul-2": "proposed"}, []error{amend.ErrOwnAmendment}},
		{"response on another line", nil, []amend.Act{propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), unreadable},
			1, 0, map[string]string{"seoul-2": "proposed"}, []error{amend.ErrOtherLine}},
		{"a chain of two", nil, []amend.Act{
			propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), accept("beijing", 3, 2, "seoul-2"),
			propose("beijing", 4, 3, 2, addRelay("r2:1", 2)), accept("seoul", 5, 4, "beijing-4")},
			3, 2, map[string]string{"seoul-2": "in force", "beijing-4": "in force"}, nil},
		{"a proposal on an old version is superseded", nil, []amend.Act{
			propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), accept("beijing", 3, 2, "seoul-2"),
			propose("beijing", 4, 3, 1, addRelay("r2:1", 1))},
			2, 1, map[string]string{"seoul-2": "in force", "beijing-4": "superseded"}, nil},
		{"an amendment accepted by some acting as in force", []string{"seoul", "beijing", "tokyo"}, []amend.Act{
			propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), accept("beijing", 3, 2, "seoul-2"),
			propose("beijing", 4, 3, 2, addRelay("r2:1", 2))},
			1, 0, map[string]string{"seoul-2": "proposed", "beijing-4": "refused"}, []error{amend.ErrNotInForce}},
		{"two of one version: a party accepts one at a time", nil, []amend.Act{
			propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), propose("beijing", 3, 1, 1, addRelay("r2:1", 1)),
			accept("beijing", 4, 2, "seoul-2"), accept("seoul", 5, 2, "beijing-3")},
			1, 0, map[string]string{"seoul-2": "proposed", "beijing-3": "proposed"}, []error{amend.ErrCompeting, amend.ErrCompeting}},
		{"two of one version: the other refused first", nil, []amend.Act{
			propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), propose("beijing", 3, 1, 1, addRelay("r2:1", 1)),
			refuse("seoul", 4, 2, "beijing-3"), accept("beijing", 5, 3, "seoul-2")},
			2, 1, map[string]string{"seoul-2": "in force", "beijing-3": "refused"}, nil},
		{"a change that makes no valid charter", nil, []amend.Act{
			propose("seoul", 2, 1, 1, &entry.Changes{RelaysRemove: []string{"nowhere:1"}}), accept("beijing", 3, 2, "seoul-2")},
			1, 0, map[string]string{"seoul-2": "refused"}, []error{amend.ErrInvalidChange}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parties := tt.parties
			if parties == nil {
				parties = []string{"seoul", "beijing"}
			}
			ch := amend.Fold(base(t, parties...), tt.acts)
			cur := ch.Current()
			if cur.Number != tt.version || len(cur.Charter.Relays) != tt.relays {
				t.Fatalf("version %d with %d relays, want %d with %d", cur.Number, len(cur.Charter.Relays), tt.version, tt.relays)
			}
			checkChain(t, ch, tt.states, tt.refused)
		})
	}
}

// checkChain checks the state of each amendment of states, and that the
// entries ch refused are those of refused, in order, each with its error.
func checkChain(t *testing.T, ch *amend.Chain, states map[string]string, refused []error) {
	t.Helper()
	for id, want := range states {
		if a := ch.Find(id); a == nil || string(a.State) != want {
			t.Fatalf("amendment %s: %+v, want %s", id, a, want)
		}
	}
	if len(ch.Refused) != len(refused) {
		t.Fatalf("refused %+v, want %v", ch.Refused, refused)
	}
	for i, r := range ch.Refused {
		if !errors.Is(r.Err(), refused[i]) {
			t.Fatalf("refusal %d: %v, want %v", i, r.Error, refused[i])
		}
	}
}

// TestInForceAtLastStep checks the point an amendment takes effect: the
// signed time and ID of its last step, never before the version it amends.
func TestInForceAtLastStep(t *testing.T) {
	acts := []amend.Act{
		propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), accept("beijing", 3, 4, "seoul-2"),
		// Beijing's clock is behind: its acceptance of the second
		// amendment is dated before the first took effect.
		propose("seoul", 5, 6, 2, &entry.Changes{Deadlines: map[entry.Precedence]entry.DeadlineOf{entry.Flash: {Ack: entry.Duration(5 * time.Minute), Reply: entry.Duration(time.Hour)}}}),
		accept("beijing", 4, 3, "seoul-5"),
	}
	ch := amend.Fold(base(t, "seoul", "beijing"), acts)
	if len(ch.Versions) != 3 {
		t.Fatalf("versions %+v", ch.Versions)
	}
	v2, v3 := ch.Versions[1], ch.Versions[2]
	if v2.Entry != "beijing-3" || !v2.Since.Equal(t0.Add(4*time.Minute)) {
		t.Fatalf("version 2 in force from %s at %s, want beijing-3 at +4m", v2.Entry, v2.Since)
	}
	if v3.Entry != "seoul-5" || !v3.Since.Equal(t0.Add(6*time.Minute)) {
		t.Fatalf("version 3 in force from %s at %s, want seoul-5 at +6m", v3.Entry, v3.Since)
	}
	if got := ch.At(t0.Add(5 * time.Minute)).Number; got != 2 {
		t.Fatalf("version at +5m: %d, want 2", got)
	}
	if got := ch.At(t0).Number; got != 1 {
		t.Fatalf("version at +0: %d, want 1", got)
	}
	if d := ch.Current().Charter.Deadline(entry.Flash); d.Ack != entry.Duration(5*time.Minute) {
		t.Fatalf("FLASH deadline in force: %v", d)
	}
	if _, err := ch.InForce("seoul-5"); err != nil {
		t.Fatal(err)
	}
}

// TestOrderDoesNotMatter checks that every party, holding the same entries
// in whatever order, folds the same chain.
func TestOrderDoesNotMatter(t *testing.T) {
	acts := []amend.Act{
		propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), propose("beijing", 3, 1, 1, addRelay("r2:1", 1)),
		refuse("seoul", 4, 2, "beijing-3"), accept("beijing", 5, 3, "seoul-2"), accept("beijing", 9, 9, "nobody-1"),
	}
	want := amend.Fold(base(t, "seoul", "beijing"), acts)
	for i := range acts {
		rot := append(append([]amend.Act{}, acts[i:]...), acts[:i]...)
		got := amend.Fold(base(t, "seoul", "beijing"), rot)
		if got.Current().Amendment != want.Current().Amendment || len(got.Refused) != len(want.Refused) {
			t.Fatalf("rotation %d: %+v, want %+v", i, got.Current(), want.Current())
		}
	}
}

func TestCheck(t *testing.T) {
	c := base(t, "seoul", "beijing")
	held := []amend.Act{propose("seoul", 2, 1, 1, addRelay("r1:1", 1))}
	tests := []struct {
		name string
		cand amend.Act
		is   error
	}{
		{"accept", accept("beijing", 3, 2, "seoul-2"), nil},
		{"accept nothing", accept("beijing", 3, 2, "seoul-7"), amend.ErrNoSuchAmendment},
		{"answer own", refuse("seoul", 3, 2, "seoul-2"), amend.ErrOwnAmendment},
		{"propose on a version not in force", propose("beijing", 3, 2, 2, addRelay("r2:1", 2)), amend.ErrNotInForce},
		{"propose a competing one", propose("seoul", 3, 2, 1, addRelay("r2:1", 1)), amend.ErrCompeting},
		{"propose an invalid one", propose("beijing", 3, 2, 1, &entry.Changes{Addrs: map[string]string{"tokyo": "t:1"}}), amend.ErrInvalidChange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := amend.Check(c, held, tt.cand)
			if tt.is == nil && err != nil || tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("Check: %v, want %v", err, tt.is)
			}
		})
	}
	inForce := append(held, accept("beijing", 3, 2, "seoul-2"))
	if err := amend.Check(c, inForce, propose("beijing", 4, 3, 1, addRelay("r2:1", 1))); !errors.Is(err, amend.ErrStaleBase) {
		t.Fatalf("a proposal on version 1 after version 2: %v, want ErrStaleBase", err)
	}
}

func TestApply(t *testing.T) {
	c := base(t, "seoul", "beijing")
	name := "navy"
	tp := []entry.Precedence{entry.Flash}
	lt := entry.Duration(30 * time.Minute)
	n, err := amend.Apply(c, &entry.Changes{Name: &name, RelaysAdd: []entry.RelayAddr{{Addr: "r:1", TLSKey: relayKey}},
		Addrs: map[string]string{"beijing": "10.0.0.2:9443"}, TwoPerson: &tp, LinkTests: &lt,
		RollCall: &entry.RollCallOf{Every: entry.Duration(time.Hour), Answer: entry.Duration(10 * time.Minute)}})
	if err != nil {
		t.Fatal(err)
	}
	if n.Name != "navy" || len(n.Relays) != 1 || n.Party("beijing").Routes[0].Addr != "10.0.0.2:9443" || !n.NeedsTwoPerson(entry.Flash) ||
		n.LinkTestEvery() != 30*time.Minute || n.RollCall == nil || n.Created != c.Created {
		t.Fatalf("applied: name %q, relays %v, two-person %v, link tests %v, roll-call %v", n.Name, n.Relays, n.TwoPerson, n.LinkTestEvery(), n.RollCall)
	}
	if c.Name != "" || len(c.Relays) != 0 || c.Party("beijing").Routes[0].Addr != "beijing.example:8443" || c.RollCall != nil {
		t.Fatalf("the base changed: name %q, relays %v", c.Name, c.Relays)
	}
	if _, err := amend.Apply(n, &entry.Changes{RelaysAdd: []entry.RelayAddr{{Addr: "r:1", TLSKey: relayKey}}}); !errors.Is(err, amend.ErrInvalidChange) {
		t.Fatalf("a relay added twice: %v", err)
	}
}

// TestNotInForce: an amendment accepted by only some parties is not in
// force, and saying so is its own error.
func TestNotInForce(t *testing.T) {
	ch := amend.Fold(base(t, "seoul", "beijing", "tokyo"), []amend.Act{
		propose("seoul", 2, 1, 1, addRelay("r1:1", 1)), accept("beijing", 3, 2, "seoul-2")})
	if _, err := ch.InForce("seoul-2"); !errors.Is(err, amend.ErrNotInForce) {
		t.Fatalf("InForce of an amendment tokyo has not accepted: %v", err)
	}
	if _, err := ch.InForce("seoul-9"); !errors.Is(err, amend.ErrNoSuchAmendment) {
		t.Fatalf("InForce of no amendment: %v", err)
	}
	if got := ch.At(t0.Add(time.Hour)).Number; got != 1 {
		t.Fatalf("version an hour later: %d", got)
	}
}

func TestDescribe(t *testing.T) {
	name := ""
	got := amend.Describe(&entry.Changes{Name: &name, RelaysRemove: []string{"r:1"},
		Deadlines: map[entry.Precedence]entry.DeadlineOf{entry.Routine: {Ack: entry.Duration(time.Hour), Reply: entry.Duration(2 * time.Hour)}}})
	want := []string{"the line's name: none", "relay removed: r:1", "ROUTINE deadlines: acknowledge within 1h0m0s, reply within 2h0m0s"}
	if !slices.Equal(got, want) {
		t.Fatalf("Describe = %q, want %q", got, want)
	}
	rules := amend.Rules(base(t, "seoul", "beijing"))
	if !slices.Contains(rules, "relays: none") || !slices.Contains(rules, "seoul's direct address: seoul.example:8443") {
		t.Fatalf("Rules = %q", rules)
	}
}

// BenchmarkFold folds a long life of a line: 500 amendments, each
// proposed and accepted, one version after another.
func BenchmarkFold(b *testing.B) {
	c := base(b, "seoul", "beijing")
	var acts []amend.Act
	for v := range 500 {
		lt := entry.Duration(time.Duration(v+1) * time.Minute)
		acts = append(acts, propose("seoul", uint64(v+1), 2*v, uint64(v+1), &entry.Changes{LinkTests: &lt}),
			accept("beijing", uint64(v+1), 2*v+1, entry.ID("seoul", uint64(v+1))))
	}
	b.ReportAllocs()
	for b.Loop() {
		if ch := amend.Fold(c, acts); ch.Current().Number != 501 {
			b.Fatalf("version %d", ch.Current().Number)
		}
	}
}
