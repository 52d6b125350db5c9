package clustertest

import (
	"errors"
	"log/slog"
	"testing"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// testLogger sends a node's log to the test's.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
