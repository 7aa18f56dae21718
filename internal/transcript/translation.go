package transcript

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
)

// A translation is an entry of its own, in the log of the party whose
// officer made it, naming the original message. A report shows it beside
// the original with its attribution; the original alone is authoritative.
// A disclosure holds a message's translations only when the discloser
// chooses (hotline disclose --with-translations), each with its body and
// inclusion proof, whoever wrote it.

// TranslationReport is a proven translation of a message.
type TranslationReport struct {
	ID      string    `json:"id"`
	Author  string    `json:"author"`  // the translator's party
	Written time.Time `json:"written"` // the author's clock, as signed
	Lang    string    `json:"lang"`
	Text    string    `json:"text"`
	Officer string    `json:"officer"`
	Machine bool      `json:"machine,omitempty"`
}

// translated applies a translation entry to the message it names, if the
// document holds that message and the translation's body.
func translated(msgs map[string]*MessageReport, l *entry.Leaf, e *Entry) {
	if e.Body == nil {
		return
	}
	t, err := entry.DecodeTranslation(e.Body)
	if err != nil {
		return
	}
	if m := msgs[t.Message]; m != nil {
		m.Translations = append(m.Translations, TranslationReport{ID: l.ID(), Author: l.Author, Written: l.Time,
			Lang: t.Lang, Text: t.Text, Officer: t.Officer, Machine: t.Machine})
	}
}

// disclosedTranslation checks a translation a disclosure holds: with its
// body, of the disclosed message m, and applies it.
func disclosedTranslation(m *MessageReport, l *entry.Leaf, p *Proven) error {
	if p.Body == nil {
		return fmt.Errorf("%w: %s: a translation is disclosed with its body, which alone names its original", ErrBody, l.ID())
	}
	t, err := entry.DecodeTranslation(p.Body)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBody, l.ID(), err)
	}
	if t.Message != m.ID {
		return fmt.Errorf("%w: %s translates %s, not the disclosed %s", ErrPlacement, l.ID(), t.Message, m.ID)
	}
	translated(map[string]*MessageReport{m.ID: m}, l, &p.Entry)
	return nil
}

// writeTranslations prints a message's translations under its original.
func writeTranslations(w io.Writer, m *MessageReport) {
	for _, t := range m.Translations {
		fmt.Fprintf(w, "  translation (%s) %s, %s: %s\n", inert.Text(t.Lang), t.ID, Attribution(t.Author, t.Officer, t.Machine), inert.Text(t.Text))
	}
}

// Attribution says who made a translation, for people.
func Attribution(party, officer string, machine bool) string {
	how := "translated by officer " + inert.Text(officer) + " of " + party
	if machine {
		how = "machine translation submitted by officer " + inert.Text(officer) + " of " + party
	}
	return how
}

// translationsHeld lists, for a disclosure's summary, the translations
// whose texts it holds.
func translationsHeld(r *Report) string {
	var ids []string
	for _, m := range r.Messages {
		for _, t := range m.Translations {
			ids = append(ids, t.ID+" ("+t.Lang+")")
		}
	}
	if len(ids) == 0 {
		return ""
	}
	return " It holds the translations " + strings.Join(ids, ", ") + ", beside their original."
}
