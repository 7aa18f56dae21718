package ical

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/agenda"
	"github.com/hotline-line/hotline/internal/entry"
)

// component is a parsed BEGIN/END block of an iCalendar file.
type component struct {
	name  string
	props map[string][]string // name -> unescaped values
	subs  []*component
}

var propName = regexp.MustCompile(`^[A-Z0-9-]+$`)

// parse is a small strict RFC 5545 reader, written apart from the library
// that writes the file: every line ends in CRLF and is at most 75 octets,
// folded lines start with one space, components nest, every content line
// is NAME[;PARAM=V]:VALUE, and TEXT escapes are the four the RFC allows.
func parse(data []byte) (*component, error) {
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		return nil, fmt.Errorf("does not end in CRLF")
	}
	raw := strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n")
	var lines []string
	for i, l := range raw {
		if len(l) > 75 {
			return nil, fmt.Errorf("line %d is %d octets", i+1, len(l))
		}
		if strings.ContainsAny(l, "\r\n") {
			return nil, fmt.Errorf("line %d holds a bare CR or LF", i+1)
		}
		if strings.HasPrefix(l, " ") {
			if len(lines) == 0 {
				return nil, fmt.Errorf("file starts with a continuation")
			}
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	var stack []*component
	var root *component
	for _, l := range lines {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("no colon in %q", l)
		}
		name, _, _ = strings.Cut(name, ";") // parameters are not needed here
		if !propName.MatchString(name) {
			return nil, fmt.Errorf("bad property name %q", name)
		}
		switch name {
		case "BEGIN":
			c := &component{name: value, props: map[string][]string{}}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.subs = append(top.subs, c)
			} else if root != nil {
				return nil, fmt.Errorf("two top-level components")
			} else {
				root = c
			}
			stack = append(stack, c)
		case "END":
			if len(stack) == 0 || stack[len(stack)-1].name != value {
				return nil, fmt.Errorf("END:%s does not close the open component", value)
			}
			stack = stack[:len(stack)-1]
		default:
			if len(stack) == 0 {
				return nil, fmt.Errorf("property %s outside a component", name)
			}
			v, err := unescape(value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			top := stack[len(stack)-1]
			top.props[name] = append(top.props[name], v)
		}
	}
	if len(stack) != 0 || root == nil || root.name != "VCALENDAR" {
		return nil, fmt.Errorf("not one closed VCALENDAR")
	}
	return root, nil
}

