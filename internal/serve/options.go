package serve

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/node"
)

// Option changes how a node is served.
type Option func(*options)

type options struct {
	importDir string
	skew      time.Duration
	console   consoleOptions // see console.go
}

// ImportDir watches dir for parcels (files written by hotline bundle
// export) and imports each, for air-gapped transfer: a parcel taken in is
// moved to dir/imported, one refused to dir/refused.
func ImportDir(dir string) Option { return func(o *options) { o.importDir = dir } }

// ClockSkew runs the node's clock off by d, to test how a line behaves when
// the parties' clocks disagree.
func ClockSkew(d time.Duration) Option { return func(o *options) { o.skew = d } }

// watch imports the parcels that appear in dir.
func watch(ctx context.Context, n *node.Node, dir string, log *slog.Logger) {
	for _, sub := range []string{"imported", "refused"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			log.Error("import directory", "dir", dir, "err", err)
			return
		}
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		entries, err := os.ReadDir(dir)
		if err != nil {
			log.Warn("import directory", "dir", dir, "err", err)
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || strings.HasPrefix(name, ".") {
				continue // subfolders, and files still being written by atomicfile
			}
			path := filepath.Join(dir, name)
			data, err := os.ReadFile(path)
			if err != nil {
				continue
			}
			_, err = n.ImportParcel(ctx, data)
			switch {
			case err == nil:
				log.Info("imported parcel", "file", name)
				os.Rename(path, filepath.Join(dir, "imported", name))
			case errors.Is(err, node.ErrUnavailable) || errors.Is(err, node.ErrClosed):
				// Try again on the next tick.
			default:
				log.Warn("refused parcel", "file", name, "err", err)
				os.Rename(path, filepath.Join(dir, "refused", name))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
