package charter_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
)

func keys(t testing.TB, slug string) *identity.Keys {
	t.Helper()
	seed := sha256.Sum256([]byte("charter test seed " + slug))
	k, err := identity.Derive(slug, seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func cardOf(k *identity.Keys) *card.Card {
	return card.New(k, "Party "+k.Slug, []string{"en"}, []card.Route{{Kind: "direct", Addr: k.Slug + ".example:8443"}})
}

var created = time.Date(2026, 11, 26, 9, 30, 15, 0, time.UTC)

// draft returns a charter between the parties with a fixed nonce, so that
// its text and ID are fixed.
func draft(t testing.TB, ks ...*identity.Keys) *charter.Charter {
	t.Helper()
	var cards []*card.Card
	for _, k := range ks {
		cards = append(cards, cardOf(k))
	}
	c := charter.New("Seoul-Beijing defense line", created, cards)
	c.Nonce = bytes.Repeat([]byte{0x42}, 16)
	return c
}

// signText signs any text with the given keys' log keys.
func signText(t testing.TB, text string, ks ...*identity.Keys) []byte {
	t.Helper()
	var signers []note.Signer
	for _, k := range ks {
		signers = append(signers, k.LogSigner)
	}
	b, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustSign(t testing.TB, c *charter.Charter, prior []byte, k *identity.Keys) *charter.Signed {
	t.Helper()
	s, err := charter.Sign(c, prior, k)
	if err != nil {
		t.Fatalf("Sign by %s: %v", k.Slug, err)
	}
	return s
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

func TestSignInTurn(t *testing.T) {
	seoul, beijing, tokyo := keys(t, "seoul"), keys(t, "beijing"), keys(t, "tokyo")
	c := draft(t, seoul, beijing, tokyo)
	id := c.ID()

	steps := []struct {
		by      *identity.Keys
		signed  []string
		missing []string
	}{
		{beijing, []string{"beijing"}, []string{"seoul", "tokyo"}},
		{tokyo, []string{"beijing", "tokyo"}, []string{"seoul"}},
		{seoul, []string{"beijing", "seoul", "tokyo"}, nil},
	}
	var prior []byte
	for i, st := range steps {
		s := mustSign(t, c, prior, st.by)
		if got := sorted(s.SignedBy); !reflect.DeepEqual(got, st.signed) {
			t.Fatalf("step %d: SignedBy = %v, want %v", i, got, st.signed)
		}
		if got := s.Missing(); !reflect.DeepEqual(got, st.missing) {
			t.Fatalf("step %d: Missing = %v, want %v", i, got, st.missing)
		}
		if s.Complete() != (st.missing == nil) {
			t.Fatalf("step %d: Complete = %v", i, s.Complete())
		}
		if s.ID() != id || s.Text() != c.Text() {
			t.Fatalf("step %d: the charter changed", i)
		}
		if !bytes.HasPrefix(s.Raw, []byte(c.Text()+"\n")) {
			t.Fatalf("step %d: Raw does not start with the charter text", i)
		}
		for _, sig := range strings.SplitAfter(string(prior[min(len(prior), len(c.Text())+1):]), "\n") {
			if !bytes.Contains(s.Raw, []byte(sig)) {
				t.Fatalf("step %d: signature %q was lost", i, sig)
			}
		}
		// Parsing the result gives the same view.
		p, err := charter.Parse(s.Raw)
		if err != nil {
			t.Fatalf("step %d: Parse: %v", i, err)
		}
		if !reflect.DeepEqual(p.SignedBy, s.SignedBy) || !bytes.Equal(p.Raw, s.Raw) || p.ID() != id {
			t.Fatalf("step %d: Parse(Raw) = %v, want %v", i, p.SignedBy, s.SignedBy)
		}
		prior = s.Raw
	}

	// The complete charter opens with the standard library: one signature
	// per party, each over exactly the charter text.
	var vs []note.Verifier
	for _, k := range []*identity.Keys{seoul, beijing, tokyo} {
		v, err := note.NewVerifier(k.LogVerifierKey())
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	n, err := note.Open(prior, note.VerifierList(vs...))
	if err != nil {
		t.Fatal(err)
	}
	if n.Text != c.Text() || len(n.Sigs) != 3 || len(n.UnverifiedSigs) != 0 {
		t.Fatalf("opened note: %d signatures, %d unverified", len(n.Sigs), len(n.UnverifiedSigs))
	}
}

func TestSignOrderDoesNotMatter(t *testing.T) {
	a, b := keys(t, "a"), keys(t, "b")
	c := draft(t, a, b)
	ab := mustSign(t, c, mustSign(t, c, nil, a).Raw, b)
	ba := mustSign(t, c, mustSign(t, c, nil, b).Raw, a)
	if !ab.Complete() || !ba.Complete() {
		t.Fatal("not complete")
	}
	if !reflect.DeepEqual(sorted(ab.SignedBy), sorted(ba.SignedBy)) || ab.ID() != ba.ID() {
		t.Fatal("signing order changed the outcome")
	}
}

func TestSignTwice(t *testing.T) {
	a, b := keys(t, "a"), keys(t, "b")
	c := draft(t, a, b)
	s1 := mustSign(t, c, nil, a)
	s2 := mustSign(t, c, s1.Raw, a)
	if !reflect.DeepEqual(s2.SignedBy, []string{"a"}) {
		t.Fatalf("SignedBy = %v after signing twice", s2.SignedBy)
	}
	if s2.Complete() {
		t.Fatal("one party's two signatures completed the charter")
	}
	if !bytes.Equal(s1.Raw, s2.Raw) {
		t.Fatalf("signing again changed the note:\n%s\n%s", s1.Raw, s2.Raw)
	}
	// A note carrying the same signature twice still counts once.
	dup := append(bytes.Clone(s1.Raw), s1.Raw[len(c.Text())+1:]...)
	p, err := charter.Parse(dup)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.SignedBy, []string{"a"}) || p.Complete() {
		t.Fatalf("duplicate signature line: SignedBy = %v", p.SignedBy)
	}
}

func TestSignRefusals(t *testing.T) {
	a, b, outsider := keys(t, "a"), keys(t, "b"), keys(t, "outsider")
	c := draft(t, a, b)
	signedA := mustSign(t, c, nil, a).Raw

	other := draft(t, a, b)
	other.Title = "another line"
	otherSigned := mustSign(t, other, nil, a).Raw

	// An outsider's key that takes an insider's name is another key.
	fakeA, err := identity.Derive("a", bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		prior []byte
		k     *identity.Keys
	}{
		{"outsider signs", nil, outsider},
		{"outsider countersigns", signedA, outsider},
		{"prior of another charter", otherSigned, b},
		{"prior is garbage", []byte("hello\n\n"), b},
		{"prior is empty", []byte{}, b},
		{"prior is unsigned", []byte(c.Text() + "\n"), b},
		{"prior with an outsider's signature", signText(t, c.Text(), a, outsider), b},
		{"prior signed by an impostor", signText(t, c.Text(), fakeA), b},
		{"prior tampered", bytes.Replace(signedA, []byte("defense"), []byte("defence"), 1), b},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := charter.Sign(c, tt.prior, tt.k); err == nil {
				t.Fatalf("Sign succeeded: %s", s.Raw)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	a, b, outsider := keys(t, "a"), keys(t, "b"), keys(t, "outsider")
	c := draft(t, a, b)
	text := c.Text()
	good := mustSign(t, c, mustSign(t, c, nil, a).Raw, b).Raw

	flipSig := func(raw []byte) []byte {
		lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
		last := lines[len(lines)-1]
		i := strings.LastIndexByte(last, ' ')
		sig, err := base64.StdEncoding.DecodeString(last[i+1:])
		if err != nil {
			t.Fatal(err)
		}
		sig[10] ^= 0x80
		lines[len(lines)-1] = last[:i+1] + base64.StdEncoding.EncodeToString(sig)
		return []byte(strings.Join(lines, "\n") + "\n")
	}
	fakeA, err := identity.Derive("a", bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}

	tests := map[string][]byte{
		"empty":                           nil,
		"not a note":                      []byte("hello"),
		"unsigned":                        []byte(text + "\n"),
		"signed only by an outsider":      signText(t, text, outsider),
		"outsider among parties":          signText(t, text, a, b, outsider),
		"outsider's sig appended":         append(bytes.Clone(good), signText(t, text, outsider)[len(text)+1:]...),
		"impostor with a party's name":    signText(t, text, fakeA),
		"impostor beside a party":         signText(t, text, b, fakeA),
		"title tampered":                  bytes.Replace(good, []byte("defense"), []byte("defence"), 1),
		"deadline tampered":               bytes.Replace(good, []byte(`"ack":"10m0s"`), []byte(`"ack":"20m0s"`), 1),
		"party swapped":                   signText(t, strings.Replace(text, `"party":"b"`, `"party":"c"`, 1), a),
		"signature flipped":               flipSig(good),
		"signed text extends the charter": signText(t, text+"\nextra\n", a, b),
		"signed text hides a signature":   signText(t, text+"\n"+string(signText(t, text, outsider)[len(text)+1:]), a),
		"other header":                    signText(t, strings.Replace(text, "charter v1", "charter v2", 1), a),
		"card header":                     signText(t, strings.Replace(text, "hotline charter v1", "hotline card v1", 1), a),
		"CRLF":                            bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")),
		"oversize":                        append(bytes.Clone(good), []byte("— "+strings.Repeat("x", charter.MaxSize)+" AAAAAAAA\n")...),
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := charter.Parse(raw)
			if err == nil {
				t.Fatalf("Parse accepted it, signed by %v", s.SignedBy)
			}
			if s != nil {
				t.Fatal("charter returned with an error")
			}
		})
	}
}

func TestParseRejectsNonCanonical(t *testing.T) {
	a, b := keys(t, "a"), keys(t, "b")
	c := draft(t, a, b)
	text := c.Text()
	texts := map[string]string{
		"short duration":         strings.Replace(text, `"ack":"10m0s"`, `"ack":"10m"`, 1),
		"duration in ns":         strings.Replace(text, `"ack":"10m0s"`, `"ack":"600000000000ns"`, 1),
		"time with zero ns":      strings.Replace(text, `"2026-11-26T09:30:15Z"`, `"2026-11-26T09:30:15.000Z"`, 1),
		"space in json":          strings.Replace(text, `{"title":`, `{ "title":`, 1),
		"unknown field":          strings.Replace(text, `{"title":`, `{"version":1,"title":`, 1),
		"unknown deadline field": strings.Replace(text, `"ack":"10m0s"`, `"ack":"10m0s","escalate":"1m0s"`, 1),
		"unknown card field":     strings.Replace(text, `"party":"a"`, `"party":"a","admin":true`, 1),
		"duplicate title":        strings.Replace(text, `{"title":`, `{"title":"x","title":`, 1),
		"trailing data":          strings.Replace(text, "}\n", "}{}\n", 1),
		"trailing newline":       text + "\n",
		"blank line in text":     strings.Replace(text, "v1\n", "v1\n\n", 1),
	}
	for name, bad := range texts {
		t.Run(name, func(t *testing.T) {
			if bad == text {
				t.Fatal("test case did not change the text")
			}
			if s, err := charter.Parse(signText(t, bad, a)); err == nil {
				t.Fatalf("Parse accepted %q (signed by %v)", bad, s.SignedBy)
			}
		})
	}
	if _, err := charter.Parse(signText(t, text, a)); err != nil {
		t.Fatal(err)
	}
}

func TestParseRejectsInvalid(t *testing.T) {
	a, b, c3 := keys(t, "a"), keys(t, "b"), keys(t, "c")
	d := func(p entry.Precedence, ack, reply time.Duration) func(c *charter.Charter) {
		return func(c *charter.Charter) {
			c.Deadlines[p] = charter.Deadline{Ack: charter.Duration(ack), Reply: charter.Duration(reply)}
		}
	}
	tests := map[string]func(c *charter.Charter){
		"empty title":     func(c *charter.Charter) { c.Title = "" },
		"title too long":  func(c *charter.Charter) { c.Title = strings.Repeat("t", 201) },
		"no nonce":        func(c *charter.Charter) { c.Nonce = nil },
		"name not a slug": func(c *charter.Charter) { c.Name = "Navy Line" },
		"name with a dot": func(c *charter.Charter) { c.Name = "../navy" },
		"short nonce":     func(c *charter.Charter) { c.Nonce = make([]byte, 15) },
		"long nonce":      func(c *charter.Charter) { c.Nonce = make([]byte, 17) },
		"one party":       func(c *charter.Charter) { c.Parties = c.Parties[:1] },
		"no parties":      func(c *charter.Charter) { c.Parties = nil },
		"duplicate party": func(c *charter.Charter) { c.Parties = append(c.Parties, c.Parties[0]) },
		"same slug twice": func(c *charter.Charter) {
			other := *cardOf(c3)
			other.Party, other.LogKey, other.CosignerKey = "a", c.Parties[0].LogKey, c.Parties[0].CosignerKey
			c.Parties = append(c.Parties, other)
		},
		"too many parties": func(c *charter.Charter) {
			for len(c.Parties) <= charter.MaxParties {
				c.Parties = append(c.Parties, c.Parties[0])
			}
		},
		"invalid card":          func(c *charter.Charter) { c.Parties[1].Name = "" },
		"card with foreign key": func(c *charter.Charter) { c.Parties[1].LogKey = c3.LogVerifierKey() },
		"no deadlines":          func(c *charter.Charter) { c.Deadlines = nil },
		"missing FLASH":         func(c *charter.Charter) { delete(c.Deadlines, entry.Flash) },
		"missing ROUTINE":       func(c *charter.Charter) { delete(c.Deadlines, entry.Routine) },
		"unknown precedence": func(c *charter.Charter) {
			c.Deadlines["OVERRIDE"] = charter.Deadline{Ack: charter.Duration(time.Minute), Reply: charter.Duration(time.Minute)}
		},
		"lowercase precedence": func(c *charter.Charter) {
			c.Deadlines["flash"] = c.Deadlines[entry.Flash]
			delete(c.Deadlines, entry.Flash)
		},
		"zero ack":                 d(entry.Flash, 0, time.Hour),
		"negative ack":             d(entry.Immediate, -time.Minute, time.Hour),
		"reply before ack":         d(entry.Priority, time.Hour, time.Hour-time.Nanosecond),
		"zero both":                d(entry.Routine, 0, 0),
		"negative reply":           d(entry.Routine, time.Minute, -time.Hour),
		"negative clock tolerance": func(c *charter.Charter) { c.ClockTolerance = -1 },
		"clock tolerance under 1s": func(c *charter.Charter) { c.ClockTolerance = charter.Duration(time.Millisecond) },
		"clock tolerance over 24h": func(c *charter.Charter) { c.ClockTolerance = charter.Duration(25 * time.Hour) },
		"negative epoch messages":  func(c *charter.Charter) { c.KeyEpoch = &charter.KeyEpoch{Messages: -1} },
		"too many epoch messages":  func(c *charter.Charter) { c.KeyEpoch = &charter.KeyEpoch{Messages: charter.MaxEpochMessages + 1} },
		"negative epoch time":      func(c *charter.Charter) { c.KeyEpoch = &charter.KeyEpoch{Time: -1} },
		"epoch under a minute":     func(c *charter.Charter) { c.KeyEpoch = &charter.KeyEpoch{Time: charter.Duration(59 * time.Second)} },
		"epoch over a week":        func(c *charter.Charter) { c.KeyEpoch = &charter.KeyEpoch{Time: charter.Duration(169 * time.Hour)} },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			c := draft(t, a, b)
			mutate(c)
			if err := c.Validate(); err == nil {
				t.Fatal("Validate accepted it")
			}
			if s, err := charter.Parse(signText(t, c.Text(), a)); err == nil {
				t.Fatalf("Parse accepted it, signed by %v", s.SignedBy)
			}
			if s, err := charter.Sign(c, nil, a); err == nil {
				t.Fatalf("Sign accepted it: %s", s.Raw)
			}
		})
	}
}

func TestValidEdgeCases(t *testing.T) {
	a, b := keys(t, "a"), keys(t, "b")
	tests := map[string]func(c *charter.Charter){
		"reply equals ack": func(c *charter.Charter) {
			c.Deadlines[entry.Flash] = charter.Deadline{Ack: charter.Duration(time.Minute), Reply: charter.Duration(time.Minute)}
		},
		"one nanosecond": func(c *charter.Charter) {
			c.Deadlines[entry.Routine] = charter.Deadline{Ack: 1, Reply: 1}
		},
		"title of 200 bytes": func(c *charter.Charter) { c.Title = strings.Repeat("t", 200) },
		"unicode title":      func(c *charter.Charter) { c.Title = "국방부 직통전화 <script>" },
		"sub-second created": func(c *charter.Charter) { c.Created = c.Created.Add(123456789) },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			c := draft(t, a, b)
			mutate(c)
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			s := mustSign(t, c, mustSign(t, c, nil, b).Raw, a)
			if !s.Complete() || s.ID() != c.ID() {
				t.Fatalf("SignedBy %v, ID %s want %s", s.SignedBy, s.ID(), c.ID())
			}
			if !reflect.DeepEqual(s.Deadlines, c.Deadlines) || !s.Created.Equal(c.Created) {
				t.Fatal("fields changed in the round trip")
			}
		})
	}
}

