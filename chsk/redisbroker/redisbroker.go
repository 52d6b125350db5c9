// Package redisbroker runs gosente on several nodes through Redis: pushes go
// over Redis pub/sub, and which uids are connected where (presence) is kept in
// one Redis hash per node that expires unless the node keeps it alive.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	b, err := redisbroker.New(rdb, nil)
//	srv, err := chsk.New(&chsk.Options{Broker: b, Presence: b, …})
//	…
//	srv.Shutdown(ctx)
//	b.Close(ctx)
//
// # What holds
//
//   - Send, SendClient and Broadcast on any node reach the matching clients
//     on every node. The event is printed once, by the sending node.
//   - Pushes sent one after another from one node reach each client in that
//     order (one channel, and Redis keeps a publisher's order). Pushes sent
//     at once from several nodes interleave in some order that is the same for
//     every client of one node.
//   - Server.ConnectedAll is cluster-wide. A node that dies without Close
//     drops out within Options.TTL (default 15 s).
//   - Redis going away: the node keeps serving its own clients. Publish then
//     delivers to this process's clients only and returns an error that
//     matches ErrLocalOnly; the outage is logged once when it starts and
//     once when it ends and counted in Stats. The client reconnects by itself
//     (go-redis), and presence is written again in full. Pub/sub delivers at
//     most once: a push published while another node is still reconnecting
//     misses that node's clients.
//
// # Redis Cluster
//
// Pass a redis.ClusterClient. Plain pub/sub works there, but every published
// message goes to every shard; set Options.Sharded to use sharded pub/sub
// (SPUBLISH, Redis 7+), whose channel lives on one shard. Each node's
// presence is one key, so its writes touch one slot.
package redisbroker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/internal/cluster"
)

// ErrLocalOnly is matched (errors.Is) by the error of a Publish that could
// not reach Redis: the push went to this process's clients only.
var ErrLocalOnly = cluster.ErrLocalOnly

// Stats counts outages and the errors they caused.
type Stats = cluster.Stats

// Options configures a Broker. The zero value is usable.
type Options struct {
	// Prefix starts the channel's and keys' names. Zero means "gosente";
	// apps that share a Redis use a prefix each.
	Prefix string
	// TTL is how long a node's presence outlives its last heartbeat: a node
	// that dies without Close drops out of ConnectedAll within it. Zero
	// means 15 s. Heartbeats go every TTL/3.
	TTL time.Duration
	// Timeout bounds each call to Redis. Zero means 2 s.
	Timeout time.Duration
	// Sharded publishes with SPUBLISH and subscribes with SSUBSCRIBE
	// (Redis 7+ sharded pub/sub, for Redis Cluster).
	Sharded bool
	// Logger receives outage reports. Nil means slog.Default().
	Logger *slog.Logger
}

