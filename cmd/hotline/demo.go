package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/demo"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
)

func init() {
	register(command{"demo", "[--dir DIR] [--keep]", "run a live line between Seoul and Beijing on this machine", cmdDemo})
}

func cmdDemo(ctx context.Context, args []string) error {
	fs := flags("demo")
	dir := fs.String("dir", "", "where to put both parties (default: a new temporary directory)")
	keep := fs.Bool("keep", false, "keep the directory when the demo stops")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "hotline-demo-")
		if err != nil {
			return err
		}
		*dir = d
		if !*keep {
			defer os.RemoveAll(d)
		}
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	progress := func(step string) { fmt.Fprintf(os.Stderr, "hotline demo: %s\n", step) }
	line, err := demo.Start(ctx, *dir, log, progress)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		line.Close(sctx)
		fmt.Println("\nstopped both nodes")
	}()
	seoul, beijing := line.Dirs[0], line.Dirs[1]
	// The commands shown run as printed, in another terminal too: with
	// the hotline this demo is, by its absolute path.
	me := self()
	if abs, err := filepath.Abs(me); err == nil && strings.Contains(me, string(filepath.Separator)) && !strings.HasPrefix(me, "go run") {
		me = abs
	}
	out := strings.NewReplacer("\n  hotline ", "\n  "+me+" ", "`hotline ", "`"+me+" ")
	out.WriteString(os.Stdout, fmt.Sprintf(`A live hotline is running between two nodes on this machine.

  seoul    %s  (direct route %s)
  beijing  %s  (direct route %s)
  line     %s

%s
Try, in another terminal:

  hotline send   --dir %s --precedence FLASH "Missile launch detected at 03:12 UTC. Please confirm receipt."
  hotline inbox  --dir %s
  hotline show   --dir %s seoul-1
  hotline ack    --dir %s --officer "Wang Lei" seoul-1
  hotline send   --dir %s --reply-to seoul-1 "已收到。正在核实。"
  hotline show   --dir %s seoul-1
  hotline rollcall --dir %s --officer "Wang Lei"   # a person is on watch
  hotline status --dir %s                           # terminal alive, person present

A formatted notice, read at Beijing with Chinese labels; the shared agenda:

  hotline send   --dir %s --template exercise-notice --field name=Foal-Eagle --field start=2017-03-01T00:00Z --field end=2017-04-30T00:00Z --field area=37.5N,126.9E,50km --field forces="ROK, US" --field live-fire=yes
  hotline show   --dir %s seoul-2
  hotline agenda propose --dir %s --kind talks --title "Defense ministers' talks" --start 2017-03-10T01:00Z --place Seoul
  hotline agenda --dir %s

The line asks each side for a roll-call every four hours, and the consoles
raise an escalation alarm when a deadline passes on either side.

What happens on the line is printed below. Ctrl-C stops both nodes.

`, seoul, line.Servers[0].DirectAddr, beijing, line.Servers[1].DirectAddr, line.ID,
		line.ConsoleLogins(),
		seoul, beijing, beijing, beijing, beijing, seoul, beijing, seoul,
		seoul, beijing, seoul, beijing))
	watch(ctx, line)
	return nil
}

// watch prints each new message and each rung a message climbs, until ctx ends.
func watch(ctx context.Context, line *demo.Line) {
	seen := map[string]string{}
	for {
		var changed []<-chan struct{}
		for _, s := range line.Servers {
			changed = append(changed, s.Node.Changed())
			report(s.Node, line.ID, seen)
		}
		select {
		case <-ctx.Done():
			return
		case <-changed[0]:
		case <-changed[1]:
		}
	}
}

func report(n *node.Node, line string, seen map[string]string) {
	msgs, err := n.Messages(line, true, 50)
	if err != nil {
		return
	}
	for _, m := range msgs {
		for _, r := range m.Ladder {
			key := m.ID + ">" + r.Party
			if seen[key] == r.State {
				continue
			}
			if seen[key] == "" {
				fmt.Printf("%s  %s %s %s → %s: %q\n", time.Now().UTC().Format("15:04:05.000"), m.ID, m.Precedence,
					m.Author, r.Party, inert.Text(m.Text))
			}
			seen[key] = r.State
			fmt.Printf("%s  %s at %s: %s\n", time.Now().UTC().Format("15:04:05.000"), m.ID, r.Party, r.State)
		}
	}
}
