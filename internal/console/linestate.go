package console

import (
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
)

// A line's state (open, suspended, closed) is the node's to decide, by
// package linestate's one rule; the console only shows it, on the board
// and in each line's header, with who set it, when and why. The officer's
// name, the reason and a refused notice's error come from whichever party
// gave the notice, so they are made visible here as message text is.

// visibleNotices makes the state notice and the refused notices of a
// line visible.
func visibleNotices(ln *node.LineNotices) {
	if ln.Notice != nil {
		st := *ln.Notice
		st.Officer, st.Reason = inert.Text(st.Officer), inert.Text(st.Reason)
		ln.Notice = &st
	}
	for i := range ln.Refused {
		ln.Refused[i].Error = inert.Text(ln.Refused[i].Error)
	}
}
