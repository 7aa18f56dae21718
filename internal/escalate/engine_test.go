package escalate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestChain walks an alert through every step, around again, and to its
// resolution, checking who hears what and when.
func TestChain(t *testing.T) {
	r := newRig(t, chain)
	var s seen
	a := peerAlert("seoul-12")
	r.set(a)

	r.tick()
	if got, want := r.since(&s), []string{"alert email:duty@mnd.example", "alert webhook:/duty"}; !slices.Equal(got, want) {
		t.Fatalf("first step sent %q, want %q", got, want)
	}
	act := r.eng.Active()
	if len(act) != 1 || act[0].Step != 0 || act[0].StepName != "duty" || !act[0].Console || !act[0].NextStepAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("after the first step: %+v", act)
	}
	if len(act[0].Sent) != 2 || !act[0].Sent[0].OK || !act[0].Sent[1].OK {
		t.Fatalf("deliveries: %+v", act[0].Sent)
	}

	// The mail: over STARTTLS, logged in, one recipient, proper headers,
	// the proven facts, and no message text.
	m := r.mail.Mails()[0]
	if !m.TLS || m.User != "hotline" || m.From != "hotline@seoul.example" || !slices.Equal(m.To, []string{"duty@mnd.example"}) {
		t.Fatalf("mail envelope: TLS %v user %q from %q to %q", m.TLS, m.User, m.From, m.To)
	}
	msg, err := m.Header()
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subj != "[Hotline FLASH] beijing has not acknowledged seoul-12 — deadline 03:22 UTC passed" {
		t.Errorf("subject %q", subj)
	}
	for _, h := range []string{"Date", "Message-Id", "From", "To", "Mime-Version", "Content-Type", "Auto-Submitted"} {
		if msg.Header.Get(h) == "" {
			t.Errorf("mail lacks %s", h)
		}
	}
	if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	for _, want := range []string{a.Detail, "Delivered:     2026-05-01 03:12:00 UTC (cosigned receipt)", "Displayed:     2026-05-01 03:13:00 UTC",
		"Escalation:    step 1 of 3 (duty), round 1", "carries no message text", "Deadline:      2026-05-01 03:22:00 UTC"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("mail body lacks %q:\n%s", want, body)
		}
	}

	// The webhook: signed, with the alert and where the chain stands.
	h := r.hooks.Received()[0]
	if !h.SignatureOK || h.Event != "alert" {
		t.Fatalf("webhook: signature ok %v, event %q", h.SignatureOK, h.Event)
	}
	var n Notice
	if err := json.Unmarshal(h.Body, &n); err != nil {
		t.Fatal(err)
	}
	if n.Event != EventAlert || n.Node != "seoul" || n.Step != 0 || n.StepName != "duty" || n.Steps != 3 || n.Alert.ID != a.ID ||
		!n.Alert.Facts.Delivered.Equal(a.Facts.Delivered) || n.Alert.Summary != a.Summary || n.Sent.IsZero() {
		t.Fatalf("webhook notice %+v", n)
	}

	// Nothing more until the step's wait ends.
	r.clock.Advance(5*time.Minute - time.Second)
	r.tick()
	if got := r.since(&s); len(got) != 0 {
		t.Fatalf("before the wait ended: %q", got)
	}
	r.clock.Advance(time.Second)
	r.tick()
	if got, want := r.since(&s), []string{"alert email:deputy@mnd.example"}; !slices.Equal(got, want) {
		t.Fatalf("second step sent %q, want %q", got, want)
	}
	if act := r.eng.Active(); act[0].Step != 1 || act[0].StepName != "deputy" || !act[0].Console {
		t.Fatalf("second step: %+v", act[0])
	}
	r.clock.Advance(10 * time.Minute)
	r.tick()
	if got, want := r.since(&s), []string{"alert email:chief@mnd.example", "alert webhook:/chief"}; !slices.Equal(got, want) {
		t.Fatalf("third step sent %q, want %q", got, want)
	}

	// With repeat the chain starts over.
	r.clock.Advance(15 * time.Minute)
	r.tick()
	if got, want := r.since(&s), []string{"alert email:duty@mnd.example", "alert webhook:/duty"}; !slices.Equal(got, want) {
		t.Fatalf("second round sent %q, want %q", got, want)
	}
	if act := r.eng.Active(); act[0].Step != 0 || act[0].Cycle != 1 {
		t.Fatalf("second round: step %d cycle %d", act[0].Step, act[0].Cycle)
	}

	// The acknowledgement arrives: everyone who heard hears it resolve,
	// once, and the alert is gone.
	r.set()
	r.clock.Advance(time.Minute)
	r.tick()
	got := r.since(&s)
	slices.Sort(got)
	want := []string{"resolved email:chief@mnd.example", "resolved email:deputy@mnd.example", "resolved email:duty@mnd.example",
		"resolved webhook:/chief", "resolved webhook:/duty"}
	if !slices.Equal(got, want) {
		t.Fatalf("resolution sent %q, want %q", got, want)
	}
	if act := r.eng.Active(); len(act) != 0 {
		t.Fatalf("still active: %+v", act)
	}
	rm, _ := r.mail.Mails()[len(r.mail.Mails())-1].Header()
	if subj, _ := new(mime.WordDecoder).DecodeHeader(rm.Header.Get("Subject")); !strings.HasPrefix(subj, "[Hotline resolved] beijing has not acknowledged seoul-12") {
		t.Errorf("resolved subject %q", subj)
	}
	r.clock.Advance(time.Hour)
	r.tick()
	if got := r.since(&s); len(got) != 0 {
		t.Fatalf("after resolution: %q", got)
	}
}

