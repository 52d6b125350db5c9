package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/internal/cdp"
	"github.com/gosente/gosente/internal/shared"
)

// realClientResult is the last line run.sh prints (shared/realclient/README.md).
type realClientResult struct {
	Handshake       bool     `json:"handshake"`
	EchoReply       bool     `json:"echoReply"`
	Reply           string   `json:"reply"`
	RecvPushes      int      `json:"recvPushes"`
	UnwrappedPushes int      `json:"unwrappedPushes"`
	JSErrors        int      `json:"jsErrors"`
	Refused         []string `json:"refused"`
	Error           *string  `json:"error"`
}

// Sente's own ClojureScript client, compiled unchanged from the 1.17.0 and
// 1.22.0-RC1 releases (shared/realclient), talks to the example started
// with each packer the release offers, over each transport: 14 runs of a
// handshake, a [:components/commtest …] request answered by the Go handler,
// and the server's tick pushes received, in headless Chromium.
func TestRealSenteClientEveryPacker(t *testing.T) {
	run := shared.Path(t, filepath.Join("realclient", "run.sh"), "Sente's compiled ClojureScript client (realclient)")
	chromium := cdp.FindChromium(t)
	cache := filepath.Join(os.TempDir(), "gosente-realclient-cache") // node_modules, kept between runs
	type matrix struct {
		version string
		packers []string
	}
	for _, m := range []matrix{
		{"1.17", []string{"edn", "transit"}},
		{"1.22", []string{"edn", "transit", "msgpack", "gzip-edn", "gzip-msgpack"}},
	} {
		for _, packer := range m.packers {
			t.Run(m.version+"/"+packer, func(t *testing.T) {
				cfg := testConfig()
				cfg.TickEvery = 200 * time.Millisecond // a push to see within the run
				cfg.ParkAfter = 50 * time.Millisecond  // polls and sockets park between ticks
				cfg.Packer = strings.TrimPrefix(packer, "gzip-")
				cfg.Gzip = strings.HasPrefix(packer, "gzip-")
				base, a := startServer(t, cfg)
				for _, typ := range []string{"ws", "ajax"} {
					ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
					cmd := exec.CommandContext(ctx, run, base+"/", "--version", m.version, "--type", typ,
						"--packer", packer, "--event", "components/commtest", "--block-page-scripts", "--quiet",
						"--after-ms", "1500")
					cmd.Env = append(os.Environ(), "REALCLIENT_CACHE="+cache, "CHROMIUM="+chromium)
					out, err := cmd.CombinedOutput()
					cancel()
					lines := strings.Split(strings.TrimSpace(string(out)), "\n")
					var res realClientResult
					require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &res), "%s %s: %v\n%s", packer, typ, err, out)
					require.Nil(t, res.Error, "%s %s:\n%s", packer, typ, out)
					require.True(t, res.Handshake, "%s %s: no handshake:\n%s", packer, typ, out)
					require.True(t, res.EchoReply, "%s %s: no reply:\n%s", packer, typ, out)
					require.Equal(t, `{:reply "Hello World! (from Go)", :transport "`+typ+`"}`, res.Reply)
					require.Positive(t, res.RecvPushes+res.UnwrappedPushes, "%s %s: no push", packer, typ)
					require.Zero(t, res.JSErrors, "%s %s:\n%s", packer, typ, out)
					require.Empty(t, res.Refused)
					require.NoError(t, err, "%s %s: run.sh failed:\n%s", packer, typ, out)
				}
				// Its polls were taken over between ticks, and it went on
				// polling and posting on the connections handed back.
				require.Positive(t, a.chsk.Stats().PollsTakenOver, "%s: no poll was taken over", packer)
			})
		}
	}
}
