package escalate

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
)

// Events a notice reports.
const (
	EventAlert    = "alert"    // an alert reached a step of the chain
	EventResolved = "resolved" // an alert's condition closed
	EventTest     = "test"     // hotline escalation test
)

// Notice is the JSON body of a webhook POST. Like the alert it carries, it
// holds metadata only, never a message's text.
type Notice struct {
	Event string `json:"event"`
	Node  string `json:"node"` // the party whose node sends it
	// Step is the index of the chain's step (0 for the first), StepName
	// its name, Steps the chain's length; Cycle counts the times the
	// chain started over.
	Step       int    `json:"step"`
	StepName   string `json:"step_name"`
	Steps      int    `json:"steps"`
	Cycle      int    `json:"cycle"`
	SilencedBy string `json:"silenced_by,omitempty"`
	// Sent is when the notice left: a receiver should refuse old ones, so
	// that a recorded notice cannot be played back later.
	Sent  time.Time `json:"sent"`
	Alert Alert     `json:"alert"`
}

// clean makes text from another party (party names, officers, line
// titles) safe for one line of a mail, a header or a log: every invisible
// or control character becomes a visible <U+XXXX>, line breaks included,
// and it is cut to max runes.
// lineBreaks keeps a notice's fields on one line each; a Replacer is safe
// for concurrent use and costly to build, so there is one.
var lineBreaks = strings.NewReplacer("\n", "<U+000A>", "\t", " ")

func clean(s string, max int) string {
	s = lineBreaks.Replace(inert.Text(strings.ToValidUTF8(s, "\uFFFD")))
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max-1]) + "…"
	}
	return s
}

// cleanAlert applies clean to every text field of a, whatever the source.
func cleanAlert(a Alert) Alert {
	a.ID = clean(a.ID, 200)
	a.Kind = Kind(clean(string(a.Kind), 40))
	a.Line = clean(a.Line, 80)
	a.LineTitle = clean(a.LineTitle, 200)
	a.Party = clean(a.Party, 80)
	a.Message = clean(a.Message, 100)
	a.Precedence = entry.Precedence(clean(string(a.Precedence), 20))
	a.Summary = clean(a.Summary, 300)
	a.Detail = clean(a.Detail, 1000)
	a.Facts.AckedBy = clean(a.Facts.AckedBy, 100)
	a.Facts.Reply = clean(a.Facts.Reply, 100)
	a.Facts.DeliveryProof = clean(a.Facts.DeliveryProof, 60)
	a.Facts.Routes = append([]Route(nil), a.Facts.Routes...)
	for i := range a.Facts.Routes {
		r := &a.Facts.Routes[i]
		r.Name, r.LastError = clean(r.Name, 40), clean(r.LastError, 200)
	}
	return a
}

// subject is the mail subject for notices about alerts, most urgent first.
func subject(event string, alerts []Alert) string {
	tag := "Hotline"
	if event == EventResolved {
		tag += " resolved"
	} else if alerts[0].Precedence != "" {
		tag += " " + string(alerts[0].Precedence)
	}
	s := "[" + tag + "] " + alerts[0].Summary
	if len(alerts) > 1 {
		s = fmt.Sprintf("[%s] %d alerts: %s, and %d more", tag, len(alerts), alerts[0].Summary, len(alerts)-1)
	}
	return s
}

// when writes a time in full, in UTC.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// mailNotice is one notice about one alert, as it goes into a mail.
type mailNotice struct {
	Notice
	Closed time.Time // resolved notices: when the condition closed
}

// emailMessage renders a complete mail (headers and body) to one
// recipient about one or more alerts. Every header value is either ours
// (addresses validated at load) or cleaned and MIME-encoded, so nothing
// from another party can add a header or a line.
func emailMessage(from, to, party string, now time.Time, notices []mailNotice) []byte {
	alerts := make([]Alert, len(notices))
	for i, n := range notices {
		alerts[i] = n.Alert
	}
	var h bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&h, "%s: %s\r\n", k, v) }
	header("Date", now.UTC().Format(time.RFC1123Z))
	header("From", (&mail.Address{Name: "Hotline " + clean(party, 60), Address: from}).String())
	header("To", (&mail.Address{Address: to}).String())
	header("Subject", mime.QEncoding.Encode("utf-8", clean(subject(notices[0].Event, alerts), 250)))
	header("Message-ID", messageID(from))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	// RFC 3834: an automatic message; vacation responders leave it alone.
	header("Auto-Submitted", "auto-generated")
	header("X-Hotline-Event", notices[0].Event)
	if len(notices) == 1 {
		header("X-Hotline-Alert", clean(alerts[0].ID, 200))
	}
	h.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&h)
	body := emailBody(party, notices)
	// In text mode the writer ends every line with CRLF, as mail wants.
	qp.Write([]byte(body))
	qp.Close()
	return h.Bytes()
}

