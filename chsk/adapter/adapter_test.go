package adapter

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"
)

func TestIsWebSocketUpgrade(t *testing.T) {
	for _, tc := range []struct {
		upgrade []string
		want    bool
	}{
		{nil, false},
		{[]string{"websocket"}, true},
		{[]string{"WebSocket"}, true},
		{[]string{"h2c, websocket"}, true},
		{[]string{"h2c", " websocket "}, true},
		{[]string{"websockets"}, false},
		{[]string{"h2c"}, false},
	} {
		r := httptest.NewRequest("GET", "/chsk", nil)
		for _, v := range tc.upgrade {
			r.Header.Add("Upgrade", v)
		}
		if got := IsWebSocketUpgrade(r); got != tc.want {
			t.Errorf("Upgrade %q: got %v, want %v", tc.upgrade, got, tc.want)
		}
	}
}

// A poll takes exactly one frame, written with Content-Length.
func TestPollAnswersOnce(t *testing.T) {
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/chsk", nil)
	p := ParkPoll(rec, r, "text/html; charset=utf-8")
	if p.Transport() != Ajax {
		t.Fatal("a poll is Ajax")
	}
	if err := p.Send(context.Background(), []byte("[:chsk/timeout nil]")); err != nil {
		t.Fatal(err)
	}
	if err := p.Send(context.Background(), []byte("again")); !errors.Is(err, ErrAnswered) {
		t.Fatalf("second Send: %v, want ErrAnswered", err)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("Done not closed after the answer")
	}
	if rec.Body.String() != "[:chsk/timeout nil]" || rec.Header().Get("Content-Length") != "19" ||
		rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("response %q %v", rec.Body.String(), rec.Header())
	}
}

// A poll whose client went away ends by itself and refuses frames.
func TestPollEndsWithRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequest("GET", "/chsk", nil).WithContext(ctx)
	p := ParkPoll(httptest.NewRecorder(), r, "text/plain")
	cancel()
	select {
	case <-p.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("poll did not end with its request")
	}
	if err := p.Send(context.Background(), []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after the client left: %v, want ErrClosed", err)
	}
}

func TestTransportString(t *testing.T) {
	if WebSocket.String() != "ws" || Ajax.String() != "ajax" || Transport(0).String() != "unknown" {
		t.Fatal("transport names")
	}
	var _ Conn = (*WS)(nil)
	var _ Conn = (*Poll)(nil)
}
