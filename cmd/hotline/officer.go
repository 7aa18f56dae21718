package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/hotline-line/hotline/internal/consolei18n"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
)

func init() {
	register(command{"officer", "add NAME --role watch|drafter|releaser|admin [--lang en|ko|zh] [--password-file F] | list [--json] | remove NAME" +
		" | passwd NAME [--password-file F] | role NAME --role R | unlock NAME | unlock --address ADDR",
		"manage the officers who log in to the web console", cmdOfficer})
}

func cmdOfficer(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"officer needs a subcommand: add, list, remove, passwd, role or unlock"}
	}
	switch args[0] {
	case "add":
		return officerAdd(ctx, args[1:])
	case "list", "ls":
		return officerList(ctx, args[1:])
	case "remove", "rm":
		return officerRemove(ctx, args[1:])
	case "passwd", "password":
		return officerPasswd(ctx, args[1:])
	case "role":
		return officerRole(ctx, args[1:])
	case "unlock":
		return officerUnlock(ctx, args[1:])
	}
	return usageError{fmt.Sprintf("unknown officer subcommand %q: use add, list, remove, passwd, role or unlock", args[0])}
}

// parseAnywhere parses flags placed before or after the positional
// arguments ("add NAME --role watch"), and returns the positional ones.
func parseAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// openOfficers opens the officers database of the node in dir. It works
// whether or not hotline serve is running: the console reads each account
// and session afresh.
func openOfficers(dir string) (*officer.Store, error) {
	if _, err := os.Stat(filepath.Join(dir, node.ConfigFile)); err != nil {
		return nil, noNode(dir, fmt.Errorf("%s: %w", dir, node.ErrNoParty))
	}
	return officer.OpenDir(dir, officer.Config{})
}

func officerAdd(ctx context.Context, args []string) error {
	fs := flags("officer add")
	dir := dirFlag(fs)
	role := fs.String("role", "", "watch, drafter, releaser or admin")
	pwFile := fs.String("password-file", "", "read the password from this file (its first line) instead of a prompt")
	lang := fs.String("lang", "", "the language the officer reads the console in: "+strings.Join(consolei18n.Langs(), ", ")+
		" (default: the party's first language)")
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"officer add takes one NAME (quote a name with spaces)"}
	}
	r, err := officer.ParseRole(*role)
	if err != nil {
		return usageError{err.Error()}
	}
	if *lang != "" {
		l, ok := consolei18n.Match(*lang)
		if !ok {
			return usageError{fmt.Sprintf("the console does not speak %q: use --lang %s", *lang, strings.Join(consolei18n.Langs(), ", --lang "))}
		}
		*lang = l
	}
	name := pos[0]
	if err := officer.CheckName(name); err != nil {
		return err
	}
	pw, err := readPassword(name, *pwFile)
	if err != nil {
		return err
	}
	st, err := openOfficers(*dir)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Add(ctx, name, r, pw); err != nil {
		if errors.Is(err, officer.ErrExists) {
			return withHint(err, "remove the account first: hotline officer remove "+quoteArg(name))
		}
		return err
	}
	if *lang != "" {
		if err := st.SetLang(ctx, name, *lang); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "hotline: added %s (%s)\n", name, r)
	return nil
}