// TestLongStop: after a stop longer than several steps, only the step the
// schedule has reached is notified.
func TestLongStop(t *testing.T) {
	r := newRig(t, chain)
	var s seen
	r.set(peerAlert("seoul-12"))
	r.tick()
	r.since(&s)
	r.clock.Advance(5*time.Minute + 10*time.Minute + 15*time.Minute + 6*time.Minute) // into the second round's deputy step
	r.tick()
	if got, want := r.since(&s), []string{"alert email:deputy@mnd.example"}; !slices.Equal(got, want) {
		t.Fatalf("after a long stop sent %q, want %q", got, want)
	}
	act := r.eng.Active()[0]
	if act.Step != 1 || act.Cycle != 1 || !act.StepAt.Equal(t0.Add(35*time.Minute)) {
		t.Fatalf("step %d cycle %d at %v", act.Step, act.Cycle, act.StepAt)
	}
}

func TestSilence(t *testing.T) {
	r := newRig(t, chain)
	var s seen
	peer, owed := peerAlert("seoul-12"), owedAlert("beijing-7")
	r.set(peer, owed)
	r.tick()
	// One mail to the duty officer carries both alerts, most urgent first.
	if got, want := r.since(&s), []string{"alert email:duty@mnd.example", "alert webhook:/duty", "alert webhook:/duty"}; !slices.Equal(got, want) {
		t.Fatalf("first step sent %q, want %q", got, want)
	}
	m, _ := r.mail.Mails()[0].Header()
	if subj, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); subj != "[Hotline FLASH] 2 alerts: "+peer.Summary+", and 1 more" {
		t.Errorf("digest subject %q", subj)
	}

	if err := r.eng.Silence(owed.ID, "Kim"); !errors.Is(err, ErrOwed) {
		t.Fatalf("silencing an owed alert: %v, want ErrOwed", err)
	}
	if err := r.eng.Silence("peer_ack_overdue:L1:seoul-99:beijing", "Kim"); !errors.Is(err, ErrNoAlert) {
		t.Fatalf("silencing an unknown alert: %v, want ErrNoAlert", err)
	}
	if err := r.eng.Silence(peer.ID, " "); err == nil {
		t.Fatal("silenced with no officer named")
	}
	changed := r.eng.Changed()
	if err := r.eng.Silence(peer.ID, "Kim Min-jun\r\nBcc: x@y.z"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Error("Changed did not fire on silence")
	}
	for _, st := range r.eng.Active() {
		switch st.Alert.ID {
		case peer.ID:
			if st.SilencedBy != "Kim Min-jun<U+000D><U+000A>Bcc: x@y.z" || st.Console || !st.NextStepAt.IsZero() || !st.SilencedAt.Equal(t0) {
				t.Errorf("silenced: %+v", st)
			}
		case owed.ID:
			if st.SilencedBy != "" || !st.Console {
				t.Errorf("owed: %+v", st)
			}
		}
	}

	// The next step goes on for the owed alert only.
	r.clock.Advance(5 * time.Minute)
	r.tick()
	if got, want := r.since(&s), []string{"alert email:deputy@mnd.example"}; !slices.Equal(got, want) {
		t.Fatalf("second step sent %q, want %q", got, want)
	}
	m, _ = r.mail.Mails()[1].Header()
	if got := m.Header.Get("X-Hotline-Alert"); got != owed.ID {
		t.Fatalf("second step mail is about %q, want %q", got, owed.ID)
	}
	// The silenced alert still resolves to those who heard of it.
	r.set(owed)
	r.tick()
	if got, want := r.since(&s), []string{"resolved email:duty@mnd.example", "resolved webhook:/duty"}; !slices.Equal(got, want) {
		t.Fatalf("resolution of the silenced alert sent %q, want %q", got, want)
	}
}

