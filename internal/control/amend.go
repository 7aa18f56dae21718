package control

import (
	"context"
	"errors"
	"fmt"

	"github.com/hotline-line/hotline/internal/node"
)

// Charter amendments: a step (a proposal, an acceptance, a refusal) and
// the list of a line's amendments with their state; the invitation of a
// party an amendment added, and opening a line from one.

func (l Local) Amend(ctx context.Context, r node.AmendRequest) (string, error) {
	return l.N.Amend(ctx, r)
}
func (l Local) Amendments(_ context.Context, line string) (*node.AmendmentsView, error) {
	return l.N.Amendments(line)
}

func (l Local) Invite(_ context.Context, line, party string) (*node.Invite, error) {
	return l.N.Invite(line, party)
}
func (l Local) Join(ctx context.Context, inv node.Invite) error { return l.N.Join(ctx, &inv) }

func dispatchAmend(ctx context.Context, api API, c *call) (any, error) {
	switch c.Method {
	case "invite":
		return api.Invite(ctx, c.Line, c.Peer)
	case "join":
		if c.Invite == nil {
			return nil, errors.New("join: no invitation")
		}
		return nil, api.Join(ctx, *c.Invite)
	case "amend":
		if c.Amend == nil {
			return nil, errors.New("amend: no step")
		}
		return api.Amend(ctx, *c.Amend)
	case "amendments":
		return api.Amendments(ctx, c.Line)
	}
	return nil, fmt.Errorf("unknown method %q", c.Method)
}

func (c *Client) Amend(ctx context.Context, r node.AmendRequest) (id string, err error) {
	err = c.do(ctx, &call{Method: "amend", Amend: &r}, &id)
	return
}
func (c *Client) Amendments(ctx context.Context, line string) (v *node.AmendmentsView, err error) {
	err = c.do(ctx, &call{Method: "amendments", Line: line}, &v)
	return
}
func (c *Client) Invite(ctx context.Context, line, party string) (inv *node.Invite, err error) {
	err = c.do(ctx, &call{Method: "invite", Line: line, Peer: party}, &inv)
	return
}
func (c *Client) Join(ctx context.Context, inv node.Invite) error {
	return c.do(ctx, &call{Method: "join", Invite: &inv}, nil)
}
