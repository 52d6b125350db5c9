package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// childStartTimeout bounds the wait for the child server's address.
const childStartTimeout = 15 * time.Second

// cmdAll starts `chskbench serve` as a child process, so that the server's
// memory is measured apart from the clients', and runs every load on it.
func cmdAll(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("all", flag.ContinueOnError)
	var lf loadFlags
	fs.StringVar(&lf.json, "json", "chskbench.json", "write the results as JSON to this file")
	fs.IntVar(&lf.src, "src", defaultSrc(), "spread client sockets over source addresses 127.0.0.1…127.0.0.N")
	fs.IntVar(&lf.echo.Clients, "echo-clients", 50, "concurrent echo clients")
	fs.DurationVar(&lf.echo.Duration, "echo-duration", 10*time.Second, "how long each echo run lasts")
	fs.IntVar(&lf.echo.Payload, "echo-payload", 100, "bytes of the echoed string")
	lf.fanoutFlags(fs, "fanout-")
	lf.idleFlags(fs, "idle-")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the child server to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	child, err := startChild(ctx, *cpuprofile)
	if err != nil {
		return err
	}
	defer child.stop()
	lf.url = child.url + "/chsk"
	lf.baseline = "on"
	lf.echo.Transport = "ws"
	ep, err := lf.finish()
	if err != nil {
		return err
	}
	rep := newReport(ep.chsk)
	memHC := newHTTPClient(newSrcDialer(1), 2)
	defer closeHTTPClient(memHC)
	mem := func() (memStats, bool) {
		m, err := fetchMem(ctx, memHC, ep.mem)
		return m, err == nil
	}
	if m, ok := mem(); ok {
		rep.Machine.ServerNoFile = m.NoFile
	}
	// Between phases: the clients are gone, and so is gosente's memory of
	// them (CloseGraceWS, 5s).
	drain := func() { waitDrained(ctx, mem, 1, 6*time.Second) }
	var errs []error
	note := func(phase string, err error) {
		if err != nil {
			err = fmt.Errorf("%s: %w", phase, err)
			errs = append(errs, err)
			rep.Errors = append(rep.Errors, err.Error())
			fmt.Fprintf(os.Stderr, "chskbench all: %v\n", err)
		}
	}
	echoWS, err := runEcho(ctx, ep, lf.echo, true)
	rep.EchoWS = &echoWS
	note("echo ws", err)
	drain()
	ajax := lf.echo
	ajax.Transport = "ajax"
	echoAjax, err := runEcho(ctx, ep, ajax, true)
	rep.EchoAjax = &echoAjax
	note("echo ajax", err)
	drain()
	fan, err := runFanout(ctx, ep, lf.fanout, true)
	rep.Fanout = &fan
	note("fanout", err)
	drain()
	note("server", child.stop())
	// Each idle series gets a fresh server, so that its base is clean.
	idle, err := runIdle(ctx, lf.idle, true, func(series string) (endpoints, func(), error) {
		c, err := startChild(ctx, "")
		if err != nil {
			return endpoints{}, nil, err
		}
		ep, err := newEndpoints(c.url+"/chsk", "")
		return ep, func() { note("idle "+series+" server", c.stop()) }, err
	})
	rep.Idle = &idle
	note("idle", err)
	return finishReport(rep, lf.json, stdout, errors.Join(errs...))
}

// child is the server process of `all`.
type child struct {
	cmd     *exec.Cmd
	url     string
	done    chan error // the result of Wait
	stopped bool
}

// startChild re-executes this program as `serve -addr 127.0.0.1:0` (with
// the extra flags) and reads the address it listens on.
func startChild(ctx context.Context, cpuprofile string, extra ...string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "-addr", "127.0.0.1:0"}, extra...)
	if cpuprofile != "" {
		args = append(args, "-cpuprofile", cpuprofile)
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = childProcAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				select {
				case addr <- u:
				default:
				}
			}
		}
		c.done <- cmd.Wait() // after the pipe is drained
	}()
	t := time.NewTimer(childStartTimeout)
	defer t.Stop()
	select {
	case c.url = <-addr:
		fmt.Fprintf(os.Stderr, "chskbench all: server pid %d at %s\n", cmd.Process.Pid, c.url)
		return c, nil
	case err := <-c.done:
		return nil, fmt.Errorf("the server exited before listening: %v", err)
	case <-t.C:
		err = fmt.Errorf("the server did not print its address in %v", childStartTimeout)
	case <-ctx.Done():
		err = ctx.Err()
	}
	_ = cmd.Process.Kill()
	<-c.done
	return nil, err
}

// stop asks the server to shut down (which writes its CPU profile) and
// waits for it; it kills it after shutdownTimeout.
func (c *child) stop() error {
	if c.stopped {
		return nil
	}
	c.stopped = true
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(shutdownTimeout + 5*time.Second)
	defer t.Stop()
	select {
	case err := <-c.done:
		return err
	case <-t.C:
		_ = c.cmd.Process.Kill()
		<-c.done
		return errors.New("the server did not stop in time: killed")
	}
}
