//go:build !unix

package main

import "errors"

// raiseNoFile reports that this system has no RLIMIT_NOFILE to raise; the
// load tool then runs with what the system allows.
func raiseNoFile() (uint64, error) {
	return 0, errors.New("no RLIMIT_NOFILE on this system")
}

// noFile returns 0: unknown on this system.
func noFile() uint64 { return 0 }
