package node

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/linestate"
	"github.com/hotline-line/hotline/internal/store"
)

// A node holds any number of lines, each with its own logs, links and
// state; they share the node's keys, database and direct listener, and
// nothing else: every entry names its line, and every check looks only at
// that line's logs.

// LineInfo is one line of the node as `hotline lines` lists it.
type LineInfo struct {
	ID        string              `json:"id"`
	Name      string              `json:"name,omitempty"`
	Title     string              `json:"title"`
	Parties   []string            `json:"parties"`
	Installed time.Time           `json:"installed"`
	Status    linestate.Status    `json:"status"`
	Refused   []linestate.Refusal `json:"refused,omitempty"` // notices that broke the rules and changed nothing
}

// LineInfos lists the node's lines in the order they were installed.
func (n *Node) LineInfos() ([]LineInfo, error) {
	n.mu.RLock()
	all := make([]*lineState, 0, len(n.lines))
	for _, ls := range n.lines {
		all = append(all, ls)
	}
	n.mu.RUnlock()
	slices.SortFunc(all, func(a, b *lineState) int {
		return cmp.Or(a.installed.Compare(b.installed), strings.Compare(a.id, b.id))
	})
	out := make([]LineInfo, 0, len(all))
	for _, ls := range all {
		st, refused, err := n.lineStatus(ls)
		if err != nil {
			return nil, err
		}
		out = append(out, LineInfo{ID: ls.id, Name: ls.rules().Name, Title: ls.charter.Title, Parties: ls.rules().Slugs(),
			Installed: ls.installed.UTC(), Status: st, Refused: refused})
	}
	return out, nil
}

// LineName is a line's ID and its charter's name: what a --line flag is
// matched against.
type LineName struct{ ID, Name string }

// PickLine returns the ID of the line that flag names, by its name or its
// ID; an empty flag names the only line. It is the one rule every command
// uses to choose a line.
func PickLine(lines []LineName, flag string) (string, error) {
	if flag == "" {
		switch len(lines) {
		case 0:
			return "", noLineYet{}
		case 1:
			return lines[0].ID, nil
		}
		return "", fmt.Errorf("this node has %d lines: name one with --line (hotline lines lists them)", len(lines))
	}
	var named []string
	for _, l := range lines {
		if l.ID == flag {
			return l.ID, nil
		}
		if l.Name == flag {
			named = append(named, l.ID)
		}
	}
	switch len(named) {
	case 0:
		return "", fmt.Errorf("%w: %q is neither the name nor the ID of a line of this node (hotline lines lists them)", ErrNoLine, flag)
	case 1:
		return named[0], nil
	}
	slices.Sort(named)
	return "", fmt.Errorf("%w: %d lines are named %s (%s): name one by its ID", ErrAmbiguousLine, len(named), flag, strings.Join(named, ", "))
}

// ErrAmbiguousLine means a --line name is carried by more than one line of
// this node: each line's name is unique where it was given, but a peer's
// amendment may rename a line to a name another line here already has.
// Picking either could send a message on the wrong line, so neither is.
var ErrAmbiguousLine = errors.New("ambiguous line name")

// noLineYet is ErrNoLine on a node with no line: a line proposed, even
// signed by some, opens on a node only when it accepts the charter every
// party has signed.
type noLineYet struct{}

func (noLineYet) Error() string {
	return "this node has no open line yet: a proposed line opens here when this node runs hotline line accept on the charter every party has signed"
}

func (noLineYet) Is(target error) bool { return target == ErrNoLine }

// ResolveLine returns the ID of the line flag names (see PickLine).
func (n *Node) ResolveLine(flag string) (string, error) {
	n.mu.RLock()
	names := make([]LineName, 0, len(n.lines))
	for _, ls := range n.lines {
		names = append(names, LineName{ls.id, ls.rules().Name})
	}
	n.mu.RUnlock()
	return PickLine(names, flag)
}

// ResolveStoredLine is ResolveLine for a command that reads the database
// beside a running node.
func ResolveStoredLine(st *store.Store, flag string) (string, error) {
	rows, err := st.Lines()
	if err != nil {
		return "", err
	}
	names := make([]LineName, 0, len(rows))
	for _, r := range rows {
		c, err := charter.Parse(r.Charter)
		if err != nil {
			return "", fmt.Errorf("line %s: stored charter: %w", r.ID, err)
		}
		// The name may have been changed by an amendment. Without the
		// node's party at hand, our own acceptance counts at once rather
		// than when the peers have cosigned it.
		rules, err := storedRules(st, r.ID, c.Charter, "")
		if err != nil {
			return "", err
		}
		names = append(names, LineName{r.ID, rules.Name})
	}
	return PickLine(names, flag)
}

