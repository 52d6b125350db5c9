package main

import (
	"context"
	"errors"
	"time"

	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/natsbroker"
	"github.com/gosente/gosente/chsk/redisbroker"
	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
)

// engine is what the nodes of a clustered app share: the session kv on
// Redis (-redis) or NATS JetStream KV (-nats), and the Broker and Presence
// that carry pushes and connected uids between the nodes. Without either
// flag there is none and the app is one node in memory.
type engine struct {
	sessions kv
	// broker and presence carry pushes and connected uids between nodes
	// (chsk/redisbroker or chsk/natsbroker); close closes them, after the
	// app's chsk.Server shut down, then the engine's connection.
	broker   chsk.Broker
	presence chsk.Presence
	close    func()
}

// Names of what the app keeps in an engine.
const (
	redisSessionPrefix = "counter:session:"
	natsSessionBucket  = "counter_sessions"
)

// openEngine connects to the engine the flags name, or returns nil for none.
func openEngine(ctx context.Context, redisURL, natsURL string, sessionTTL time.Duration) (*engine, error) {
	switch {
	case redisURL != "" && natsURL != "":
		return nil, errors.New("counter: -redis and -nats exclude each other")
	case redisURL != "":
		o, err := redis.ParseURL(redisURL)
		if err != nil {
			return nil, err
		}
		rdb := redis.NewClient(o)
		if err := rdb.Ping(ctx).Err(); err != nil {
			_ = rdb.Close()
			return nil, err
		}
		b, err := redisbroker.New(rdb, &redisbroker.Options{Prefix: "counter"})
		if err != nil {
			_ = rdb.Close()
			return nil, err
		}
		return &engine{
			sessions: newRedisKV(rdb, redisSessionPrefix, sessionTTL),
			broker:   b,
			presence: b,
			close:    func() { closeBroker(b); _ = rdb.Close() },
		}, nil
	case natsURL != "":
		nc, err := nats.Connect(natsURL, nats.MaxReconnects(-1))
		if err != nil {
			return nil, err
		}
		k, err := openNATSKV(ctx, nc, natsSessionBucket, sessionTTL)
		if err != nil {
			nc.Close()
			return nil, err
		}
		b, err := natsbroker.New(nc, &natsbroker.Options{Prefix: "counter"})
		if err != nil {
			nc.Close()
			return nil, err
		}
		return &engine{sessions: k, broker: b, presence: b, close: func() { closeBroker(b); nc.Close() }}, nil
	}
	return nil, nil
}

// closeBroker removes this node's presence from the engine.
func closeBroker(b interface{ Close(context.Context) error }) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = b.Close(ctx)
}