// Broker is a chsk.Broker and chsk.Presence on Redis. One Broker may serve
// several Servers of one process; each Server's Options.NodeID must then be
// distinct (the default, a random id, is).
type Broker struct {
	rdb     redis.UniversalClient
	opts    Options
	channel string
	health  cluster.Health
	local   *cluster.Local

	subs cluster.Subscribers

	ps     *redis.PubSub
	live   atomic.Bool // the subscription is in place: publishing reaches this node
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// New starts a Broker on rdb, which the caller keeps and closes after Close.
func New(rdb redis.UniversalClient, opts *Options) (*Broker, error) {
	if rdb == nil {
		return nil, errors.New("redisbroker: nil client")
	}
	b := &Broker{rdb: rdb, local: cluster.NewLocal()}
	if opts != nil {
		b.opts = *opts
	}
	cluster.Defaults(&b.opts.Prefix, &b.opts.TTL, &b.opts.Timeout, &b.opts.Logger)
	b.channel = b.opts.Prefix + ":push"
	b.health = cluster.Health{Log: b.opts.Logger, Engine: "redis"}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	ps := b.subscribe(ctx)
	b.ps = ps
	// Wait for the subscription, so that a push published right after New
	// reaches this node. A Redis that is down now is an outage like later.
	sctx, scancel := context.WithTimeout(ctx, b.opts.Timeout)
	_, err := ps.Receive(sctx)
	scancel()
	if err != nil {
		b.health.Fail(err)
	} else {
		b.live.Store(true)
	}
	b.done.Go(func() { b.receive(ctx, ps) })
	b.done.Go(func() { cluster.Sync(ctx, b.local, (*store)(b), &b.health, b.opts.TTL/3, b.opts.Timeout) })
	return b, nil
}

func (b *Broker) subscribe(ctx context.Context) *redis.PubSub {
	if b.opts.Sharded {
		return b.rdb.SSubscribe(ctx, b.channel)
	}
	return b.rdb.Subscribe(ctx, b.channel)
}

// Publish sends p to every node through Redis. If Redis cannot take it, p
// goes to this process's Servers only and the error matches ErrLocalOnly.
func (b *Broker) Publish(ctx context.Context, p chsk.Publication) error {
	if b.live.Load() {
		ctx, cancel := context.WithTimeout(ctx, b.opts.Timeout)
		msg := cluster.AppendPublication(nil, p)
		var err error
		if b.opts.Sharded {
			err = b.rdb.SPublish(ctx, b.channel, msg).Err()
		} else {
			err = b.rdb.Publish(ctx, b.channel, msg).Err()
		}
		cancel()
		if err == nil {
			return nil
		}
		b.health.PublishFailed(err)
		b.subs.Deliver(p)
		return fmt.Errorf("redisbroker: %w: %w", ErrLocalOnly, err)
	}
	b.health.PublishFailed(errors.New("down"))
	b.subs.Deliver(p)
	return fmt.Errorf("redisbroker: %w", ErrLocalOnly)
}

// Subscribe registers a Server's delivery function (chsk calls it in New).
func (b *Broker) Subscribe(deliver func(chsk.Publication)) (cancel func()) {
	return b.subs.Add(deliver)
}

// receive delivers what arrives on the channel until ctx ends. go-redis
// reconnects and subscribes again after an error; the confirmation of that
// subscription ends the outage.
func (b *Broker) receive(ctx context.Context, ps *redis.PubSub) {
	backoff := 50 * time.Millisecond
	for {
		msg, err := ps.Receive(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			b.live.Store(false)
			b.health.Fail(err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			b.live.Store(true)
			b.health.OK()
		case *redis.Message:
			p, err := cluster.ParsePublication([]byte(m.Payload))
			if err != nil {
				b.opts.Logger.Warn("redisbroker: dropped a message that is not a publication", slog.Any("err", err))
				continue
			}
			b.subs.Deliver(p)
		}
	}
}

// Update records a change of a node's clients (chsk.Presence); it never
// waits for Redis.
func (b *Broker) Update(_ context.Context, node string, ch chsk.UIDChange) error {
	return b.local.Update(node, ch)
}

// Connected returns the uids connected on any node. If Redis cannot be
// read, it returns this process's own uids and an error that matches
// ErrLocalOnly.
func (b *Broker) Connected(ctx context.Context) (chsk.ConnectedUIDs, error) {
	var v cluster.View
	b.local.AddTo(&v)
	ctx, cancel := context.WithTimeout(ctx, b.opts.Timeout)
	defer cancel()
	nodes, err := b.rdb.SMembers(ctx, b.nodesKey()).Result()
	if err != nil {
		return v.Connected(), fmt.Errorf("redisbroker: %w: %w", ErrLocalOnly, err)
	}
	var remote []string
	for _, n := range nodes {
		if !b.local.Owns(n) {
			remote = append(remote, n)
		}
	}
	cmds := make([]*redis.MapStringStringCmd, len(remote))
	if len(remote) > 0 {
		_, err = b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, n := range remote {
				cmds[i] = p.HGetAll(ctx, b.nodeKey(n))
			}
			return nil
		})
		if err != nil {
			var l cluster.View
			b.local.AddTo(&l)
			return l.Connected(), fmt.Errorf("redisbroker: %w: %w", ErrLocalOnly, err)
		}
	}
	var gone []any
	for i, c := range cmds {
		m := c.Val()
		if len(m) == 0 { // expired: the node died
			gone = append(gone, remote[i])
			continue
		}
		for uid, f := range m {
			if uid != heartbeatField {
				v.Add(uid, cluster.ParseFlags(f))
			}
		}
	}
	if len(gone) > 0 {
		_ = b.rdb.SRem(ctx, b.nodesKey(), gone...).Err() // tidying only
	}
	return v.Connected(), nil
}

