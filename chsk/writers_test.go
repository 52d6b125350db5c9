package chsk

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// flushFunc is a flushable whose flush is a function.
type flushFunc func()

func (f flushFunc) flush() { f() }

// A broadcast's clients are drained by at most maxWriters goroutines, each
// once.
func TestWritersBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var life lifecycle
		w := writers{life: &life, max: 3}
		var mu sync.Mutex
		busy, most := 0, 0
		var flushed atomic.Int64
		cs := make([]flushable, 500)
		for i := range cs {
			cs[i] = flushFunc(func() {
				mu.Lock()
				busy++
				most = max(most, busy)
				mu.Unlock()
				time.Sleep(time.Microsecond) // fake time: the writers overlap
				mu.Lock()
				busy--
				mu.Unlock()
				flushed.Add(1)
			})
		}
		w.submit(cs...)
		synctest.Wait()
		time.Sleep(time.Second)
		synctest.Wait()
		require.Equal(t, int64(len(cs)), flushed.Load())
		require.Equal(t, 3, most, "writers at once")
		require.Zero(t, w.running)
	})
}

// A client stuck in a write holds one writer; the clients behind it are
// drained by another writer, started when the pool made no progress for
// stallAfter (two checks at most), not after the stuck write's WriteTimeout.
func TestWritersStuckClientDelaysNoOther(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var life lifecycle
		w := writers{life: &life, max: 1}
		release := make(chan struct{})
		var flushed atomic.Int64
		stuck := flushFunc(func() { <-release })
		fast := flushFunc(func() { flushed.Add(1) })
		start := time.Now()
		w.submit(stuck, fast, fast)
		for flushed.Load() < 2 {
			time.Sleep(time.Millisecond) // fake time
		}
		took := time.Since(start)
		close(release)
		// The first check may see the writer take the stuck client; the
		// second sees no progress.
		require.LessOrEqual(t, took, 2*stallAfter+time.Millisecond)
		synctest.Wait()
		time.Sleep(time.Second) // fake time: the stall check sees an empty queue and stops
		synctest.Wait()
		require.Zero(t, w.running)
	})
}

// Many stuck clients ahead of a healthy one: the pool doubles at each check
// that sees no progress, so the healthy client waits about 2·log2(n)
// checks, not 2·n (found in review: adding one writer per check made it wait
// nearly WriteTimeout behind 1 000 stuck clients).
func TestWritersManyStuckClients(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var life lifecycle
		w := writers{life: &life, max: 2}
		release := make(chan struct{})
		var flushed atomic.Int64
		stuck := flushFunc(func() { <-release })
		cs := make([]flushable, 0, 1001)
		for range 1000 {
			cs = append(cs, stuck)
		}
		cs = append(cs, flushFunc(func() { flushed.Add(1) }))
		start := time.Now()
		w.submit(cs...)
		for flushed.Load() < 1 {
			time.Sleep(time.Millisecond) // fake time
		}
		took := time.Since(start)
		close(release)
		require.LessOrEqual(t, took, 24*stallAfter, "the healthy client waited %v", took)
		synctest.Wait()
		time.Sleep(time.Second) // fake time: the stall check sees an empty queue and stops
		synctest.Wait()
		require.Zero(t, w.running)
	})
}
