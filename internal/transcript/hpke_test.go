package transcript_test

import (
	"crypto/hpke"

	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/node"
)

func beijingHPKE(n *node.Node) (map[string]hpke.PublicKey, error) {
	pk, err := identity.KEM().NewPublicKey(n.Keys.HPKEPublicKey())
	if err != nil {
		return nil, err
	}
	return map[string]hpke.PublicKey{n.Me(): pk}, nil
}