func TestMaxParties(t *testing.T) {
	var ks []*identity.Keys
	for i := range charter.MaxParties {
		ks = append(ks, keys(t, "p"+string(rune('a'+i/26))+string(rune('a'+i%26))))
	}
	c := draft(t, ks...)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// All but the last party sign at once; the last one signs with Sign.
	prior := signText(t, c.Text(), ks[:len(ks)-1]...)
	if s, err := charter.Parse(prior); err != nil || s.Complete() || !reflect.DeepEqual(s.Missing(), []string{ks[len(ks)-1].Slug}) {
		t.Fatalf("before the last signature: %v", err)
	}
	s := mustSign(t, c, prior, ks[len(ks)-1])
	prior = s.Raw
	if !s.Complete() || len(s.SignedBy) != charter.MaxParties || len(prior) > charter.MaxSize {
		t.Fatalf("%d of %d signed, %d bytes", len(s.SignedBy), charter.MaxParties, len(prior))
	}
}

var idRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestID(t *testing.T) {
	a, b := keys(t, "a"), keys(t, "b")
	c := draft(t, a, b)
	id := c.ID()
	if !idRE.MatchString(id) {
		t.Fatalf("ID %q is not 32 lowercase hex digits", id)
	}
	h := sha256.Sum256([]byte(c.Text()))
	if want := hex.EncodeToString(h[:16]); id != want {
		t.Fatalf("ID = %s, want %s", id, want)
	}
	if draft(t, a, b).ID() != id {
		t.Fatal("the same charter has two IDs")
	}
	s := mustSign(t, c, nil, a)
	if s.ID() != id {
		t.Fatal("signing changed the ID")
	}
	if s2 := mustSign(t, c, s.Raw, b); s2.ID() != id {
		t.Fatal("the second signature changed the ID")
	}

	changes := map[string]func(c *charter.Charter){
		"nonce":    func(c *charter.Charter) { c.Nonce[0] ^= 1 },
		"title":    func(c *charter.Charter) { c.Title += "." },
		"created":  func(c *charter.Charter) { c.Created = c.Created.Add(time.Second) },
		"order":    func(c *charter.Charter) { c.Parties[0], c.Parties[1] = c.Parties[1], c.Parties[0] },
		"deadline": func(c *charter.Charter) { c.Deadlines[entry.Flash] = charter.Deadline{Ack: 1, Reply: 1} },
		"route":    func(c *charter.Charter) { c.Parties[0].Routes[0].Addr = "x:1" },
	}
	for name, change := range changes {
		c2 := draft(t, a, b)
		change(c2)
		if c2.ID() == id {
			t.Errorf("changing the %s keeps the ID", name)
		}
	}

	// Two fresh drafts of the same line differ by their random nonce.
	cards := []*card.Card{cardOf(a), cardOf(b)}
	n1, n2 := charter.New("x", created, cards), charter.New("x", created, cards)
	if n1.ID() == n2.ID() || bytes.Equal(n1.Nonce, n2.Nonce) || len(n1.Nonce) != 16 {
		t.Fatal("two new charters share an ID")
	}
}

