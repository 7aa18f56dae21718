package entry

import (
	"fmt"
	"unicode/utf8"
)

// KindTranslation is an attributed translation of a message: its own entry
// in the translator's party's log, beside an original that stays
// authoritative. Either side may translate; a sender may attach its own
// official translation when it sends.
const KindTranslation Kind = "translation"

// Translation is the body of a KindTranslation entry.
type Translation struct {
	// Message is the ID of the original, a message on the same line.
	Message string `json:"message"`
	// Lang is the language of Text, a BCP 47 tag such as zh or zh-Hans.
	Lang string `json:"lang"`
	Text string `json:"text"`
	// Officer is who translated it, or for a machine translation the
	// officer who had it made and stands behind it.
	Officer string `json:"officer"`
	// Machine says the text came from a machine, not a person.
	Machine bool `json:"machine,omitempty"`
}

// Validate checks a translation before it is written.
func (t *Translation) Validate() error {
	if _, _, err := ParseID(t.Message); err != nil {
		return fmt.Errorf("translation: %w", err)
	}
	if err := CheckLangTag(t.Lang); err != nil {
		return fmt.Errorf("translation: %w", err)
	}
	if t.Text == "" {
		return fmt.Errorf("translation text is empty")
	}
	if len(t.Text) > MaxTextSize {
		return TooLong("translation text", int64(len(t.Text)))
	}
	if !utf8.ValidString(t.Text) {
		return fmt.Errorf("translation text is not valid UTF-8")
	}
	if err := checkOfficer(t.Officer, true); err != nil {
		return fmt.Errorf("translation names its translator: %w", err)
	}
	return nil
}

// DecodeTranslation decodes and validates a translation body.
func DecodeTranslation(b []byte) (*Translation, error) {
	var t Translation
	if err := strictJSON(b, &t); err != nil {
		return nil, fmt.Errorf("translation body: %w", err)
	}
	return &t, t.Validate()
}

// CheckLangTag checks the syntax of a BCP 47 language tag as far as a
// reader needs: a primary language of 2 to 8 letters, then subtags of 1
// to 8 letters or digits joined by '-', at most 35 bytes in all. It does
// not look the tag up in any registry.
func CheckLangTag(tag string) error {
	bad := fmt.Errorf("language tag %q: give a BCP 47 tag such as ko, zh or zh-Hans", tag)
	if tag == "" || len(tag) > 35 {
		return bad
	}
	sub, first := 0, true
	for i := 0; i <= len(tag); i++ {
		if i == len(tag) || tag[i] == '-' {
			if sub == 0 || sub > 8 || first && sub < 2 {
				return bad
			}
			sub, first = 0, false
			continue
		}
		c := tag[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (first || c < '0' || c > '9') {
			return bad
		}
		sub++
	}
	return nil
}
