package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSmoke runs every load briefly against an in-process bench server and
// checks that the results make sense and survive a JSON round trip.
func TestSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	b, err := startServer("127.0.0.1:0", quietLogger)
	require.NoError(t, err)
	defer func() { require.NoError(t, b.Close(ctx)) }()
	ep, err := newEndpoints(b.URL()+"/chsk", "")
	require.NoError(t, err)
	require.True(t, wantBaseline(ctx, "auto", ep), "serve's server has /debug/mem")
	src := 1
	if runtime.GOOS == "linux" {
		src = 2 // 127.0.0.2 is loopback too
	}
	rep := newReport(ep.chsk)

	for _, transport := range []string{"ws", "ajax"} {
		e, err := runEcho(ctx, ep, echoConfig{Clients: 4, Transport: transport, Duration: 300 * time.Millisecond, Payload: 100, Src: src}, true)
		require.NoError(t, err, transport)
		require.Equal(t, "chsk-"+transport, e.Chsk.Target)
		require.Positive(t, e.Chsk.RoundTrips, transport)
		require.Zero(t, e.Chsk.Errors, transport)
		require.Positive(t, e.Chsk.Latency.P50, transport)
		require.LessOrEqual(t, e.Chsk.Latency.P50, e.Chsk.Latency.Max, transport)
		require.NotNil(t, e.Baseline)
		require.Positive(t, e.Baseline.RoundTrips)
		require.Positive(t, e.RTRatio)
		if transport == "ws" {
			rep.EchoWS = &e
		} else {
			rep.EchoAjax = &e
		}
	}

	f, err := runFanout(ctx, ep, fanoutConfig{Clients: 20, Rounds: 3, Payload: 10, Src: src, Timeout: 10 * time.Second}, true)
	require.NoError(t, err)
	for _, x := range []*fanoutResult{&f.Chsk, f.Baseline} {
		require.NotNil(t, x)
		require.Equal(t, 3, x.Complete, x.Target)
		require.EqualValues(t, 20*3, x.Delivered, x.Target)
		require.Positive(t, x.Last.P50, x.Target)
		require.GreaterOrEqual(t, x.Last.P50, x.Delivery.P50, x.Target)
		require.Positive(t, x.DeliveriesPerSec, x.Target)
	}
	rep.Fanout = &f

	id, err := runIdle(ctx, idleConfig{Steps: []int{10, 50}, Polls: 5, Src: src}, true, sameServer(ep))
	require.NoError(t, err)
	for _, x := range []*idleResult{&id.Chsk, id.Raw} {
		require.NotNil(t, x)
		require.Len(t, x.Steps, 2, x.Target)
		require.Equal(t, 50, x.Steps[1].Conns, x.Target)
		require.GreaterOrEqual(t, x.Steps[1].Server.Conns, int64(50), x.Target)
		require.Greater(t, x.Steps[1].Server.Goroutines, x.Base.Goroutines, x.Target)
	}
	require.Len(t, id.Ratios, 2)
	require.NotNil(t, id.Polls)
	require.Equal(t, 5, id.Polls.Steps[0].Conns)
	rep.Idle = &id

	path := filepath.Join(t.TempDir(), "out.json")
	require.NoError(t, rep.writeJSON(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var back report
	require.NoError(t, json.Unmarshal(data, &back))
	require.Equal(t, rep.EchoWS.Chsk.RoundTrips, back.EchoWS.Chsk.RoundTrips)
	require.Equal(t, rep.Fanout.Chsk.Delivered, back.Fanout.Chsk.Delivered)
	require.Equal(t, runtime.NumCPU(), back.Machine.NumCPU)
	var sum bytes.Buffer
	rep.printSummary(&sum)
	require.Contains(t, sum.String(), "fanout chsk-ws")
	require.Contains(t, sum.String(), "idle chsk-ws")
}

func TestParseSteps(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		ok   bool
	}{
		{"1000,10000,20000", []int{1000, 10000, 20000}, true},
		{" 5 , 6", []int{5, 6}, true},
		{"", nil, false},
		{"1,-2", nil, false},
		{"1,x", nil, false},
	} {
		got, err := parseSteps(tc.in)
		if !tc.ok {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

func TestNewEndpoints(t *testing.T) {
	ep, err := newEndpoints("ws://127.0.0.1:9/app/chsk", "")
	require.NoError(t, err)
	require.Equal(t, endpoints{
		chsk: "http://127.0.0.1:9/app/chsk", page: "http://127.0.0.1:9/",
		rawEcho: "ws://127.0.0.1:9/raw/echo", rawHub: "ws://127.0.0.1:9/raw/hub", mem: "http://127.0.0.1:9/debug/mem",
	}, ep)
	ep, err = newEndpoints("https://h/chsk", "https://h/app")
	require.NoError(t, err)
	require.Equal(t, "https://h/app", ep.page)
	require.Equal(t, "wss://h/raw/hub", ep.rawHub)
	for _, bad := range []string{"ftp://h/chsk", "/chsk", "http:///chsk"} {
		_, err := newEndpoints(bad, "")
		require.Error(t, err, bad)
	}
}

func TestCheckLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:0": true, "localhost:80": true, "[::1]:8080": true,
		"0.0.0.0:80": false, ":8080": false, "10.0.0.1:80": false, "nohost": false,
	} {
		if ok {
			require.NoError(t, checkLoopback(addr), addr)
		} else {
			require.Error(t, checkLoopback(addr), addr)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	require.Equal(t, time.Duration(50), percentile(d, 0.5))
	require.Equal(t, time.Duration(99), percentile(d, 0.99))
	require.Equal(t, time.Duration(100), percentile(d, 1))
	require.Zero(t, percentile(nil, 0.5))
}

// echo -packer runs the load with that packer on both ends (serve -packer).
func TestEchoWithPacker(t *testing.T) {
	packer, err := packerByName("gzip-msgpack")
	require.NoError(t, err)
	b, err := startServerWith("127.0.0.1:0", quietLogger, 0, packer)
	require.NoError(t, err)
	defer func() { require.NoError(t, b.Close(context.Background())) }()
	ep := endpoints{chsk: b.URL() + "/chsk", page: b.URL() + "/"}
	e, err := runEcho(t.Context(), ep, echoConfig{Clients: 2, Transport: "ajax", Duration: 200 * time.Millisecond, Payload: 100, Packer: "gzip-msgpack"}, false)
	require.NoError(t, err)
	require.Positive(t, e.Chsk.RoundTrips)
	require.Zero(t, e.Chsk.Errors)
	_, err = packerByName("json")
	require.ErrorContains(t, err, `unknown packer "json"`)
}