// TestRetry: a webhook and a mail server that fail are retried with
// backoff, and the failure is recorded meanwhile.
func TestRetry(t *testing.T) {
	r := newRig(t, chain)
	var s seen
	r.hooks.FailNext(1)
	r.mail.FailNext(1)
	r.set(peerAlert("seoul-12"))
	r.tick()
	if got := r.since(&s); len(got) != 0 {
		t.Fatalf("took %q while failing", got)
	}
	st := r.eng.Active()[0]
	for _, d := range st.Sent {
		if d.OK || d.Attempts != 1 || !d.Next.Equal(t0.Add(15*time.Second)) || d.Error == "" {
			t.Fatalf("a failed delivery: %+v", d)
		}
	}
	if !strings.Contains(st.Sent[0].Error+st.Sent[1].Error, "503") || !strings.Contains(st.Sent[0].Error+st.Sent[1].Error, "451") {
		t.Errorf("errors %q, %q", st.Sent[0].Error, st.Sent[1].Error)
	}
	r.clock.Advance(14 * time.Second)
	r.tick()
	if got := r.since(&s); len(got) != 0 {
		t.Fatalf("retried before the backoff: %q", got)
	}
	r.clock.Advance(time.Second)
	r.tick()
	if got, want := r.since(&s), []string{"alert email:duty@mnd.example", "alert webhook:/duty"}; !slices.Equal(got, want) {
		t.Fatalf("retry sent %q, want %q", got, want)
	}
	for _, d := range r.eng.Active()[0].Sent {
		if !d.OK || d.Attempts != 2 || !d.Next.IsZero() || d.Error != "" {
			t.Fatalf("a retried delivery: %+v", d)
		}
	}

	// A target that stays down is retried until the chain moves on, then
	// given up; the next step goes out all the same.
	r.hooks.FailNext(1000)
	r.set(peerAlert("seoul-12"), peerAlert("seoul-13"))
	r.tick()
	for _, wait := range []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute} {
		r.clock.Advance(wait)
		r.tick()
	}
	var hook Delivery
	for _, st := range r.eng.Active() {
		if st.Alert.Message == "seoul-13" {
			hook = st.Sent[1]
		}
	}
	if hook.Channel != "webhook" || hook.Attempts != 5 || hook.OK {
		t.Fatalf("the failing webhook: %+v", hook)
	}
	r.clock.Advance(5 * time.Minute)
	r.tick()
	for _, st := range r.eng.Active() {
		if st.Alert.Message == "seoul-13" && (!st.Sent[1].GaveUp || st.Step != 1) {
			t.Fatalf("after the step moved on: step %d, %+v", st.Step, st.Sent[1])
		}
	}
}

// TestRestart: a new engine on the same state neither pages again nor
// forgets a silence, and carries on with the schedule.
func TestRestart(t *testing.T) {
	r := newRig(t, chain)
	var s seen
	a, b := peerAlert("seoul-12"), peerAlert("seoul-13")
	r.set(a, b)
	r.tick()
	if got := r.since(&s); len(got) != 3 {
		t.Fatalf("first step sent %q", got)
	}
	if err := r.eng.Silence(a.ID, "Kim"); err != nil {
		t.Fatal(err)
	}
	if err := r.eng.Close(); err != nil {
		t.Fatal(err)
	}

	r.start()
	r.clock.Advance(time.Minute)
	r.tick()
	if got := r.since(&s); len(got) != 0 {
		t.Fatalf("after a restart sent %q", got)
	}
	act := r.eng.Active()
	if len(act) != 2 || act[0].SilencedBy != "Kim" || act[1].SilencedBy != "" || act[1].Step != 0 || !act[1].Console {
		t.Fatalf("restored: %+v", act)
	}
	r.clock.Advance(4 * time.Minute)
	r.tick()
	if got, want := r.since(&s), []string{"alert email:deputy@mnd.example"}; !slices.Equal(got, want) {
		t.Fatalf("second step after a restart sent %q, want %q", got, want)
	}
	m, _ := r.mail.Mails()[len(r.mail.Mails())-1].Header()
	if m.Header.Get("X-Hotline-Alert") != b.ID {
		t.Fatalf("the second step concerned %q", m.Header.Get("X-Hotline-Alert"))
	}
}