// readPassword reads a new password: from a file, from a prompt on the
// terminal (typed twice, not echoed), or from the first line of standard
// input when it is not a terminal.
func readPassword(name, file string) (string, error) {
	var pw string
	switch {
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		pw, _, _ = strings.Cut(string(b), "\n")
	case term.IsTerminal(int(os.Stdin.Fd())):
		fmt.Fprintf(os.Stderr, "Password for %s: ", name)
		a, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(os.Stderr, "Again: ")
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		pw = string(a)
	default:
		line, err := bufio.NewReader(io.LimitReader(os.Stdin, officer.MaxPassword+2)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		pw = strings.TrimSuffix(line, "\n")
		if pw == "" {
			return "", withHint(errors.New("no password: standard input is not a terminal and gave none"),
				"put the password in a file (its first line) and give --password-file FILE, or run this in a terminal to be asked for it")
		}
	}
	pw = strings.TrimSuffix(pw, "\r")
	if err := officer.CheckPassword(pw); err != nil {
		return "", err
	}
	return pw, nil
}

func quoteArg(s string) string {
	if strings.ContainsAny(s, " '\"") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

func officerList(ctx context.Context, args []string) error {
	fs := flags("officer list")
	dir := dirFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openOfficers(*dir)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.List(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if list == nil {
			list = []officer.Officer{}
		}
		return json.NewEncoder(os.Stdout).Encode(list)
	}
	if len(list) == 0 {
		fmt.Fprintln(os.Stderr, "hotline: no officers yet: add one with hotline officer add NAME --role watch")
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tCONSOLE LANGUAGE\tADDED (UTC)")
	for _, o := range list {
		lang := o.Lang
		if lang == "" {
			lang = "(the party's)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Name, o.Role, lang, o.Created.Format(time.DateTime))
	}
	return tw.Flush()
}

// officerUnlock lifts the console's login lock on a name or a client
// address. It works whether or not hotline serve runs: the console reads
// the unlock from officers.db within a second.
func officerUnlock(ctx context.Context, args []string) error {
	fs := flags("officer unlock")
	dir := dirFlag(fs)
	addr := fs.String("address", "", "unlock a client address (IPv4, or an IPv6 /64 as the node's log prints it) instead of a name")
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return err
	}
	var key string
	switch {
	case *addr != "" && len(pos) == 0:
		key = officer.UnlockAddress(*addr)
	case *addr == "" && len(pos) == 1:
		key = officer.UnlockName(pos[0])
	default:
		return usageError{"officer unlock takes one NAME, or --address ADDR"}
	}
	st, err := openOfficers(*dir)
	if err != nil {
		return err
	}
	defer st.Close()
	by := "command line"
	if u := os.Getenv("USER"); u != "" {
		by += " (" + u + ")"
	}
	if err := st.Unlock(ctx, key, by); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "hotline: unlocked %s: its failed logins are forgotten\n", strings.TrimPrefix(strings.TrimPrefix(key, "name:"), "address:"))
	return nil
}

func officerRemove(ctx context.Context, args []string) error {
	fs := flags("officer remove")
	dir := dirFlag(fs)
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"officer remove takes one NAME"}
	}
	st, err := openOfficers(*dir)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Remove(ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "hotline: removed %s; their console sessions have ended\n", pos[0])
	return nil
}

// officerPasswd sets a new password. Every console session of the officer
// ends: whoever knew the old password is logged out.
func officerPasswd(ctx context.Context, args []string) error {
	fs := flags("officer passwd")
	dir := dirFlag(fs)
	pwFile := fs.String("password-file", "", "read the new password from this file (its first line) instead of a prompt")
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"officer passwd takes one NAME (quote a name with spaces)"}
	}
	st, err := openOfficers(*dir)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := knownOfficer(ctx, st, pos[0]); err != nil {
		return err
	}
	pw, err := readPassword(pos[0], *pwFile)
	if err != nil {
		return err
	}
	n, err := st.SetPassword(ctx, pos[0], pw)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "hotline: new password for %s; %s\n", pos[0], sessions(n))
	return nil
}

// officerRole changes an officer's role. Every console session of the
// officer ends, so no open console goes on with the old role's rights.
func officerRole(ctx context.Context, args []string) error {
	fs := flags("officer role")
	dir := dirFlag(fs)
	role := fs.String("role", "", "the new role: watch, drafter, releaser or admin")
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"officer role takes one NAME (quote a name with spaces)"}
	}
	r, err := officer.ParseRole(*role)
	if err != nil {
		return usageError{err.Error()}
	}
	st, err := openOfficers(*dir)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.SetRole(ctx, pos[0], r)
	if err != nil {
		return noOfficerHint(err)
	}
	fmt.Fprintf(os.Stderr, "hotline: %s is now %s; %s\n", pos[0], r, sessions(n))
	return nil
}

// knownOfficer fails before a password prompt for a name that has no
// account.
func knownOfficer(ctx context.Context, st *officer.Store, name string) error {
	list, err := st.List(ctx)
	if err != nil {
		return err
	}
	for _, o := range list {
		if o.Name == name {
			return nil
		}
	}
	return noOfficerHint(fmt.Errorf("%w: %s", officer.ErrNoOfficer, name))
}

func noOfficerHint(err error) error {
	if errors.Is(err, officer.ErrNoOfficer) {
		return withHint(err, "list the accounts with: hotline officer list")
	}
	return err
}

// sessions says how many console sessions a change ended.
func sessions(n int) string {
	switch n {
	case 0:
		return "no console session was open"
	case 1:
		return "their console session has ended"
	}
	return fmt.Sprintf("their %d console sessions have ended", n)
}
