package node

import (
	"crypto/ed25519"
	"crypto/tls"
	"slices"

	"github.com/hotline-line/hotline/internal/identity"
)

// The TLS keys of the direct route across a key rotation (protocol §32).
// A peer admits our new TLS key only once it holds the key entry that
// names it, and our old one until then (or, after a compromise
// declaration, never again): so we show each peer the newest key it is
// known to hold, by the size of our log it has cosigned.

// ClientCertificate is the certificate to present when dialing peer: that
// of the newest keys of ours peer is known to hold on every line it is a
// party of, by the size of our log it has cosigned there.
func (n *Node) ClientCertificate(peer string) (*tls.Certificate, error) {
	return n.certificate(n.keysHeld(func(p string) bool { return p == peer }))
}

// ServerCertificate is the certificate the direct listener presents,
// before it knows who dials: that of the newest keys every peer is known
// to hold. A peer that holds newer keys of ours still admits these,
// unless they were declared compromised; it then reaches us only when we
// dial it (ClientCertificate).
func (n *Node) ServerCertificate() (*tls.Certificate, error) {
	return n.certificate(n.keysHeld(func(string) bool { return true }))
}

// keysHeld are the newest of our keys that every peer for which which is
// true holds on every line it is in force on.
func (n *Node) keysHeld(which func(peer string) bool) *identity.Keys {
	n.mu.RLock()
	lines := make([]*lineState, 0, len(n.lines))
	for _, ls := range n.lines {
		lines = append(lines, ls)
	}
	n.mu.RUnlock()
	n.signers.mu.RLock()
	all := n.signers.all
	n.signers.mu.RUnlock()
	oldest := len(all) - 1
	for _, ls := range lines {
		for _, p := range ls.peers() {
			if !which(p) {
				continue
			}
			if i := slices.Index(all, n.keysHeldBy(ls, p)); i >= 0 && i < oldest {
				oldest = i
			}
		}
	}
	return all[oldest]
}

// PeerTLSKeys are the TLS keys peer may present on any line it is in
// force on: its card's and those its key entries put in place
// (verify.Keyring.TLSKeys).
func (n *Node) PeerTLSKeys(peer string) []ed25519.PublicKey {
	n.mu.RLock()
	defer n.mu.RUnlock()
	var out []ed25519.PublicKey
	for _, ls := range n.lines {
		if ls.isPeer(peer) {
			out = append(out, ls.keys.TLSKeys(peer)...)
		}
	}
	return out
}

// keysHeldBy are our keys in force at the size of our log on ls that
// peer has cosigned; the newest keys if this node holds no others.
func (n *Node) keysHeldBy(ls *lineState, peer string) *identity.Keys {
	own := ls.log(ls.me)
	own.mu.Lock()
	size := own.receipts[peer]
	own.mu.Unlock()
	k, err := n.signerFor(ls.keys.LogKeyAt(ls.me, size))
	if err != nil {
		return n.current()
	}
	return k
}

// certificate is the self-signed certificate of k's TLS key, made once.
func (n *Node) certificate(k *identity.Keys) (*tls.Certificate, error) {
	id := string(k.TLSPublicKey())
	if c, ok := n.signers.certs.Load(id); ok {
		return c.(*tls.Certificate), nil
	}
	c, err := k.TLSCertificate()
	if err != nil {
		return nil, err
	}
	n.signers.certs.Store(id, &c)
	return &c, nil
}