// TestSourceError: an evaluation that fails closes nothing.
func TestSourceError(t *testing.T) {
	r := newRig(t, chain)
	var s seen
	r.set(peerAlert("seoul-12"))
	r.tick()
	r.since(&s)
	r.mu.Lock()
	r.alerts, r.fail = nil, errors.New("database is locked")
	r.mu.Unlock()
	if err := r.eng.Tick(context.Background()); err == nil {
		t.Fatal("Tick hid the source's error")
	}
	r.eng.sends.Wait()
	if got := r.since(&s); len(got) != 0 || len(r.eng.Active()) != 1 {
		t.Fatalf("a failed evaluation sent %q and left %d alerts", got, len(r.eng.Active()))
	}
}

// TestHostileText: names from another party cannot add a mail header or
// a line, and invisible characters show.
func TestHostileText(t *testing.T) {
	r := newRig(t, chain)
	a := peerAlert("seoul-12")
	a.Party = "beijing\r\nBcc: victim@example.org"
	a.LineTitle = "Seoul\nX-Injected: 1"
	a.Summary = "beijing\r\nBcc: victim@example.org has not acknowledged seoul-12"
	a.Facts.AckedBy = "Wang \u202eLei"
	a.Facts.Acknowledged = t0
	r.set(a)
	r.tick()
	m := r.mail.Mails()[0]
	if !slices.Equal(m.To, []string{"duty@mnd.example"}) {
		t.Fatalf("recipients %q", m.To)
	}
	msg, err := m.Header()
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Bcc") != "" || msg.Header.Get("X-Injected") != "" {
		t.Fatalf("a header was injected: %v", msg.Header)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	for _, want := range []string{"Wang <U+202E>Lei", "beijing<U+000D><U+000A>Bcc: victim@example.org", "Seoul<U+000A>X-Injected: 1"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(string(body), "\u202e") {
		t.Error("the override reached the body")
	}
	if act := r.eng.Active(); strings.ContainsAny(act[0].Alert.Party+act[0].Alert.Summary, "\r\n") {
		t.Errorf("the console would show a line break: %q", act[0].Alert.Party)
	}
}

// TestRunWakes: Run evaluates at once when woken, long before its tick.
func TestRunWakes(t *testing.T) {
	r := newRig(t, chain)
	r.eng.opts.Every = time.Hour
	stop := running(t, r) // Run evaluates once as it starts: the alert comes after
	arrived := r.mail.Changed()
	r.set(peerAlert("seoul-12"))
	r.eng.Wake()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("no mail after Wake")
	}
	stop()
}

// TestRunAtDeadline: Run evaluates at the deadline the source names, long
// before its tick and with no Wake.
func TestRunAtDeadline(t *testing.T) {
	r := newRig(t, chain)
	r.eng.opts.Every = time.Hour
	r.eng.opts.Next = func() time.Time { return r.clock.Now().Add(time.Second) }
	stop := running(t, r)
	second := r.evaluated()
	select {
	case <-second:
	case <-time.After(20 * time.Second):
		t.Fatal("no evaluation at the deadline")
	}
	stop()
}

// running starts the rig's engine and waits for the evaluation Run makes
// as it starts; the function it returns stops Run.
func running(t *testing.T, r *rig) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	first := r.evaluated()
	go func() { done <- r.eng.Run(ctx) }()
	<-first
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestBacklog: a node that opens hundreds of alerts at once sends each
// address one readable mail, not hundreds.
func TestBacklog(t *testing.T) {
	r := newRig(t, `{"steps": [{"name": "duty", "email": ["duty@mnd.example"]}],
		"smtp": {"addr": "{{SMTP}}", "from": "hotline@seoul.example", "username": "hotline",
			"password_file": "smtp-password", "ca_file": "{{CA}}"}}`)
	var alerts []Alert
	for i := range 300 {
		alerts = append(alerts, owedAlert(fmt.Sprintf("beijing-%d", i+1)))
	}
	r.set(alerts...)
	r.tick()
	mails := r.mail.Mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	msg, _ := mails[0].Header()
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if n := strings.Count(string(body), "Open since:"); n != mailDetailed {
		t.Errorf("%d alerts in full, want %d", n, mailDetailed)
	}
	if !strings.Contains(string(body), "- and 80 more: see the console.") || len(body) > 100<<10 {
		t.Errorf("a %d-byte body:\n%s", len(body), body[len(body)-400:])
	}
	for _, st := range r.eng.Active() {
		if len(st.Sent) != 1 || !st.Sent[0].OK {
			t.Fatalf("%s: %+v", st.Alert.ID, st.Sent)
		}
	}
}
