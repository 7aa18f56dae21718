package node

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/notice"
)

// ErrUnknownTemplate means a notice names a template the line's charter
// does not have: list the charter's with hotline templates.
var ErrUnknownTemplate = errors.New("no such template in the line's charter")

// fillForm reads a notice's field values against its template in the
// charter: the form to write, every value canonical, or an error naming
// the field at fault.
func fillForm(set notice.Set, req *entry.Form) (*entry.Form, error) {
	t := set.Find(req.Template)
	if t == nil {
		return nil, fmt.Errorf("template %.40q: %w (it has: %s)", req.Template, ErrUnknownTemplate, strings.Join(set.IDs(), ", "))
	}
	return t.Fill(req.Fields)
}

// formView is a received form with its template from the charter, for a
// reader to label in its own language. A form that does not fit its
// template is shown with the reason.
func formView(set notice.Set, f *entry.Form) (*notice.Template, string) {
	t, err := set.Check(f)
	if err != nil {
		return t, err.Error()
	}
	return t, ""
}

// FillForm checks a notice's field values against its template in line's
// charter, as Send does, without writing anything: the console refuses a
// bad form with the field at fault before it saves or sends anything.
func (n *Node) FillForm(line string, req *entry.Form) (*entry.Form, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	return fillForm(ls.rules().Templates, req)
}

// checkReceivedForm is the receiver's check of a peer's notice: its form
// must fit a template of the line's charter, every value in canonical
// form, as Send would have written it. A form that does not is refused as
// the message's body error, as an undecodable body is. sets are the
// templates of the charter in force when the notice was signed and of the
// one in force now: the sender may have counted an amendment in force a
// round trip before this node did, and the form fits if it fits either.
func checkReceivedForm(f *entry.Form, sets ...notice.Set) error {
	if f == nil {
		return nil
	}
	var err error
	for _, set := range sets {
		if _, err = set.Check(f); err == nil {
			return nil
		}
	}
	return fmt.Errorf("notice refused: %w", err)
}
