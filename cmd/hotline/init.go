package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hotline-line/hotline/internal/node"
)

func init() {
	register(command{"init", "--party NAME --name ORG --lang TAG --listen HOST:PORT [--dir DIR]",
		"create a party: its keys and configuration", cmdInit})
}

// initCrashEnv names a step of node.InitSteps after which init kills
// itself with SIGKILL: the tests' way to leave every directory a crash of
// init can leave.
const initCrashEnv = "HOTLINE_INIT_CRASH_AFTER"

func cmdInit(_ context.Context, args []string) error {
	fs := flags("init")
	dir := dirFlag(fs)
	party := fs.String("party", "", "short name of the party: lowercase letters, digits, hyphens (e.g. seoul)")
	name := fs.String("name", "", "the organization's name, in its own language")
	langs := fs.String("lang", "", "languages the party writes, comma-separated; the first is the default")
	listen := fs.String("listen", "127.0.0.1:7441", "host:port of the direct-route listener")
	advertise := fs.String("advertise", "", "host:port peers dial (default: --listen)")
	recoveryFile := fs.String("recovery-file", "", "also write the recovery key to this new file (default: printed only, for a paper backup)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *party == "" || *name == "" || *langs == "" {
		return usageError{"--party, --name and --lang are required"}
	}
	cfg := node.Config{Party: *party, Name: *name, Langs: strings.Split(*langs, ","), Listen: *listen, Advertise: *advertise}
	// The recovery key declares the signing keys stolen (hotline key
	// compromised). Its private half never touches the data directory: a
	// thief of the directory must not be able to use it.
	recovery, vkey, err := node.NewRecoveryKey(*party)
	if err != nil {
		return usageError{err.Error()}
	}
	cfg.RecoveryKey = vkey
	if step := os.Getenv(initCrashEnv); step != "" {
		node.AfterInitStep = func(at string) {
			if at == step {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
		}
	}
	err = node.Init(*dir, cfg)
	switch {
	case errors.Is(err, node.ErrExists):
		return err
	case errors.Is(err, node.ErrStray):
		return withHint(err, fmt.Sprintf("if this was a working node, restore %s from its backup; if an earlier hotline init was interrupted, nothing used its key: remove %s and %s* and run init again",
			filepath.Join(*dir, node.ConfigFile), filepath.Join(*dir, node.KeyFile), filepath.Join(*dir, node.DBFile)))
	case errors.Is(err, node.ErrLocked):
		return withHint(err, "another hotline init of "+*dir+" is running: let it finish")
	case err != nil:
		return withHint(err, "once that is fixed, run the same hotline init again: it discards what this one wrote and starts over")
	}
	fmt.Printf("recovery key, printed this once and kept nowhere in %s: copy it to paper and keep it offline.\n"+
		"hotline key compromised needs it if the signing keys are ever stolen:\n  %s\n", *dir, recovery)
	if *recoveryFile != "" {
		if err := writeNewFile(*recoveryFile, []byte(recovery+"\n")); err != nil {
			return withHint(fmt.Errorf("write the recovery key to %s: %w", *recoveryFile, err), "the party is made: copy the recovery key printed above to paper instead")
		}
		fmt.Printf("the recovery key is also in %s: move it off this machine\n", *recoveryFile)
	}
	fmt.Printf("created party %s in %s\nnext: %s card --dir %s > %s.card, and send the card to the other party\n", *party, *dir, self(), *dir, *party)
	return nil
}

// writeNewFile writes data to a file that must not exist yet, mode 0600,
// and syncs it.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
