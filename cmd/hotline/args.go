package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// commandOf finds the command named in args and returns it with its
// arguments. Flags given before the command ("hotline --dir seoul status")
// move to where the command parses them: after its name, or after its
// subcommand when the next word is one its usage names ("hotline --dir
// seoul line accept charter.txt").
func commandOf(args []string) (command, []string, error) {
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		for _, c := range commands {
			if c.name != a {
				continue
			}
			lead, rest := args[:i], args[i+1:]
			at := 0
			if len(lead) > 0 && len(rest) > 0 && isSubcommand(c, rest[0]) {
				at = 1
			}
			out := slices.Concat(rest[:at], lead, rest[at:])
			return c, out, nil
		}
		if i == 0 {
			return command{}, nil, fmt.Errorf("unknown command %q", a)
		}
	}
	return command{}, nil, fmt.Errorf("no command in %q", strings.Join(args, " "))
}

// isSubcommand reports whether word is one of the subcommands c's usage
// names: a lowercase word of its own there, such as "accept" in
// "propose|accept|suspend ...".
func isSubcommand(c command, word string) bool {
	if word == "" || strings.HasPrefix(word, "-") || strings.ToLower(word) != word {
		return false
	}
	f := strings.FieldsFunc(c.usage, func(r rune) bool { return strings.ContainsRune(" |[]", r) })
	return slices.Contains(f, word)
}

// self is how to run this hotline again from the current directory, for
// the commands it prints: the path it was started by ("./hotline"),
// "hotline" when the shell found it on PATH, or "go run ./cmd/hotline"
// when go run started it (its binary is deleted when it ends).
func self() string {
	a := os.Args[0]
	switch {
	case !strings.ContainsRune(a, filepath.Separator):
		return "hotline"
	case strings.Contains(a, "go-build"):
		return "go run ./cmd/hotline"
	}
	return a
}
