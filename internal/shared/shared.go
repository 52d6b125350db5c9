// Package shared finds, for tests, the tools that live outside the
// repository in the team's shared folder (../shared beside the repository's
// root, or $GOSENTE_SHARED): Autobahn|Testsuite, Sente's own ClojureScript
// client. A test that needs one skips with a clear message when it is
// absent, and fails under CI=true, where it must run.
package shared

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns the path of rel inside the shared folder, or skips (fails
// under CI=true) the test when it is not there; what names the tool in the
// message.
func Path(t testing.TB, rel, what string) string {
	t.Helper()
	dir := os.Getenv("GOSENTE_SHARED")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for ; ; wd = filepath.Dir(wd) {
			if _, err := os.Stat(filepath.Join(wd, "go.mod")); err == nil {
				break
			}
			if wd == filepath.Dir(wd) {
				t.Fatal("no go.mod above the test's directory")
			}
		}
		dir = filepath.Join(wd, "..", "shared")
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		msg := what + " not found at " + p + " (set GOSENTE_SHARED to the shared folder)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}
