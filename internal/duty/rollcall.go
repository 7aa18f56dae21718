package duty

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/node"
)

// rollCallAlerts raises the roll-call alerts of a line, from
// node.RollCalls, each with an ID stable across evaluations
// (kind:line:party:slot):
//
//   - rollcall_pending, owed: our officer on duty has not yet confirmed
//     presence in the current slot; the chain's first step is the ask;
//   - rollcall_missed, owed: our latest closed slot ended with no
//     confirmation in time; it closes with the next confirmation;
//   - peer_rollcall_missed: a peer's slot ended with no confirmation from
//     its officer, a party whose terminal may answer but whose people do
//     not.
func (s *Source) rollCallAlerts(_ context.Context, l *lineInfo, now time.Time) ([]escalate.Alert, error) {
	if l.Rules().RollCall == nil {
		return nil, nil
	}
	views, err := s.n.RollCalls(l.ID)
	if errors.Is(err, node.ErrNoRollCall) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []escalate.Alert
	for _, v := range views {
		base := escalate.Alert{Line: l.ID, LineTitle: l.Title, Party: v.Party, Owed: v.Party == l.Me}
		last := "never confirmed"
		if !v.Last.IsZero() {
			last = "last confirmed " + utc(now, v.Last) + " by " + v.Officer
		}
		if v.Party == l.Me && v.Pending {
			a := base
			a.Kind = escalate.RollCallPending
			a.ID = rollCallID(a.Kind, l.ID, v.Party, v.Slot)
			a.Summary = "roll-call: confirm that a person is on watch by " + utc(now, v.AnswerBy)
			a.Detail = last
			a.Deadline, a.Opened = v.AnswerBy, v.Slot
			out = append(out, a)
		}
		// A late answer leaves the slot missed but shows a person is there
		// now: the alert closes.
		if !v.MissOpen {
			continue
		}
		a := base
		a.ID = rollCallID(escalate.RollCallMissed, l.ID, v.Party, v.MissedSlot)
		a.Deadline, a.Opened = v.MissedSlot, v.MissedSlot
		if v.Party == l.Me {
			a.Kind = escalate.RollCallMissed
			a.Summary = "our roll-call of " + utc(now, v.MissedSlot) + " was missed: confirm that a person is on watch"
			a.Detail = last
		} else {
			a.Kind = escalate.PeerRollCallMissed
			a.ID = rollCallID(a.Kind, l.ID, v.Party, v.MissedSlot)
			a.Summary = v.Party + " missed its roll-call of " + utc(now, v.MissedSlot) + ": no person there confirmed presence"
			a.Detail = last + "; their terminal may still answer (see its routes)"
		}
		out = append(out, a)
	}
	return out, nil
}

func rollCallID(k escalate.Kind, line, party string, slot time.Time) string {
	return string(k) + ":" + line + ":" + party + ":" + strconv.FormatInt(slot.UnixMilli(), 10)
}
