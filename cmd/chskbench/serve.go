package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"time"
)

// shutdownTimeout bounds the server's shutdown.
const shutdownTimeout = 15 * time.Second

// cmdServe runs the bench server until ctx ends (SIGINT or SIGTERM). It
// prints "listening on URL" on stdout once it accepts connections.
func cmdServe(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "loopback address to listen on")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	verbose := fs.Bool("v", false, "log the server's warnings on stderr")
	sendBuf := fs.Duration("send-buffer-ws", 0, "gosente's WebSocket batching window (0: Sente's 30ms; negative: off)")
	packerName := fs.String("packer", "edn", "Sente packer: "+packerNames)
	if err := fs.Parse(args); err != nil {
		return err
	}
	packer, err := packerByName(*packerName)
	if err != nil {
		return err
	}
	log := quietLogger
	if *verbose {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if *cpuprofile != "" {
		stop, err := startCPUProfile(*cpuprofile)
		if err != nil {
			return err
		}
		defer stop()
	}
	b, err := startServerWith(*addr, log, *sendBuf, packer)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "listening on %s\n", b.URL())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	return b.Close(sctx)
}

// startCPUProfile profiles this process into path until stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}
