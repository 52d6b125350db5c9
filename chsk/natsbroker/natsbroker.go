// Package natsbroker runs gosente on several nodes through NATS: pushes go
// over a core NATS subject, and which uids are connected where (presence) is
// kept in a JetStream key-value bucket whose entries expire unless their node
// rewrites them.
//
//	nc, err := nats.Connect(url, nats.MaxReconnects(-1))
//	b, err := natsbroker.New(nc, nil)
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
//     order (one subject, one connection: NATS keeps a publisher's order).
//     Pushes sent at once from several nodes interleave in some order.
//   - Server.ConnectedAll is cluster-wide. A node that dies without Close
//     drops out within Options.TTL (default 15 s), the bucket's TTL.
//   - NATS going away: the node keeps serving its own clients. Publish then
//     delivers to this process's clients only and returns an error that
//     matches ErrLocalOnly (it does not let nats.go buffer pushes for later);
//     the outage is logged once when it starts and once when it ends and
//     counted in Stats. nats.go reconnects and resubscribes by itself, and
//     presence is written again in full. Core NATS delivers at most once.
//
// # Why a bucket with a TTL
//
// Each node keeps one key holding all its uids and rewrites it on every
// change and every TTL/3. The engine does the expiry, so a dead node needs
// nobody to clean up after it, and ConnectedAll reads one key per node. The
// price is that a node's uids must fit in one message (NATS's max_payload,
// 1 MiB by default: about 30,000 uids per node); past that, raise
// max_payload.
package natsbroker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/internal/cluster"
)

// ErrLocalOnly is matched (errors.Is) by the error of a Publish that could
// not reach NATS: the push went to this process's clients only.
var ErrLocalOnly = cluster.ErrLocalOnly

// Stats counts outages and the errors they caused.
type Stats = cluster.Stats

// Options configures a Broker. The zero value is usable.
type Options struct {
	// Prefix names the subject (PREFIX.push) and the bucket
	// (PREFIX-presence). Zero means "gosente".
	Prefix string
	// TTL is how long a node's presence outlives its last write: a node that
	// dies without Close drops out of ConnectedAll within it. Zero means
	// 15 s. Each node rewrites its key every TTL/3.
	TTL time.Duration
	// Timeout bounds each JetStream call. Zero means 2 s.
	Timeout time.Duration
	// Logger receives outage reports. Nil means slog.Default().
	Logger *slog.Logger
}

// Broker is a chsk.Broker and chsk.Presence on NATS. One Broker may serve
// several Servers of one process; their Options.NodeID must differ (the
// default, a random id, does).
type Broker struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	opts   Options
	health cluster.Health
	local  *cluster.Local
	sub    *nats.Subscription

	subs cluster.Subscribers

	kvMu sync.Mutex // guards kv
	kv   jetstream.KeyValue

	cancel context.CancelFunc
	done   sync.WaitGroup
}

// New starts a Broker on nc, which the caller keeps and closes after Close.
// Give nc nats.MaxReconnects(-1) so that it never stops reconnecting.
func New(nc *nats.Conn, opts *Options) (*Broker, error) {
	if nc == nil {
		return nil, errors.New("natsbroker: nil connection")
	}
	b := &Broker{nc: nc, local: cluster.NewLocal()}
	if opts != nil {
		b.opts = *opts
	}
	cluster.Defaults(&b.opts.Prefix, &b.opts.TTL, &b.opts.Timeout, &b.opts.Logger)
	b.health = cluster.Health{Log: b.opts.Logger, Engine: "nats"}
	var err error
	if b.js, err = jetstream.New(nc); err != nil {
		return nil, fmt.Errorf("natsbroker: %w", err)
	}
	b.sub, err = nc.Subscribe(b.opts.Prefix+".push", b.receive)
	if err != nil {
		return nil, fmt.Errorf("natsbroker: %w", err)
	}
	_ = b.sub.SetPendingLimits(-1, 64<<20) // no count limit; 64 MiB
	if err := nc.FlushTimeout(b.opts.Timeout); err != nil {
		b.health.Fail(err) // not there yet: an outage like later ones
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	b.done.Go(func() { cluster.Sync(ctx, b.local, (*store)(b), &b.health, b.opts.TTL/3, b.opts.Timeout) })
	return b, nil
}

// Publish sends p to every node through NATS. If NATS is not connected, p
// goes to this process's Servers only and the error matches ErrLocalOnly.
func (b *Broker) Publish(_ context.Context, p chsk.Publication) error {
	if b.nc.IsConnected() {
		err := b.nc.Publish(b.opts.Prefix+".push", cluster.AppendPublication(nil, p))
		if err == nil {
			return nil
		}
		b.health.PublishFailed(err)
		b.subs.Deliver(p)
		return fmt.Errorf("natsbroker: %w: %w", ErrLocalOnly, err)
	}
	b.health.PublishFailed(nats.ErrConnectionReconnecting)
	b.subs.Deliver(p)
	return fmt.Errorf("natsbroker: %w", ErrLocalOnly)
}

// Subscribe registers a Server's delivery function (chsk calls it in New).
func (b *Broker) Subscribe(deliver func(chsk.Publication)) (cancel func()) {
	return b.subs.Add(deliver)
}

func (b *Broker) receive(m *nats.Msg) {
	p, err := cluster.ParsePublication(m.Data)
	if err != nil {
		b.opts.Logger.Warn("natsbroker: dropped a message that is not a publication", slog.Any("err", err))
		return
	}
	b.subs.Deliver(p)
}

// Update records a change of a node's clients (chsk.Presence); it never
// waits for NATS.
func (b *Broker) Update(_ context.Context, node string, ch chsk.UIDChange) error {
	return b.local.Update(node, ch)
}

// Connected returns the uids connected on any node. If the bucket cannot be
// read, it returns this process's own uids and an error that matches
// ErrLocalOnly.
func (b *Broker) Connected(ctx context.Context) (chsk.ConnectedUIDs, error) {
	var v cluster.View
	b.local.AddTo(&v)
	ctx, cancel := context.WithTimeout(ctx, b.opts.Timeout)
	defer cancel()
	fail := func(err error) (chsk.ConnectedUIDs, error) {
		var l cluster.View
		b.local.AddTo(&l)
		return l.Connected(), fmt.Errorf("natsbroker: %w: %w", ErrLocalOnly, err)
	}
	kv, err := b.bucket(ctx)
	if err != nil {
		return fail(err)
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return fail(err)
	}
	for key := range keys.Keys() {
		node, ok := nodeOf(key)
		if !ok || b.local.Owns(node) {
			continue
		}
		e, err := kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // expired meanwhile
		}
		if err != nil {
			_ = keys.Stop()
			return fail(err)
		}
		var recs map[string]string
		if json.Unmarshal(e.Value(), &recs) != nil {
			continue
		}
		for uid, f := range recs {
			v.Add(uid, cluster.ParseFlags(f))
		}
	}
	return v.Connected(), nil
}

