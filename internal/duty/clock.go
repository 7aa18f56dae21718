package duty

import (
	"context"
	"time"

	"github.com/hotline-line/hotline/internal/escalate"
)

// ClockSkew: a peer's clock, as measured on our exchanges, differs from
// ours by more than the charter's clock tolerance. Each side measures the
// other, so both raise it. Until the clocks agree, the times each side
// writes (sent, displayed, acknowledged) mislead the other, and entries
// dated ahead of the receiver's clock are refused.
const ClockSkew escalate.Kind = "clock_skew"

// clockAlerts raises clock_skew for each peer whose latest clock estimate
// (node.ClockOffsets) is skewed, with an ID stable across evaluations
// (kind:line:peer). It closes when a measurement finds the clocks within
// the tolerance again.
func (s *Source) clockAlerts(_ context.Context, l *lineInfo, now time.Time) ([]escalate.Alert, error) {
	offsets, err := s.n.ClockOffsets(l.ID)
	if err != nil {
		return nil, err
	}
	var out []escalate.Alert
	for _, peer := range l.Peers() {
		o, ok := offsets[peer]
		if !ok || !o.Skewed {
			continue
		}
		how := "measured " + utc(now, o.Measured) + " within ±" + o.Uncertainty.Round(100*time.Millisecond).String()
		if o.Bound {
			how = "found " + utc(now, o.Measured) + " when an entry was refused for a time ahead of the receiver's clock"
		}
		out = append(out, escalate.Alert{
			ID: string(ClockSkew) + ":" + l.ID + ":" + peer, Kind: ClockSkew,
			Line: l.ID, LineTitle: l.Title, Party: peer, Opened: o.Measured,
			Summary: peer + "'s clock is " + o.String() + " — beyond the charter's " + o.Tolerance.String(),
			Detail:  how + ": set the clock that is wrong (ours or " + peer + "'s) by a trusted time source; until then the times each side writes mislead the other, and the entries of the one ahead are refused",
		})
	}
	return out, nil
}