// ErrNameTaken means the node already has a line of that name: names are
// what --line takes, so they are unique on a node.
var ErrNameTaken = errors.New("this node already has a line of that name")

// checkName refuses a charter whose name another line of the node holds.
func (n *Node) checkName(c *charter.Signed) error {
	if c.Name == "" {
		return nil
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, ls := range n.lines {
		if ls.rules().Name == c.Name && ls.id != c.ID() {
			return fmt.Errorf("%w: %s is line %s", ErrNameTaken, c.Name, ls.id)
		}
	}
	return nil
}

// maxNotices bounds the notices read to decide a line's state: every one
// a line can hold (checkRuleQuota), so none falls out of the fold.
var maxNotices = foldLimit(entry.KindNotice)

// lineStatus decides the state of a line from the notices this node holds.
func (n *Node) lineStatus(ls *lineState) (linestate.Status, []linestate.Refusal, error) {
	rows, err := n.Store.EntriesByKind(ls.id, entry.KindNotice, maxNotices)
	if err != nil {
		return linestate.Status{}, nil, err
	}
	notices := make([]linestate.Notice, len(rows))
	for i, e := range rows {
		notices[i] = linestate.Read(ls.id, e.Author, e.Index, ms(e.Time), e.Body, e.BodyError)
	}
	st, refused := linestate.Fold(notices)
	return st, refused, nil
}

// LineState returns the state of line by the notices this node holds.
func (n *Node) LineState(line string) (linestate.Status, error) {
	ls, err := n.line(line)
	if err != nil {
		return linestate.Status{}, err
	}
	st, _, err := n.lineStatus(ls)
	return st, err
}

// closed reports whether a line is closed: it then asks for no more link
// tests or roll-calls, so none is overdue or missed.
func (n *Node) closed(ls *lineState) (bool, error) {
	st, _, err := n.lineStatus(ls)
	return st.State == entry.LineClosed, err
}

// admit refuses a new entry the line's state does not allow (see
// linestate.Admit).
func (n *Node) admit(ls *lineState, kind entry.Kind, p entry.Precedence, despite bool) error {
	st, _, err := n.lineStatus(ls)
	if err != nil {
		return err
	}
	return linestate.Admit(st, kind, p, despite)
}

// SetLineState writes a notice that puts line into state, given by
// officer for reason, and returns its entry ID. The notice must be one the
// rules accept now (linestate.Next): a reopen by a party that did not
// suspend, or any notice on a closed line, is refused and nothing is
// written.
func (n *Node) SetLineState(ctx context.Context, line string, state entry.LineState, reason, officer string) (string, error) {
	ls, err := n.line(line)
	if err != nil {
		return "", err
	}
	body := entry.Notice{Line: ls.id, State: state, Reason: reason, Officer: officer}
	if err := body.Validate(ls.id); err != nil {
		return "", err
	}
	raw, _ := json.Marshal(body)
	d, err := n.sealDraft(ls, entry.KindNotice, raw)
	if err != nil {
		return "", err
	}
	d.officer = officer
	// One notice at a time: the check reads committed notices, so two
	// racing notices must not both pass it.
	n.noticeMu.Lock()
	defer n.noticeMu.Unlock()
	cur, _, err := n.lineStatus(ls)
	if err != nil {
		return "", err
	}
	me := ls.me
	if _, err := linestate.Next(cur, linestate.Notice{ID: "this notice", Author: me, Time: n.now(), Body: &body}); err != nil {
		return "", err
	}
	return n.writeOne(ctx, ls, d)
}

// fillState puts the line's state into a status report.
func (n *Node) fillState(ls *lineState, st *LineStatus) error {
	s, refused, err := n.lineStatus(ls)
	if err != nil {
		return err
	}
	st.State, st.Name, st.Refused = string(s.State), ls.rules().Name, refused
	if s.Notice != "" {
		st.Notice = &s
	}
	return nil
}

// LineNotices is what LineStatus says of the line's name and state:
// Notice is the notice that set the state (who, when, why), and Refused
// the notices that broke the rules and changed nothing.
type LineNotices struct {
	Name    string              `json:"name,omitempty"`
	Notice  *linestate.Status   `json:"notice,omitempty"`
	Refused []linestate.Refusal `json:"refused,omitempty"`
}
