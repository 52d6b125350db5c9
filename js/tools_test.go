package js_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tool finds an external program a test needs: $env when set, else name on
// PATH. It skips the test when there is none, and fails it under CI=true,
// where .ci/run provides every tool.
func tool(t *testing.T, env, name, why string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := name + " is not installed (or set $" + env + "): " + why
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("skipping: " + msg)
	return ""
}

// The client's own tests (test/*.test.js) under node's test runner.
func TestNode(t *testing.T) {
	node := tool(t, "NODE", "node", "the browser client's node tests (js/test/) cannot run")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, "--test", "test/").CombinedOutput()
	if err != nil {
		t.Fatalf("node --test test/: %v\n%s", err, out)
	}
	require.Regexp(t, `(?m)^# fail 0$`, string(out))
	require.Regexp(t, `(?m)^# pass [1-9]`, string(out))
}

// The TypeScript declarations compile, strictly, together with a usage file
// (types-check/usage.ts) written the way a TypeScript front end uses the
// client. .ci/run installs typescript from npm into a temporary directory
// and points $TSC at it.
func TestTypeScriptDeclarations(t *testing.T) {
	tsc := tool(t, "TSC", "tsc", "the TypeScript declarations (js/*.d.ts) cannot be checked; npm install typescript")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, tsc, "-p", "tsconfig.json").CombinedOutput()
	if err != nil {
		t.Fatalf("tsc -p tsconfig.json: %v\n%s", err, out)
	}
}
