package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hotline-line/hotline/internal/demo"
	"github.com/hotline-line/hotline/internal/serve"
)

// fanOutParties names the parties of a fan-out line: the benchmark's two,
// then as many more as asked for.
func fanOutParties(n int) []demo.Party {
	ps := append([]demo.Party(nil), Parties[:]...)
	for i := len(ps); i < n; i++ {
		ps = append(ps, demo.Party{Slug: fmt.Sprintf("party%d", i+1), Name: fmt.Sprintf("Party %d", i+1), Lang: "en"})
	}
	return ps[:n]
}

// FanOut pairs parties nodes on a line of their own under dir, each served
// in-process like A and B, and sends n messages from the first, one at a
// time: for each, the time from the Send call to the moment the sender
// holds the cosignature of every other party covering it.
func FanOut(ctx context.Context, dir string, parties, n int, log *slog.Logger) ([]time.Duration, error) {
	if parties < 2 {
		return nil, fmt.Errorf("fan-out needs at least 2 parties, not %d", parties)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ps := fanOutParties(parties)
	dirs, signed, err := demo.Pair(dir, "fan-out benchmark line", ps)
	if err != nil {
		return nil, err
	}
	var servers []*serve.Server
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, s := range servers {
			s.Close(cctx)
		}
	}()
	for i, d := range dirs {
		s, err := startNode(d, ps[i].Slug, log)
		if err != nil {
			return nil, err
		}
		servers = append(servers, s)
		if err := s.Node.Install(ctx, signed); err != nil {
			return nil, fmt.Errorf("install line at %s: %w", ps[i].Slug, err)
		}
	}
	line, sender := signed.ID(), servers[0].Node
	allCosigned := func(size uint64) error {
		var errs []error
		for _, p := range ps[1:] {
			errs = append(errs, waitReceipt(ctx, sender, line, p.Slug, size))
		}
		return errors.Join(errs...)
	}
	// Every charter crosses before anything is measured.
	if err := allCosigned(1); err != nil {
		return nil, err
	}
	out := make([]time.Duration, 0, n)
	for i := range n {
		start := time.Now()
		index, err := sendOn(ctx, sender, line, i)
		if err != nil {
			return nil, err
		}
		if err := allCosigned(index + 1); err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
	}
	return out, nil
}
