package redisbroker_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/gosente/gosente/chsk/internal/cluster/clustertest"
	"github.com/gosente/gosente/chsk/redisbroker"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// redisServer is Debian's redis-server on a free loopback port.
type redisServer struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not installed (apt-get install redis-server); CI must run the Redis tests")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server): skipping the Redis tests")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	s := &redisServer{t: t, port: port}
	s.start(path)
	t.Cleanup(s.stop)
	return s
}

func (s *redisServer) start(path string) {
	s.t.Helper()
	s.cmd = exec.Command(path, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.t.TempDir())
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() { // redis-server logs to stdout; the rest of it is discarded
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Ready to accept connections") {
				close(ready)
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		s.t.Fatal("redis-server did not say it is ready within 10s")
	}
}

func (s *redisServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

func TestRedisCluster(t *testing.T) {
	s := startRedis(t)
	path, _ := exec.LookPath("redis-server")
	clustertest.Run(t, clustertest.Engine{
		NewBroker: func(t *testing.T, ttl time.Duration) (clustertest.Broker, func()) {
			rdb := redis.NewClient(&redis.Options{Addr: s.addr(), DialTimeout: time.Second, MaxRetries: -1})
			b, err := redisbroker.New(rdb, &redisbroker.Options{TTL: ttl, Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			killed := false
			kill := func() { // a process that dies: its connections drop, nothing is said
				killed = true
				b.Kill()
				_ = rdb.Close()
			}
			t.Cleanup(func() {
				if !killed {
					_ = b.Close(context.Background())
					_ = rdb.Close()
				}
			})
			return b, kill
		},
		Restart: func(t *testing.T, during func()) {
			s.stop()
			during()
			s.start(path)
		},
		LocalOnly: redisbroker.ErrLocalOnly,
	})
}
