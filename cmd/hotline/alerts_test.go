package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/escalate/escalatetest"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/serve/servetest"
)

// pairDirs creates Seoul and Beijing, installs a charter edited by edit on
// both, and closes the nodes again: the directories are ready for a
// command or for hotline serve.
func pairDirs(t *testing.T, edit func(*charter.Charter)) (seoul, beijing, line string) {
	t.Helper()
	root := t.TempDir()
	dirs := []string{nodetest.Create(t, root, nodetest.Default[0]), nodetest.Create(t, root, nodetest.Default[1])}
	nodes, line := nodetest.PairWith(t, dirs, node.Options{}, edit)
	for _, n := range nodes {
		n.Close()
	}
	return dirs[0], dirs[1], line
}

// alertsJSON runs hotline alerts --json.
func alertsJSON(t *testing.T, dir string) control.AlertsView {
	t.Helper()
	code, stdout, stderr := hotlineOut(t, "alerts", "--dir", dir, "--json")
	if code != 0 {
		t.Fatalf("alerts --json: %d %s", code, stderr)
	}
	var v control.AlertsView
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatalf("alerts --json: %v\n%s", err, stdout)
	}
	return v
}

func alertOf(v control.AlertsView, kind escalate.Kind) *escalate.AlertState {
	i := slices.IndexFunc(v.Alerts, func(st escalate.AlertState) bool { return st.Alert.Kind == kind })
	if i < 0 {
		return nil
	}
	return &v.Alerts[i]
}

// waitAlerts polls hotline alerts --json on dir until cond holds.
func waitAlerts(t *testing.T, dir, what string, cond func(control.AlertsView) bool) control.AlertsView {
	t.Helper()
	var v control.AlertsView
	nodetest.Wait(t, 30*time.Second, what, func() bool {
		v = alertsJSON(t, dir)
		return cond(v)
	})
	return v
}

// TestAlertsOffline: with no node serving, hotline alerts opens the node
// and lists the conditions open now, saying that no chain runs; silence
// needs the running node.
func TestAlertsOffline(t *testing.T) {
	seoul, _, line := pairDirs(t, func(c *charter.Charter) {
		c.Title = "Seoul\u202eBeijing"
		c.RollCall = &charter.RollCallRule{Every: charter.Duration(4 * time.Hour), Answer: charter.Duration(15 * time.Minute)}
	})

	code, stdout, stderr := hotlineOut(t, "alerts", "--dir", seoul)
	if code != 0 {
		t.Fatalf("alerts: %d %s", code, stderr)
	}
	for _, want := range []string{"the node is not serving: no escalation chain is running", "1 open alert(s)",
		"rollcall_pending:" + line, "rollcall_pending (owed: closes when our people act)", `"Seoul<U+202E>Beijing"`, "deadline  "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("alerts does not show %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "\u202e") || strings.Contains(stdout, "notices") || strings.Contains(stdout, "step ") {
		t.Errorf("offline alerts show a raw override or a chain:\n%s", stdout)
	}

	v := alertsJSON(t, seoul)
	if v.Serving || len(v.Alerts) != 1 {
		t.Fatalf("alerts --json offline: %+v", v)
	}
	if a := v.Alerts[0]; a.Alert.Kind != escalate.RollCallPending || !a.Alert.Owed || a.Alert.Line != line || a.StepName != "" || a.Sent != nil {
		t.Fatalf("offline alert: %+v", a)
	}

	code, _, stderr = hotlineOut(t, "alerts", "silence", "--dir", seoul, "--officer", "Kim Min-jun", v.Alerts[0].Alert.ID)
	if code != 1 || !strings.Contains(stderr, "is not serving") || !strings.Contains(stderr, "hint: start it with: hotline serve --dir "+seoul) {
		t.Fatalf("silence without serve: %d %s", code, stderr)
	}
	for _, args := range [][]string{
		{"alerts", "--dir", seoul, "extra"},
		{"alerts", "silence", "--dir", seoul, "some-id"},
		{"alerts", "silence", "--dir", seoul, "--officer", "Kim Min-jun"},
	} {
		if code, _, stderr := hotlineOut(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, code, stderr)
		}
	}
	if code, _, stderr := hotlineOut(t, "alerts", "--dir", filepath.Join(seoul, "nothing")); code != 1 || !strings.Contains(stderr, "hint: create one") {
		t.Errorf("no node: %d %s", code, stderr)
	}
}

