package console

import (
	"fmt"
	"slices"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
)

// charterOf returns the charter of a line, read from the node's database
// once and then kept: a line's ID is the hash of its charter, so the
// charter of a line never changes.
func (s *Server) charterOf(line string) (*charter.Signed, error) {
	s.chMu.Lock()
	defer s.chMu.Unlock()
	if c := s.charters[line]; c != nil {
		return c, nil
	}
	lines, err := s.n.Store.Lines()
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		if l.ID != line {
			continue
		}
		c, err := charter.Parse(l.Charter)
		if err != nil {
			return nil, fmt.Errorf("charter of line %s: %w", line, err)
		}
		s.charters[line] = c
		return c, nil
	}
	return nil, fmt.Errorf("%w: %s", node.ErrNoLine, line)
}

// twoPerson lists the precedences the line's charter puts under two-person
// release, in the order of entry.Precedences.
func (s *Server) twoPerson(line string) ([]entry.Precedence, error) {
	c, err := s.charterOf(line)
	if err != nil {
		return nil, err
	}
	out := []entry.Precedence{}
	for _, p := range entry.Precedences {
		if slices.Contains(c.TwoPerson, p) {
			out = append(out, p)
		}
	}
	return out, nil
}