func messageID(from string) string {
	domain := "hotline.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && plain(from[i+1:]) && !strings.ContainsAny(from[i+1:], "<> ") {
		domain = from[i+1:]
	}
	var b [16]byte
	rand.Read(b[:])
	return "<" + hex.EncodeToString(b[:]) + "@" + domain + ">"
}

// A mail about many alerts (a node that comes back to a backlog) states
// the first in full and lists the next by their summaries, so that it
// stays a mail a person reads; the console has them all.
const (
	mailDetailed = 20
	mailListed   = 200
)

// emailBody is the plain text of a mail: each alert's summary, the proven
// facts, and where the chain stands.
func emailBody(party string, notices []mailNotice) string {
	var b strings.Builder
	if len(notices) > 1 {
		fmt.Fprintf(&b, "%d alerts from the Hotline node of %s.\n\n", len(notices), clean(party, 60))
	}
	for i, n := range notices[:min(len(notices), mailDetailed)] {
		if i > 0 {
			b.WriteString("\n----\n\n")
		}
		writeNotice(&b, n)
	}
	if rest := notices[min(len(notices), mailDetailed):]; len(rest) > 0 {
		b.WriteString("\n----\n\nAnd:\n")
		for _, n := range rest[:min(len(rest), mailListed)] {
			fmt.Fprintf(&b, "- [%s] %s\n", n.Alert.Precedence, n.Alert.Summary)
		}
		if len(rest) > mailListed {
			fmt.Fprintf(&b, "- and %d more: see the console.\n", len(rest)-mailListed)
		}
	}
	b.WriteString("\nThis notice carries no message text: Hotline keeps messages end-to-end\n" +
		"encrypted, and mail is not part of that. Read the message and act in the\n" +
		"Hotline console.\n\n-- \nHotline node " + clean(party, 60) + "\n")
	return b.String()
}

func writeNotice(b *strings.Builder, n mailNotice) {
	a := n.Alert
	switch n.Event {
	case EventResolved:
		fmt.Fprintf(b, "RESOLVED: %s\n", a.Summary)
		fmt.Fprintf(b, "The condition closed at %s.\n", when(n.Closed))
	case EventTest:
		fmt.Fprintf(b, "%s\n", a.Summary)
	default:
		fmt.Fprintf(b, "%s\n", a.Summary)
	}
	if a.Detail != "" {
		fmt.Fprintf(b, "%s\n", a.Detail)
	}
	b.WriteString("\n")
	row := func(k, v string) {
		if v != "" && v != "-" {
			fmt.Fprintf(b, "%-14s %s\n", k+":", v)
		}
	}
	row("Alert", string(a.Kind))
	if a.LineTitle != "" {
		row("Line", fmt.Sprintf("%s (%s)", a.LineTitle, a.Line))
	} else {
		row("Line", a.Line)
	}
	row("Party", a.Party)
	if a.Message != "" {
		row("Message", strings.TrimSuffix(a.Message+", "+string(a.Precedence), ", "))
	}
	f := a.Facts
	row("Queued", when(f.Queued))
	row("Sent", when(f.Sent))
	if !f.Delivered.IsZero() {
		row("Delivered", strings.TrimSuffix(when(f.Delivered)+" ("+f.DeliveryProof+")", " ()"))
	}
	row("Displayed", when(f.Displayed))
	if !f.Acknowledged.IsZero() {
		row("Acknowledged", strings.TrimSuffix(when(f.Acknowledged)+" by "+f.AckedBy, " by "))
	}
	if !f.Replied.IsZero() {
		row("Replied", strings.TrimSuffix(when(f.Replied)+" with "+f.Reply, " with "))
	}
	row("Last link test", when(f.LastLinkTest))
	for _, r := range f.Routes {
		s := "never reached"
		if !r.LastSuccess.IsZero() {
			s = "last success " + when(r.LastSuccess)
		}
		if r.Failures > 0 {
			s += fmt.Sprintf("; %d failures since, last %s: %s", r.Failures, when(r.LastFailure), r.LastError)
		}
		row("Route "+r.Name, s)
	}
	if !a.Deadline.IsZero() {
		row("Deadline", when(a.Deadline))
	}
	row("Open since", when(a.Opened))
	if n.Event == EventAlert {
		row("Escalation", fmt.Sprintf("step %d of %d (%s), round %d", n.Step+1, n.Steps, n.StepName, n.Cycle+1))
	}
	if n.SilencedBy != "" {
		row("Silenced by", n.SilencedBy)
	}
	row("ID", a.ID)
}
