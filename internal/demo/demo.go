// Package demo sets up a live line between two parties on loopback: the
// defense ministries in Seoul (Korean) and Beijing (Chinese), each with its
// own data directory and node, paired by the same ceremony real parties use.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/consolei18n"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/notice"
	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/serve"
)

// Party is one side of the demo.
type Party struct {
	Slug, Name, Lang string
}

// Parties are the two sides of the demo line.
var Parties = []Party{
	{"seoul", "대한민국 국방부 (Ministry of National Defense, Seoul)", "ko"},
	{"beijing", "中华人民共和国国防部 (Ministry of National Defense, Beijing)", "zh"},
}

// Line is a running demo line.
type Line struct {
	ID      string
	Dirs    []string
	Servers []*serve.Server
	Logins  []Login // the console logins, party by party in the order of Parties
}

// Login is an officer account the demo made on one party's console.
type Login struct {
	Party, URL, Officer, Password string
	Role                          officer.Role
}

// officers are the demo's console accounts: each side has a watch officer,
// who reads, acknowledges, replies and answers the roll-call, and an
// administrator, who also composes. Each reads the console in its party's
// language.
var officers = map[string][]Login{
	"seoul":   {{Officer: "Kim Min-jun", Role: officer.Watch}, {Officer: "Park Ji-woo", Role: officer.Admin}},
	"beijing": {{Officer: "Wang Lei", Role: officer.Watch}, {Officer: "Li Na", Role: officer.Admin}},
}

// RoleName is a role as the printout names it: in the console's English
// words, the ones its header shows.
func RoleName(r officer.Role) string {
	en, _ := consolei18n.Get("en")
	if name, ok := en.Messages["role."+string(r)].(string); ok {
		return name
	}
	return string(r)
}

// addOfficers creates the demo officers of party in pd with random passwords.
func addOfficers(ctx context.Context, pd, party string) ([]Login, error) {
	st, err := officer.OpenDir(pd, officer.Config{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var out []Login
	for _, l := range officers[party] {
		b := make([]byte, 10)
		rand.Read(b)
		l.Party, l.Password = party, strings.ToLower(base32.StdEncoding.EncodeToString(b))
		if err := st.Add(ctx, l.Officer, l.Role, l.Password); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// ConsoleLogins is the printout of the consoles and their logins, each
// with its role.
func (d *Line) ConsoleLogins() string {
	var b strings.Builder
	b.WriteString("Web consoles (the watch officer reads, acknowledges, replies and answers the\nroll-call; the administrator also composes):\n")
	party := ""
	for _, l := range d.Logins {
		if l.Party != party {
			party = l.Party
			fmt.Fprintf(&b, "\n  %-8s %s\n", l.Party, l.URL)
		}
		fmt.Fprintf(&b, "    %-15s %-15q password %s\n", RoleName(l.Role), l.Officer, l.Password)
	}
	return b.String()
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Pair creates parties under dir (each listening on a free loopback port),
// and has each sign a charter between them, in the same ceremony real
// parties follow. Rules, if given, set the charter's rules before anyone
// signs. It returns their data directories and the charter.
func Pair(dir, title string, parties []Party, rules ...func(*charter.Charter)) ([]string, *charter.Signed, error) {
	var dirs []string
	var cards []*card.Card
	for _, p := range parties {
		addr, err := freeAddr()
		if err != nil {
			return nil, nil, err
		}
		pd := filepath.Join(dir, p.Slug)
		cfg := node.Config{Party: p.Slug, Name: p.Name, Langs: []string{p.Lang}, Listen: addr}
		if err := node.Init(pd, cfg); err != nil {
			return nil, nil, err
		}
		c, k, err := node.LoadIdentity(pd)
		if err != nil {
			return nil, nil, err
		}
		cd, _, err := node.MakeCard(c, k)
		if err != nil {
			return nil, nil, err
		}
		cards = append(cards, cd)
		dirs = append(dirs, pd)
	}
	ch := charter.New(title, time.Now(), cards)
	for _, r := range rules {
		r(ch)
	}
	var raw []byte
	for _, pd := range dirs {
		_, k, err := node.LoadIdentity(pd)
		if err != nil {
			return nil, nil, err
		}
		s, err := charter.Sign(ch, raw, k)
		if err != nil {
			return nil, nil, err
		}
		raw = s.Raw
	}
	signed, err := charter.Parse(raw)
	return dirs, signed, err
}

// demoRules set up the line as a real one would be: named "defense",
// asking each side's officer on duty to confirm presence every four
// hours, within 15 minutes, and carrying the starter notice templates.
func demoRules(c *charter.Charter) {
	c.Name = "defense"
	c.RollCall = &charter.RollCallRule{Every: charter.Duration(4 * time.Hour), Answer: charter.Duration(15 * time.Minute)}
	c.Templates = notice.Starter()
}

// Start creates both parties under dir, pairs them and starts their nodes.
// progress, if not nil, is told of each step before it runs: a person
// waiting for the demo sees what it does from its first second.
func Start(ctx context.Context, dir string, log *slog.Logger, progress func(step string)) (*Line, error) {
	if progress == nil {
		progress = func(string) {}
	}
	d := &Line{}
	progress("creating Seoul and Beijing in " + dir + ": keys, databases, the charter both sign")
	dirs, signed, err := Pair(dir, "Seoul–Beijing defense hotline", Parties, demoRules)
	if err != nil {
		return nil, err
	}
	d.Dirs = dirs
	d.ID = signed.ID()
	for i, pd := range d.Dirs {
		progress("starting " + Parties[i].Slug + "'s node and console, with a watch officer and an administrator (each password hash takes a second)")
		logins, err := addOfficers(ctx, pd, Parties[i].Slug)
		if err != nil {
			d.Close(ctx)
			return nil, err
		}
		s, err := serve.Start(pd, log, serve.Console("127.0.0.1:0"))
		if err != nil {
			d.Close(ctx)
			return nil, err
		}
		d.Servers = append(d.Servers, s)
		for _, l := range logins {
			l.URL = s.ConsoleURL
			d.Logins = append(d.Logins, l)
		}
		if err := s.Node.Install(ctx, signed); err != nil {
			d.Close(ctx)
			return nil, fmt.Errorf("install line: %w", err)
		}
	}
	return d, nil
}

// Close stops both nodes.
func (d *Line) Close(ctx context.Context) {
	for _, s := range d.Servers {
		s.Close(ctx)
	}
}
