package adapter

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gosente/gosente/internal/shared"
)

// autobahnRun locates Autobahn|Testsuite's run script: ../shared/autobahn
// beside the repository's root, or under $GOSENTE_SHARED. It skips the test
// when the suite is absent, and fails it under CI=true.
func autobahnRun(t *testing.T) string {
	t.Helper()
	return shared.Path(t, filepath.Join("autobahn", "run"), "Autobahn|Testsuite")
}

// autobahnLimit is the read limit of the echo targets: the suite's largest
// message (9.1.6, 9.2.6) is 16 MiB.
const autobahnLimit = 32 << 20

// echoWS echoes every message of ws with its own type until ws ends. With a
// poller it parks when idle, as chsk's sockets do.
func echoWS(ws *WS, p *Poller, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		data, binary, err := ws.Read(context.Background())
		if err == ErrIdle {
			if p != nil && p.Wait(ws, func() { wg.Add(1); go echoWS(ws, p, wg) }) == nil {
				return
			}
			continue
		}
		if err != nil {
			return
		}
		typ := MessageText
		if binary {
			typ = MessageBinary
		}
		if ws.Write(context.Background(), typ, data) != nil {
			return
		}
	}
}

// TestAutobahn runs Autobahn|Testsuite's fuzzing client (every case but
// permessage-deflate's 12.* and 13.*) against echo servers on this
// package's WebSocket: "adapter" with default options, and "chsk" with the
// options chsk's server uses (parking on a Poller, message and write
// timeouts). AUTOBAHN_BASELINE=1 adds coder/websocket as "coder", for the
// table in BENCHMARKS.md. With -v the suite's summary lines stream.
func TestAutobahn(t *testing.T) {
	run := autobahnRun(t)
	if testing.Short() {
		t.Skip("the suite takes minutes")
	}
	poller, err := NewPoller()
	if err != nil {
		t.Logf("no poller (%v): the chsk target does not park", err)
	}
	var wg sync.WaitGroup
	handler := func(opts WSOptions, p *Poller) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ws, err := AcceptWebSocket(w, r, opts)
			if err != nil {
				return
			}
			wg.Add(1)
			go echoWS(ws, p, &wg)
		})
	}
	targets := []struct {
		name string
		h    http.Handler
	}{
		{"adapter", handler(WSOptions{ReadLimit: autobahnLimit}, nil)},
		{"chsk", handler(WSOptions{ReadLimit: autobahnLimit, ParkAfter: 20 * time.Millisecond,
			MessageTimeout: time.Minute, WriteTimeout: time.Minute}, poller)},
	}
	if os.Getenv("AUTOBAHN_BASELINE") == "1" {
		targets = append(targets, struct {
			name string
			h    http.Handler
		}{"coder", http.HandlerFunc(coderEcho)})
	}
	args := []string{t.TempDir()}
	var servers []*http.Server
	for _, tg := range targets {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: tg.h}
		servers = append(servers, srv)
		go srv.Serve(ln)
		args = append(args, tg.name+"=ws://"+ln.Addr().String())
	}
	defer func() {
		for _, srv := range servers {
			srv.Close() // hijacked sockets are the suite's: it closed them
		}
		if poller != nil {
			poller.Close()
		}
		wg.Wait()
	}()

	cmd := exec.Command(run, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "autobahn ") {
			t.Log(line)
		} else {
			t.Error(line)
		}
	}
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 2 {
			t.Fatalf("the suite could not run: %v", err)
		}
		t.Errorf("the suite reports failures: %v", err)
	}
}

// coderEcho echoes with github.com/coder/websocket, the baseline.
func coderEcho(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(autobahnLimit)
	for {
		typ, msg, err := c.Read(r.Context())
		if err != nil {
			return
		}
		if c.Write(r.Context(), typ, msg) != nil {
			return
		}
	}
}
