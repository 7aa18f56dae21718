package node_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/notice"
)

// TestHostileNoticeForms has a peer write notices whose forms do not fit
// the line's templates: an unknown template, a required field left out, a
// value of the wrong type, a value not in canonical form, a field the
// template does not have. Each is kept and cosigned (the author committed
// to it, and the log goes on behind it) but refused as its body's error,
// naming what is wrong, as an undecodable body is, so no reader sees it as
// a notice; the good notice after them is read as one.
func TestHostileNoticeForms(t *testing.T) {
	f := newFixtureWith(t, node.Options{}, func(c *charter.Charter) { c.Templates = notice.Starter() })
	victim := f.h.victim
	good := exerciseCanonical()
	bad := []struct {
		name, want string
		form       entry.Form
	}{
		{"unknown template", "weather-report", entry.Form{Template: "weather-report", Fields: map[string]string{"sky": "clear"}}},
		{"missing required", "field forces", entry.Form{Template: "exercise-notice", Fields: without(good, "forces")}},
		{"wrong type", "field start", entry.Form{Template: "exercise-notice", Fields: with(good, "start", "1 March")}},
		{"not canonical", "field start", entry.Form{Template: "exercise-notice", Fields: with(good, "start", "2017-03-01T00:00Z")}},
		{"unknown field", "field colour", entry.Form{Template: "exercise-notice", Fields: with(good, "colour", "red")}},
	}
	log := f.h.entries(t)
	first := uint64(len(log))
	forms := []entry.Form{}
	for _, b := range bad {
		forms = append(forms, b.form)
	}
	forms = append(forms, entry.Form{Template: "exercise-notice", Fields: good})
	at := time.Now()
	for i, form := range forms {
		body, _ := json.Marshal(entry.Message{Lang: "ko", Form: &form})
		log = append(log, f.h.craft(t, uint64(len(log)), entry.KindMessage, newSaltFor(t), body, at.Add(time.Duration(i)*time.Millisecond)))
	}
	before := evidenceCount(t, victim)
	f.accept(t, f.h.bundle(f.h.segment(t, log, 0, uint64(len(log)))), uint64(len(log)))
	if n := evidenceCount(t, victim); n != before {
		t.Fatalf("signed notices were dropped as evidence (%d -> %d): they are kept in the log, with their refusal", before, n)
	}

	for i, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			e, err := victim.Store.Entry(f.line, f.h.me, first+uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(e.BodyError, "notice refused") || !strings.Contains(e.BodyError, b.want) {
				t.Fatalf("stored with body error %q, want a refusal naming %s", e.BodyError, b.want)
			}
			m, err := victim.Message(f.line, entry.ID(f.h.me, first+uint64(i)))
			if err != nil {
				t.Fatal(err)
			}
			if m.Form != nil || m.BodyError == "" {
				t.Fatalf("a refused notice is shown as one: form %v, body error %q", m.Form, m.BodyError)
			}
		})
	}
	m, err := victim.Message(f.line, entry.ID(f.h.me, first+uint64(len(bad))))
	if err != nil {
		t.Fatal(err)
	}
	if m.BodyError != "" || m.Form == nil || m.Template == nil || m.FormError != "" {
		t.Fatalf("the good notice: body error %q, form %v, form error %q", m.BodyError, m.Form, m.FormError)
	}
}

// exerciseCanonical is exerciseFields as Send writes them.
func exerciseCanonical() map[string]string {
	return map[string]string{"name": "Foal-Eagle", "start": "2017-03-01T00:00:00Z", "end": "2017-04-30T00:00:00Z",
		"area": "37.5N,126.9E,50km", "forces": "ROK, US", "live-fire": "yes"}
}

func with(m map[string]string, k, v string) map[string]string {
	out := without(m, "")
	out[k] = v
	return out
}

func without(m map[string]string, k string) map[string]string {
	out := map[string]string{}
	for kk, v := range m {
		if kk != k {
			out[kk] = v
		}
	}
	return out
}
