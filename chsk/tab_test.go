package chsk

import (
	"context"
	"net"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gosente/gosente/chsk/adapter"
	"github.com/stretchr/testify/require"
)

// fakeConn is a WebSocket-like Conn whose writes can stall until Close, or
// come late, so tests can hold a write in flight.
type fakeConn struct {
	stall   bool          // Send waits for Close, then fails as a closed socket does
	gate    chan struct{} // if set, Send waits until it is closed before it begins
	entered chan struct{} // if set, closed when Send is called
	enter   sync.Once
	done    chan struct{}
	once    sync.Once
	got     chan string
}

func newFakeConn() *fakeConn {
	return &fakeConn{done: make(chan struct{}), got: make(chan string, 16)}
}

func (f *fakeConn) Transport() adapter.Transport { return adapter.WebSocket }
func (f *fakeConn) Done() <-chan struct{}        { return f.done }
func (f *fakeConn) Close() error                 { f.once.Do(func() { close(f.done) }); return nil }

func (f *fakeConn) Send(_ context.Context, b []byte) error {
	if f.entered != nil {
		f.enter.Do(func() { close(f.entered) })
	}
	if f.gate != nil {
		<-f.gate
	}
	select {
	case <-f.done:
		return adapter.ErrClosed
	default:
	}
	if f.stall {
		<-f.done
		return &net.OpError{Op: "write", Err: net.ErrClosed}
	}
	f.got <- string(b)
	return nil
}

// A tab that reconnects while a write to its old socket is in flight: the
// new socket gets its handshake first and at once, the old socket's own
// frame is dropped, and a push batch the old socket did not take follows.
func TestClientReattachDuringWrite(t *testing.T) {
	for _, tc := range []struct {
		name string
		old  *fakeConn
	}{
		{"write stalled", &fakeConn{stall: true}},
		{"write not yet begun", &fakeConn{gate: make(chan struct{})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(&Options{SendBufferWS: -1})
			require.NoError(t, err)
			defer func() { require.NoError(t, s.Shutdown(context.Background())) }()
			req := httptest.NewRequest("GET", "/chsk", nil)
			c, rej := s.reg.ensure(adapter.WebSocket, "u", `"u"`, "cid", req, true)
			require.Nil(t, rej)
			old := tc.old
			old.done, old.got, old.entered = make(chan struct{}), make(chan string, 16), make(chan struct{})
			require.True(t, c.attach(old, nil, req, nil))
			go func() { _ = c.send([]byte("reply-for-old")) }()
			<-old.entered // the write to old is in flight
			c.push([]byte(`[:t/pushed 1]`))
			nw := newFakeConn()
			require.True(t, c.attach(nw, nil, req, []byte("HANDSHAKE")))
			if old.gate != nil {
				close(old.gate) // the old write begins only now, on a closed socket
			}
			for _, want := range []string{"HANDSHAKE", `[[[:t/pushed 1]] nil]`} {
				select {
				case got := <-nw.got:
					require.Equal(t, want, got)
				case <-time.After(2 * time.Second):
					t.Fatalf("the new socket did not get %s", want)
				}
			}
		})
	}
}
