package console

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
)

// getJSON does a request and decodes its JSON answer into v.
func (f *fixture) getJSON(t *testing.T, req *http.Request, v any) int {
	t.Helper()
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s %s: %d %s: %v", req.Method, req.URL.Path, resp.StatusCode, b, err)
	}
	return resp.StatusCode
}

// TestTwoPersonRelease: on a line whose charter puts FLASH under two-person
// release, a drafter's FLASH waits as a draft; its drafter cannot release
// it, even as an administrator; of many releasers clicking at once one
// releases it; the peer receives it signed with both names.
func TestTwoPersonRelease(t *testing.T) {
	f := newFixture(t, twoPersonFlash)
	ctx := context.Background()
	drafter := f.session(t, "Li Na", officer.Drafter)
	admin := f.session(t, "Zhou Admin", officer.Admin)
	rel1 := f.session(t, "Chen Rel", officer.Releaser)
	rel2 := f.session(t, "Sun Rel", officer.Releaser)
	watch := f.session(t, "Wang Lei", officer.Watch)
	linePath := "/api/lines/" + f.line

	// The line says which precedences need release.
	var lines []lineView
	f.getJSON(t, f.request(t, "GET", "/api/lines", &watch, "", nil), &lines)
	if len(lines) != 1 || len(lines[0].TwoPerson) != 1 || lines[0].TwoPerson[0] != entry.Flash {
		t.Fatalf("lines: %+v", lines)
	}

	// A ROUTINE goes at once, signed with the drafter's name.
	var sent composeResponse
	if code := f.getJSON(t, f.request(t, "POST", linePath+"/messages", &drafter, drafter.csrf,
		map[string]string{"precedence": "ROUTINE", "text": "routine check"}), &sent); code != http.StatusCreated || sent.ID == "" {
		t.Fatalf("ROUTINE: %d %+v", code, sent)
	}
	if m, _ := f.beijing.Message(f.line, sent.ID); m.Officer != "Li Na" || m.ReleasedBy != "" {
		t.Fatalf("ROUTINE message: officer %q, released by %q", m.Officer, m.ReleasedBy)
	}

	// A FLASH becomes a draft: 202, nothing written to the log.
	sizeBefore := f.logSize(t)
	var drafted composeResponse
	if code := f.getJSON(t, f.request(t, "POST", linePath+"/messages", &drafter, drafter.csrf,
		map[string]string{"precedence": "FLASH", "text": "导弹发射\u202e", "reply_to": ""}), &drafted); code != http.StatusAccepted ||
		drafted.Draft == nil || drafted.ID != "" || drafted.Draft.State != officer.DraftPending || drafted.Draft.Drafter != "Li Na" {
		t.Fatalf("FLASH: %d %+v", code, drafted)
	}
	if drafted.Draft.TextVisible != inert.Text("导弹发射\u202e") {
		t.Errorf("draft text_visible %q", drafted.Draft.TextVisible)
	}
	if f.logSize(t) != sizeBefore {
		t.Fatal("the FLASH was written before its release")
	}
	id := strconv.FormatInt(drafted.Draft.ID, 10)

	// An administrator's own FLASH is a draft too, which it may not release.
	var own composeResponse
	f.getJSON(t, f.request(t, "POST", linePath+"/messages", &admin, admin.csrf,
		map[string]string{"precedence": "FLASH", "text": "admin's own"}), &own)
	if own.Draft == nil {
		t.Fatalf("admin's FLASH: %+v", own)
	}
	ownID := strconv.FormatInt(own.Draft.ID, 10)
	if code, v := f.do(t, f.request(t, "POST", linePath+"/drafts/"+ownID+"/release", &admin, admin.csrf, nil)); code != http.StatusForbidden || v["code"] != "own_draft" {
		t.Fatalf("admin releasing its own draft: %d %v", code, v)
	}

	// Nor may an account whose name differs from the drafter's only in case.
	alias := f.session(t, "li na", officer.Releaser)
	if code, v := f.do(t, f.request(t, "POST", linePath+"/drafts/"+id+"/release", &alias, alias.csrf, nil)); code != http.StatusForbidden || v["code"] != "own_draft" {
		t.Fatalf("release by %q of %q's draft: %d %v", "li na", "Li Na", code, v)
	}

	// Who sees what: releasers every pending draft, the drafter its own.
	var pending []draftView
	f.getJSON(t, f.request(t, "GET", linePath+"/drafts", &rel1, "", nil), &pending)
	if len(pending) != 2 || pending[0].ID != own.Draft.ID || pending[1].ID != drafted.Draft.ID || pending[0].Mine {
		t.Fatalf("releaser's pending drafts: %+v", pending)
	}
	var mine []draftView
	f.getJSON(t, f.request(t, "GET", linePath+"/drafts?state=all", &drafter, "", nil), &mine)
	if len(mine) != 1 || mine[0].ID != drafted.Draft.ID || !mine[0].Mine {
		t.Fatalf("drafter's drafts: %+v", mine)
	}
	if code, _ := f.do(t, f.request(t, "GET", linePath+"/drafts?state=nonsense", &rel1, "", nil)); code != http.StatusBadRequest {
		t.Errorf("bad state: %d", code)
	}

	// Releasers click at once: exactly one release.
	var wg sync.WaitGroup
	codes := make(chan int, 16)
	var released releaseResponse
	var mu sync.Mutex
	for i := range 16 {
		l := []login{rel1, rel2, admin}[i%3]
		wg.Go(func() {
			req := f.request(t, "POST", linePath+"/drafts/"+id+"/release", &l, l.csrf, nil)
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			codes <- resp.StatusCode
			if resp.StatusCode == http.StatusOK {
				mu.Lock()
				json.NewDecoder(resp.Body).Decode(&released)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[http.StatusOK] != 1 || count[http.StatusConflict] != 15 {
		t.Fatalf("16 concurrent releases: %v, want one 200 and fifteen 409", count)
	}
	if f.logSize(t) != sizeBefore+1 {
		t.Fatalf("log grew by %d, want 1", f.logSize(t)-sizeBefore)
	}
	releaser := released.Draft.DecidedBy
	if released.Draft.State != officer.DraftReleased || released.Message == "" || released.Draft.Message != released.Message ||
		(releaser != "Chen Rel" && releaser != "Sun Rel" && releaser != "Zhou Admin") {
		t.Fatalf("release: %+v", released)
	}

	// Seoul receives it signed with both names.
	waitFor(t, f.seoul, 20*time.Second, "Seoul to receive the released FLASH", func() bool {
		m, err := f.seoul.Message(f.line, released.Message)
		return err == nil && m.Officer == "Li Na" && m.ReleasedBy == releaser && m.Precedence == entry.Flash
	})
	// Our outbox names both too.
	var out messageView
	f.getJSON(t, f.request(t, "GET", linePath+"/messages/"+released.Message, &watch, watch.csrf, nil), &out)
	if out.Officer != "Li Na" || out.ReleasedBy != releaser || out.SentBy != "Li Na" {
		t.Errorf("our view of the released message: %+v", out)
	}
	// Only another party's message is displayed to us.
	if code, v := f.do(t, f.request(t, "POST", linePath+"/messages/"+released.Message+"/displayed", &watch, watch.csrf, nil)); code != http.StatusConflict || v["code"] != "not_inbound" {
		t.Errorf("displayed on our own message: %d %v", code, v)
	}

	// The drafter sees the outcome; releasing again is refused.
	f.getJSON(t, f.request(t, "GET", linePath+"/drafts?state=all", &drafter, "", nil), &mine)
	if len(mine) != 1 || mine[0].State != officer.DraftReleased || mine[0].DecidedBy != releaser || mine[0].Message != released.Message {
		t.Fatalf("drafter's view after release: %+v", mine)
	}
	if code, v := f.do(t, f.request(t, "POST", linePath+"/drafts/"+id+"/release", &rel1, rel1.csrf, nil)); code != http.StatusConflict {
		t.Errorf("second release: %d %v", code, v)
	}

	// Reject: a reason is required; the drafter sees it.
	if code, _ := f.do(t, f.request(t, "POST", linePath+"/drafts/"+ownID+"/reject", &rel1, rel1.csrf, map[string]string{"reason": ""})); code != http.StatusBadRequest {
		t.Errorf("reject without a reason: %d", code)
	}
	var rejected draftView
	if code := f.getJSON(t, f.request(t, "POST", linePath+"/drafts/"+ownID+"/reject", &rel1, rel1.csrf,
		map[string]string{"reason": "wrong line"}), &rejected); code != http.StatusOK || rejected.State != officer.DraftRejected ||
		rejected.Reason != "wrong line" || rejected.DecidedBy != "Chen Rel" {
		t.Fatalf("reject: %d %+v", code, rejected)
	}
	if code, _ := f.do(t, f.request(t, "POST", linePath+"/drafts/"+ownID+"/release", &rel2, rel2.csrf, nil)); code != http.StatusConflict {
		t.Errorf("releasing a rejected draft: %d", code)
	}
	for path, want := range map[string]int{"/drafts/99/release": 404, "/drafts/x/release": 400, "/drafts/0/reject": 400} {
		if code, _ := f.do(t, f.request(t, "POST", linePath+path, &rel1, rel1.csrf, map[string]string{"reason": "r"})); code != want {
			t.Errorf("%s: %d, want %d", path, code, want)
		}
	}

	// Every step is on the record.
	acts, _ := f.off.Acts(ctx, 20)
	seen := map[string]string{}
	for _, a := range acts {
		seen[a.Act+" "+a.Officer] = a.Detail
	}
	for _, want := range []string{"draft Li Na", "draft Zhou Admin", "release " + releaser, "reject Chen Rel"} {
		if _, ok := seen[want]; !ok {
			t.Errorf("no act %q in %+v", want, acts)
		}
	}
}

// logSize is how many entries Beijing's own log holds.
func (f *fixture) logSize(t *testing.T) uint64 {
	t.Helper()
	st, err := f.beijing.Status(f.line)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range st.Parties {
		if p.Party == "beijing" {
			return p.LogSize
		}
	}
	t.Fatal("no beijing in the status")
	return 0
}

// The officers' names in a message come from the other party: the API
// makes their invisible characters visible, as it does the text.
func TestOfficerNamesAreInert(t *testing.T) {
	f := newFixture(t, nil)
	w := f.session(t, "Wang Lei", officer.Watch)
	ctx := context.Background()
	drafter, releaser := "Kim\u202eevil", "Park\u200b"
	id := f.deliver(t, node.SendRequest{Precedence: entry.Routine, Text: "x", Officer: drafter, ReleasedBy: releaser})
	if _, err := f.beijing.Ack(ctx, f.line, id, "Wang\u202eLei"); err != nil {
		t.Fatal(err)
	}
	var inbox []messageView
	f.getJSON(t, f.request(t, "GET", "/api/lines/"+f.line+"/inbox", &w, "", nil), &inbox)
	if len(inbox) != 1 || inbox[0].Officer != inert.Text(drafter) || inbox[0].ReleasedBy != inert.Text(releaser) ||
		!strings.Contains(inbox[0].Officer, "<U+202E>") || inbox[0].Ladder[0].AckedBy != "Wang<U+202E>Lei" {
		t.Fatalf("inbox: %+v", inbox)
	}
}

// A release cut short between writing the message and marking the draft
// is settled when the console starts: released if the log holds the
// message, pending again if not.
func TestInterruptedReleaseIsSettled(t *testing.T) {
	f := newFixture(t, twoPersonFlash)
	ctx := context.Background()
	f.session(t, "Li Na", officer.Drafter)
	f.session(t, "Chen Rel", officer.Releaser)
	sentDraft, _ := f.off.AddDraft(ctx, officer.Draft{Line: f.line, Precedence: "FLASH", Lang: "zh", Text: "written", Drafter: "Li Na"})
	lostDraft, _ := f.off.AddDraft(ctx, officer.Draft{Line: f.line, Precedence: "FLASH", Lang: "zh", Text: "not written", Drafter: "Li Na"})
	for _, d := range []*officer.Draft{sentDraft, lostDraft} {
		if _, err := f.off.ClaimRelease(ctx, f.line, d.ID, "Chen Rel"); err != nil {
			t.Fatal(err)
		}
	}
	msg, err := f.beijing.Send(ctx, node.SendRequest{Line: f.line, Precedence: entry.Flash, Lang: "zh", Text: "written",
		Officer: "Li Na", ReleasedBy: "Chen Rel"})
	if err != nil {
		t.Fatal(err)
	}
	New(f.beijing, Config{Officers: f.off}) // the console's next start
	if d, _ := f.off.Draft(ctx, f.line, sentDraft.ID); d.State != officer.DraftReleased || d.Message != msg {
		t.Errorf("the written draft: %+v, want released as %s", d, msg)
	}
	if d, _ := f.off.Draft(ctx, f.line, lostDraft.ID); d.State != officer.DraftPending || d.DecidedBy != "" {
		t.Errorf("the unwritten draft: %+v, want pending", d)
	}
}
