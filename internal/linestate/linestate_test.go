package linestate_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/linestate"
)

var t0 = time.Date(2017, 1, 9, 0, 0, 0, 0, time.UTC)

// notice makes a notice by author at minute min of its log entry index.
func notice(author string, index uint64, min int, state entry.LineState) linestate.Notice {
	return linestate.Notice{ID: entry.ID(author, index), Author: author, Index: index, Time: t0.Add(time.Duration(min) * time.Minute),
		Body: &entry.Notice{State: state, Reason: "r " + entry.ID(author, index), Officer: "officer of " + author}}
}

func TestFold(t *testing.T) {
	unreadable := notice("beijing", 3, 1, entry.LineSuspended)
	unreadable.Err = entry.ErrNoticeOtherLine
	tests := []struct {
		name    string
		notices []linestate.Notice
		state   entry.LineState
		by      string
		refused []error // in time order
	}{
		{"no notice", nil, entry.LineOpen, "", nil},
		{"suspended", []linestate.Notice{notice("seoul", 4, 1, entry.LineSuspended)}, entry.LineSuspended, "seoul", nil},
		{"suspended and reopened by the suspender", []linestate.Notice{
			notice("seoul", 4, 1, entry.LineSuspended), notice("seoul", 9, 5, entry.LineOpen)}, entry.LineOpen, "seoul", nil},
		{"given out of order, taken by time", []linestate.Notice{
			notice("seoul", 9, 5, entry.LineOpen), notice("seoul", 4, 1, entry.LineSuspended)}, entry.LineOpen, "seoul", nil},
		{"reopen by a party that did not suspend", []linestate.Notice{
			notice("beijing", 2, 1, entry.LineSuspended), notice("seoul", 3, 2, entry.LineOpen)},
			entry.LineSuspended, "beijing", []error{linestate.ErrNotSuspender}},
		{"reopen of an open line", []linestate.Notice{notice("seoul", 3, 2, entry.LineOpen)},
			entry.LineOpen, "", []error{linestate.ErrAlreadyInState}},
		{"suspend twice", []linestate.Notice{
			notice("beijing", 2, 1, entry.LineSuspended), notice("seoul", 3, 2, entry.LineSuspended)},
			entry.LineSuspended, "beijing", []error{linestate.ErrAlreadyInState}},
		{"any party closes a suspended line", []linestate.Notice{
			notice("beijing", 2, 1, entry.LineSuspended), notice("seoul", 3, 2, entry.LineClosed)}, entry.LineClosed, "seoul", nil},
		{"a closed line stays closed", []linestate.Notice{
			notice("seoul", 3, 2, entry.LineClosed), notice("seoul", 4, 3, entry.LineOpen), notice("beijing", 5, 4, entry.LineSuspended)},
			entry.LineClosed, "seoul", []error{linestate.ErrClosed, linestate.ErrClosed}},
		{"same time: ordered by author", []linestate.Notice{
			notice("seoul", 3, 1, entry.LineClosed), notice("beijing", 3, 1, entry.LineSuspended)},
			entry.LineClosed, "seoul", nil},
		{"an unreadable notice changes nothing", []linestate.Notice{unreadable}, entry.LineOpen, "", []error{entry.ErrNoticeOtherLine}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, refused := linestate.Fold(tt.notices)
			if st.State != tt.state || st.By != tt.by {
				t.Fatalf("state %s by %q, want %s by %q", st.State, st.By, tt.state, tt.by)
			}
			if len(refused) != len(tt.refused) {
				t.Fatalf("refused %+v, want %d refusals", refused, len(tt.refused))
			}
			for i, want := range tt.refused {
				// Refusals carry the error's text; Next gives the error.
				if !strings.Contains(refused[i].Error, want.Error()) {
					t.Errorf("refusal %d: %q, want %v", i, refused[i].Error, want)
				}
			}
			if st.By != "" && (st.Notice == "" || st.Officer == "" || st.Reason == "" || st.Since.IsZero()) {
				t.Errorf("state set by %s without its notice: %+v", st.By, st)
			}
		})
	}
}

func TestNextErrors(t *testing.T) {
	susp, err := linestate.Next(linestate.Open, notice("beijing", 1, 1, entry.LineSuspended))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := linestate.Next(susp, notice("seoul", 1, 2, entry.LineOpen)); !errors.Is(err, linestate.ErrNotSuspender) {
		t.Errorf("reopen by another party: %v, want ErrNotSuspender", err)
	}
	closed, err := linestate.Next(susp, notice("seoul", 1, 2, entry.LineClosed))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := linestate.Next(closed, notice("seoul", 2, 3, entry.LineClosed)); !errors.Is(err, linestate.ErrClosed) {
		t.Errorf("notice on a closed line: %v, want ErrClosed", err)
	}
}

func TestAdmit(t *testing.T) {
	suspended := linestate.Status{State: entry.LineSuspended, By: "beijing", Reason: "exchanges halted"}
	closed := linestate.Status{State: entry.LineClosed, By: "seoul", Reason: "superseded"}
	tests := []struct {
		name    string
		s       linestate.Status
		kind    entry.Kind
		p       entry.Precedence
		despite bool
		want    error
	}{
		{"open routine", linestate.Open, entry.KindMessage, entry.Routine, false, nil},
		{"suspended flash", suspended, entry.KindMessage, entry.Flash, false, nil},
		{"suspended immediate", suspended, entry.KindMessage, entry.Immediate, false, nil},
		{"suspended priority", suspended, entry.KindMessage, entry.Priority, false, linestate.ErrSuspended},
		{"suspended routine", suspended, entry.KindMessage, entry.Routine, false, linestate.ErrSuspended},
		{"suspended routine, despite", suspended, entry.KindMessage, entry.Routine, true, nil},
		{"suspended link test", suspended, entry.KindLinkTest, "", false, nil},
		{"suspended roll-call", suspended, entry.KindRollCall, "", false, nil},
		{"closed flash", closed, entry.KindMessage, entry.Flash, false, linestate.ErrClosed},
		{"closed despite", closed, entry.KindMessage, entry.Routine, true, linestate.ErrClosed},
		{"closed link test", closed, entry.KindLinkTest, "", false, linestate.ErrClosed},
		{"closed roll-call", closed, entry.KindRollCall, "", false, linestate.ErrClosed},
		{"closed ack", closed, entry.KindAck, "", false, nil},
		{"closed displayed", closed, entry.KindDisplayed, "", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := linestate.Admit(tt.s, tt.kind, tt.p, tt.despite); !errors.Is(err, tt.want) {
				t.Fatalf("Admit: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestAt(t *testing.T) {
	notices := []linestate.Notice{
		notice("beijing", 2, 10, entry.LineSuspended),
		notice("seoul", 3, 12, entry.LineOpen), // refused: not the suspender
		notice("beijing", 4, 20, entry.LineOpen),
		notice("seoul", 5, 30, entry.LineClosed),
	}
	for _, tt := range []struct {
		min  int
		want entry.LineState
	}{{0, entry.LineOpen}, {10, entry.LineSuspended}, {15, entry.LineSuspended}, {20, entry.LineOpen}, {29, entry.LineOpen}, {30, entry.LineClosed}, {90, entry.LineClosed}} {
		if got := linestate.At(notices, t0.Add(time.Duration(tt.min)*time.Minute)); got.State != tt.want {
			t.Errorf("at minute %d: %s, want %s", tt.min, got.State, tt.want)
		}
	}
}
