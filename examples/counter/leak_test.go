package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: the app's
// ticker, gosente's per-client work, the browser driver's read loop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
