package natsbroker_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/gosente/gosente/chsk/internal/cluster/clustertest"
	"github.com/gosente/gosente/chsk/natsbroker"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// natsServer is an in-process nats-server with JetStream on a free loopback
// port; restarting keeps its port and store.
type natsServer struct {
	t    *testing.T
	opts server.Options
	s    *server.Server
}

func startNATS(t *testing.T) *natsServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	n := &natsServer{t: t, opts: server.Options{
		Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
	}}
	n.start()
	t.Cleanup(n.stop)
	return n
}

func (n *natsServer) start() {
	n.t.Helper()
	opts := n.opts
	s, err := server.NewServer(&opts)
	if err != nil {
		n.t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		n.t.Fatal("nats-server did not start")
	}
	n.s = s
}

func (n *natsServer) stop() {
	if n.s != nil {
		n.s.Shutdown()
		n.s.WaitForShutdown()
		n.s = nil
	}
}

func TestNATSCluster(t *testing.T) {
	ns := startNATS(t)
	url := ns.s.ClientURL()
	type conn struct {
		nc   *nats.Conn
		down chan struct{} // a signal per disconnection
	}
	var mu sync.Mutex
	var conns []conn
	clustertest.Run(t, clustertest.Engine{
		NewBroker: func(t *testing.T, ttl time.Duration) (clustertest.Broker, func()) {
			down := make(chan struct{}, 1)
			nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
				nats.DisconnectErrHandler(func(*nats.Conn, error) {
					select {
					case down <- struct{}{}:
					default:
					}
				}))
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			conns = append(conns, conn{nc, down})
			mu.Unlock()
			b, err := natsbroker.New(nc, &natsbroker.Options{TTL: ttl, Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			killed := false
			kill := func() { // a process that dies: its connection drops, nothing is said
				killed = true
				b.Kill()
				nc.Close()
			}
			t.Cleanup(func() {
				if !killed {
					_ = b.Close(context.Background())
					nc.Close()
				}
			})
			return b, kill
		},
		Restart: func(t *testing.T, during func()) {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns { // forget disconnections of earlier restarts
				select {
				case <-c.down:
				default:
				}
			}
			ns.stop()
			// The outage starts for a broker when its connection notices.
			for _, c := range conns {
				if c.nc.IsClosed() {
					continue // a killed node's
				}
				select {
				case <-c.down:
				case <-time.After(5 * time.Second):
					t.Fatal("a connection did not notice the server's shutdown")
				}
			}
			during()
			ns.start()
		},
		LocalOnly: natsbroker.ErrLocalOnly,
	})
}
