package cluster

import "syscall"

// sysProcAttr makes a child die with the process that started it: a test
// that crashes leaves no nodes behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
