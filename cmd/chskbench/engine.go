package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"

	"github.com/gosente/gosente/chsk/natsbroker"
	"github.com/gosente/gosente/chsk/redisbroker"
)

// openEngine connects o to the cluster engine one of the URLs names (none:
// a single node) and returns what closes it, after the server's Shutdown.
func openEngine(ctx context.Context, redisURL, natsURL string, o *serverOptions) (closeEngine func(), err error) {
	switch {
	case redisURL != "" && natsURL != "":
		return nil, errors.New("-redis and -nats exclude each other")
	case redisURL != "":
		ropts, err := redis.ParseURL(redisURL)
		if err != nil {
			return nil, fmt.Errorf("-redis: %w", err)
		}
		rdb := redis.NewClient(ropts)
		b, err := redisbroker.New(rdb, nil)
		if err != nil {
			_ = rdb.Close()
			return nil, err
		}
		o.broker, o.presence = b, b
		return func() {
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = b.Close(cctx)
			_ = rdb.Close()
		}, nil
	case natsURL != "":
		nc, err := nats.Connect(natsURL, nats.MaxReconnects(-1))
		if err != nil {
			return nil, fmt.Errorf("-nats: %w", err)
		}
		b, err := natsbroker.New(nc, nil)
		if err != nil {
			nc.Close()
			return nil, err
		}
		o.broker, o.presence = b, b
		return func() {
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = b.Close(cctx)
			nc.Close()
		}, nil
	}
	return func() {}, nil
}
