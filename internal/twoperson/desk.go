// Package twoperson is two-person release. Where a line's charter puts a
// precedence under two-person release, a message of that precedence waits
// as a draft (in officers.db) until a second officer releases it, and the
// node then writes it signed with both names, or rejects it with a reason.
//
// [Desk] is the one place drafts are saved, released, rejected and
// settled after a crash. The web console and the hotline command (directly
// or over the control socket of hotline serve) both go through it, so the
// rules are the same from either: a draft is released at most once however
// many officers release it at the same moment ([officer.Store.ClaimRelease]),
// never by its drafter ([entry.SameOfficer], the rule node.Send enforces
// too), and only by an officer whose role releases.
//
// It is a package of its own, not part of officer, because releasing
// writes to the node: officer keeps accounts and stays free of the node.
package twoperson

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"github.com/hotline-line/hotline/internal/broadcast"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
)

// Desk saves, releases and rejects the drafts of one node.
type Desk struct {
	n       *node.Node
	off     *officer.Store
	log     *slog.Logger
	changed broadcast.Signal
}

// ErrNotReleaser means the officer's role does not release or reject
// drafts: give the account the releaser or admin role.
var ErrNotReleaser = errors.New("only an officer with the releaser or admin role releases or rejects drafts")

// Releasers are the roles that release and reject drafts.
var Releasers = []officer.Role{officer.Releaser, officer.Admin}

// Open returns the desk of node n, whose drafts are in off, and settles
// the releases a crash interrupted. Only one process at a time releases a
// node's drafts (the one that holds the node open), and it calls Open
// once, before any release is in flight.
func Open(ctx context.Context, n *node.Node, off *officer.Store, log *slog.Logger) *Desk {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Desk{n: n, off: off, log: log.With("component", "twoperson")}
	d.settle(ctx)
	return d
}

// Changed returns a channel closed at the next change to any draft.
func (d *Desk) Changed() <-chan struct{} { return d.changed.Wait() }

// Save stores a message as a pending draft. The caller has validated the
// message and found that its precedence needs release; the drafter must
// be an officer.
func (d *Desk) Save(ctx context.Context, dr officer.Draft) (*officer.Draft, error) {
	saved, err := d.off.AddDraft(ctx, dr)
	if err != nil {
		return nil, err
	}
	d.changed.Fire()
	d.record(ctx, officer.Act{Officer: saved.Drafter, Act: "draft", Line: saved.Line,
		Detail: fmt.Sprintf("draft %d %s", saved.ID, saved.Precedence)})
	d.log.Info("draft saved for release", "officer", saved.Drafter, "line", saved.Line, "draft", saved.ID, "precedence", saved.Precedence)
	return saved, nil
}

// Drafts lists drafts, newest first.
func (d *Desk) Drafts(ctx context.Context, q officer.DraftQuery) ([]officer.Draft, error) {
	return d.off.Drafts(ctx, q)
}

// Released is a released draft and the ID of the message written.
type Released struct {
	Message string        `json:"message"`
	Draft   officer.Draft `json:"draft"`
}

// Release writes a draft's message with the drafter's and releaser's
// names. The claim in officers.db makes it happen at most once; the
// message's idempotency key makes a retried release send once.
func (d *Desk) Release(ctx context.Context, line string, id int64, releaser string) (*Released, error) {
	if err := d.mayDecide(ctx, releaser); err != nil {
		return nil, err
	}
	dr, err := d.off.ClaimRelease(ctx, line, id, releaser)
	if err != nil {
		return nil, decided(err, dr)
	}
	d.changed.Fire()
	// From here the draft is ours to settle, whatever the caller does.
	ctx = context.WithoutCancel(ctx)
	msg, err := d.n.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Precedence(dr.Precedence), Lang: dr.Lang,
		Text: dr.Text, ReplyTo: dr.ReplyTo, Officer: dr.Drafter, ReleasedBy: releaser, Key: releaseKey(dr)})
	if err != nil {
		// node.Send fails only before it writes anything.
		if aerr := d.off.AbandonRelease(ctx, id); aerr != nil {
			d.log.Error("release failed and the draft could not be put back", "draft", id, "err", aerr)
		}
		d.changed.Fire()
		return nil, err
	}
	if err := d.off.FinishRelease(ctx, id, msg); err != nil {
		// The message is written; the next start settles the draft.
		d.log.Error("released, but the draft was not marked", "draft", id, "message", msg, "err", err)
	}
	d.changed.Fire()
	d.record(ctx, officer.Act{Officer: releaser, Act: "release", Line: line, Message: msg,
		Detail: fmt.Sprintf("draft %d by %s", id, dr.Drafter)})
	d.log.Info("draft released", "officer", releaser, "drafter", dr.Drafter, "line", line, "draft", id, "message", msg)
	if dr, err = d.off.Draft(ctx, line, id); err != nil {
		return nil, err
	}
	return &Released{Message: msg, Draft: *dr}, nil
}

