package bench

import (
	"testing"

	"github.com/gosente/gosente/chsk/client"
	"go.uber.org/goleak"
)

// TestSmoke runs every benchmark's setup, a few round trips or pushes, and
// teardown with few clients, and checks that no goroutine is left behind.
func TestSmoke(t *testing.T) {
	defer goleak.VerifyNone(t)
	t.Run("raw echo", func(t *testing.T) {
		workers, closeAll := rawEchoWorkers(t, 3)
		defer closeAll()
		if err := roundTrips(30, workers); err != nil {
			t.Fatal(err)
		}
	})
	for _, kind := range []client.Options{{Type: client.TransportWS}, {Type: client.TransportAjax}} {
		t.Run("chsk echo "+kind.Type.String(), func(t *testing.T) {
			workers, closeAll := chskEchoWorkers(t, 3, kind.Type)
			defer closeAll()
			if err := roundTrips(30, workers); err != nil {
				t.Fatal(err)
			}
		})
	}
	for name, newF := range map[string]func(testing.TB) *fanout{
		"raw fanout":  func(tb testing.TB) *fanout { return newRawFanout(tb, 5) },
		"chsk fanout": func(tb testing.TB) *fanout { return newChskFanout(tb, 5, -1) },
	} {
		t.Run(name, func(t *testing.T) {
			f := newF(t)
			defer f.close()
			for range 3 {
				if _, err := f.push(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