func unescape(v string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' {
			if i+1 == len(v) {
				return "", fmt.Errorf("trailing backslash")
			}
			i++
			switch v[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			case '\\', ';', ',':
				b.WriteByte(v[i])
			default:
				return "", fmt.Errorf("bad escape \\%c", v[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

func one(t *testing.T, c *component, name string) string {
	t.Helper()
	if len(c.props[name]) != 1 {
		t.Fatalf("%s: %d values of %s, want 1", c.name, len(c.props[name]), name)
	}
	return c.props[name][0]
}

func at(d, h int) time.Time { return time.Date(2017, 3, d, h, 0, 0, 0, time.UTC) }

// events builds an agenda with one confirmed event and one cancelled by
// a message, by the rules of package agenda.
func events(t *testing.T) []agenda.Event {
	t.Helper()
	parties := []string{"beijing", "seoul"}
	step := func(id, party string, i uint64, when time.Time, b entry.Agenda) agenda.Step {
		return agenda.Step{ID: id, Party: party, Index: i, Time: when, Body: &b}
	}
	ex := step("seoul-12", "seoul", 12, at(1, 0), entry.Agenda{Action: entry.AgendaPropose, Kind: "exercise",
		Title: "Joint search, rescue; and \\ drill, 联合搜救演习 — a title long enough to be folded over more than one line",
		Start: at(10, 1), End: at(10, 7), Place: "Yellow Sea", Participants: []string{"ROKN 3rd Fleet", "PLAN North Sea Fleet"}})
	talks := step("beijing-4", "beijing", 4, at(1, 0), entry.Agenda{Action: entry.AgendaPropose, Kind: "talks",
		Title: "Defence policy talks", Start: at(12, 2), Place: "Beijing"})
	evs := agenda.Events(parties, []agenda.Step{ex, talks,
		step("beijing-5", "beijing", 5, at(2, 0), entry.Agenda{Action: entry.AgendaConfirm, Event: "seoul-12", Start: at(10, 1)}),
		step("seoul-13", "seoul", 13, at(3, 0), entry.Agenda{Action: entry.AgendaCancel, Event: "beijing-4",
			Reason: "deployment dispute", Because: "beijing-3"}),
	})
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	return evs
}

// TestWriteParsesStrictly writes an agenda with golang-ical and reads it
// with the strict parser above.
func TestWriteParsesStrictly(t *testing.T) {
	evs := events(t)
	var buf bytes.Buffer
	if err := Write(&buf, "5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f", "Seoul–Beijing", evs, at(4, 0)); err != nil {
		t.Fatal(err)
	}
	cal, err := parse(buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if one(t, cal, "VERSION") != "2.0" || one(t, cal, "PRODID") == "" {
		t.Errorf("calendar properties: %v", cal.props)
	}
	if len(cal.subs) != 2 {
		t.Fatalf("%d components", len(cal.subs))
	}
	byUID := map[string]*component{}
	for _, c := range cal.subs {
		if c.name != "VEVENT" {
			t.Fatalf("component %s", c.name)
		}
		for _, p := range []string{"UID", "DTSTAMP", "DTSTART", "SUMMARY", "STATUS", "SEQUENCE"} {
			one(t, c, p)
		}
		byUID[one(t, c, "UID")] = c
	}
	ex := byUID["seoul-12.5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f@hotline"]
	talks := byUID["beijing-4.5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f@hotline"]
	if ex == nil || talks == nil {
		t.Fatalf("UIDs: %v", byUID)
	}
	if got := one(t, ex, "SUMMARY"); got != evs[0].Title {
		t.Errorf("SUMMARY %q, want %q", got, evs[0].Title)
	}
	if one(t, ex, "DTSTART") != "20170310T010000Z" || one(t, ex, "DTEND") != "20170310T070000Z" ||
		one(t, ex, "STATUS") != "CONFIRMED" || one(t, ex, "SEQUENCE") != "1" || one(t, ex, "LOCATION") != "Yellow Sea" {
		t.Errorf("exercise: %v", ex.props)
	}
	if _, ok := talks.props["DTEND"]; ok {
		t.Errorf("talks without an end have a DTEND")
	}
	d := one(t, talks, "DESCRIPTION")
	if one(t, talks, "STATUS") != "CANCELLED" || !strings.Contains(d, "deployment dispute") || !strings.Contains(d, "because of beijing-3") {
		t.Errorf("cancelled talks: %v", talks.props)
	}
}

// TestStrictParserRefuses keeps the parser above honest: it must refuse
// what the RFC refuses, or the test that uses it proves nothing.
func TestStrictParserRefuses(t *testing.T) {
	for _, bad := range []string{
		"BEGIN:VCALENDAR\nEND:VCALENDAR\n",
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n",
		"BEGIN:VCALENDAR\r\nSUMMARY:a\\qb\r\nEND:VCALENDAR\r\n",
		"BEGIN:VCALENDAR\r\nSUMMARY:" + strings.Repeat("x", 80) + "\r\nEND:VCALENDAR\r\n",
		"BEGIN:VCALENDAR\r\nbad name:x\r\nEND:VCALENDAR\r\n",
	} {
		if _, err := parse([]byte(bad)); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}

// TestControlCharactersStayInTheirLine checks that a line title with a
// carriage return cannot start a property of its own.
func TestControlCharactersStayInTheirLine(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f", "a\r\nSTATUS:CANCELLED", events(t), at(4, 0)); err != nil {
		t.Fatal(err)
	}
	cal, err := parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cal.props["STATUS"]; ok {
		t.Errorf("the title wrote a property: %v", cal.props)
	}
}
