package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/direct"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/wire"
)

// FloorSamples are the raw samples of the floor: what any design that
// fsyncs on both sides and crosses one mutual-TLS round trip must pay.
type FloorSamples struct {
	Total []time.Duration // fsync on A + mutual-TLS 1.3 POST (with fsync on B) back to A
	RTT   []time.Duration // the round trip alone (Total minus both fsyncs)
	Fsync []time.Duration // every fsync, both sides
}

// pin answers for one peer: where it listens and which key it shows.
type pin struct {
	addr  string
	party string
	key   ed25519.PublicKey
}

func (p pin) PeerRoute(line, peer string) (string, ed25519.PublicKey, error) {
	return p.addr, p.key, nil
}

func (p pin) PartyForTLSKey(k ed25519.PublicKey) (string, bool) { return p.party, k.Equal(p.key) }

// syncer appends a small record to a file and fsyncs it, as a commit of
// a small transaction does.
type syncer struct {
	f   *os.File
	buf []byte
}

func newSyncer(dir string) (*syncer, error) {
	f, err := os.OpenFile(filepath.Join(dir, "bench-fsync.tmp"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &syncer{f: f, buf: make([]byte, 256)}, nil
}

func (s *syncer) sync() (time.Duration, error) {
	start := time.Now()
	if _, err := s.f.Write(s.buf); err != nil {
		return 0, err
	}
	err := s.f.Sync()
	return time.Since(start), err
}

func (s *syncer) close() error {
	err := s.f.Close()
	return errors.Join(err, os.Remove(s.f.Name()))
}

// Floor measures n samples of the floor between the parties of dirs: A
// fsyncs a small write in its data directory, POSTs a small bundle over
// HTTP/2 and mutual TLS 1.3 (the direct route's client, certificates and
// key pinning) to a bare handler on loopback, which fsyncs a small write in
// B's data directory and answers with a small bundle.
func Floor(ctx context.Context, dirs [2]string, n int) (*FloorSamples, error) {
	return floor(ctx, dirs, n, 0)
}

// SporadicFloor is Floor with Silence before each sample: what the
// machine itself (its disk, its network stack, its idle processors)
// charges the first exchange after a quiet second, which a sporadic
// message pays on top of any work of its own.
func SporadicFloor(ctx context.Context, dirs [2]string, n int) (*FloorSamples, error) {
	return floor(ctx, dirs, n, Silence)
}

func floor(ctx context.Context, dirs [2]string, n int, pause time.Duration) (*FloorSamples, error) {
	_, ka, err := node.LoadIdentity(dirs[0])
	if err != nil {
		return nil, err
	}
	_, kb, err := node.LoadIdentity(dirs[1])
	if err != nil {
		return nil, err
	}
	certA, err := ka.TLSCertificate()
	if err != nil {
		return nil, err
	}
	certB, err := kb.TLSCertificate()
	if err != nil {
		return nil, err
	}
	sa, err := newSyncer(dirs[0])
	if err != nil {
		return nil, err
	}
	defer sa.close()
	sb, err := newSyncer(dirs[1])
	if err != nil {
		return nil, err
	}
	defer sb.close()

	line := "00000000000000000000000000000000"
	reply := (&wire.Bundle{V: wire.Version, Line: line, From: kb.Slug, Have: map[string]uint64{ka.Slug: 1}}).Marshal()
	var mu sync.Mutex
	var fsyncB time.Duration
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+direct.Path, func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 || r.TLS == nil || r.TLS.Version != tls.VersionTLS13 || len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "want HTTP/2 over mutual TLS 1.3", http.StatusBadRequest)
			return
		}
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		d, err := sb.sync()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		mu.Lock()
		fsyncB = d
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(reply)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler:           mux,
		TLSConfig:         direct.ServerTLS(certB, pin{party: ka.Slug, key: ka.TLSPublicKey()}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(tls.NewListener(ln, srv.TLSConfig))
	defer srv.Close()
	client := direct.NewClient(certA, pin{addr: ln.Addr().String(), party: kb.Slug, key: kb.TLSPublicKey()})
	defer client.CloseIdle()

	// A small bundle: one cosignature note, as a receipt-only exchange carries.
	note := []byte("hotline/" + line + "/" + ka.Slug + "\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— hotline/beijing/cosigner AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
	req := &wire.Bundle{V: wire.Version, Line: line, From: ka.Slug, Cosigs: [][]byte{note}, Have: map[string]uint64{kb.Slug: 1}}

	exchange := func() error {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err := client.Exchange(rctx, line, kb.Slug, req)
		return err
	}
	// Warm up: the handshake and the first writes are not part of the floor.
	for range 20 {
		if err := exchange(); err != nil {
			return nil, fmt.Errorf("floor: %w", err)
		}
	}
	out := &FloorSamples{}
	for range n {
		if pause > 0 {
			t := time.NewTimer(pause)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			}
		}
		start := time.Now()
		da, err := sa.sync()
		if err != nil {
			return nil, err
		}
		if err := exchange(); err != nil {
			return nil, fmt.Errorf("floor: %w", err)
		}
		total := time.Since(start)
		mu.Lock()
		db := fsyncB
		mu.Unlock()
		out.Total = append(out.Total, total)
		out.RTT = append(out.RTT, total-da-db)
		out.Fsync = append(out.Fsync, da, db)
	}
	return out, nil
}
