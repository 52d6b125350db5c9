package golden

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRunFullTranscripts replays every scenario of both transcripts against
// fakes that play the whole recording (keep-alive, responder, background
// poll, late events, the second instance). It takes about
// 95 s × GOLDEN_FULL_SCALE per transcript, so it runs only when GOLDEN_FULL
// is set: GOLDEN_FULL=1 GOLDEN_FULL_SCALE=0.5 GOLDEN_FULL_TOLERANCE=250ms \
//
//	go test -run Full ./chsk/internal/golden/
//
// (timings are not compared unless GOLDEN_FULL_TOLERANCE is given).
func TestRunFullTranscripts(t *testing.T) {
	if os.Getenv("GOLDEN_FULL") == "" {
		t.Skip("set GOLDEN_FULL=1 to replay whole transcripts (slow)")
	}
	scale := 0.5
	if s := os.Getenv("GOLDEN_FULL_SCALE"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err)
		scale = v
	}
	tol := testTolerance
	if s := os.Getenv("GOLDEN_FULL_TOLERANCE"); s != "" {
		v, err := time.ParseDuration(s)
		require.NoError(t, err)
		tol = v
	}
	for _, path := range transcripts {
		tr := loadT(t, path)
		t.Run(tr.Label, func(t *testing.T) {
			t.Parallel()
			var servers []Server
			for i := range tr.Instances() {
				f := newInstanceFake(t, tr, i, scale)
				servers = append(servers, Server{BaseURL: f.baseURL(), Events: f.Events})
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			rep, err := Run(ctx, tr, Config{Servers: servers, TimeScale: scale, Tolerance: tol, Logf: t.Logf})
			require.NoError(t, err)
			t.Log("\n" + rep.Table(140))
			require.Empty(t, rep.Mismatches())
			require.Len(t, rep.Results, len(tr.Scenarios()))
		})
	}
}
