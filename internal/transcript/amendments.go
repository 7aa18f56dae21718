package transcript

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/amend"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/verify"
)

// ChainReport is the charter chain a transcript proves: the signed
// charter and who signed it, each amendment with its proposal and the
// answers and who signed them, the steps that broke a rule, and the
// charter in force at the end, by package amend's rule.
type ChainReport struct {
	SignedBy   []string          `json:"signed_by"`
	Version    uint64            `json:"version"`
	Versions   []amend.Version   `json:"versions"`
	Amendments []amend.Amendment `json:"amendments,omitempty"`
	Refused    []amend.Refusal   `json:"refused,omitempty"`
	InForce    []string          `json:"in_force"` // the rules of the charter in force at the end, in words
}

// chainOf folds the amendment entries of a transcript on its charter.
// Every entry in the document counts: a third party sees the logs as the
// parties cosigned them.
func chainOf(k *verify.Keyring, t *Transcript) *amend.Chain {
	var acts []amend.Act
	for i := range t.Logs {
		for j := range t.Logs[i].Entries {
			e := &t.Logs[i].Entries[j]
			l, err := entry.Parse([]byte(e.Leaf))
			if err != nil || l.Kind != entry.KindAmendment {
				continue
			}
			acts = append(acts, amend.Read(k.Line, l.Author, l.Index, l.Time, e.Body, ""))
		}
	}
	return amend.Fold(k.Charter.Charter, acts)
}

// joinParties takes into the keyring every party an amendment in force
// added, so that its log, and its receipts on the others, verify like
// those of the charter's parties. An amendment whose body does not match
// its leaf makes the whole transcript fail (checkLog), so a forged one
// admits no one.
func joinParties(k *verify.Keyring, t *Transcript) *amend.Chain {
	ch := chainOf(k, t)
	for _, c := range ch.Cards() {
		k.AddParty(&c)
	}
	return ch
}

// reportChain adds to rep what the amendment entries of a verified
// transcript prove. Every entry in the document counts: a third party
// sees the logs as the parties cosigned them.
func reportChain(rep *Report, k *verify.Keyring, t *Transcript) {
	ch := chainOf(k, t)
	cur := ch.Current()
	// Forms are labelled by the templates in force at the end, and by
	// those an amendment replaced, for the forms written before.
	rep.templates = nil
	for i := len(ch.Versions) - 1; i >= 0; i-- {
		for _, tp := range ch.Versions[i].Charter.Templates {
			if rep.templates.Find(tp.ID) == nil {
				rep.templates = append(rep.templates, tp)
			}
		}
	}
	rep.Chain = &ChainReport{SignedBy: k.Charter.SignedBy, Version: cur.Number, Versions: ch.Versions,
		Amendments: ch.Amendments, Refused: ch.Refused, InForce: amend.Rules(cur.Charter)}
}

// writeChain prints the charter chain for people.
func (r *Report) writeChain(w io.Writer) {
	c := r.Chain
	if c == nil {
		return
	}
	fmt.Fprintf(w, "charter: version 1 signed by %s\n", strings.Join(c.SignedBy, ", "))
	WriteAmendments(w, c.Versions, c.Amendments, c.Refused)
	for _, s := range c.InForce {
		fmt.Fprintf(w, "  %s\n", inert.Text(s))
	}
}

// WriteAmendments prints a line's charter versions, each amendment with
// its answers and who signed them, and the steps that broke a rule: what
// hotline line amendments and a transcript's report show.
func WriteAmendments(w io.Writer, versions []amend.Version, as []amend.Amendment, refused []amend.Refusal) {
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
	for _, a := range as {
		state := strings.ToUpper(string(a.State))
		if a.State == amend.InForce {
			state += fmt.Sprintf(" as version %d since %s (%s)", a.Version, ts(a.Since), a.Entry)
		}
		fmt.Fprintf(w, "amendment %s: %s\n  proposed by %s (officer %s) at %s on version %d: %s\n", a.ID, state,
			a.Proposer, inert.Text(a.Officer), ts(a.Proposed), a.Base, inert.Text(a.Reason))
		for _, c := range amend.Describe(a.Changes) {
			fmt.Fprintf(w, "    %s\n", inert.Text(c))
		}
		for _, ans := range a.Accepted {
			note := ""
			if ans.Unconfirmed {
				note = " (not yet cosigned by every party)"
			}
			fmt.Fprintf(w, "  accepted by %s (officer %s) in %s at %s%s\n", ans.Party, inert.Text(ans.Officer), ans.Entry, ts(ans.Time), note)
		}
		for _, ans := range a.Refused {
			fmt.Fprintf(w, "  REFUSED by %s (officer %s) in %s at %s: %s\n", ans.Party, inert.Text(ans.Officer), ans.Entry, ts(ans.Time), inert.Text(ans.Reason))
		}
		if len(a.Waiting) > 0 {
			fmt.Fprintf(w, "  waiting for %s\n", strings.Join(a.Waiting, ", "))
		}
		if a.Why != "" {
			fmt.Fprintf(w, "  %s\n", inert.Text(a.Why))
		}
	}
	for _, r := range refused {
		fmt.Fprintf(w, "REFUSED amendment step %s by %s: %s\n", r.Entry, r.Author, inert.Text(r.Error))
	}
	cur := versions[len(versions)-1]
	if cur.Number == 1 {
		fmt.Fprintln(w, "charter in force: version 1, as signed")
	} else {
		fmt.Fprintf(w, "charter in force: version %d, by amendment %s, since %s (%s)\n", cur.Number, cur.Amendment, ts(cur.Since), cur.Entry)
	}
}
