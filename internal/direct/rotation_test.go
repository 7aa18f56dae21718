package direct_test

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/direct"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/wire"
)

// serverKey is the TLS key p's listener presents to a client showing cert.
func serverKey(t *testing.T, p *party, cert tls.Certificate) ed25519.PublicKey {
	t.Helper()
	c, err := tls.Dial("tcp", p.addr, &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert},
		InsecureSkipVerify: true}) // the key is what this test looks at
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].PublicKey.(ed25519.PublicKey)
}

// TestRotationOverTLS: a key rotation replaces seoul's TLS key. Over real
// mutual TLS, seoul presents its new key (as client and as server) once
// beijing holds the key entry, and beijing admits it; after a compromise
// declaration beijing admits none of seoul's earlier keys, and the line
// still works both ways.
func TestRotationOverTLS(t *testing.T) {
	dirs := nodetest.Dirs(t)
	skey := nodetest.WithRecoveryKey(t, dirs[0])
	line, parties, addrs := setupIn(t, dirs, direct.Limits{ReadTimeout: 5 * time.Minute})
	for _, p := range parties {
		c := direct.NewRotatingClient(peersAt{p.n, addrs})
		t.Cleanup(c.CloseIdle)
		p.n.Start(c)
	}
	lineWorks(t, line, parties)
	seoul, beijing := parties[0].n, parties[1].n
	first := seoul.SigningKeys().TLSPublicKey()

	if _, err := seoul.RotateKeys(context.Background(), node.RotateOptions{}); err != nil {
		t.Fatal(err)
	}
	second := seoul.SigningKeys().TLSPublicKey()
	if second.Equal(first) {
		t.Fatal("the rotation kept seoul's TLS key")
	}
	lineWorks(t, line, parties)
	if got := serverKey(t, parties[0], parties[1].cert); !got.Equal(second) {
		t.Fatal("seoul's listener does not present its new TLS key once beijing holds the key entry")
	}
	for _, k := range []ed25519.PublicKey{first, second} {
		if p, ok := beijing.PartyForTLSKey(k); !ok || p != "seoul" {
			t.Fatalf("after a plain rotation beijing does not admit seoul's key %x", k)
		}
	}

	since := time.Now().Add(-time.Second)
	if _, err := seoul.Rotate(context.Background(), node.RotateRequest{Compromised: &since, RecoveryKey: skey}); err != nil {
		t.Fatal(err)
	}
	third := seoul.SigningKeys().TLSPublicKey()
	lineWorks(t, line, parties)
	for _, k := range []ed25519.PublicKey{first, second} {
		if p, ok := beijing.PartyForTLSKey(k); ok {
			t.Fatalf("after a compromise declaration beijing still admits %s's key %x", p, k)
		}
	}
	if p, ok := beijing.PartyForTLSKey(third); !ok || p != "seoul" {
		t.Fatal("beijing does not admit seoul's newest TLS key")
	}
	if got := serverKey(t, parties[0], parties[1].cert); !got.Equal(third) {
		t.Fatal("seoul's listener does not present its newest TLS key")
	}
	// A client showing seoul's retired certificate is turned away.
	old, err := seoul.Keys.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.Dial("tcp", parties[1].addr, &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{old}, InsecureSkipVerify: true})
	if err == nil {
		// TLS 1.3: the server's verdict on the client certificate comes
		// with the first read.
		_, err = c.Read(make([]byte, 1))
		c.Close()
	}
	if err == nil {
		t.Fatal("beijing admits seoul's retired TLS key")
	}

	// A listener at seoul's address showing seoul's retired key (a thief
	// with the old seed) is not talked to.
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{old},
		ClientAuth: tls.RequireAnyClientCert})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	dialer := direct.NewRotatingClient(peersAt{beijing, map[string]string{"seoul": ln.Addr().String()}})
	defer dialer.CloseIdle()
	_, err = dialer.Exchange(context.Background(), line, "seoul", &wire.Bundle{V: wire.Version, Line: line, From: "beijing"})
	if err == nil || !strings.Contains(err.Error(), "direct: peer key is not pinned by any line") {
		t.Fatalf("exchange with a listener showing seoul's retired key: %v", err)
	}
}
