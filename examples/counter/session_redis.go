package main

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisKV keeps session records in Redis, one hash per session under
// prefix+id, expiring after ttl without use (every get and incr moves the
// expiry). Redis's own maxmemory policy, not a cap here, bounds how many.
type redisKV struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// newRedisKV returns a kv over rdb. ttl must be positive.
func newRedisKV(rdb redis.UniversalClient, prefix string, ttl time.Duration) *redisKV {
	return &redisKV{rdb: rdb, prefix: prefix, ttl: ttl}
}

func (k *redisKV) get(ctx context.Context, id string) (record, bool, error) {
	key := k.prefix + id
	var all *redis.MapStringStringCmd
	_, err := k.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		all = p.HGetAll(ctx, key)
		p.PExpire(ctx, key, k.ttl)
		return nil
	})
	if err != nil {
		return record{}, false, err
	}
	var rec record
	if err := all.Scan(&rec); err != nil {
		return record{}, false, err
	}
	if len(all.Val()) == 0 {
		return record{}, false, nil
	}
	return rec, true, nil
}

func (k *redisKV) put(ctx context.Context, id string, rec record) error {
	key := k.prefix + id
	_, err := k.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, rec)
		p.PExpire(ctx, key, k.ttl)
		return nil
	})
	return err
}

// redisIncr adds one to an existing session's count and moves its expiry;
// it answers nil for a session that is gone, so none is ever half-created.
var redisIncr = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local n = redis.call('HINCRBY', KEYS[1], 'count', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n`)

func (k *redisKV) incr(ctx context.Context, id string) (int64, bool, error) {
	n, err := redisIncr.Run(ctx, k.rdb, []string{k.prefix + id}, k.ttl.Milliseconds()).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return n, true, nil
}
