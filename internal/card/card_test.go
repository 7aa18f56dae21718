package card_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/identity"
)

func keys(t testing.TB, slug string) *identity.Keys {
	t.Helper()
	seed := sha256.Sum256([]byte("card test seed " + slug))
	k, err := identity.Derive(slug, seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testCard(t testing.TB, k *identity.Keys) *card.Card {
	return card.New(k, "Ministry of National Defense", []string{"ko", "en"},
		[]card.Route{{Kind: "direct", Addr: "hotline.mnd.example:8443"}, {Kind: "direct", Addr: "[2001:db8::1]:8443"}})
}

func sign(t testing.TB, k *identity.Keys, c *card.Card) []byte {
	t.Helper()
	b, err := c.Sign(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signText signs an arbitrary text with the party's log key, to make cards
// whose only fault is in their text.
func signText(t testing.TB, k *identity.Keys, text string) []byte {
	t.Helper()
	b, err := note.Sign(&note.Note{Text: text}, k.LogSigner)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	k := keys(t, "seoul")
	c := testCard(t, k)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	b := sign(t, k, c)
	if !bytes.HasPrefix(b, []byte("hotline card v1\n{")) {
		t.Fatalf("signed card starts %.40q", b)
	}
	if !bytes.HasPrefix(b, []byte(c.Text()+"\n— hotline/seoul ")) {
		t.Fatalf("signed card is not text, blank line, signature:\n%s", b)
	}
	got, err := card.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("Parse(Sign(c)) = %+v, want %+v", got, c)
	}
	if got.Text() != c.Text() || got.Fingerprint() != c.Fingerprint() {
		t.Fatal("text or fingerprint changed in the round trip")
	}
	if again := sign(t, k, got); !bytes.Equal(again, b) {
		t.Fatal("signing the parsed card gives other bytes")
	}
}

func TestRoundTripVariety(t *testing.T) {
	k := keys(t, "beijing-2")
	for i, c := range []*card.Card{
		card.New(k, "国防部", []string{"zh"}, nil),
		card.New(k, "<b>Ministry</b> & \"Co\" \u2028", []string{"zh-Hans-CN", "en-GB", "ko"}, []card.Route{}),
		card.New(k, strings.Repeat("n", 200), []string{strings.Repeat("l", 35)}, []card.Route{{Kind: "direct", Addr: "x"}}),
		card.New(k, "many", []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p"}, nil),
	} {
		got, err := card.Parse(sign(t, k, c))
		if err != nil {
			t.Fatalf("card %d: %v", i, err)
		}
		if got.Text() != c.Text() {
			t.Fatalf("card %d: text changed", i)
		}
	}
}

func TestVerifiers(t *testing.T) {
	k := keys(t, "seoul")
	c := testCard(t, k)
	lv, err := c.LogVerifier()
	if err != nil {
		t.Fatal(err)
	}
	if lv.Name() != "hotline/seoul" || lv.KeyHash() != k.LogSigner.KeyHash() {
		t.Fatalf("log verifier %s/%08x", lv.Name(), lv.KeyHash())
	}
	cv, err := c.CosignerVerifier()
	if err != nil {
		t.Fatal(err)
	}
	if cv.Name() != "hotline/seoul/cosigner" || cv.KeyHash() != k.CosignSigner.KeyHash() {
		t.Fatalf("cosigner verifier %s/%08x", cv.Name(), cv.KeyHash())
	}
	msg, err := note.Sign(&note.Note{Text: "o\n1\n" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n"}, k.LogSigner, k.CosignSigner)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(msg, note.VerifierList(lv, cv))
	if err != nil || len(n.Sigs) != 2 {
		t.Fatalf("the card's verifiers do not verify its keys' signatures: %v", err)
	}
}

var fingerprintRE = regexp.MustCompile(`^[0-9]{5}( [0-9]{5}){5}$`)

// fingerprint is an independent statement of the documented rule.
func fingerprint(text string) string {
	h := sha256.Sum256([]byte(text))
	var groups []string
	for i := range 6 {
		v := int(h[3*i])<<16 + int(h[3*i+1])<<8 + int(h[3*i+2])
		groups = append(groups, fmt.Sprintf("%05d", v%100000))
	}
	return strings.Join(groups, " ")
}

func TestFingerprint(t *testing.T) {
	golden := map[string]string{
		"":                  "21924 64540 40282 12200 55609 69454",
		"hotline card v1\n": "66374 35465 63172 66267 69103 11419",
	}
	for text, want := range golden {
		if got := card.Fingerprint(text); got != want {
			t.Errorf("Fingerprint(%q) = %q, want %q", text, got, want)
		}
	}
	for i := range 200 {
		text := fmt.Sprintf("text %d", i)
		got := card.Fingerprint(text)
		if !fingerprintRE.MatchString(got) {
			t.Fatalf("Fingerprint(%q) = %q: not six groups of five digits", text, got)
		}
		if want := fingerprint(text); got != want {
			t.Fatalf("Fingerprint(%q) = %q, want %q", text, got, want)
		}
	}

	k := keys(t, "seoul")
	c := testCard(t, k)
	fp := c.Fingerprint()
	if fp != card.Fingerprint(c.Text()) || fp != testCard(t, k).Fingerprint() {
		t.Fatal("fingerprint is not a function of the card text")
	}
	// Any change to the card changes its fingerprint.
	mutations := map[string]func(c *card.Card){
		"name":  func(c *card.Card) { c.Name += "." },
		"langs": func(c *card.Card) { c.Langs = []string{"en", "ko"} },
		"route": func(c *card.Card) { c.Routes[0].Addr = "hotline.mnd.example:8444" },
		"tls":   func(c *card.Card) { c.TLSKey = bytes.Clone(c.TLSKey); c.TLSKey[0] ^= 1 },
		"keys":  func(c *card.Card) { *c = *card.New(keys(t, "seoul-x"), c.Name, c.Langs, c.Routes) },
	}
	for name, mutate := range mutations {
		m := testCard(t, k)
		mutate(m)
		if m.Fingerprint() == fp {
			t.Errorf("changing the %s keeps the fingerprint", name)
		}
	}
}

// TestFingerprintGolden pins the text and fingerprint of a fixed card, so a
// change to the card encoding (which would change every fingerprint people
// compare over the phone) fails here first.
func TestFingerprintGolden(t *testing.T) {
	seed := make([]byte, identity.SeedSize)
	k, err := identity.Derive("seoul", seed)
	if err != nil {
		t.Fatal(err)
	}
	c := card.New(k, "Seoul", []string{"ko"}, []card.Route{{Kind: "direct", Addr: "seoul.example:8443"}})
	wantPrefix := `hotline card v1` + "\n" + `{"party":"seoul","name":"Seoul","langs":["ko"],"log_key":"hotline/seoul+`
	if !strings.HasPrefix(c.Text(), wantPrefix) {
		t.Fatalf("card text starts %.120q, want %q", c.Text(), wantPrefix)
	}
	if !strings.HasSuffix(c.Text(), `"routes":[{"kind":"direct","addr":"seoul.example:8443"}]}`+"\n") {
		t.Fatalf("card text ends %q", c.Text()[len(c.Text())-80:])
	}
	if got, want := c.Fingerprint(), "55276 21400 19166 74845 49869 03001"; got != want {
		t.Errorf("fingerprint of the fixed card = %q, want %q", got, want)
	}
}

func TestParseRejectsTampering(t *testing.T) {
	k := keys(t, "seoul")
	good := sign(t, k, testCard(t, k))
	text, sigs, _ := bytes.Cut(good, []byte("\n\n"))

	flipSig := func(b []byte) []byte {
		// Flip one bit of the Ed25519 signature inside the base64.
		i := bytes.LastIndexByte(b[:len(b)-1], ' ')
		raw, err := base64.StdEncoding.DecodeString(string(b[i+1 : len(b)-1]))
		if err != nil {
			t.Fatal(err)
		}
		raw[len(raw)-1] ^= 1
		return append(append(bytes.Clone(b[:i+1]), base64.StdEncoding.EncodeToString(raw)...), '\n')
	}

	other := keys(t, "beijing")
	impostor, err := identity.Derive("seoul", bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}

	tests := map[string][]byte{
		"name changed":            bytes.Replace(good, []byte("Ministry"), []byte("Ministrx"), 1),
		"route changed":           bytes.Replace(good, []byte("hotline.mnd.example"), []byte("hotline.evil.example"), 1),
		"signature bit":           flipSig(good),
		"no signature":            append(bytes.Clone(text), '\n', '\n'),
		"no blank line":           append(append(bytes.Clone(text), '\n'), sigs...),
		"text only":               text,
		"signed by another party": signText(t, other, testCard(t, k).Text()),
		"signed by an impostor with the same key name": signText(t, impostor, testCard(t, k).Text()),
		"impostor keys in another's card": func() []byte {
			c := testCard(t, impostor)
			c.LogKey = testCard(t, k).LogKey
			return signText(t, impostor, c.Text())
		}(),
		"log key of another party": func() []byte {
			c := testCard(t, k)
			c.LogKey = other.LogVerifierKey()
			return signText(t, other, c.Text())
		}(),
		"signature moved to another text":                         append([]byte(strings.Replace(testCard(t, k).Text(), `"ko"`, `"ja"`, 1)+"\n"), sigs...),
		"signed text extends the card":                            signText(t, k, testCard(t, k).Text()+"\nextra\n"),
		"signed text extends the card with a fake signature line": signText(t, k, testCard(t, k).Text()+"\n— hotline/beijing AAAA\n"),
		"empty":            nil,
		"header only":      []byte("hotline card v1\n\n"),
		"other header":     signText(t, k, strings.Replace(testCard(t, k).Text(), "v1", "v2", 1)),
		"header only text": signText(t, k, "hotline card v1\n"),
		"no header":        signText(t, k, strings.TrimPrefix(testCard(t, k).Text(), "hotline card v1\n")),
		"CRLF":             bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := card.Parse(b)
			if err == nil {
				t.Fatalf("Parse accepted %+v", c)
			}
			if c != nil {
				t.Fatal("card returned with an error")
			}
		})
	}
}

// TestParseRejectsNonCanonical signs texts with the right key whose only
// fault is that they are not the canonical encoding of the card.
func TestParseRejectsNonCanonical(t *testing.T) {
	k := keys(t, "seoul")
	c := testCard(t, k)
	canon := c.Text()
	body := strings.TrimSuffix(strings.TrimPrefix(canon, "hotline card v1\n"), "\n")

	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	sorted, err := json.Marshal(m) // map keys sorted: another field order
	if err != nil {
		t.Fatal(err)
	}
	indented, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	html := testCard(t, k)
	html.Name = "R&D <b>"
	htmlText := html.Text()
	if !strings.Contains(htmlText, `\u0026`) {
		t.Fatalf("canonical text %q does not escape &", htmlText)
	}

	texts := map[string]string{
		"space after colon":      "hotline card v1\n" + strings.Replace(body, `"party":"seoul"`, `"party": "seoul"`, 1) + "\n",
		"leading space":          "hotline card v1\n " + body + "\n",
		"trailing space":         "hotline card v1\n" + body + " \n",
		"other field order":      "hotline card v1\n" + string(sorted) + "\n",
		"escaped letter":         "hotline card v1\n" + strings.Replace(body, `"seoul"`, `"\u0073eoul"`, 1) + "\n",
		"unescaped html":         strings.Replace(htmlText, `\u0026`, `&`, 1),
		"trailing object":        "hotline card v1\n" + body + "{}\n",
		"trailing garbage":       "hotline card v1\n" + body + "x\n",
		"two cards":              "hotline card v1\n" + body + body + "\n",
		"duplicate field":        "hotline card v1\n" + strings.Replace(body, `"name":`, `"name":"Other","name":`, 1) + "\n",
		"case-folded field":      "hotline card v1\n" + strings.Replace(body, `"name":`, `"NAME":`, 1) + "\n",
		"hpke key raw base64":    "hotline card v1\n" + strings.Replace(body, `=","tls_key"`, `","tls_key"`, 1) + "\n",
		"unknown field":          "hotline card v1\n" + strings.Replace(body, `{"party"`, `{"admin":true,"party"`, 1) + "\n",
		"unknown route field":    "hotline card v1\n" + strings.Replace(body, `"kind":"direct"`, `"kind":"direct","prio":1`, 1) + "\n",
		"blank line before json": "hotline card v1\n\n" + body + "\n",
		"two newlines at end":    canon + "\n",
		"indented":               "hotline card v1\n" + string(indented) + "\n",
	}
	for name, text := range texts {
		t.Run(name, func(t *testing.T) {
			if text == canon {
				t.Fatal("test case is the canonical text")
			}
			got, err := card.Parse(signText(t, k, text))
			if err == nil {
				t.Fatalf("Parse accepted %q as %+v", text, got)
			}
		})
	}
	// The same signature on the canonical text is accepted: the refusals
	// above are about the text alone.
	if _, err := card.Parse(signText(t, k, canon)); err != nil {
		t.Fatal(err)
	}
}

func TestParseRejectsInvalidCard(t *testing.T) {
	k := keys(t, "seoul")
	other := keys(t, "beijing")
	tooManyRoutes := make([]card.Route, 17)
	for i := range tooManyRoutes {
		tooManyRoutes[i] = card.Route{Kind: "direct", Addr: fmt.Sprintf("h%d:1", i)}
	}
	tests := map[string]func(c *card.Card){
		"empty party":             func(c *card.Card) { c.Party = "" },
		"uppercase party":         func(c *card.Card) { c.Party = "Seoul" },
		"party of the other key":  func(c *card.Card) { c.Party = "beijing" },
		"empty name":              func(c *card.Card) { c.Name = "" },
		"blank name":              func(c *card.Card) { c.Name = " \t\n" },
		"name too long":           func(c *card.Card) { c.Name = strings.Repeat("n", 201) },
		"no langs":                func(c *card.Card) { c.Langs = nil },
		"empty langs":             func(c *card.Card) { c.Langs = []string{} },
		"too many langs":          func(c *card.Card) { c.Langs = strings.Split("a b c d e f g h i j k l m n o p q", " ") },
		"empty lang":              func(c *card.Card) { c.Langs = []string{"ko", ""} },
		"lang too long":           func(c *card.Card) { c.Langs = []string{strings.Repeat("l", 36)} },
		"no log key":              func(c *card.Card) { c.LogKey = "" },
		"garbled log key":         func(c *card.Card) { c.LogKey = "hotline/seoul+00000000+AAAA" },
		"log key of another name": func(c *card.Card) { c.LogKey = other.LogVerifierKey() },
		"cosigner key as log key": func(c *card.Card) { c.LogKey = c.CosignerKey },
		"no cosigner key":         func(c *card.Card) { c.CosignerKey = "" },
		"cosigner key of another": func(c *card.Card) { c.CosignerKey = other.CosignerVerifierKey() },
		"log key as cosigner key": func(c *card.Card) { c.CosignerKey = c.LogKey },
		"no hpke key":             func(c *card.Card) { c.HPKEKey = nil },
		"short hpke key":          func(c *card.Card) { c.HPKEKey = c.HPKEKey[:len(c.HPKEKey)-1] },
		"long hpke key":           func(c *card.Card) { c.HPKEKey = append(bytes.Clone(c.HPKEKey), 0) },
		"x25519-only hpke key":    func(c *card.Card) { c.HPKEKey = c.HPKEKey[len(c.HPKEKey)-32:] },
		"no tls key":              func(c *card.Card) { c.TLSKey = nil },
		"short tls key":           func(c *card.Card) { c.TLSKey = c.TLSKey[:31] },
		"long tls key":            func(c *card.Card) { c.TLSKey = append(bytes.Clone(c.TLSKey), 0) },
		"too many routes":         func(c *card.Card) { c.Routes = tooManyRoutes },
		"relay route":             func(c *card.Card) { c.Routes = []card.Route{{Kind: "relay", Addr: "x:1"}} },
		"route without address":   func(c *card.Card) { c.Routes = []card.Route{{Kind: "direct"}} },
		"route without kind":      func(c *card.Card) { c.Routes = []card.Route{{Addr: "x:1"}} },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			c := testCard(t, k)
			mutate(c)
			if err := c.Validate(); err == nil {
				t.Fatal("Validate accepted the card")
			}
			if got, err := card.Parse(signText(t, k, c.Text())); err == nil {
				t.Fatalf("Parse accepted %+v", got)
			}
		})
	}
}

func TestParseSizeLimit(t *testing.T) {
	k := keys(t, "seoul")
	c := testCard(t, k)
	c.Name = strings.Repeat("n", 200)
	b := sign(t, k, c)
	if _, err := card.Parse(b); err != nil {
		t.Fatal(err)
	}
	// A signed card padded beyond MaxSize with a valid extra signature line
	// is refused unread.
	pad := "— " + strings.Repeat("x", card.MaxSize) + " AAAAAAAA\n"
	big := append(bytes.Clone(b), pad...)
	if len(big) <= card.MaxSize {
		t.Fatal("padding too small")
	}
	_, err := card.Parse(big)
	if !errors.Is(err, card.ErrNotACard) || !strings.Contains(err.Error(), "larger") {
		t.Fatalf("oversize card: %v", err)
	}
}

func TestParseAcceptsExtraSignatures(t *testing.T) {
	// Another key's signature does not make a card invalid: only the card's
	// own log key is checked.
	k := keys(t, "seoul")
	other := keys(t, "beijing")
	b, err := note.Sign(&note.Note{Text: testCard(t, k).Text()}, k.LogSigner, other.LogSigner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := card.Parse(b); err != nil {
		t.Fatal(err)
	}
}

func TestNotACardErrors(t *testing.T) {
	for _, b := range []string{"", "hello\n\n— x AAAA\n", "hotline card v1\n{\n\n", "hotline card v1\n{\"x\":1}\n\n"} {
		if _, err := card.Parse([]byte(b)); !errors.Is(err, card.ErrNotACard) {
			t.Errorf("Parse(%q) = %v, want ErrNotACard", b, err)
		}
	}
}

// TestKeyWithPlusInBase64: a verifier key is split at its first two "+"
// signs (docs/protocol.md §3.3); the base64 after them may hold more. The
// cosigner key of the party beijing with a seed of 32 bytes of 0x01 does.
func TestKeyWithPlusInBase64(t *testing.T) {
	k, err := identity.Derive("beijing", bytes.Repeat([]byte{1}, identity.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	c := testCard(t, k)
	for _, key := range []string{c.LogKey, c.CosignerKey} {
		name, rest, _ := strings.Cut(key, "+")
		if strings.Contains(name, "+") {
			t.Fatalf("key name %q holds a +", name)
		}
		_, b64, _ := strings.Cut(rest, "+")
		if key == c.CosignerKey && !strings.Contains(b64, "+") {
			t.Fatalf("the case this test is for is gone: %s", key)
		}
	}
	if _, err := c.CosignerVerifier(); err != nil {
		t.Fatalf("cosigner key with + in its base64: %v", err)
	}
	if _, err := card.Parse(sign(t, k, c)); err != nil {
		t.Fatalf("card with such a key: %v", err)
	}
}
