package readme

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// harness surrounds the snippets: what a real app has around them (a mux
// that serves, a session that knows the user and its token) and a check
// of the reply. The client snippet's URL is replaced by the test server's.
const harness = `package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/client"
	"github.com/gosente/gosente/chsk/wire"
)

// The app's session: one user, alice, with one CSRF token.
func userOf(r *http.Request) any {
	if c, err := r.Cookie("session"); err == nil && c.Value == "s1" {
		return "alice"
	}
	return nil
}

func csrfTokenOf(*http.Request) string { return "tok1" }

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	mux := http.NewServeMux()
	ln, lerr := net.Listen("tcp", "127.0.0.1:0")
	if lerr != nil {
		log.Fatal(lerr)
	}
	go http.Serve(ln, mux)
	token, cookie := "tok1", "session=s1"

	// README: Server
	SERVER

	// README: Client
	CLIENT

	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.State().UID, reply)
}
`

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// snippet returns the first Go block after the README heading.
func snippet(t *testing.T, readme, heading string) string {
	t.Helper()
	i := strings.Index(readme, "\n"+heading+"\n")
	require.NotEqual(t, -1, i, "README.md has no %q", heading)
	m := goBlock.FindStringSubmatch(readme[i:])
	require.NotNil(t, m, "no Go block after %q", heading)
	return m[1]
}

// The README's server and client snippets run as printed, together: the
// client connects through the server's origin check and CSRF check and
// gets the reply.
func TestReadmeSnippetsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	raw, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	readme := string(raw)
	server := snippet(t, readme, "## Server")
	clientCode := snippet(t, readme, "## Client")
	require.Contains(t, clientCode, `"http://localhost:8080/chsk"`)
	clientCode = strings.Replace(clientCode, `"http://localhost:8080/chsk"`, `"http://"+ln.Addr().String()+"/chsk"`, 1)
	src := strings.Replace(strings.Replace(harness, "SERVER", server, 1), "CLIENT", clientCode, 1)

	dir, err := os.MkdirTemp(".", "_run") // inside the module, ignored by ./... (leading underscore)
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644))
	out, err := exec.Command("go", "run", "./"+filepath.Base(dir)).CombinedOutput()
	require.NoError(t, err, "%s\n--- the program:\n%s", out, src)
	require.Contains(t, string(out), `alice {:reply "Hello from Go"}`)
}
