package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// memStats is the answer of /debug/mem: the server's memory after a
// collection, in bytes.
type memStats struct {
	HeapInuse  uint64 `json:"heap_inuse"`
	HeapAlloc  uint64 `json:"heap_alloc"`
	StackInuse uint64 `json:"stack_inuse"`
	Sys        uint64 `json:"sys"`
	RSS        uint64 `json:"rss"` // VmRSS of /proc/self/status
	Goroutines int    `json:"goroutines"`
	Conns      int64  `json:"conns"`  // TCP connections open, WebSockets included
	NoFile     uint64 `json:"nofile"` // the process's file descriptor limit
}

// readMem collects garbage, returns freed memory to the system (so that RSS
// follows the heap down between steps) and reads the process's figures.
func readMem() memStats {
	runtime.GC()         // what finalizers and cleanups keep alive goes in the second one
	debug.FreeOSMemory() // runs a collection first
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memStats{
		HeapInuse:  ms.HeapInuse,
		HeapAlloc:  ms.HeapAlloc,
		StackInuse: ms.StackInuse,
		Sys:        ms.Sys,
		RSS:        vmRSS(),
		Goroutines: runtime.NumGoroutine(),
		NoFile:     noFile(),
	}
}

// vmRSS returns the resident set size from /proc/self/status, 0 where
// there is none.
func vmRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

func (b *benchServer) serveMem(w http.ResponseWriter, _ *http.Request) {
	m := readMem()
	m.Conns = b.ln.open.Load() - 1 // not this request's own connection
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(m)
}

// fetchMem reads a server's /debug/mem.
func fetchMem(ctx context.Context, hc *http.Client, url string) (memStats, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return memStats{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return memStats{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return memStats{}, fmt.Errorf("%s: %s", url, resp.Status)
	}
	var m memStats
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&m); err != nil {
		return memStats{}, fmt.Errorf("%s: %w", url, err)
	}
	return m, nil
}
