package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsKV keeps session records as JSON in a JetStream key-value bucket. The
// bucket's TTL expires a record that long after its last write (every count
// is one; a read is not, unlike the memory and Redis kvs); JetStream's
// replicas and limits, not a cap here, bound the bucket.
type natsKV struct {
	kv jetstream.KeyValue
}

// openNATSKV creates (or updates) the bucket with the given TTL and returns
// a kv over it.
func openNATSKV(ctx context.Context, nc *nats.Conn, bucket string, ttl time.Duration) (natsKV, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return natsKV{}, err
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, TTL: ttl})
	if err != nil {
		return natsKV{}, err
	}
	return natsKV{kv: kv}, nil
}

// natsIncrTries bounds the compare-and-set loop of incr: each failed try
// means another node counted the same session in between.
const natsIncrTries = 32

func (k natsKV) get(ctx context.Context, id string) (record, bool, error) {
	e, err := k.kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return record{}, false, nil
	}
	if err != nil {
		return record{}, false, err
	}
	var rec record
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return record{}, false, err
	}
	return rec, true, nil
}

func (k natsKV) put(ctx context.Context, id string, rec record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = k.kv.Put(ctx, id, b)
	return err
}

// incr reads the record and writes it back counted, on the condition that
// no node wrote it in between (the entry's revision), retrying when one did.
func (k natsKV) incr(ctx context.Context, id string) (int64, bool, error) {
	for range natsIncrTries {
		e, err := k.kv.Get(ctx, id)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, err
		}
		var rec record
		if err := json.Unmarshal(e.Value(), &rec); err != nil {
			return 0, false, err
		}
		rec.Count++
		b, err := json.Marshal(rec)
		if err != nil {
			return 0, false, err
		}
		_, err = k.kv.Update(ctx, id, b, e.Revision())
		if err == nil {
			return rec.Count, true, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return 0, false, err
		}
	}
	return 0, false, fmt.Errorf("session: %d concurrent updates of one session, giving up", natsIncrTries)
}
