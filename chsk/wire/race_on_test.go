//go:build race

package wire

// raceEnabled is true under -race, where sync.Pool drops a random share of
// what is put back, so allocation counts of pooled code are not exact.
const raceEnabled = true
