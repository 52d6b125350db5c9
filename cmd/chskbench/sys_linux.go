package main

import "syscall"

// childProcAttr makes a child server die with this process.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
