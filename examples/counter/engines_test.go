package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// redisServerPath is Debian's redis-server, which the Redis tests start.
const redisServerPath = "/usr/bin/redis-server"

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// startRedis starts a throwaway redis-server on a free loopback port, without
// persistence, and returns a client of it; both end with the test. Without
// redis-server the test skips, or fails under CI=true.
func startRedis(t *testing.T) *redis.Client {
	t.Helper()
	if _, err := os.Stat(redisServerPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (apt-get install redis-server)", redisServerPath)
		}
		t.Skipf("%s is missing (apt-get install redis-server); skipping", redisServerPath)
	}
	port := strconv.Itoa(freePort(t))
	cmd := exec.Command(redisServerPath, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	rdb := redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", port)})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for rdb.Ping(ctx).Err() != nil { // until redis-server listens, bounded by ctx
		require.NoError(t, ctx.Err(), "redis-server did not answer")
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond): // a poll of an external process, not a test wait
		}
	}
	return rdb
}

// startNATS starts an in-process nats-server with JetStream on a free
// loopback port and returns a connection to it; both end with the test.
func startNATS(t *testing.T) *nats.Conn {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: t.TempDir(),
		NoLog: true, NoSigs: true,
	})
	require.NoError(t, err)
	go ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	require.True(t, ns.ReadyForConnections(20*time.Second), "nats-server did not start")
	nc, err := nats.Connect(ns.ClientURL())
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}
