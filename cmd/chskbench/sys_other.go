//go:build !linux

package main

import "syscall"

// childProcAttr returns nil: only Linux can make a child die with its
// parent; elsewhere the child is stopped by stop or when the run ends.
func childProcAttr() *syscall.SysProcAttr { return nil }