// Reject decides a pending draft against sending, with a reason its
// drafter sees. Its drafter may reject it too (withdrawing it), if its
// role releases.
func (d *Desk) Reject(ctx context.Context, line string, id int64, by, reason string) (*officer.Draft, error) {
	if err := d.mayDecide(ctx, by); err != nil {
		return nil, err
	}
	dr, err := d.off.Reject(ctx, line, id, by, reason)
	if err != nil {
		return nil, decided(err, dr)
	}
	d.changed.Fire()
	d.record(ctx, officer.Act{Officer: by, Act: "reject", Line: line,
		Detail: fmt.Sprintf("draft %d by %s: %s", id, dr.Drafter, reason)})
	d.log.Info("draft rejected", "officer", by, "drafter", dr.Drafter, "line", line, "draft", id)
	return dr, nil
}

// DecidedError is ErrDecided with the draft as it stands: who decided it
// first, and how.
type DecidedError struct {
	Draft officer.Draft
}

func (e *DecidedError) Error() string {
	msg := fmt.Sprintf("%v: draft %d was %s", officer.ErrDecided, e.Draft.ID, e.Draft.State)
	if e.Draft.DecidedBy != "" {
		msg += " by " + e.Draft.DecidedBy
	}
	return msg
}

func (e *DecidedError) Unwrap() error { return officer.ErrDecided }

// decided turns ErrDecided into a DecidedError that says who came first.
func decided(err error, dr *officer.Draft) error {
	if errors.Is(err, officer.ErrDecided) && dr != nil {
		return &DecidedError{Draft: *dr}
	}
	return err
}

// mayDecide checks that name is an officer whose role releases.
func (d *Desk) mayDecide(ctx context.Context, name string) error {
	list, err := d.off.List(ctx)
	if err != nil {
		return err
	}
	for _, o := range list {
		if o.Name != name {
			continue
		}
		if !slices.Contains(Releasers, o.Role) {
			return fmt.Errorf("%w (%s is %s)", ErrNotReleaser, name, o.Role)
		}
		return nil
	}
	return fmt.Errorf("%w: %s", officer.ErrNoOfficer, name)
}

func (d *Desk) record(ctx context.Context, a officer.Act) {
	if err := d.off.Record(ctx, a); err != nil {
		d.log.Error("record act", "act", a.Act, "officer", a.Officer, "err", err)
	}
}

// settle finishes the releases a crash interrupted: drafts left in
// releasing. If the node's log holds the message (same text, same two
// officers), the draft is released; if not, it is pending again.
func (d *Desk) settle(ctx context.Context) {
	left, err := d.off.Releasing(ctx)
	if err != nil {
		d.log.Error("settle interrupted releases", "err", err)
		return
	}
	for _, dr := range left {
		msg, err := d.releasedAs(dr)
		if err == nil && msg != "" {
			err = d.off.FinishRelease(ctx, dr.ID, msg)
		} else if err == nil {
			err = d.off.AbandonRelease(ctx, dr.ID)
		}
		if err != nil {
			d.log.Error("settle interrupted release", "draft", dr.ID, "err", err)
			continue
		}
		d.log.Warn("settled an interrupted release", "draft", dr.ID, "message", msg)
	}
}

// releasedAs finds the message a draft was released as among the line's
// latest outgoing messages; "" if none. The node was down since, so the
// message, if written, is among the last few.
func (d *Desk) releasedAs(dr officer.Draft) (string, error) {
	msgs, err := d.n.Messages(dr.Line, true, 50)
	if errors.Is(err, node.ErrNoLine) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, m := range msgs {
		if m.Officer == dr.Drafter && m.ReleasedBy == dr.DecidedBy && m.Text == dr.Text && m.Lang == dr.Lang &&
			string(m.Precedence) == dr.Precedence && m.ReplyTo == dr.ReplyTo {
			return m.ID, nil
		}
	}
	return "", nil
}

// releaseKey is the idempotency key of a draft's release: a release
// retried after the node lost its answer sends once. The creation time
// keeps it unique should officers.db ever start its numbering again.
func releaseKey(dr *officer.Draft) string {
	return "draft-" + strconv.FormatInt(dr.ID, 10) + "-" + strconv.FormatInt(dr.Created.UnixMilli(), 10)
}
