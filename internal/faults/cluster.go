// Package faults puts a real hotline line through network and process
// faults. It runs on [cluster.Cluster] with fault routes: two "hotline
// serve" processes and a "hotline relay serve" process, each route behind
// a [faultproxy.Proxy], so any route can be blackholed, refused, delayed
// or made lossy while the nodes run; processes are SIGKILLed and
// restarted; a data directory can sit on a small tmpfs to fill the disk.
//
// Every scenario ends with the same invariants ([Cluster.Check]): each
// message whose "hotline send" printed an ID is in the other party's inbox
// exactly once and in author order, both sides agree on the size of each
// log with nothing pending, no evidence was kept against anyone, and each
// side's exported transcript verifies with every cosignature.
//
// The fault suite (go test ./internal/faults), the fault soak ([Soak],
// go run ./cmd/hotline-soak -faults) and the route benchmark ([Bench],
// go run ./cmd/hotline-soak -routes) are built on it.
package faults

import (
	"context"

	"github.com/hotline-line/hotline/internal/cluster"
)

// Cluster is a line with fault routes, and the ledger of what each party
// sent.
type Cluster struct {
	*cluster.Cluster
	Parties [2]*Party
}

// NewCluster creates the relay and both parties in o.Root, with fault
// routes, and pairs them; nothing runs yet (see Start).
func NewCluster(ctx context.Context, o cluster.Options) (*Cluster, error) {
	o.FaultRoutes = true
	cc, err := cluster.New(ctx, o)
	if err != nil {
		return nil, err
	}
	return Wrap(cc), nil
}

// Wrap keeps the ledger of what each party of cc sends. cc must have been
// made with Options.FaultRoutes.
func Wrap(cc *cluster.Cluster) *Cluster {
	c := &Cluster{Cluster: cc}
	for i, p := range cc.Parties {
		c.Parties[i] = &Party{Party: p, c: c}
	}
	return c
}

// Peer returns the other party.
func (c *Cluster) Peer(p *Party) *Party {
	if p == c.Parties[0] {
		return c.Parties[1]
	}
	return c.Parties[0]
}
