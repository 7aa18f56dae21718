package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
)

// TestTranslateAndAgendaCommands drives translations and the agenda from
// the command line of both parties.
func TestTranslateAndAgendaCommands(t *testing.T) {
	dirs := nodetest.Dirs(t)
	nodes, line := nodetest.Pair(t, dirs, node.Options{})
	nodetest.Connect(nodes...)
	for i := range nodes {
		serveNode(t, dirs[i], nodes[i])
	}
	tmp := t.TempDir()
	zhFile := filepath.Join(tmp, "zh.txt")
	os.WriteFile(zhFile, []byte("联合搜救演习推迟\n"), 0o600)
	enFile := filepath.Join(tmp, "en.txt")
	os.WriteFile(enFile, []byte("The joint exercise is postponed.\n"), 0o600)

	code, out, errOut := hotlineOut(t, "send", "--dir", dirs[0], "--lang", "ko", "--officer", "Kim Min-jun", "--translation", "zh="+zhFile, "합동 훈련 연기")
	if code != 0 {
		t.Fatalf("send: %d %s", code, errOut)
	}
	id := strings.TrimSpace(out)
	nodetest.Wait(t, 30*time.Second, "Beijing to hold the message", func() bool {
		_, err := nodes[1].Message(line, id)
		return err == nil
	})
	if code, _, errOut := hotlineOut(t, "translate", "--dir", dirs[1], id, "--lang", "en", "--officer", "Li Wei", "--machine", enFile); code != 0 {
		t.Fatalf("translate: %d %s", code, errOut)
	}
	nodetest.Wait(t, 30*time.Second, "Seoul to hold the translation", func() bool {
		m, err := nodes[0].Message(line, id)
		return err == nil && len(m.Translations) == 2
	})
	code, out, errOut = hotlineOut(t, "show", "--dir", dirs[0], id)
	for _, want := range []string{"합동 훈련 연기", "language ko (the original)", "translated by officer Kim Min-jun of seoul",
		"联合搜救演习推迟", "machine translation submitted by officer Li Wei of beijing", "The joint exercise is postponed."} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("show lacks %q: %d\n%s%s", want, code, out, errOut)
		}
	}

	code, out, errOut = hotlineOut(t, "agenda", "propose", "--dir", dirs[0], "--kind", "exercise", "--title", "Joint search and rescue",
		"--start", "2099-03-10T01:00Z", "--end", "2099-03-10T07:00Z", "--place", "Yellow Sea", "--participants", "ROKN 3rd Fleet, PLAN North Sea Fleet")
	m := regexp.MustCompile(`^event (seoul-\d+) proposed in entry (seoul-\d+)\n$`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("propose: %d %q %s", code, out, errOut)
	}
	ev := m[1]
	nodetest.Wait(t, 30*time.Second, "Beijing to hold the proposal", func() bool {
		evs, _ := nodes[1].Agenda(line)
		return len(evs) == 1
	})
	if code, out, errOut := hotlineOut(t, "agenda", "confirm", ev, "--dir", dirs[1], "--officer", "Li Wei"); code != 0 || !strings.Contains(out, "confirmed") {
		t.Fatalf("confirm: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := hotlineOut(t, "agenda", "held", ev, "--dir", dirs[1]); code != 1 || !strings.Contains(errOut, "hint: see the event's history") {
		t.Errorf("held before the start: %d %s", code, errOut)
	}
	if code, _, errOut := hotlineOut(t, "agenda", "propose", "--dir", dirs[0], "--kind", "exercise", "--title", "T", "--start", "tomorrow", "--place", "P"); code != 2 {
		t.Errorf("a bad time: %d %s", code, errOut)
	}
	if code, out, errOut := hotlineOut(t, "agenda", "cancel", ev, "--dir", dirs[1], "--reason", "deployment dispute", "--because", id); code != 0 || !strings.Contains(out, "cancelled") {
		t.Fatalf("cancel: %d %s %s", code, out, errOut)
	}
	ics := filepath.Join(tmp, "agenda.ics")
	code, out, errOut = hotlineOut(t, "agenda", "--dir", dirs[1], "--ics", ics)
	if code != 0 || !strings.Contains(out, ev+"  CANCELLED") || !strings.Contains(out, "deployment dispute (because of "+id+")") {
		t.Errorf("agenda: %d\n%s%s", code, out, errOut)
	}
	data, err := os.ReadFile(ics)
	if err != nil || !strings.Contains(string(data), "STATUS:CANCELLED\r\n") || !strings.Contains(string(data), "UID:"+ev+"."+line+"@hotline\r\n") {
		t.Errorf("the .ics file: %v\n%s", err, data)
	}
	nodetest.Wait(t, 30*time.Second, "Seoul to hold the cancellation", func() bool {
		evs, _ := nodes[0].Agenda(line)
		return len(evs) == 1 && len(evs[0].History) == 3
	})
	code, out, _ = hotlineOut(t, "agenda", "history", ev, "--dir", dirs[0])
	if code != 0 || strings.Count(out, "\n  20") != 3 || !strings.Contains(out, "beijing confirm (officer Li Wei)") ||
		!strings.Contains(out, "beijing cancel: deployment dispute (because of "+id+")  -> cancelled") {
		t.Errorf("history on Seoul:\n%s", out)
	}
}