// Stats returns the outage counters.
func (b *Broker) Stats() Stats { return b.health.Stats() }

// Close writes the last presence changes, removes this process's nodes
// from Redis and stops. Call it after the Servers' Shutdown, which reports
// their clients gone. It does not close the Redis client.
func (b *Broker) Close(ctx context.Context) error {
	b.stop()
	batch := b.local.Take()
	if len(batch.Nodes) == 0 {
		return nil
	}
	keys := make([]string, len(batch.Nodes))
	members := make([]any, len(batch.Nodes))
	for i, n := range batch.Nodes {
		keys[i] = b.nodeKey(n)
		members[i] = n
	}
	ctx, cancel := context.WithTimeout(ctx, b.opts.Timeout)
	defer cancel()
	for _, k := range keys { // one key per call: they may live on different shards
		if err := b.rdb.Del(ctx, k).Err(); err != nil {
			return fmt.Errorf("redisbroker: close: %w", err)
		}
	}
	if err := b.rdb.SRem(ctx, b.nodesKey(), members...).Err(); err != nil {
		return fmt.Errorf("redisbroker: close: %w", err)
	}
	return nil
}

// stop ends the loops. A Receive in progress does not see its context end,
// so the subscription is closed under it.
func (b *Broker) stop() {
	b.cancel()
	_ = b.ps.Close()
	b.done.Wait()
}

// heartbeatField is the hash field that keeps a node's hash in existence
// while it has no uids, so that its loss (expiry, a Redis restart) shows.
const heartbeatField = ""

func (b *Broker) nodesKey() string        { return b.opts.Prefix + ":nodes" }
func (b *Broker) nodeKey(n string) string { return b.opts.Prefix + ":node:" + n }

// store is the Broker's presence in Redis (cluster.Store).
type store Broker

func (s *store) Write(ctx context.Context, batch cluster.Batch) error {
	b := (*Broker)(s)
	byNode := make(map[string][]cluster.Record)
	for _, r := range batch.Records {
		byNode[r.Node] = append(byNode[r.Node], r)
	}
	if batch.Full {
		for _, n := range batch.Nodes {
			if _, ok := byNode[n]; !ok {
				byNode[n] = nil
			}
		}
	}
	ttl := b.opts.TTL
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	for node, recs := range byNode {
		key := b.nodeKey(node)
		var created *redis.IntCmd
		_, err := b.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if batch.Full {
				p.Del(ctx, key)
			}
			created = p.HSet(ctx, key, heartbeatField, now)
			for _, r := range recs {
				if r.Flags == 0 {
					p.HDel(ctx, key, r.UID)
				} else {
					p.HSet(ctx, key, r.UID, r.Flags.String())
				}
			}
			p.PExpire(ctx, key, ttl)
			return nil
		})
		if err != nil {
			return err
		}
		if err := b.rdb.SAdd(ctx, b.nodesKey(), node).Err(); err != nil {
			return err
		}
		if !batch.Full && created.Val() == 1 {
			return cluster.ErrLost // the hash was gone: only this change is in it
		}
	}
	return nil
}

func (s *store) Heartbeat(ctx context.Context, nodes []string) error {
	b := (*Broker)(s)
	cmds := make([]*redis.BoolCmd, len(nodes))
	_, err := b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, n := range nodes {
			cmds[i] = p.PExpire(ctx, b.nodeKey(n), b.opts.TTL)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range cmds {
		if !c.Val() {
			return cluster.ErrLost
		}
	}
	return nil
}
