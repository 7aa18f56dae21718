package console

import (
	"slices"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
)

// charterOf returns the charter in force on a line.
func (s *Server) charterOf(line string) (*charter.Charter, error) {
	l, err := s.n.ReadLine(line)
	if err != nil {
		return nil, err
	}
	return l.Rules(), nil
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