// TestAlertsServing: both nodes serve, with a two-second FLASH
// acknowledgement deadline. A FLASH from Seoul is what Beijing owes: listed
// at once, and not to be silenced. Beijing lets the deadline pass: Seoul's
// alert is listed with its chain, and its officer silences it through the
// socket.
func TestAlertsServing(t *testing.T) {
	seoul, beijing, line := pairDirs(t, func(c *charter.Charter) {
		c.Deadlines[entry.Flash] = charter.Deadline{Ack: charter.Duration(2 * time.Second), Reply: charter.Duration(time.Hour)}
	})
	// Seoul's chain posts a webhook: the listing shows how it went.
	hooks := escalatetest.StartHooks(t, []byte("a webhook key of thirty-two byte"))
	for name, content := range map[string]string{
		"webhook-secret": "a webhook key of thirty-two byte\n",
		escalate.File: `{"steps": [{"name": "duty", "console": true, "webhook": ["` + hooks.URL + `/duty"]}],
			"webhook": {"secret_file": "webhook-secret"}}`,
	} {
		if err := os.WriteFile(filepath.Join(seoul, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{seoul, beijing} {
		servetest.Start(t, dir)
	}

	if v := alertsJSON(t, seoul); !v.Serving || v.Alerts == nil || len(v.Alerts) != 0 {
		t.Fatalf("alerts before any message: %+v", v)
	}
	if code, stdout, stderr := hotlineOut(t, "alerts", "--dir", seoul); code != 0 || strings.TrimSpace(stdout) != "no open alerts" {
		t.Fatalf("alerts before any message: %d %q %s", code, stdout, stderr)
	}

	code, stdout, stderr := hotlineOut(t, "send", "--dir", seoul, "--precedence", "FLASH", "--officer", "Kim Min-jun", "Vessel entering the exclusion zone.")
	if code != 0 {
		t.Fatalf("send: %d %s", code, stderr)
	}
	msg := strings.TrimSpace(stdout)

	// What Beijing owes: listed with its chain, and refused when silenced.
	v := waitAlerts(t, beijing, "Beijing's owed_ack", func(v control.AlertsView) bool { return alertOf(v, escalate.OwedAck) != nil })
	owed := alertOf(v, escalate.OwedAck)
	if !v.Serving || owed.Alert.Line != line || owed.Alert.Message != msg || !owed.Alert.Owed || owed.StepName == "" || owed.Since.IsZero() {
		t.Fatalf("Beijing's alert: %+v", owed)
	}
	code, stdout, stderr = hotlineOut(t, "alerts", "--dir", beijing)
	if code != 0 || strings.Contains(stdout, "not serving") {
		t.Fatalf("alerts at Beijing: %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{owed.Alert.ID, "owed_ack (owed: closes when our people act)", "precedence  FLASH",
		"summary     ", "detail      ", "step        1. " + owed.StepName + " since ", "notices     "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("alerts at Beijing do not show %q:\n%s", want, stdout)
		}
	}
	code, _, stderr = hotlineOut(t, "alerts", "silence", "--dir", beijing, "--officer", "Wang Lei", owed.Alert.ID)
	if code != 1 || !strings.Contains(stderr, "cannot be silenced") || !strings.Contains(stderr, "hint: acknowledge or reply to close it") {
		t.Fatalf("silence of an owed alert: %d %s", code, stderr)
	}
	code, _, stderr = hotlineOut(t, "alerts", "silence", "--dir", beijing, "--officer", "Wang Lei", "peer_ack_overdue:nothing")
	if code != 1 || !strings.Contains(stderr, "no such open alert") {
		t.Fatalf("silence of no alert: %d %s", code, stderr)
	}

	// Beijing lets the deadline pass: Seoul's alert, which Seoul's officer
	// may silence.
	v = waitAlerts(t, seoul, "Seoul's peer_ack_overdue and its webhook", func(v control.AlertsView) bool {
		st := alertOf(v, escalate.PeerAckOverdue)
		return st != nil && len(st.Sent) > 0 && st.Sent[0].OK
	})
	peer := alertOf(v, escalate.PeerAckOverdue)
	if peer.Alert.Owed || peer.Alert.Party != "beijing" || peer.Alert.Message != msg || peer.SilencedBy != "" || peer.StepName != "duty" {
		t.Fatalf("Seoul's alert: %+v", peer)
	}
	_, stdout, _ = hotlineOut(t, "alerts", "--dir", seoul)
	for _, want := range []string{"peer_ack_overdue (can be silenced)", "not acknowledged", "step        1. duty since ",
		"notices     alert webhook " + hooks.URL + "/duty (step 1): sent "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("alerts at Seoul do not show %q:\n%s", want, stdout)
		}
	}
	code, _, stderr = hotlineOut(t, "alerts", "silence", "--dir", seoul, "--officer", "Kim\u202eMin-jun", peer.Alert.ID)
	if code != 0 || !strings.Contains(stderr, "silenced by Kim<U+202E>Min-jun") {
		t.Fatalf("silence: %d %s", code, stderr)
	}
	v = alertsJSON(t, seoul)
	if peer := alertOf(v, escalate.PeerAckOverdue); peer == nil || peer.SilencedBy == "" || peer.Console || !peer.NextStepAt.IsZero() {
		t.Fatalf("the silenced alert: %+v", v)
	}
	_, stdout, _ = hotlineOut(t, "alerts", "--dir", seoul)
	if !strings.Contains(stdout, "; silenced by Kim<U+202E>Min-jun at ") || strings.Contains(stdout, "\u202e") {
		t.Errorf("alerts at Seoul after the silence:\n%s", stdout)
	}
}
