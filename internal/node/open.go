package node

import (
	"crypto/hpke"
	"fmt"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/seal"
	"github.com/hotline-line/hotline/internal/wire"
)

// openBody opens the envelope of an entry of a peer's segment (es, from
// index start). A version 2 body names the entry that carries its epoch's
// encapsulation: an earlier entry of the same segment (a catch-up in
// bulk), or one already stored. The epoch's secret is then remembered in
// n.epochs, in memory only: after a restart it is opened again from the
// stored envelope, so no secret is ever written to disk.
func (n *Node) openBody(ls *lineState, l *entry.Leaf, envelope []byte, start uint64, es []wire.Entry) (salt, body []byte, err error) {
	carrier := func(i uint64) ([]byte, error) {
		if i >= start {
			if i-start < uint64(len(es)) {
				return es[i-start].Envelope, nil
			}
			return nil, fmt.Errorf("%w: entry %d lies beyond the segment", seal.ErrEpochMissing, i)
		}
		e, err := n.Store.Entry(ls.id, l.Author, i)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: %v", seal.ErrEpochMissing, i, err)
		}
		return e.Envelope, nil
	}
	type opened struct{ salt, body []byte }
	o, err := openWithAny(n, func(priv hpke.PrivateKey) (opened, error) {
		salt, body, err := ls.keys.OpenBodyAt(l, envelope, ls.me, priv, &n.epochs, carrier)
		return opened{salt, body}, err
	})
	return o.salt, o.body, err
}
