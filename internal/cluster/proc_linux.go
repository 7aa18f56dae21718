package cluster

import (
	"os/exec"
	"runtime"
	"syscall"
)

// sysProcAttr puts a child in a process group of its own, which Kill
// and Stop signal as a whole, and has the kernel SIGKILL it when the
// thread that started it exits: a test binary that panics, times out or
// is killed leaves no hotline process behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

// signalGroup sends sig to the process group that pid leads.
func signalGroup(pid int, sig syscall.Signal) error {
	return syscall.Kill(-pid, sig)
}

// starts carries the commands to start to the starter goroutine.
var starts = make(chan startReq)

type startReq struct {
	cmd  *exec.Cmd
	done chan error
}

func init() { go starter() }

// starter starts every child on one OS thread that lives as long as the
// process. The parent-death signal is sent when the thread that forked
// the child exits, not the process: a child forked from a goroutine that
// had locked its thread and then returned would be killed at once, in
// the middle of a test. This goroutine locks its thread and never
// returns, so its children die only with the process.
func starter() {
	runtime.LockOSThread()
	for r := range starts {
		r.done <- r.cmd.Start()
	}
}

// start starts cmd from the starter's thread.
func start(cmd *exec.Cmd) error {
	done := make(chan error, 1)
	starts <- startReq{cmd, done}
	return <-done
}
