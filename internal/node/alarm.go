package node

import (
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/store"
)

// alarming reports whether committing e may open or close an alert at
// once, so that whoever follows the alerts (the escalation engine) must
// look now rather than at its next evaluation:
//
//   - a FLASH or IMMEDIATE message: a peer's is owed an acknowledgement
//     from its arrival, and ours may have deadlines shorter than the
//     engine's period;
//   - a reply closes the reply owed on the message it answers;
//   - anything but a message (an acknowledgement or display mark, a notice,
//     an amendment, a key, a roll call, a link test) closes or changes
//     alerts, and is rare.
//
// A ROUTINE or PRIORITY message that answers nothing and a translation
// open alerts only at their deadlines, which the engine learns at its next
// evaluation: they never wake it, so that everyday traffic costs
// escalation nothing on the path of a message.
func alarming(e *store.Entry) bool {
	switch e.Kind {
	case entry.KindMessage:
		return e.Ref != "" || e.Precedence.Urgent()
	case entry.KindTranslation:
		return false
	}
	return true
}

// noteAlarming marks the group being written as one that may open or
// close an alert (see alarming); commit tells Alarming's waiters once it is
// on disk.
func (n *Node) noteAlarming(e *store.Entry) {
	if alarming(e) {
		n.alarmDue.Store(true)
	}
}

// Alarming returns a channel closed at the next commit that may open or
// close an alert at once: an urgent message, a reply, an
// acknowledgement and the other entries alarming names. The escalation
// engine waits on it to evaluate without delay; it learns every other
// change at its next evaluation. Callers wait on it, then call Alarming
// again.
func (n *Node) Alarming() <-chan struct{} { return n.alarm.Wait() }