// Stats returns the outage counters.
func (b *Broker) Stats() Stats { return b.health.Stats() }

// Close stops, removes this process's nodes from the bucket and
// unsubscribes. Call it after the Servers' Shutdown. It does not close the
// NATS connection.
func (b *Broker) Close(ctx context.Context) error {
	b.stop()
	batch := b.local.Take()
	ctx, cancel := context.WithTimeout(ctx, b.opts.Timeout)
	defer cancel()
	if len(batch.Nodes) == 0 {
		return nil
	}
	kv, err := b.bucket(ctx)
	if err != nil {
		return fmt.Errorf("natsbroker: close: %w", err)
	}
	for _, n := range batch.Nodes {
		if err := kv.Delete(ctx, keyOf(n)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("natsbroker: close: %w", err)
		}
	}
	return nil
}

func (b *Broker) stop() {
	b.cancel()
	b.done.Wait()
	_ = b.sub.Unsubscribe()
}

// bucket returns the presence bucket, creating it if needed (also after an
// engine that lost it came back).
func (b *Broker) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	b.kvMu.Lock()
	defer b.kvMu.Unlock()
	if b.kv != nil {
		return b.kv, nil
	}
	kv, err := b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:  b.opts.Prefix + "-presence",
		History: 1,
		TTL:     b.opts.TTL,
	})
	if err != nil {
		return nil, err
	}
	b.kv = kv
	return kv, nil
}

func (b *Broker) forgetBucket() {
	b.kvMu.Lock()
	b.kv = nil
	b.kvMu.Unlock()
}

// keyOf is node's key in the bucket; node ids may hold any bytes.
func keyOf(node string) string { return "n." + base64.RawURLEncoding.EncodeToString([]byte(node)) }

func nodeOf(key string) (string, bool) {
	s, ok := strings.CutPrefix(key, "n.")
	if !ok {
		return "", false
	}
	n, err := base64.RawURLEncoding.DecodeString(s)
	return string(n), err == nil
}

// store is the Broker's presence in the bucket (cluster.Store): every write
// and heartbeat rewrites the whole key of each node concerned.
type store Broker

func (s *store) Write(ctx context.Context, batch cluster.Batch) error {
	nodes := batch.Nodes
	if !batch.Full {
		seen := map[string]bool{}
		nodes = nil
		for _, r := range batch.Records {
			if !seen[r.Node] {
				seen[r.Node] = true
				nodes = append(nodes, r.Node)
			}
		}
	}
	return s.put(ctx, nodes)
}

func (s *store) Heartbeat(ctx context.Context, nodes []string) error { return s.put(ctx, nodes) }

func (s *store) put(ctx context.Context, nodes []string) error {
	b := (*Broker)(s)
	kv, err := b.bucket(ctx)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		recs := b.local.Node(n)
		m := make(map[string]string, len(recs))
		for uid, f := range recs {
			m[uid] = f.String()
		}
		val, _ := json.Marshal(m)
		if _, err := kv.Put(ctx, keyOf(n), val); err != nil {
			b.forgetBucket() // a restarted engine may have lost it
			return err
		}
	}
	return nil
}
