package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/officer"
)

// Event stream tuning.
const (
	// eventGap is the least time between two change events on one stream:
	// a burst of receipts becomes one event, and the page still learns of
	// a FLASH well within a second.
	eventGap = 150 * time.Millisecond
	// heartbeat keeps proxies and the browser from closing an idle stream,
	// and is when an expired or revoked session ends it.
	heartbeat = 20 * time.Second
	// watched is how many of the newest messages of each line the stream
	// compares to find the new ones.
	watched = 20
)

// newMessage is what a change event says of each new inbox message.
type newMessage struct {
	Line       string           `json:"line"`
	ID         string           `json:"id"`
	Author     string           `json:"author"`
	Precedence entry.Precedence `json:"precedence"`
}

// changeEvent is the data of an event "change": something changed on the
// node (a message, a receipt, a mark, a link test, a roll-call), among the
// drafts waiting for release, or among the escalation alerts; Inbox lists
// the messages from other parties that arrived since the previous event.
type changeEvent struct {
	Time  time.Time    `json:"time"`
	Inbox []newMessage `json:"inbox"`
}

// events streams Server-Sent Events: "hello" at once, then "change"
// whenever the node's state changes.
func (s *Server) events(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	ctx := r.Context()
	changed := s.n.Changed() // before the first look, so no change falls between
	drafts := s.desk.Changed()
	alerts := s.alertsChanged()
	seen := map[string]bool{}
	s.newInbox(seen)
	if err := send(w, rc, "hello", changeEvent{Time: time.Now().UTC(), Inbox: []newMessage{}}); err != nil {
		return
	}
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			if _, err := s.off.Session(ctx, cookieValue(r, s.cookieName("session"))); err != nil {
				send(w, rc, "logout", struct{}{})
				return
			}
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
			continue
		case <-changed:
		case <-drafts:
		case <-alerts:
		}
		if wait := eventGap - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		changed, drafts, alerts = s.n.Changed(), s.desk.Changed(), s.alertsChanged()
		last = time.Now()
		if _, err := s.off.Session(ctx, cookieValue(r, s.cookieName("session"))); err != nil {
			send(w, rc, "logout", struct{}{})
			return
		}
		if err := send(w, rc, "change", changeEvent{Time: last.UTC(), Inbox: s.newInbox(seen)}); err != nil {
			return
		}
	}
}

// newInbox returns the inbox messages not in seen, and adds them to it.
func (s *Server) newInbox(seen map[string]bool) []newMessage {
	out := []newMessage{}
	lines := s.n.Lines()
	slices.Sort(lines)
	for _, line := range lines {
		msgs, err := s.latestInbox(line)
		if err != nil {
			s.log.Warn("event stream", "line", line, "err", err)
			continue
		}
		for _, m := range msgs {
			key := line + "/" + m.ID
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, m)
		}
	}
	if len(seen) > 4*watched*len(lines)+64 {
		// Keep only what the next look can see again.
		clear(seen)
		for _, line := range lines {
			msgs, _ := s.latestInbox(line)
			for _, m := range msgs {
				seen[line+"/"+m.ID] = true
			}
		}
	}
	return out
}

// latestInbox lists the newest inbox messages of a line, newest first. It
// reads the node's database directly: the stream needs IDs and
// precedences, not the receipt ladders node.Messages builds for each
// message, and it runs on every change.
func (s *Server) latestInbox(line string) ([]newMessage, error) {
	rows, err := s.n.Store.Messages(line, s.n.Me(), false, watched)
	if err != nil {
		return nil, err
	}
	out := make([]newMessage, 0, len(rows))
	for _, e := range rows {
		out = append(out, newMessage{Line: line, ID: entry.ID(e.Author, e.Index), Author: e.Author, Precedence: e.Precedence})
	}
	return out, nil
}

func send(w http.ResponseWriter, rc *http.ResponseController, event string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
		return err
	}
	return rc.Flush()
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}