// TestIDGolden pins the ID of a fixed charter: the line ID names every log
// and message, so an encoding change must not go unnoticed. The charter has
// no name, so this also shows that the optional name leaves the bytes of
// charters without one as they were; a name is signed text and changes the
// ID.
func TestIDGolden(t *testing.T) {
	a, err := identity.Derive("seoul", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	b, err := identity.Derive("beijing", bytes.Repeat([]byte{0xff}, 32))
	if err != nil {
		t.Fatal(err)
	}
	c := draft(t, a, b)
	if got, want := c.ID(), "19075926ef6ad56cf49505a4955a041c"; got != want {
		t.Fatalf("ID of the fixed charter = %s, want %s", got, want)
	}
	c.Name = "navy"
	if c.ID() == "19075926ef6ad56cf49505a4955a041c" || !strings.Contains(c.Text(), `"name":"navy"`) {
		t.Fatalf("the name is not in the signed text: %s", c.Text())
	}
	s, err := charter.Sign(c, nil, a)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := charter.Parse(s.Raw); err != nil || got.Name != "navy" {
		t.Fatalf("Parse: %v, name %q", err, got.Name)
	}
}

// TestClockTolerance: a charter that sets no clock tolerance keeps the
// bytes it had before the field existed (TestIDGolden), and means 10
// minutes; one that sets it writes it, and it is another line.
func TestClockTolerance(t *testing.T) {
	a, b := keys(t, "a"), keys(t, "b")
	c := draft(t, a, b)
	id := c.ID()
	if strings.Contains(c.Text(), "clock_tolerance") || c.Tolerance() != 10*time.Minute {
		t.Fatalf("no tolerance set: text %q, tolerance %v", c.Text(), c.Tolerance())
	}
	c.ClockTolerance = charter.Duration(2 * time.Minute)
	if !strings.Contains(c.Text(), `"clock_tolerance":"2m0s"`) || c.ID() == id {
		t.Fatalf("a tolerance set: text %q, same ID %v", c.Text(), c.ID() == id)
	}
	s := mustSign(t, c, mustSign(t, c, nil, a).Raw, b)
	p, err := charter.Parse(s.Raw)
	if err != nil || p.Tolerance() != 2*time.Minute || p.ID() != c.ID() {
		t.Fatalf("parsed back: %v, tolerance %v", err, p.Tolerance())
	}
}

// TestKeyEpoch: a charter that sets no key epoch keeps the bytes it had
// before the field existed (TestIDGolden) and means the defaults; one that
// sets it writes it, and it is another line.
func TestKeyEpoch(t *testing.T) {
	a, b := keys(t, "a"), keys(t, "b")
	c := draft(t, a, b)
	id := c.ID()
	if m, d := c.Epoch(); strings.Contains(c.Text(), "key_epoch") || m != 1000 || d != time.Hour {
		t.Fatalf("no epoch set: text %q, epoch %d, %v", c.Text(), m, d)
	}
	c.KeyEpoch = &charter.KeyEpoch{Time: charter.Duration(10 * time.Minute)}
	if m, d := c.Epoch(); !strings.Contains(c.Text(), `"key_epoch":{"time":"10m0s"}`) || c.ID() == id || m != 1000 || d != 10*time.Minute {
		t.Fatalf("a time set: text %q, same ID %v, epoch %d, %v", c.Text(), c.ID() == id, m, d)
	}
	c.KeyEpoch = &charter.KeyEpoch{Messages: 50}
	s := mustSign(t, c, mustSign(t, c, nil, a).Raw, b)
	p, err := charter.Parse(s.Raw)
	if m, d := p.Epoch(); err != nil || m != 50 || d != time.Hour || p.ID() != c.ID() {
		t.Fatalf("parsed back: %v, epoch %d, %v", err, m, d)
	}
}

func TestNew(t *testing.T) {
	a, b := keys(t, "a"), keys(t, "b")
	kst := time.FixedZone("KST", 9*3600)
	when := time.Date(2026, 11, 26, 18, 30, 15, 999999999, kst)
	ca, cb := cardOf(a), cardOf(b)
	c := charter.New("line", when, []*card.Card{ca, cb})
	if !c.Created.Equal(created) || c.Created.Location() != time.UTC {
		t.Fatalf("Created = %v, want %v", c.Created, created)
	}
	if !reflect.DeepEqual(c.Deadlines, charter.DefaultDeadlines()) {
		t.Fatalf("Deadlines = %v", c.Deadlines)
	}
	if !reflect.DeepEqual(c.Slugs(), []string{"a", "b"}) {
		t.Fatalf("Slugs = %v", c.Slugs())
	}
	if p := c.Party("b"); p == nil || p.LogKey != cb.LogKey {
		t.Fatalf("Party(b) = %+v", p)
	}
	if p := c.Party("z"); p != nil {
		t.Fatalf("Party(z) = %+v", p)
	}
	// The charter holds copies: changing a card afterwards changes nothing.
	ca.Name = "changed"
	if c.Party("a").Name == "changed" {
		t.Fatal("charter shares the caller's card")
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultDeadlines(t *testing.T) {
	want := map[entry.Precedence][2]time.Duration{
		entry.Flash:     {10 * time.Minute, time.Hour},
		entry.Immediate: {30 * time.Minute, 4 * time.Hour},
		entry.Priority:  {3 * time.Hour, 12 * time.Hour},
		entry.Routine:   {6 * time.Hour, 24 * time.Hour},
	}
	c := draft(t, keys(t, "a"), keys(t, "b"))
	for p, w := range want {
		d := c.Deadline(p)
		if time.Duration(d.Ack) != w[0] || time.Duration(d.Reply) != w[1] {
			t.Errorf("%s: ack %v reply %v, want %v %v", p, time.Duration(d.Ack), time.Duration(d.Reply), w[0], w[1])
		}
	}
	if len(charter.DefaultDeadlines()) != len(entry.Precedences) {
		t.Fatal("a precedence has no default deadline")
	}
	if !strings.Contains(c.Text(), `"deadlines":{"FLASH":{"ack":"10m0s","reply":"1h0m0s"},"IMMEDIATE":`) {
		t.Fatalf("deadlines encode as %s", c.Text())
	}
}

func TestDurationJSON(t *testing.T) {
	for _, d := range []time.Duration{0, 1, time.Minute, 90 * time.Minute, -time.Second, 1<<63 - 1} {
		b, err := json.Marshal(charter.Duration(d))
		if err != nil {
			t.Fatal(err)
		}
		if want := `"` + d.String() + `"`; string(b) != want {
			t.Errorf("Marshal(%v) = %s, want %s", d, b, want)
		}
		var got charter.Duration
		if err := json.Unmarshal(b, &got); err != nil || time.Duration(got) != d {
			t.Errorf("Unmarshal(%s) = %v, %v", b, time.Duration(got), err)
		}
	}
	for _, s := range []string{`600`, `"10"`, `"soon"`, `""`, `null`, `{}`, `"1h-"`, `"9999999999h"`} {
		var d charter.Duration
		if err := json.Unmarshal([]byte(s), &d); err == nil && s != `null` {
			t.Errorf("Unmarshal(%s) = %v, want an error", s, time.Duration(d))
		}
	}
}

func TestNotACharter(t *testing.T) {
	for _, b := range []string{"", "hotline charter v1\n", "hotline charter v1\n{\n\n— a AAAA\n", "hotline card v1\n{}\n\n— a AAAA\n"} {
		if _, err := charter.Parse([]byte(b)); !errors.Is(err, charter.ErrNotACharter) {
			t.Errorf("Parse(%q) = %v, want ErrNotACharter", b, err)
		}
	}
}
